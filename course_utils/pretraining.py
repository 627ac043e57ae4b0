"""BERT-style pre-training: a WordPiece vocabulary for the course corpus, masked LM, NSP pairs, the loop.

Used by notebook 05 (which teaches each step in its own cells: ``mask_tokens``, ``nsp_pairs``,
``pretraining_batch``, ``mlm_nsp_loss``, ``pretraining_step`` and ``pretrain`` are twin cells there) and
by the ``course/bert-mini`` and ``course/albert-mini`` recipes that notebooks 07–09 load. BERT §3.1:
choose 15% of the (non-special) positions; of those, 80% become [MASK], 10% a random token, 10% stay
unchanged — so 12% / 1.5% / 1.5% of all tokens.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .errors import CourseError
from .train import History, fit

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
    ids = input_ids.clone()                                                     # (B, T)
    special = torch.isin(ids, torch.tensor(list(special_ids), dtype=ids.dtype))  # (B, T) never chosen
    u = torch.rand(ids.shape, generator=generator)                              # (B, T) draw 1: chosen?
    chosen = (u < mlm_probability) & ~special                                   # (B, T)
    v = torch.rand(ids.shape, generator=generator)                              # (B, T) draw 2: what happens
    to_mask = chosen & (v < mask_share)                                         # (B, T) 80%
    to_random = chosen & (v >= mask_share) & (v < mask_share + random_share)    # (B, T) 10%
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))               # (B, T) -100: no loss here
    n_special = len(SPECIAL_TOKENS)   # random tokens are drawn from the ids after the special ones
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator, dtype=ids.dtype)  # (B, T)
    ids = torch.where(to_mask, torch.full_like(ids, mask_id), ids)              # (B, T)
    ids = torch.where(to_random, random_ids, ids)                               # (B, T)
    kinds = torch.full_like(ids, UNTOUCHED)                                     # (B, T)
    kinds[to_mask], kinds[to_random] = MASKED, RANDOM
    kinds[chosen & ~to_mask & ~to_random] = KEPT                                # the remaining 10%
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
# one pre-training step and the loop (the course/bert-mini and course/albert-mini recipes run these)
# ----------------------------------------------------------------------------------------------
@dataclass
class PretrainingBatch:
    ids: torch.Tensor             # (B, T) the original ids, padded
    inputs: torch.Tensor          # (B, T) what the model reads: after masking
    token_type_ids: torch.Tensor  # (B, T) segment ids (0 for padding)
    attention_mask: torch.Tensor  # (B, T) 1 for real tokens, 0 for padding
    labels: torch.Tensor          # (B, T) MLM labels: the original id at chosen positions, -100 elsewhere
    pair_labels: torch.Tensor     # (B,) 0 IsNext, 1 NotNext, -100 for a single sentence (MLM only)


def pretraining_batch(examples: Sequence[Any], tokenizer: Any, settings: dict[str, Any],
                      generator: torch.Generator, special_ids: Sequence[int]) -> PretrainingBatch:
    """Pad ``examples`` (each with ``input_ids``, ``token_type_ids``, ``nsp_label``, ``answer_pos``) to the
    longest, mask them with ``mask_tokens`` and, with probability ``settings["answer_mask"]`` per
    example, also mask a fact's answer token (salient span masking, the course model's addition)."""
    pad, mask_id = tokenizer.pad_token_id, tokenizer.mask_token_id
    width = max(len(x.input_ids) for x in examples)
    ids = torch.tensor([x.input_ids + [pad] * (width - len(x.input_ids)) for x in examples])         # (B, T)
    types = torch.tensor([x.token_type_ids + [0] * (width - len(x.input_ids)) for x in examples])    # (B, T)
    pair_labels = torch.tensor([x.nsp_label for x in examples])                                     # (B,)
    masked = mask_tokens(ids, mask_id=mask_id, vocab_size=len(tokenizer), special_ids=special_ids,
                         mlm_probability=settings["mlm_probability"], generator=generator)
    inputs, labels = masked.input_ids, masked.labels                                                # (B, T) each
    salient = torch.rand(len(examples), generator=generator) < settings["answer_mask"]              # (B,)
    for row, x in enumerate(examples):   # salient span masking: the fact's answer is masked
        if x.answer_pos >= 0 and salient[row]:
            inputs[row, x.answer_pos] = mask_id
            labels[row, x.answer_pos] = ids[row, x.answer_pos]
    return PretrainingBatch(ids, inputs, types, (ids != pad).long(), labels, pair_labels)


def mlm_nsp_loss(encoder: Any, mlm_head: Any, pair_head: Any,
                 batch: PretrainingBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(MLM + pair loss, MLM loss, pair loss) of one batch. The MLM head runs only on the chosen positions
    (labels != -100: about 15% of the tokens); the pair head reads the pooled [CLS] vector. A batch can
    hold no sentence pair, and a cross-entropy over labels that are all ignored is 0/0 = NaN, so the
    pair term is then 0."""
    out = encoder(input_ids=batch.inputs, token_type_ids=batch.token_type_ids,
                  attention_mask=batch.attention_mask)                        # last_hidden_state (B, T, H)
    chosen = batch.labels != -100                                              # (B, T)
    mlm_logits = mlm_head(out.last_hidden_state[chosen])                       # (M, V) M chosen positions
    mlm = F.cross_entropy(mlm_logits, batch.labels[chosen])
    pair_logits = pair_head(out.pooler_output)                                 # (B, 2)
    pair_labels = batch.pair_labels                                            # (B,)
    pair = (F.cross_entropy(pair_logits, pair_labels, ignore_index=-100) if (pair_labels != -100).any()
            else pair_logits.sum() * 0)
    return mlm + pair, mlm, pair


def pretraining_step(model: Any, heads: Callable[[Any], tuple[Any, Any, Any]], batch: PretrainingBatch,
                     optimizer: torch.optim.Optimizer, schedule: Any) -> tuple[float, float, float]:
    """One optimiser step on ``batch``: the loss, its gradients (clipped to norm 1), AdamW's update and
    the learning-rate schedule's next value. Returns the (total, MLM, pair) losses before the update."""
    encoder, mlm_head, pair_head = heads(model)
    loss, mlm, pair = mlm_nsp_loss(encoder, mlm_head, pair_head, batch)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    return loss.item(), mlm.item(), pair.item()


def bert_heads(model: Any) -> tuple[Any, Any, Any]:
    """(encoder, MLM head, sentence-pair head) of a ``BertForPreTraining``."""
    return model.bert, model.cls.predictions, model.cls.seq_relationship


def pretrain(model: Any, tokenizer: Any, examples: Sequence[Any], steps: int, settings: dict[str, Any], *,
             desc: str = "pre-training", heads: Callable[[Any], tuple[Any, Any, Any]] = bert_heads,
             pair_task: str = "nsp") -> History:
    """MLM + sentence-pair pre-training for ``steps`` steps of ``settings["batch"]`` examples, taken in
    order; returns ``train.History`` (extras ``mlm`` and ``pair_task``). AdamW with a linear warm-up,
    then a linear decay to a floor. ``heads(model)`` gives the encoder, the MLM head and the pair head
    (BERT's by default; ALBERT's recipe passes its own with ``pair_task="sop"``)."""
    if not examples:
        raise CourseError("no pre-training examples")
    generator = torch.Generator().manual_seed(settings["seed"])   # masking draws, the same in every run
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    schedule = torch.optim.lr_scheduler.LambdaLR(    # linear warm-up, then linear decay to a floor
        optimizer, lambda s: min(1.0, (s + 1) / settings["warmup"]) * max(settings["floor"], 1 - s / steps))
    special = [tokenizer.convert_tokens_to_ids(t) for t in tokenizer.all_special_tokens]
    size = settings["batch"]

    def step(i: int) -> dict[str, float]:
        start = (i * size) % max(1, len(examples) - size)
        batch = pretraining_batch(examples[start:start + size], tokenizer, settings, generator, special)
        loss, mlm, pair = pretraining_step(model, heads, batch, optimizer, schedule)
        return {"loss": loss, "mlm": mlm, pair_task: pair}

    model.train()
    history = fit(step, steps, desc=desc)
    model.eval()
    return history


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
