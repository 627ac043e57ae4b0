"""Exercise checkers of notebook 05 (BERT). Each computes its own answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .core import grade, grade_function

__all__ = ["EXERCISE_MASKING", "EXERCISE_PAIR", "EXERCISE_WHOLE_WORD", "exercise_bert_masking",
           "exercise_segment_ids", "exercise_whole_word_masking", "exercise_masked_lm_loss"]

# Exercise 1: BERT's 80/10/10 procedure with the random draws given, so the answer is exact.
# Position i is chosen if u[i] < 0.15 and it is not a special token; a chosen position becomes [MASK] if
# v[i] < 0.8, the token random_ids[i] if 0.8 <= v[i] < 0.9, and stays unchanged otherwise.
EXERCISE_MASKING: dict[str, Any] = {
    "tokens": ["[CLS]", "my", "dog", "is", "hairy", "and", "he", "likes", "to", "play", "[SEP]"],
    "input_ids": [101, 2026, 3899, 2003, 15892, 1998, 2002, 7777, 2000, 2377, 102],
    "special_ids": [0, 101, 102, 103],
    "mask_id": 103,
    "u": [0.02, 0.71, 0.33, 0.91, 0.05, 0.48, 0.12, 0.64, 0.27, 0.09, 0.11],
    "v": [0.50, 0.20, 0.77, 0.35, 0.42, 0.66, 0.95, 0.13, 0.58, 0.86, 0.30],
    "random_ids": [7592, 2154, 4937, 2417, 3193, 2833, 5658, 2482, 2665, 6207, 1037],
}

# Exercise 2: a sentence pair, already split into WordPiece tokens, padded to max_length.
EXERCISE_PAIR: dict[str, Any] = {
    "a": ["the", "man", "went", "to", "the", "store"],
    "b": ["he", "bought", "a", "gallon", "of", "milk"],
    "max_length": 18,
}


def _bert_masking_answer() -> tuple[list[int], list[int]]:
    e = EXERCISE_MASKING
    inputs, labels = [], []
    for token_id, u, v, r in zip(e["input_ids"], e["u"], e["v"], e["random_ids"], strict=True):
        chosen = u < 0.15 and token_id not in e["special_ids"]
        if not chosen:
            inputs.append(token_id)
            labels.append(-100)
            continue
        labels.append(token_id)
        if v < 0.8:
            inputs.append(e["mask_id"])
        elif v < 0.9:
            inputs.append(r)
        else:
            inputs.append(token_id)
    return inputs, labels


def exercise_bert_masking(masked_ids: Any, labels: Any) -> None:
    """Notebook 05: the model's input ids and the MLM labels for ``EXERCISE_MASKING``."""
    expected_inputs, expected_labels = _bert_masking_answer()
    if masked_ids is Ellipsis or labels is Ellipsis or masked_ids is None or labels is None:
        verdict = None
    else:
        try:
            a = np.asarray(masked_ids.tolist() if hasattr(masked_ids, "tolist") else masked_ids).ravel().tolist()
            b = np.asarray(labels.tolist() if hasattr(labels, "tolist") else labels).ravel().tolist()
            verdict = a == expected_inputs and b == expected_labels
        except (TypeError, ValueError):
            verdict = False
    grade(verdict, True, [
        "go position by position: first decide whether the position is chosen (from u, and whether its "
        "token is special), then, for a chosen position only, what the model reads there (from v)",
        "a position is chosen when u < 0.15 and its token is not special ([CLS] at position 0 has u = 0.02 "
        "but must stay); its label is the original id when chosen and -100 otherwise",
        "a chosen position reads mask_id if v < 0.8, its random_ids entry if 0.8 <= v < 0.9, and its own id "
        "otherwise (a kept token still has a label); both lists have one entry per position"],
        name="80/10/10 masking")


def _segment_answer() -> tuple[list[str], list[int], list[int]]:
    e = EXERCISE_PAIR
    tokens = ["[CLS]"] + e["a"] + ["[SEP]"] + e["b"] + ["[SEP]"]
    segments = [0] * (len(e["a"]) + 2) + [1] * (len(e["b"]) + 1)
    n_pad = e["max_length"] - len(tokens)
    return tokens + ["[PAD]"] * n_pad, segments + [0] * n_pad, [1] * len(tokens) + [0] * n_pad


def exercise_segment_ids(tokens: Any, segment_ids: Any, attention_mask: Any) -> None:
    """Notebook 05: the padded tokens, segment ids and attention mask of the pair in ``EXERCISE_PAIR``."""
    expected = _segment_answer()
    answers = (tokens, segment_ids, attention_mask)
    if any(a is Ellipsis or a is None for a in answers):
        verdict = None
    else:
        try:
            given = [list(tokens)] + [np.asarray(a.tolist() if hasattr(a, "tolist") else a).ravel().tolist()
                                      for a in (segment_ids, attention_mask)]
            verdict = given == [list(x) for x in expected]
        except (TypeError, ValueError):
            verdict = False
    grade(verdict, True, [
        "the tokens: [CLS], sentence A, [SEP], sentence B, [SEP], then [PAD] until there are max_length",
        "segment id 0 for [CLS], sentence A and the [SEP] after it; 1 for sentence B and the final [SEP]; "
        "padding gets 0",
        "the attention mask is 1 for every real token (the special tokens included) and 0 for padding; all "
        "three lists have max_length entries"],
        name="segment ids and attention mask")


# ----------------------------------------------------------------------------------------------
# Exercise 3: whole-word masking (BERT's later release; SpanBERT §3.1 compares it), with the draws given
# ----------------------------------------------------------------------------------------------
# "The snowboarding instructor was unflappable." in the bert-base-uncased vocabulary (MiniLM's tokenizer):
# word_ids[i] is the word of token i (None for [CLS] / [SEP] / [PAD]); u and v hold one draw per WORD,
# random_ids one per token.
EXERCISE_WHOLE_WORD: dict[str, Any] = {
    "tokens": ["[CLS]", "the", "snow", "##boarding", "instructor", "was", "un", "##fl", "##app", "##able", ".",
               "[SEP]"],
    "input_ids": [101, 1996, 4586, 21172, 9450, 2001, 4895, 10258, 29098, 3085, 1012, 102],
    "word_ids": [None, 0, 1, 1, 2, 3, 4, 4, 4, 4, 5, None],
    "u": [0.61, 0.07, 0.52, 0.88, 0.11, 0.34],
    "v": [0.30, 0.42, 0.70, 0.10, 0.85, 0.95],
    "random_ids": [7592, 2154, 4937, 2417, 3193, 2833, 5658, 2482, 2665, 6207, 1037, 3376],
    "mask_id": 103,
}


def _reference_whole_word_masking(input_ids: Sequence[int], word_ids: Sequence[int | None], u: Sequence[float],
                                  v: Sequence[float], random_ids: Sequence[int], mask_id: int,
                                  mlm_probability: float = 0.15) -> tuple[list[int], list[int]]:
    """BERT's 80/10/10 rule applied to whole words: word w is chosen when u[w] < mlm_probability; then every
    piece of it is predicted (label = its id) and v[w] decides for the whole word: all pieces [MASK]
    (v < 0.8), each piece its own random id (0.8 <= v < 0.9), or all kept."""
    masked, labels = [], []
    for i, (token_id, w) in enumerate(zip(input_ids, word_ids, strict=True)):
        if w is None or not u[w] < mlm_probability:
            masked.append(token_id)
            labels.append(-100)
            continue
        labels.append(token_id)
        if v[w] < 0.8:
            masked.append(mask_id)
        elif v[w] < 0.9:
            masked.append(random_ids[i])
        else:
            masked.append(token_id)
    return masked, labels


def _whole_word_cases() -> list[dict[str, Any]]:
    e = EXERCISE_WHOLE_WORD
    main = {k: e[k] for k in ("input_ids", "word_ids", "u", "v", "random_ids", "mask_id")}
    return [
        main,                                                              # two multi-piece words chosen
        {**main, "mlm_probability": 1.0},                                  # every word: [MASK], random, kept
        {"input_ids": [101, 102], "word_ids": [None, None], "u": [], "v": [], "random_ids": [7, 8],
         "mask_id": 103},                                                  # nothing but special tokens
        {"input_ids": [101, 2000, 2001, 2002, 102], "word_ids": [None, 0, 1, 2, None], "u": [0.15, 0.1, 0.0],
         "v": [0.0, 0.8, 0.9], "random_ids": [5, 6, 7, 8, 9], "mask_id": 103},   # ties at 0.15, 0.8 and 0.9
        {"input_ids": [101, 2023, 102, 0, 0], "word_ids": [None, 0, None, None, None], "u": [0.01],
         "v": [0.5], "random_ids": [5, 6, 7, 8, 9], "mask_id": 103},      # one word, then padding
        {"input_ids": [101, 4895, 10258, 29098, 102], "word_ids": [None, 0, 0, 0, None], "u": [0.05],
         "v": [0.82], "random_ids": [11, 12, 13, 14, 15], "mask_id": 103},  # one word, three random pieces
    ]


def exercise_whole_word_masking(fn: Any) -> None:
    """Notebook 05: ``fn(input_ids, word_ids, u, v, random_ids, mask_id, mlm_probability=0.15)`` returns the
    (masked ids, labels) of whole-word masking; run against the reference on six inputs."""
    grade_function(fn, _reference_whole_word_masking, _whole_word_cases(), [
        "decide per word, not per token: whether a word is chosen, and what happens to it, comes from the "
        "draws of its word index (u[w] and v[w]); a token whose word is None is special and never changes",
        "for each token, look up its word w; if w is None or u[w] is not below mlm_probability, the token "
        "stays and its label is -100; otherwise its label is its original id and v[w] decides what it reads: "
        "mask_id below 0.8, the token's own random_ids entry from 0.8 up to 0.9, its own id from 0.9 on",
        "mind the ties: u[w] equal to mlm_probability is not chosen, v[w] equal to 0.8 gives a random token, "
        "equal to 0.9 keeps it; return two plain lists as long as input_ids"],
        name="whole-word masking")


# ----------------------------------------------------------------------------------------------
# Exercise 4: the MLM loss, at the chosen positions only
# ----------------------------------------------------------------------------------------------
def _reference_masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the original token over the positions whose label is not -100; 0 if none."""
    chosen = labels != -100                                                    # (B, T)
    if not chosen.any():
        return logits.sum() * 0
    return F.cross_entropy(logits[chosen], labels[chosen])                    # (M, V) logits, (M,) labels


def _masked_lm_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(2, 6, 9, generator=g)                                 # (B, T, V)
    labels = torch.full((2, 6), -100)
    labels[0, 1], labels[0, 4], labels[1, 2] = 3, 0, 8                         # three chosen positions
    return [
        (logits, labels),
        (logits, torch.full((2, 6), -100)),                                   # nothing chosen: 0, not NaN
        (logits, torch.randint(0, 9, (2, 6), generator=g)),                   # every position chosen
        (torch.randn(1, 1, 4, generator=g), torch.tensor([[2]])),             # one token
        (torch.tensor([[[50.0, -50.0, 0.0], [0.0, 0.0, 0.0]]]), torch.tensor([[1, -100]])),  # a confident miss
    ]


def exercise_masked_lm_loss(fn: Any) -> None:
    """Notebook 05: ``fn(logits, labels)`` with logits (B, T, V) and labels (B, T) (-100 where not chosen)
    returns the MLM loss; run against the reference on five inputs."""
    grade_function(fn, _reference_masked_lm_loss, _masked_lm_cases(), [
        "only the chosen positions count (label not -100): the loss is the mean, over those positions, of "
        "minus the log-probability the model gives to the original token",
        "select the chosen rows of logits, shape (M, V), and of labels, shape (M,), with one boolean mask; "
        "turn each row into log-probabilities over the vocabulary (a log-softmax, stable for large logits) "
        "and pick the entry at that row's label",
        "when no position is chosen (M = 0) a mean over nothing is NaN: return 0 then, as the pre-training "
        "loop does for the NSP term"],
        name="masked-LM loss", atol=1e-5)
