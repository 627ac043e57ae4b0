"""ELECTRA (Clark et al. 2020): replaced token detection (RTD) next to masked language modelling.

Notebook 08 explains each piece; the ``course/electra-mini`` recipes train with them.

* **RTD labels** — ``rtd_labels``: 1 where the corrupted input differs from the original (replaced), 0 where
  it is the same (original — also when the generator happened to sample the original token), -100 at
  special and padding positions (no loss there).
* **the generator** — a small masked LM fills the masked positions by *sampling* from its softmax
  (``make_corruption``, built on ``sample_replacements`` and ``corrupt``). It is trained by maximum
  likelihood (its own MLM loss), not to fool the discriminator: no gradient flows from the discriminator
  into the sampled tokens.
* **the loss** — ``electra_loss``: L_MLM + λ·L_Disc with λ = 50 (``DISC_WEIGHT``), L_Disc the binary
  cross-entropy over every non-special token (``discriminator_loss``).
* **the models** — ``build_electra``: ``transformers``' ``ElectraForMaskedLM`` (generator) and
  ``ElectraForPreTraining`` (discriminator) sharing their embeddings, as in the paper (§3.2);
  ``build_mlm``: an MLM-only model whose encoder is exactly the discriminator's (the BERT baseline).
* **training** — ``PretrainingData`` (fixed batch order), ``electra_step`` / ``mlm_step`` (one step's
  losses), ``pretrain`` (a ``fit`` loop with checkpoints), ``step_flops`` (FLOPs of one training step,
  counted by ``torch.utils.flop_counter``); ``run_info`` / ``load_checkpoint`` read the cached course runs.
* **evaluation** — ``rtd_metrics`` and ``evaluate_rtd`` (precision / recall / accuracy / AUC on replaced
  tokens), ``rtd_payload`` + ``draw_rtd`` (a corrupted sentence coloured by P(replaced)), ``mean_pooled`` +
  ``linear_probe`` and ``finetune_classifier`` (downstream accuracy of a frozen or fine-tuned encoder).

Shapes in comments: B batch, T tokens, M masked positions, V vocabulary, C hidden size.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .errors import CourseError

__all__ = [
    "DISC_WEIGHT", "IGNORE", "ElectraSettings", "rtd_labels", "sample_replacements", "corrupt", "Corruption",
    "make_corruption", "discriminator_loss", "electra_loss", "build_electra", "build_mlm", "PretrainingData",
    "StepResult", "electra_step", "mlm_step", "pretrain", "step_flops", "run_info", "load_checkpoint",
    "rtd_metrics", "evaluate_rtd", "rtd_payload", "draw_rtd", "mean_pooled", "linear_probe",
    "finetune_classifier",
]

DISC_WEIGHT = 50.0   # λ in L_MLM + λ·L_Disc (Clark et al. 2020, §2 and Appendix A)
IGNORE = -100        # the label of positions without a loss (the convention of torch and transformers)


@dataclass(frozen=True)
class ElectraSettings:
    """Sizes and training settings shared by the ELECTRA run and its MLM-only baseline."""

    vocab_size: int = 1200        # target size of the WordPiece vocabulary trained on the course corpus
    hidden: int = 128             # discriminator (and MLM baseline) width
    layers: int = 2
    heads: int = 2
    embedding: int = 128          # token/position embedding size, shared by generator and discriminator
    generator_fraction: float = 0.25   # generator width / discriminator width (paper: 1/4–1/2 is best)
    max_len: int = 48
    batch: int = 64
    steps: int = 500
    lr: float = 5e-4
    warmup: int = 50
    mask_probability: float = 0.15
    disc_weight: float = DISC_WEIGHT
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------------------------
# replaced token detection: labels, sampling, corruption, losses
# ----------------------------------------------------------------------------------------------
def _excluded(original_ids: torch.Tensor, special_ids: Sequence[int] | None,
              attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Boolean (B, T): True at positions that get no RTD label (special tokens, padding)."""
    excluded = torch.zeros_like(original_ids, dtype=torch.bool)
    if special_ids is not None:
        excluded |= torch.isin(original_ids, torch.as_tensor(list(special_ids), dtype=original_ids.dtype))
    if attention_mask is not None:
        attention_mask = torch.as_tensor(attention_mask)
        if attention_mask.shape != original_ids.shape:
            raise CourseError(f"attention_mask has shape {tuple(attention_mask.shape)} but the ids have "
                              f"{tuple(original_ids.shape)}: give one 1/0 per token")
        excluded |= attention_mask == 0
    return excluded


def rtd_labels(original_ids: torch.Tensor | Sequence, corrupted_ids: torch.Tensor | Sequence, *,
               special_ids: Sequence[int] | None = None,
               attention_mask: torch.Tensor | Sequence | None = None) -> torch.Tensor:
    """The discriminator's targets: 1 = replaced, 0 = original, -100 = excluded (no loss).

    A position is *replaced* when the corrupted id differs from the original one. A generator sample that
    equals the original token is therefore labelled original (0), exactly as in the paper (§2). Positions
    whose original id is in ``special_ids`` ([CLS], [SEP], [PAD]…) or whose ``attention_mask`` is 0 are
    excluded (-100). Give at least one of ``special_ids`` and ``attention_mask``.
    """
    original = torch.as_tensor(original_ids)
    corrupted = torch.as_tensor(corrupted_ids)
    if original.shape != corrupted.shape:
        raise CourseError(f"original and corrupted ids must have the same shape, got {tuple(original.shape)} "
                          f"and {tuple(corrupted.shape)}")
    if original.is_floating_point() or corrupted.is_floating_point():
        raise CourseError("token ids must be whole numbers (an integer tensor or list), not floats")
    if special_ids is None and attention_mask is None:
        raise CourseError("give special_ids (e.g. tokenizer.all_special_ids) and/or an attention_mask, so "
                          "that [CLS], [SEP] and padding are excluded from the labels")
    labels = (original != corrupted).long()                                   # (B, T) 1 replaced, 0 original
    return labels.masked_fill(_excluded(original, special_ids, attention_mask), IGNORE)


def sample_replacements(logits: torch.Tensor, *, temperature: float = 1.0,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """One token id per row of ``logits`` (M, V), sampled from softmax(logits / temperature).

    Sampling (not argmax) is what makes the corruptions plausible but varied; it is a discrete draw, so no
    gradient flows through it back into the generator.
    """
    if logits.dim() != 2:
        raise CourseError(f"logits must be (positions, vocabulary), got shape {tuple(logits.shape)}")
    if not temperature > 0:
        raise CourseError(f"temperature must be > 0, got {temperature}")
    probs = torch.softmax(logits.detach().float() / temperature, dim=-1)     # (M, V)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)      # (M,)


def corrupt(input_ids: torch.Tensor, positions: torch.Tensor, samples: torch.Tensor) -> torch.Tensor:
    """A copy of ``input_ids`` (B, T) with the True positions of ``positions`` (B, T) set to ``samples`` (M,),
    in row-major order (the order ``tensor[positions]`` reads them)."""
    if positions.shape != input_ids.shape or positions.dtype != torch.bool:
        raise CourseError("positions must be a boolean mask with the shape of input_ids")
    if int(positions.sum()) != samples.numel():
        raise CourseError(f"{int(positions.sum())} masked positions but {samples.numel()} sampled tokens")
    corrupted = input_ids.clone()
    corrupted[positions] = samples.to(input_ids.dtype)
    return corrupted


def discriminator_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of the discriminator's logits (B, T) over the labelled positions."""
    if logits.shape != labels.shape:
        raise CourseError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} differ in shape")
    keep = labels != IGNORE
    if not keep.any():
        raise CourseError("every position is excluded (-100): there is nothing to score")
    return F.binary_cross_entropy_with_logits(logits[keep], labels[keep].float())


def electra_loss(mlm_loss: torch.Tensor | float, disc_loss: torch.Tensor | float,
                 disc_weight: float = DISC_WEIGHT) -> torch.Tensor | float:
    """ELECTRA's joint objective: L_MLM + λ·L_Disc (λ = 50 by default, Clark et al. 2020 §2).

    The discriminator's loss is a mean over *all* tokens of a binary decision; the generator's is a mean
    over the ~15% masked tokens of a |V|-way one, and is far larger — λ balances the two.
    """
    if isinstance(disc_weight, bool) or not isinstance(disc_weight, (int, float)) or disc_weight < 0:
        raise CourseError(f"disc_weight (λ) must be a number ≥ 0, got {disc_weight!r}")
    return mlm_loss + disc_weight * disc_loss


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
def _config(settings: ElectraSettings, hidden: int, vocab_size: int):
    from transformers import ElectraConfig

    heads = max(1, hidden // 64)   # head size 64, as in ELECTRA-Small (256 wide, 4 heads)
    if hidden == settings.hidden:
        heads = settings.heads
    return ElectraConfig(vocab_size=vocab_size, embedding_size=settings.embedding, hidden_size=hidden,
                         num_hidden_layers=settings.layers, num_attention_heads=heads,
                         intermediate_size=4 * hidden, max_position_embeddings=64,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def build_electra(settings: ElectraSettings, vocab_size: int | None = None):
    """(generator, discriminator): ``ElectraForMaskedLM`` of width ``generator_fraction × hidden`` and
    ``ElectraForPreTraining`` of width ``hidden``, same depth, sharing the token and position embeddings
    (and the generator's output layer is tied to them), as in the paper (§3.2)."""
    from transformers import ElectraForMaskedLM, ElectraForPreTraining

    if not 0 < settings.generator_fraction <= 1:
        raise CourseError(f"generator_fraction must be in (0, 1], got {settings.generator_fraction}")
    vocab_size = vocab_size or settings.vocab_size
    torch.manual_seed(settings.seed)
    discriminator = ElectraForPreTraining(_config(settings, settings.hidden, vocab_size))
    generator_width = max(8, round(settings.hidden * settings.generator_fraction))
    generator = ElectraForMaskedLM(_config(settings, generator_width, vocab_size))
    generator.electra.embeddings = discriminator.electra.embeddings              # shared module
    generator.generator_lm_head.weight = discriminator.electra.embeddings.word_embeddings.weight
    return generator, discriminator


def build_mlm(settings: ElectraSettings, vocab_size: int | None = None):
    """An MLM-only ``ElectraForMaskedLM`` whose encoder has exactly the discriminator's sizes (BERT's
    objective on ELECTRA's encoder: the controlled baseline)."""
    from transformers import ElectraForMaskedLM

    torch.manual_seed(settings.seed)
    return ElectraForMaskedLM(_config(settings, settings.hidden, vocab_size or settings.vocab_size))


def _mlm_logits(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                chosen: torch.Tensor) -> torch.Tensor:
    """The MLM head of an ``ElectraForMaskedLM`` at the chosen positions only: (M, V)."""
    hidden = model.electra(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, C)
    return model.generator_lm_head(model.generator_predictions(hidden[chosen]))                   # (M, V)


# ----------------------------------------------------------------------------------------------
# pre-training data and steps
# ----------------------------------------------------------------------------------------------
class PretrainingData:
    """Tokenised sentences cut into fixed batches; ``batch(i)`` is step i's padded batch.

    Sentences of similar length share a batch (sorted within windows of 50 batches, then the batch order
    is shuffled): with short sentences and a few long stories mixed, plain batches would be mostly padding.
    """

    def __init__(self, tokenizer: Any, sentences: Sequence[str], *, batch_size: int, max_len: int,
                 seed: int = 0) -> None:
        if not sentences or len(sentences) < batch_size:
            raise CourseError(f"need at least one batch of sentences ({batch_size}), got {len(sentences)}")
        self.tokenizer, self.batch_size = tokenizer, batch_size
        rng = random.Random(seed)
        ids = tokenizer(list(sentences), truncation=True, max_length=max_len)["input_ids"]
        rng.shuffle(ids)
        window = 50 * batch_size
        batches = []
        for start in range(0, len(ids) - batch_size + 1, window):
            chunk = sorted(ids[start:start + window], key=len)
            batches += [chunk[i:i + batch_size] for i in range(0, len(chunk) - batch_size + 1, batch_size)]
        rng.shuffle(batches)
        self.batches: list[list[list[int]]] = batches
        self.special_ids = sorted(set(tokenizer.all_special_ids))

    def __len__(self) -> int:
        """The number of batches in one pass over the sentences."""
        return len(self.batches)

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(input_ids, attention_mask), both (B, T) padded to the longest sentence of batch ``i``."""
        chunk = self.batches[i % len(self.batches)]
        width = max(len(x) for x in chunk)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk])        # (B, T)
        return ids, (ids != pad).long()


@dataclass
class Corruption:
    """One batch corrupted the ELECTRA way (``make_corruption``)."""

    masked_ids: torch.Tensor               # (B, T) the generator's input: chosen positions are [MASK]
    chosen: torch.Tensor                   # (B, T) True at the masked positions
    targets: torch.Tensor                  # (M,) the original ids at the masked positions
    generator_logits: torch.Tensor | None  # (M, V) the generator's logits there (None for random tokens)
    corrupted: torch.Tensor                # (B, T) the discriminator's input


def make_corruption(input_ids: torch.Tensor, attention_mask: torch.Tensor, *, generator: Any, mask_id: int,
                    special_ids: Sequence[int], vocab_size: int, mask_probability: float = 0.15,
                    rng: torch.Generator | None = None) -> Corruption:
    """Mask ``mask_probability`` of the non-special tokens with [MASK] (all of them: no 80/10/10), let
    ``generator`` (an ``ElectraForMaskedLM``) predict them and sample one token each. With
    ``generator=None`` the masked positions get uniformly random non-special tokens instead."""
    from course_utils.pretraining import SPECIAL_TOKENS, mask_tokens

    masked = mask_tokens(input_ids, mask_id=mask_id, vocab_size=vocab_size, special_ids=special_ids,
                         mlm_probability=mask_probability, mask_share=1.0, random_share=0.0,
                         generator=rng)                                            # all chosen -> [MASK]
    chosen = masked.labels != IGNORE                                               # (B, T)
    if not chosen.any():
        raise CourseError("no position was masked in this batch: use longer sentences or a larger batch")
    if generator is None:
        logits = None
        samples = torch.randint(len(SPECIAL_TOKENS), vocab_size, (int(chosen.sum()),), generator=rng)
    else:
        logits = _mlm_logits(generator, masked.input_ids, attention_mask, chosen)  # (M, V)
        samples = sample_replacements(logits, generator=rng)                      # (M,)
    return Corruption(masked.input_ids, chosen, masked.labels[chosen], logits, corrupt(input_ids, chosen, samples))


@dataclass
class StepResult:
    """What one pre-training step computed (tensors keep their graph; ``loss`` is what is minimised)."""

    loss: torch.Tensor
    mlm: torch.Tensor
    disc: torch.Tensor | None = None
    corrupted: torch.Tensor | None = None     # (B, T) the discriminator's input
    labels: torch.Tensor | None = None        # (B, T) RTD labels
    disc_logits: torch.Tensor | None = None   # (B, T)
    extras: dict[str, float] = field(default_factory=dict)


def electra_step(generator: Any, discriminator: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 *, mask_id: int, special_ids: Sequence[int], vocab_size: int,
                 mask_probability: float = 0.15, disc_weight: float = DISC_WEIGHT,
                 rng: torch.Generator | None = None) -> StepResult:
    """One ELECTRA forward pass: mask 15% with [MASK], let the generator predict and sample them, label
    every token replaced/original, score the discriminator; returns both losses and the joint one."""
    c = make_corruption(input_ids, attention_mask, generator=generator, mask_id=mask_id,
                        special_ids=special_ids, vocab_size=vocab_size, mask_probability=mask_probability, rng=rng)
    mlm = F.cross_entropy(c.generator_logits, c.targets)                          # generator: max. likelihood
    labels = rtd_labels(input_ids, c.corrupted, special_ids=special_ids, attention_mask=attention_mask)
    disc_logits = discriminator(input_ids=c.corrupted, attention_mask=attention_mask).logits  # (B, T)
    disc = discriminator_loss(disc_logits, labels)
    return StepResult(electra_loss(mlm, disc, disc_weight), mlm, disc, c.corrupted, labels, disc_logits,
                      {"replaced_share": float((labels == 1).sum() / (labels != IGNORE).sum())})


def mlm_step(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, mask_id: int,
             special_ids: Sequence[int], vocab_size: int, mask_probability: float = 0.15,
             rng: torch.Generator | None = None) -> StepResult:
    """One BERT-style MLM step (80% [MASK] / 10% random / 10% kept), logits only at the chosen positions."""
    from .pretraining import mask_tokens

    masked = mask_tokens(input_ids, mask_id=mask_id, vocab_size=vocab_size, special_ids=special_ids,
                         mlm_probability=mask_probability, generator=rng)
    chosen = masked.labels != IGNORE                                               # (B, T)
    if not chosen.any():
        raise CourseError("no position was masked in this batch: use longer sentences or a larger batch")
    logits = _mlm_logits(model, masked.input_ids, attention_mask, chosen)          # (M, V)
    mlm = F.cross_entropy(logits, masked.labels[chosen])
    return StepResult(mlm, mlm)


def pretrain(models: Sequence[Any], step: Callable[[torch.Tensor, torch.Tensor, torch.Generator], StepResult],
             data: PretrainingData, steps: int, *, lr: float, warmup: int, seed: int = 0,
             checkpoint_at: Sequence[int] = (), on_checkpoint: Callable[[int], None] | None = None,
             desc: str = "pre-training"):
    """AdamW with linear warm-up and decay over ``steps``; ``step(ids, attention, rng)`` gives the losses.

    Every parameter of ``models`` is trained (shared ones once). After each step number in
    ``checkpoint_at``, ``on_checkpoint(step_number)`` runs (e.g. to save the model). Returns the
    ``course_utils.train.History`` (extras: ``mlm`` and, for ELECTRA, ``disc`` and ``replaced_share``).
    """
    from .train import fit

    bad = [s for s in checkpoint_at if not 0 < s <= steps]
    if bad:
        raise CourseError(f"checkpoints must lie in 1..{steps}, got {bad}")
    params = list({id(p): p for m in models for p in m.parameters()}.values())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps))
    rng = torch.Generator().manual_seed(seed)
    for m in models:
        m.train()

    def one_step(i: int) -> dict[str, float]:
        ids, attention = data.batch(i)
        out = step(ids, attention, rng)
        optimizer.zero_grad()
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        if i + 1 in checkpoint_at and on_checkpoint is not None:
            on_checkpoint(i + 1)
        record = {"loss": out.loss.item(), "mlm": out.mlm.item(), **out.extras}
        if out.disc is not None:
            record["disc"] = out.disc.item()
        return record

    history = fit(one_step, steps, desc=desc)
    for m in models:
        m.eval()
    return history


def step_flops(step: Callable[[], StepResult]) -> int:
    """Floating-point operations of one training step (forward and backward), counted by
    ``torch.utils.flop_counter.FlopCounterMode`` (matrix multiplications; the rest is negligible)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        step().loss.backward()
    return int(counter.get_total_flops())


# ----------------------------------------------------------------------------------------------
# the cached course runs and their checkpoints (recipes in course_utils/recipes/electra_mini.py)
# ----------------------------------------------------------------------------------------------
def run_info(name: str) -> dict[str, Any]:
    """``run.json`` of a pre-training run (``course/electra-mini`` or ``course/electra-mini-mlm``): objective,
    steps, checkpoints, FLOPs per step, settings, build seconds and loss history. Builds the run if needed."""
    import json

    from .models import ensure_built

    path = ensure_built(name) / "run.json"
    if not path.exists():
        raise CourseError(f"{name!r} is not an ELECTRA-notebook pre-training run (no run.json)")
    return json.loads(path.read_text())


_CHECKPOINT_CLASSES = {  # (objective, task) -> (transformers class, saved part)
    ("electra", "encoder"): ("ElectraModel", "discriminator"),
    ("electra", "pretraining"): ("ElectraForPreTraining", "discriminator"),
    ("electra", "masked-lm"): ("ElectraForMaskedLM", "generator"),
    ("mlm", "encoder"): ("ElectraModel", "mlm"),
    ("mlm", "masked-lm"): ("ElectraForMaskedLM", "mlm"),
}


def load_checkpoint(name: str, step: int, task: str = "encoder") -> Any:
    """The model of run ``name`` saved after ``step`` steps (one of ``run_info(name)["checkpoints"]``)."""
    import transformers

    from .models import ensure_built

    info = run_info(name)
    if step not in info["checkpoints"]:
        raise CourseError(f"{name!r} has checkpoints after steps {info['checkpoints']}, not {step}")
    key = (info["objective"], task)
    if key not in _CHECKPOINT_CLASSES:
        tasks = sorted(t for o, t in _CHECKPOINT_CLASSES if o == info["objective"])
        raise CourseError(f"{name!r} checkpoints offer the tasks {tasks}, not {task!r}")
    cls_name, part = _CHECKPOINT_CLASSES[key]
    folder = ensure_built(name) / f"step-{step}" / part
    return getattr(transformers, cls_name).from_pretrained(folder).eval()


# ----------------------------------------------------------------------------------------------
# what the discriminator learned
# ----------------------------------------------------------------------------------------------
def rtd_metrics(probs: torch.Tensor, labels: torch.Tensor, threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall and accuracy of "replaced" predictions (P(replaced) > threshold) over the
    labelled positions, with the share of replaced tokens (the accuracy of always saying "original" is
    1 − that share)."""
    keep = labels != IGNORE
    predicted = probs[keep] > threshold
    truth = labels[keep] == 1
    tp = int((predicted & truth).sum())
    return {
        "precision": tp / max(1, int(predicted.sum())),
        "recall": tp / max(1, int(truth.sum())),
        "accuracy": float((predicted == truth).float().mean()),
        "replaced_share": float(truth.float().mean()),
        "tokens": int(keep.sum()),
    }


@torch.no_grad()
def evaluate_rtd(discriminator: Any, data: PretrainingData, *, generator: Any = None, mask_id: int,
                 vocab_size: int, mask_probability: float = 0.15, seed: int = 0,
                 scores: bool = False) -> dict[str, Any]:
    """Corrupt every batch of ``data`` as in pre-training and score the discriminator on it.

    The masked positions are filled by ``generator`` (any ``ElectraForMaskedLM``, sampled) or, with
    ``generator=None``, by uniformly random non-special tokens. Returns ``rtd_metrics`` plus the ROC AUC of
    P(replaced) (0.5 = chance) and ``sampled_back``: the share of masked positions where the sample equals
    the original token (labelled original). With ``scores=True`` it also returns the arrays ``p_replaced``
    and ``labels`` of every scored token.
    """
    from sklearn.metrics import roc_auc_score

    rng = torch.Generator().manual_seed(seed)
    probs, labels, masked_total, sampled_back = [], [], 0, 0
    for i in range(len(data)):
        ids, attention = data.batch(i)
        c = make_corruption(ids, attention, generator=generator, mask_id=mask_id, special_ids=data.special_ids,
                            vocab_size=vocab_size, mask_probability=mask_probability, rng=rng)
        chosen, corrupted = c.chosen, c.corrupted
        masked_total += int(chosen.sum())
        sampled_back += int((corrupted[chosen] == ids[chosen]).sum())
        y = rtd_labels(ids, corrupted, special_ids=data.special_ids, attention_mask=attention)
        p = torch.sigmoid(discriminator(input_ids=corrupted, attention_mask=attention).logits)   # (B, T)
        keep = y != IGNORE
        probs.append(p[keep])
        labels.append(y[keep])
    p, y = torch.cat(probs), torch.cat(labels)
    out = rtd_metrics(p, y)
    out["auc"] = float(roc_auc_score(y.numpy(), p.numpy()))
    out["sampled_back"] = sampled_back / max(1, masked_total)
    if scores:
        out["p_replaced"], out["labels"] = p.numpy(), y.numpy()
    return out


@torch.no_grad()
def rtd_payload(discriminator: Any, tokenizer: Any, original_ids: Sequence[int],
                corrupted_ids: Sequence[int]) -> dict[str, Any]:
    """For one sentence: tokens of the corrupted input, the original tokens, P(replaced) of each and the
    RTD labels (special tokens dropped). Plain data, for ``draw_rtd`` or a table."""
    original = torch.as_tensor(list(original_ids)).unsqueeze(0)                   # (1, T)
    corrupted = torch.as_tensor(list(corrupted_ids)).unsqueeze(0)                 # (1, T)
    labels = rtd_labels(original, corrupted, special_ids=tokenizer.all_special_ids)[0]
    probs = torch.sigmoid(discriminator(input_ids=corrupted).logits[0])          # (T,)
    keep = (labels != IGNORE).tolist()
    pick = [i for i, k in enumerate(keep) if k]
    return {
        "tokens": tokenizer.convert_ids_to_tokens([int(corrupted[0, i]) for i in pick]),
        "originals": tokenizer.convert_ids_to_tokens([int(original[0, i]) for i in pick]),
        "p_replaced": [float(probs[i]) for i in pick],
        "labels": [int(labels[i]) for i in pick],
    }


def draw_rtd(payload: dict[str, Any], *, title: str = "", ax: Any = None):
    """The corrupted sentence as a row of boxes coloured by P(replaced) (white → red); replaced tokens get
    a thick dark outline and the original token written under them. Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import FancyBboxPatch

    tokens = payload["tokens"]
    if not tokens:
        raise CourseError("the payload has no tokens to draw")
    cmap = ListedColormap(plt.get_cmap("Reds")(np.linspace(0.0, 0.85, 256)))   # white -> red, text stays legible
    if ax is None:
        _, ax = plt.subplots(figsize=(min(13, 1.5 + 0.8 * len(tokens)), 1.9))
    x = 0.0
    for token, original, p, label in zip(tokens, payload["originals"], payload["p_replaced"],
                                          payload["labels"], strict=True):
        width = 0.4 + 0.13 * max(2, len(token))
        ax.add_patch(FancyBboxPatch((x, 0.25), width, 0.6, boxstyle="round,pad=0.02",
                                    facecolor=cmap(p), edgecolor="black" if label else "#999",
                                    linewidth=2.5 if label else 0.8))
        ax.text(x + width / 2, 0.55, token, ha="center", va="center", fontsize=10,
                color="white" if p > 0.7 else "black")
        ax.text(x + width / 2, 1.0, f"{p:.2f}", ha="center", va="bottom", fontsize=8, color="dimgrey")
        if label:
            ax.text(x + width / 2, 0.12, f"was '{original}'", ha="center", va="top", fontsize=8, style="italic")
        x += width + 0.12
    ax.set_xlim(-0.1, x)
    ax.set_ylim(-0.25, 1.3)
    ax.axis("off")
    scale = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    bar = ax.figure.colorbar(scale, ax=ax, fraction=0.025, pad=0.01, ticks=[0, 0.5, 1])
    bar.set_label("P(replaced)", fontsize=8)
    ax.set_title(title or "discriminator: P(replaced) above each token; outlined = really replaced",
                 loc="left", fontsize=10)
    return ax.figure


# ----------------------------------------------------------------------------------------------
# downstream: linear probe and fine-tuning
# ----------------------------------------------------------------------------------------------
@torch.no_grad()
def mean_pooled(encoder: Any, tokenizer: Any, texts: Sequence[str], *, batch_size: int = 256,
                max_len: int = 48) -> np.ndarray:
    """(N, C) mean of the last hidden states over each text's real tokens ([CLS] and [SEP] included)."""
    encoder.eval()
    rows = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                        max_length=max_len, return_tensors="pt")
        hidden = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        weights = enc["attention_mask"].unsqueeze(-1).float()                      # (B, T, 1)
        rows.append(((hidden * weights).sum(1) / weights.sum(1)).numpy())          # (B, C)
    return np.concatenate(rows)


def linear_probe(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray, test_y: Sequence[int],
                 *, c: float = 1.0) -> float:
    """Test accuracy of a logistic regression on frozen features (standardised on the training set)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise CourseError("features and labels must have the same number of rows")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    probe.fit(train_x, list(train_y))
    return float(probe.score(test_x, list(test_y)))


def finetune_classifier(encoder: Any, tokenizer: Any, train: Sequence[tuple[str, int]],
                        test: Sequence[tuple[str, int]], *, steps: int = 150, batch_size: int = 32,
                        lr: float = 1e-3, seed: int = 0, max_len: int = 48) -> float:
    """Fine-tune a copy of ``encoder`` with a linear head on the mean-pooled states; return test accuracy.

    The encoder passed in is not changed (a deep copy is trained). ``seed`` fixes the head's initial
    weights and the order of the training batches.
    """
    import copy

    from .train import fit

    if not train or not test:
        raise CourseError("give non-empty train and test lists of (text, label)")
    torch.manual_seed(seed)
    model = copy.deepcopy(encoder).train()
    n_labels = max(label for _, label in train) + 1
    head = torch.nn.Linear(model.config.hidden_size, n_labels)
    params = list(model.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    order = random.Random(seed)
    train = list(train)

    def pooled(texts: list[str]) -> torch.Tensor:
        enc = tokenizer(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        weights = enc["attention_mask"].unsqueeze(-1).float()                      # (B, T, 1)
        return (hidden * weights).sum(1) / weights.sum(1)                          # (B, C)

    def step(i: int) -> float:
        chunk = order.sample(train, min(batch_size, len(train)))
        logits = head(pooled([t for t, _ in chunk]))                               # (B, labels)
        loss = F.cross_entropy(logits, torch.tensor([y for _, y in chunk]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    fit(step, steps, desc="fine-tuning")
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(test), 256):
            chunk = list(test[start:start + 256])
            predicted = head(pooled([t for t, _ in chunk])).argmax(-1)
            correct += int((predicted == torch.tensor([y for _, y in chunk])).sum())
    return correct / len(test)
