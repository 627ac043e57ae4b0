"""Exercise checkers of notebook 05 (BERT). Each computes its own answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade

__all__ = ["EXERCISE_MASKING", "EXERCISE_PAIR", "exercise_bert_masking", "exercise_segment_ids"]

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
    grade(verdict, True, "a position is chosen when u < 0.15 and it is not a special token ([CLS] at "
          "position 0 has u = 0.02 but must stay); labels hold the original id at chosen positions and "
          "-100 elsewhere; a chosen position becomes mask_id if v < 0.8, random_ids[i] if v < 0.9, and "
          "keeps its own id otherwise (still with a label)", name="80/10/10 masking")


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
    grade(verdict, True, "tokens: [CLS] + a + [SEP] + b + [SEP], then [PAD] up to max_length; segment id 0 "
          "for [CLS], sentence A and its [SEP], 1 for sentence B and the final [SEP], 0 for padding; "
          "attention mask 1 for every real token (specials included) and 0 for padding",
          name="segment ids and attention mask")
