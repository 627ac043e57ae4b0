"""BERT-style pre-training data: a WordPiece vocabulary for the course corpus, masked LM, NSP pairs.

Used by notebook 05 (which explains each step) and by the ``course/bert-mini`` recipe that notebooks
07–09 load. BERT §3.1: choose 15% of the (non-special) positions; of those, 80% become [MASK], 10% a
random token, 10% stay unchanged — so 12% / 1.5% / 1.5% of all tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .errors import CourseError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

# kinds of position after masking (for statistics and the masking widget)
UNTOUCHED, MASKED, RANDOM, KEPT = 0, 1, 2, 3


def train_wordpiece(sentences: Sequence[str], vocab_size: int = 1200):
    """A lower-casing WordPiece tokenizer trained on ``sentences`` (a ``BertTokenizerFast``).

    The vocabulary is learned by ``subword.WordPiece.train`` (notebook 03), which breaks ties between
    equally frequent merges by a fixed order: ``tokenizers``' own WordPieceTrainer breaks them in hash
    order, so its vocabulary (and every model trained on it) changed from one process to the next.
    The fast tokenizer then encodes with that vocabulary exactly as BERT does.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    from .subword import WordPiece

    if not sentences:
        raise CourseError("no sentences to train the WordPiece vocabulary on")
    vocab = WordPiece.train(list(sentences), vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS).vocab
    tok = Tokenizer(models.WordPiece(vocab=dict(vocab), unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    return BertTokenizerFast(tokenizer_object=tok, do_lower_case=True)


@dataclass
class MaskedBatch:
    input_ids: torch.Tensor  # (B, T) after masking
    labels: torch.Tensor     # (B, T) original id at chosen positions, -100 elsewhere
    kinds: torch.Tensor      # (B, T) UNTOUCHED / MASKED / RANDOM / KEPT


def mask_tokens(input_ids: torch.Tensor, *, mask_id: int, vocab_size: int, special_ids: Sequence[int],
                mlm_probability: float = 0.15, mask_share: float = 0.8, random_share: float = 0.1,
                generator: torch.Generator | None = None) -> MaskedBatch:
    """BERT's masking: choose ``mlm_probability`` of non-special positions; of those ``mask_share``
    become [MASK], ``random_share`` a random non-special token, the rest stay unchanged."""
    if not 0 < mlm_probability <= 1:
        raise CourseError(f"mlm_probability must be in (0, 1], got {mlm_probability}")
    if mask_share < 0 or random_share < 0 or mask_share + random_share > 1:
        raise CourseError(f"mask_share + random_share must be within [0, 1], got {mask_share} + {random_share}")
    ids = input_ids.clone()
    special = torch.isin(ids, torch.tensor(list(special_ids), dtype=ids.dtype))
    u = torch.rand(ids.shape, generator=generator)
    chosen = (u < mlm_probability) & ~special                                   # (B, T)
    v = torch.rand(ids.shape, generator=generator)
    to_mask = chosen & (v < mask_share)
    to_random = chosen & (v >= mask_share) & (v < mask_share + random_share)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    n_special = len(SPECIAL_TOKENS)
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator, dtype=ids.dtype)
    ids = torch.where(to_mask, torch.full_like(ids, mask_id), ids)
    ids = torch.where(to_random, random_ids, ids)
    kinds = torch.full_like(ids, UNTOUCHED)
    kinds[to_mask], kinds[to_random] = MASKED, RANDOM
    kinds[chosen & ~to_mask & ~to_random] = KEPT
    return MaskedBatch(ids, labels, kinds)


def nsp_pairs(stories: Sequence[Sequence[str]], rng: random.Random) -> list[tuple[str, str, int]]:
    """(sentence A, sentence B, label) with label 0 = IsNext (B follows A in its story) and
    1 = NotNext (B from another story, never the same text as the true next sentence), half and half
    as in BERT. Label ids follow ``transformers``."""
    pairs = []
    for i, story in enumerate(stories):
        for j in range(len(story) - 1):
            if rng.random() < 0.5:
                pairs.append((story[j], story[j + 1], 0))
            else:
                while True:  # another story's sentence, never one identical to the true next sentence
                    k = rng.randrange(len(stories) - 1)
                    k = k + 1 if k >= i else k
                    b = rng.choice(stories[k])
                    if b != story[j + 1]:
                        break
                pairs.append((story[j], b, 1))
    return pairs


# ----------------------------------------------------------------------------------------------
# evaluation of a pre-trained BERT: fill-mask on the held-out fact sentences, NSP on held-out stories
# ----------------------------------------------------------------------------------------------
def fill_mask_predictions(model, tokenizer, items, k: int = 1) -> list[list[str]]:
    """The top-``k`` tokens a masked LM predicts for the one [MASK] of each fill-mask item."""
    if k < 1:
        raise CourseError(f"k must be at least 1, got {k}")
    if not items:
        raise CourseError("no fill-mask items to predict")
    model.eval()                     # dropout off: a prediction, not a training step
    texts = [item.masked(tokenizer.mask_token) for item in items]
    enc = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = _mlm_logits(model, enc)                                              # (N, T, V)
    rows, cols = (enc["input_ids"] == tokenizer.mask_token_id).nonzero(as_tuple=True)
    if len(rows) != len(items):
        raise CourseError("every fill-mask sentence must hold exactly one [MASK]")
    top = logits[rows, cols].topk(k, dim=-1).indices                                  # (N, k)
    return [tokenizer.convert_ids_to_tokens(row.tolist()) for row in top]


def _mlm_logits(model, enc) -> torch.Tensor:
    out = model(**enc)
    return out.logits if hasattr(out, "logits") else out.prediction_logits


def fill_mask_accuracy(model, tokenizer, items, k: int = 1) -> float:
    """Share of fill-mask items whose answer (lower-cased) is among the model's top-``k`` tokens."""
    predictions = fill_mask_predictions(model, tokenizer, items, k)
    return sum(item.answer.lower() in top for item, top in zip(items, predictions, strict=True)) / len(items)


def nsp_accuracy(model, tokenizer, pairs) -> float:
    """Accuracy of a ``BertForPreTraining`` on (sentence A, sentence B, label) pairs (0 = IsNext)."""
    if not pairs:
        raise CourseError("no sentence pairs to score")
    model.eval()
    enc = tokenizer([a for a, _, _ in pairs], [b for _, b, _ in pairs], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**enc).seq_relationship_logits                                # (N, 2)
    labels = torch.tensor([label for _, _, label in pairs])
    return float((logits.argmax(-1) == labels).float().mean())
