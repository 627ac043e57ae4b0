"""Knowledge distillation (notebook 09): soft targets, the DistilBERT and TinyBERT losses, students built
from a teacher, their training loops, and the measurements the papers print (size, speed, accuracy).

Four parts, in the order the notebook teaches them:

* **soft targets** — ``softmax_with_temperature`` and ``soft_target_loss``: KL(teacher_T ‖ student_T) × T²
  (Hinton et al. 2015; the ``L_ce`` of DistilBERT).
* **intermediate losses** — ``hidden_cosine_loss`` (DistilBERT's ``L_cos``: student and teacher hidden
  states point the same way), ``hidden_mse_loss`` through a learnable projection ``W_h`` and
  ``attention_mse_loss`` (TinyBERT's layer losses).
* **students** — ``half_depth_student`` copies every other teacher layer (DistilBERT's initialisation);
  ``narrow_student`` is a smaller hidden size with random layers, whose word embeddings
  ``init_embeddings_by_svd`` takes from the teacher's (the closed-form minimum of TinyBERT's embedding
  loss); ``fine_tune``, ``distil`` and ``distil_intermediate`` train them on cached teacher outputs
  (``teacher_targets``), so the teacher runs once per sentence however many students learn from it;
  ``layer_distances`` measures how far a student's layers are from the teacher's.
* **measurements** — ``count_params``, ``file_size_mib``, ``latency_ms`` (batch 1), ``throughput``
  (sentences/s at batch 32), ``measure_models`` (all four, interleaved) and ``accuracy``.

Every model here is a ``SentenceClassifier``: a ``transformers`` ``BertModel``, the mean of its last hidden
states over the real tokens (how MiniLM was trained as a sentence encoder), and one linear layer. Shapes
in comments: B batch, T tokens, C classes, d hidden size, nh heads. Masks: 1 = token, 0 = padding.
"""

from __future__ import annotations

import copy
import math
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import CourseError
from .train import History, fit

__all__ = [
    "check_temperature", "softmax_with_temperature", "soft_target_loss", "hidden_cosine_loss",
    "HiddenProjection", "hidden_mse_loss", "attention_mse_loss", "LossWeights", "distillation_loss",
    "SentenceClassifier", "ClassifierOutput", "freeze", "half_depth_student", "narrow_student",
    "init_embeddings_by_svd", "augment", "EncodedSet", "encode", "TeacherTargets", "teacher_targets", "fine_tune", "distil",
    "distil_intermediate", "layer_distances", "predict", "accuracy", "count_params", "file_size_mib",
    "latency_ms", "throughput", "measure_models", "default_threads",
]


# ----------------------------------------------------------------------------------------------
# soft targets
# ----------------------------------------------------------------------------------------------
def check_temperature(temperature: float) -> float:
    """Return ``temperature`` as a float if it is a finite number > 0, else raise a ``CourseError``."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise CourseError(f"the temperature T must be a number > 0 (T = 1 is the plain softmax, larger T "
                          f"is softer), got {temperature!r}")
    return float(temperature)


def softmax_with_temperature(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """softmax(z / T) over the last dimension: T = 1 is the usual softmax, T > 1 spreads the mass over
    more classes (a *softer* distribution), T → 0 puts it all on the argmax."""
    T = check_temperature(temperature)
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float32) / T, dim=-1)   # (..., C), sums to 1


def soft_target_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 2.0
                     ) -> torch.Tensor:
    """KL(p_teacher ‖ p_student) at temperature T, times T², averaged over the batch (DistilBERT's L_ce).

    p = softmax(z / T) for both models. The gradient of the KL with respect to the student's logits
    shrinks like 1/T², so the T² keeps this term's size comparable to a hard-label loss whatever T is
    (Hinton et al. 2015, §2). The teacher's logits are detached: no gradient ever reaches the teacher.
    """
    T = check_temperature(temperature)
    if student_logits.shape != teacher_logits.shape:
        raise CourseError(f"student and teacher logits need the same shape, got {tuple(student_logits.shape)} "
                          f"and {tuple(teacher_logits.shape)}")
    log_p_student = F.log_softmax(student_logits / T, dim=-1)                   # (B, C)
    p_teacher = F.softmax(teacher_logits.detach() / T, dim=-1)                  # (B, C)
    kl = F.kl_div(log_p_student, p_teacher, reduction="batchmean")              # Σ p_t (log p_t − log p_s) / B
    return kl * T ** 2


# ----------------------------------------------------------------------------------------------
# intermediate losses: hidden states and attention maps
# ----------------------------------------------------------------------------------------------
def _token_mask(attention_mask: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """(B, T) float mask of real tokens (all ones when no mask is given)."""
    if attention_mask is None:
        return torch.ones(like.shape[:2], dtype=like.dtype)
    return attention_mask.to(like.dtype)


def hidden_cosine_loss(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor,
                       attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """1 − cos(h_student, h_teacher), averaged over the real tokens (DistilBERT's L_cos).

    Needs equal hidden sizes: (B, T, d) both. The teacher's states are detached.
    """
    if student_hidden.shape != teacher_hidden.shape:
        raise CourseError(f"the cosine loss needs hidden states of the same shape, got "
                          f"{tuple(student_hidden.shape)} and {tuple(teacher_hidden.shape)}; a narrower "
                          "student needs hidden_mse_loss with a projection instead")
    cos = F.cosine_similarity(student_hidden, teacher_hidden.detach(), dim=-1)  # (B, T)
    mask = _token_mask(attention_mask, student_hidden)                           # (B, T)
    return ((1 - cos) * mask).sum() / mask.sum()


class HiddenProjection(nn.Module):
    """TinyBERT's W_h: a learnable linear map from the student's hidden size d' to the teacher's d."""

    def __init__(self, student_size: int, teacher_size: int) -> None:
        super().__init__()
        self.linear = nn.Linear(student_size, teacher_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear(hidden)                                               # (B, T, d') -> (B, T, d)


def hidden_mse_loss(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor, projection: nn.Module,
                    attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """MSE(h_student W_h, h_teacher) over the real tokens (TinyBERT's hidden-state loss, Eq. 8).

    ``student_hidden`` is (B, T, d'), ``teacher_hidden`` (B, T, d); ``projection`` maps d' to d.
    """
    projected = projection(student_hidden)                                       # (B, T, d)
    if projected.shape != teacher_hidden.shape:
        raise CourseError(f"the projection gives {tuple(projected.shape)} but the teacher's states are "
                          f"{tuple(teacher_hidden.shape)}: W_h must map the student's hidden size to the "
                          "teacher's")
    mask = _token_mask(attention_mask, projected).unsqueeze(-1)                  # (B, T, 1)
    squared = (projected - teacher_hidden.detach()) ** 2 * mask                  # (B, T, d)
    return squared.sum() / (mask.sum() * projected.shape[-1])


def attention_mse_loss(student_attention: torch.Tensor, teacher_attention: torch.Tensor,
                       attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """MSE between attention maps (B, nh, T, T), over real query rows and key columns (TinyBERT, Eq. 7).

    Student and teacher need the same number of heads (TinyBERT keeps 12 heads in a narrower model).
    """
    if student_attention.shape != teacher_attention.shape:
        raise CourseError(f"attention maps must match in shape (batch, heads, T, T), got "
                          f"{tuple(student_attention.shape)} and {tuple(teacher_attention.shape)}: give "
                          "the student as many heads as the teacher")
    B, _, T, _ = student_attention.shape
    mask = torch.ones(B, T) if attention_mask is None else attention_mask.to(student_attention.dtype)  # (B, T)
    pair = mask[:, None, :, None] * mask[:, None, None, :]                       # (B, 1, T, T)
    squared = (student_attention - teacher_attention.detach()) ** 2 * pair       # (B, nh, T, T)
    return squared.sum() / (pair.sum() * student_attention.shape[1])


@dataclass(frozen=True)
class LossWeights:
    """DistilBERT's weighted sum: α_ce · L_ce(soft targets, T) + α_task · L_task + α_cos · L_cos.

    The defaults follow the reference training script (T = 2, α_ce 5, α_mlm 2, α_cos 1), with the
    labelled task's cross-entropy in the place of the MLM loss. A weight of 0 removes a term.
    """

    ce: float = 5.0
    task: float = 2.0
    cos: float = 1.0
    temperature: float = 2.0

    def __post_init__(self) -> None:
        check_temperature(self.temperature)
        for name in ("ce", "task", "cos"):
            if getattr(self, name) < 0:
                raise CourseError(f"loss weight {name} must be ≥ 0 (0 removes the term), got {getattr(self, name)}")
        if self.ce == self.task == self.cos == 0:
            raise CourseError("every loss weight is 0: nothing would be learned")

    def without(self, term: str) -> LossWeights:
        """The same weights with one term (``ce``, ``task`` or ``cos``) set to 0: one ablation row."""
        if term not in ("ce", "task", "cos"):
            raise CourseError(f"unknown loss term {term!r}; choose 'ce', 'task' or 'cos'")
        return LossWeights(**{**self.__dict__, term: 0.0})


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                      weights: LossWeights, *, student_hidden: torch.Tensor | None = None,
                      teacher_hidden: torch.Tensor | None = None,
                      attention_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The DistilBERT-style loss and its terms: ``{"loss", "ce", "task", "cos"}``.

    ``labels`` (B,) holds -100 for sentences without a label (the teacher's transfer sentences): they
    count in L_ce and L_cos only. ``student_hidden``/``teacher_hidden`` (B, T, d) are needed when
    ``weights.cos > 0``.
    """
    zero = student_logits.new_zeros(())
    terms = {"ce": zero, "task": zero, "cos": zero}
    if weights.ce:
        terms["ce"] = soft_target_loss(student_logits, teacher_logits, weights.temperature)
    labelled = labels != -100
    if weights.task and labelled.any():
        terms["task"] = F.cross_entropy(student_logits[labelled], labels[labelled])
    if weights.cos:
        if student_hidden is None or teacher_hidden is None:
            raise CourseError("weights.cos > 0 needs student_hidden and teacher_hidden")
        terms["cos"] = hidden_cosine_loss(student_hidden, teacher_hidden, attention_mask)
    loss = weights.ce * terms["ce"] + weights.task * terms["task"] + weights.cos * terms["cos"]
    return {"loss": loss, **terms}


# ----------------------------------------------------------------------------------------------
# students
# ----------------------------------------------------------------------------------------------
@dataclass
class ClassifierOutput:
    """What ``SentenceClassifier`` returns: logits (B, C), the loss if labels were given, and the encoder's
    hidden states / attention maps when asked for."""

    logits: torch.Tensor
    loss: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class SentenceClassifier(nn.Module):
    """A BERT encoder, mean pooling over the real tokens, dropout and a linear layer: logits for C classes.

    ``save_pretrained(folder)`` writes the encoder as a ``transformers`` checkpoint (so ``AutoModel`` loads
    it alone) plus ``classifier.safetensors``; ``from_pretrained(folder)`` reads both back.
    """

    def __init__(self, encoder: Any, num_labels: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.bert = encoder
        self.bert.config.num_labels = num_labels
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(encoder.config.hidden_size, num_labels)

    @property
    def config(self) -> Any:
        return self.bert.config

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor | None = None,
                output_hidden_states: bool = False, output_attentions: bool = False) -> ClassifierOutput:
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                        output_hidden_states=output_hidden_states, output_attentions=output_attentions)
        mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)     # (B, T, 1)
        pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1)             # (B, d): mean of real tokens
        logits = self.classifier(self.dropout(pooled))                           # (B, C)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(logits, loss, out.hidden_states, out.attentions)

    def save_pretrained(self, folder: str | Path) -> None:
        from safetensors.torch import save_file

        self.bert.save_pretrained(folder)
        save_file({k: v.contiguous() for k, v in self.classifier.state_dict().items()},
                  str(Path(folder) / "classifier.safetensors"))

    @classmethod
    def from_pretrained(cls, folder: str | Path, attn_implementation: str = "eager") -> SentenceClassifier:
        from safetensors.torch import load_file
        from transformers import BertModel

        encoder = BertModel.from_pretrained(folder, add_pooling_layer=False, attn_implementation=attn_implementation)
        model = cls(encoder, num_labels=encoder.config.num_labels)
        model.classifier.load_state_dict(load_file(str(Path(folder) / "classifier.safetensors")))
        return model.eval()


def freeze(model: nn.Module) -> nn.Module:
    """Evaluation mode and ``requires_grad = False`` everywhere: a teacher that can never be updated."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def half_depth_student(teacher: SentenceClassifier, keep: Sequence[int] | None = None) -> SentenceClassifier:
    """A student with the teacher's width and one layer out of two (DistilBERT, §3).

    ``keep`` lists the teacher layers to copy (default: every other one, 0, 2, 4, …). The embeddings, the
    kept layers and the classifier are copied exactly; the encoder gets ``num_hidden_layers = len(keep)``.
    """
    from transformers import BertModel

    n = teacher.config.num_hidden_layers
    keep = list(range(0, n, 2)) if keep is None else list(keep)
    if not keep or any(not 0 <= i < n for i in keep) or len(set(keep)) != len(keep):
        raise CourseError(f"keep must list distinct teacher layers in 0..{n - 1}, got {keep}")
    config = copy.deepcopy(teacher.config)
    config.num_hidden_layers = len(keep)
    with torch.device("meta"):        # shapes only: every weight comes from the teacher, so skip random init
        encoder = BertModel(config, add_pooling_layer=teacher.bert.pooler is not None)
        student = SentenceClassifier(encoder, num_labels=config.num_labels)
    prefix = "bert.encoder.layer."
    state = {}
    for name, value in teacher.state_dict().items():
        if name.startswith(prefix):
            index, rest = name[len(prefix):].split(".", 1)
            if int(index) not in keep:
                continue
            name = f"{prefix}{keep.index(int(index))}.{rest}"          # teacher layer keep[i] -> student layer i
        state[name] = value.clone()
    student.load_state_dict(state, strict=True, assign=True)   # every student weight gets exactly one teacher weight
    buffers = dict(teacher.named_buffers())
    for name, buffer in list(student.named_buffers()):          # buffers kept out of the state dict (position ids)
        if buffer.is_meta:
            owner, _, attr = name.rpartition(".")
            student.get_submodule(owner).register_buffer(attr, buffers[name].clone(), persistent=False)
    return student.eval()


def narrow_student(teacher_config: Any, *, hidden_size: int, num_layers: int, intermediate_size: int | None = None,
                   seed: int = 0) -> SentenceClassifier:
    """A randomly initialised ``SentenceClassifier`` with a smaller hidden size and fewer layers.

    It keeps the teacher's vocabulary, number of heads (so attention maps can be compared head by head),
    position table and number of labels. ``intermediate_size`` defaults to 4 × ``hidden_size``.
    """
    from transformers import BertModel

    heads = teacher_config.num_attention_heads
    if hidden_size % heads:
        raise CourseError(f"hidden_size {hidden_size} must be divisible by the teacher's {heads} heads")
    config = copy.deepcopy(teacher_config)
    config.hidden_size = hidden_size
    config.num_hidden_layers = num_layers
    config.intermediate_size = intermediate_size or 4 * hidden_size
    config._attn_implementation = "eager"          # attention maps are returned (and compared with the teacher's)
    torch.manual_seed(seed)
    return SentenceClassifier(BertModel(config, add_pooling_layer=False), num_labels=config.num_labels).eval()


@torch.no_grad()
def init_embeddings_by_svd(student: SentenceClassifier, teacher: SentenceClassifier) -> torch.Tensor:
    """Give a narrower student the best rank-d' copy of the teacher's embeddings; return the basis V.

    TinyBERT's embedding loss is MSE(E_student W_e, E_teacher). Over the whole vocabulary its minimum has
    a closed form (Eckart–Young): the truncated SVD E_teacher ≈ U_k S_k V_kᵀ gives E_student = U_k S_k
    and W_e = V_kᵀ. The position and token-type tables are projected onto the same basis. Returns V
    (d, d'), so a projection d' → d can start at W_h = Vᵀ (``HiddenProjection.linear.weight = V``).
    """
    t_emb, s_emb = teacher.bert.embeddings, student.bert.embeddings
    k = s_emb.word_embeddings.weight.shape[1]
    table = t_emb.word_embeddings.weight.float()                                 # (V, d)
    _, _, vh = torch.linalg.svd(table, full_matrices=False)                      # vh (d, d)
    basis = vh[:k].T.contiguous()                                                # (d, k): top right-singular vectors
    s_emb.word_embeddings.weight.copy_(table @ basis)                            # (V, k) = U_k S_k
    s_emb.position_embeddings.weight.copy_(t_emb.position_embeddings.weight @ basis)
    s_emb.token_type_embeddings.weight.copy_(t_emb.token_type_embeddings.weight @ basis)
    return basis


# ----------------------------------------------------------------------------------------------
# data augmentation (TinyBERT, Algorithm 1)
# ----------------------------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def augment(texts: Sequence[str], vectors: Any, *, copies: int, p: float = 0.4, k: int = 15, seed: int = 0,
            restrict_vocab: int = 50_000) -> list[str]:
    """TinyBERT's data augmentation with word vectors: ``copies`` new sentences per sentence of ``texts``.

    Each word is replaced, with probability ``p``, by one of its ``k`` nearest neighbours in ``vectors``
    (gensim ``KeyedVectors``, e.g. GloVe), searched among the ``restrict_vocab`` most frequent words; words
    without vectors, numbers and punctuation stay. The paper (Jiao et al. 2020, Alg. 1; p = 0.4, k = 15)
    asks a BERT masked-LM for the candidates of one-piece words and GloVe for the rest; here every word
    uses GloVe. The new sentences carry no label: the teacher labels them. Output order: the copies of
    the first sentence, then of the second, and so on.
    """
    if not texts:
        raise CourseError("augment needs at least one sentence")
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise CourseError(f"copies must be an integer ≥ 1, got {copies!r}")
    if not 0 <= p <= 1:
        raise CourseError(f"the replacement probability p must be in [0, 1], got {p!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise CourseError(f"k (neighbours per word) must be an integer ≥ 1, got {k!r}")
    import random

    rng = random.Random(seed)
    limit = min(restrict_vocab, len(vectors.index_to_key))
    candidates: dict[str, list[str]] = {}

    def neighbours(word: str) -> list[str]:
        if word not in candidates:
            rank = vectors.key_to_index.get(word)
            candidates[word] = [] if rank is None or rank >= limit else \
                [w for w, _ in vectors.most_similar(word, topn=k, restrict_vocab=limit)]
        return candidates[word]

    def replace(match: re.Match) -> str:
        word = match.group(0)
        if rng.random() >= p:
            return word
        options = neighbours(word.lower())
        if not options:
            return word
        new = rng.choice(options)
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    return [_WORD.sub(replace, text) for text in texts for _ in range(copies)]


# ----------------------------------------------------------------------------------------------
# data: token ids once, padded per batch
# ----------------------------------------------------------------------------------------------
@dataclass
class EncodedSet:
    """Sentences as token-id lists (with [CLS]/[SEP]) and labels (-100 = no label: a transfer sentence)."""

    texts: list[str]
    ids: list[list[int]]
    labels: torch.Tensor            # (N,)
    pad_id: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, index: Sequence[int]) -> dict[str, torch.Tensor]:
        """input_ids and attention_mask (B, T) padded to the longest sentence of the batch, and labels (B,)."""
        rows = [self.ids[i] for i in index]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)   # (B, T)
        mask = torch.zeros((len(rows), width), dtype=torch.long)                    # (B, T)
        for j, r in enumerate(rows):
            input_ids[j, :len(r)] = torch.tensor(r)
            mask[j, :len(r)] = 1
        return {"input_ids": input_ids, "attention_mask": mask, "labels": self.labels[list(index)]}

    def __add__(self, other: EncodedSet) -> EncodedSet:
        return EncodedSet(self.texts + other.texts, self.ids + other.ids, torch.cat([self.labels, other.labels]),
                          self.pad_id)


def encode(tokenizer: Any, texts: Sequence[str], labels: Sequence[int] | None = None, *,
           max_length: int = 48) -> EncodedSet:
    """Tokenise ``texts`` once (truncated to ``max_length`` tokens); ``labels=None`` marks them unlabelled."""
    if not texts:
        raise CourseError("no sentences to encode")
    if labels is not None and len(labels) != len(texts):
        raise CourseError(f"{len(texts)} sentences but {len(labels)} labels")
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    y = torch.tensor(list(labels) if labels is not None else [-100] * len(texts), dtype=torch.long)
    return EncodedSet(list(texts), ids, y, tokenizer.pad_token_id or 0)


def _shuffled_batches(lengths: Sequence[int], batch_size: int, seed: int, pool: int = 8) -> Iterator[list[int]]:
    """Endless batches of sentence indices: a new seeded permutation every epoch.

    Sentences of similar length share a batch (the permutation is cut into pools of ``pool`` batches,
    each pool sorted by length), so little of each batch is padding; batches come in random order.
    """
    generator = torch.Generator().manual_seed(seed)
    n = len(lengths)
    while True:
        order = torch.randperm(n, generator=generator).tolist()
        epoch = []
        for p in range(0, n, batch_size * pool):
            chunk = sorted(order[p:p + batch_size * pool], key=lambda i: lengths[i])
            epoch += [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
        for j in torch.randperm(len(epoch), generator=generator).tolist():
            if len(epoch[j]) >= max(1, batch_size // 2) or n < batch_size:   # skip a too-small remainder
                yield epoch[j]


# ----------------------------------------------------------------------------------------------
# the teacher's outputs, computed once
# ----------------------------------------------------------------------------------------------
@dataclass
class TeacherTargets:
    """What a student learns from, per sentence: logits (N, C), and (unpadded) hidden states and attention
    maps of the chosen teacher layers. ``hidden[k][i]`` is (T_i, d), the output of layer k (0 = the
    embeddings); ``attentions[k][i]`` is (nh, T_i, T_i), the attention of layer k (1-based)."""

    logits: torch.Tensor
    hidden: dict[int, list[torch.Tensor]] = field(default_factory=dict)
    attentions: dict[int, list[torch.Tensor]] = field(default_factory=dict)

    def batch(self, index: Sequence[int], width: int, *, hidden_layers: Sequence[int] | None = None,
              attention_layers: Sequence[int] | None = None) -> dict[str, Any]:
        """The targets of sentences ``index``, zero-padded to ``width`` tokens (only the layers asked for;
        ``None`` = all that are held)."""
        out: dict[str, Any] = {"logits": self.logits[list(index)], "hidden": {}, "attentions": {}}
        hidden_layers = self.hidden if hidden_layers is None else hidden_layers
        attention_layers = self.attentions if attention_layers is None else attention_layers
        for k in hidden_layers:
            rows = self.hidden[k]
            h = torch.zeros(len(index), width, rows[0].shape[-1])                # (B, T, d)
            for j, i in enumerate(index):
                h[j, :rows[i].shape[0]] = rows[i]
            out["hidden"][k] = h
        for k in attention_layers:
            rows = self.attentions[k]
            a = torch.zeros(len(index), rows[0].shape[0], width, width)         # (B, nh, T, T)
            for j, i in enumerate(index):
                t = rows[i].shape[-1]
                a[j, :, :t, :t] = rows[i]
            out["attentions"][k] = a
        return out


def _by_length(data: EncodedSet, batch_size: int) -> list[list[int]]:
    """Index batches of sentences sorted by length: inference with little padding."""
    order = sorted(range(len(data)), key=lambda i: len(data.ids[i]))
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]


@torch.no_grad()
def teacher_targets(teacher: Any, data: EncodedSet, *, hidden_layers: Sequence[int] = (),
                    attention_layers: Sequence[int] = (), batch_size: int = 64, progress: bool = True
                    ) -> TeacherTargets:
    """Run the (frozen) teacher once over ``data`` and keep its logits and the chosen layers' outputs."""
    from tqdm.auto import tqdm

    freeze(teacher)
    n = len(data)
    logits = torch.zeros(n, teacher.config.num_labels)
    hidden: dict[int, list[Any]] = {k: [None] * n for k in hidden_layers}
    attentions: dict[int, list[Any]] = {k: [None] * n for k in attention_layers}
    for index in tqdm(_by_length(data, batch_size), desc="teacher outputs", leave=False, disable=not progress):
        batch = data.batch(index)
        out = teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                      output_hidden_states=bool(hidden_layers), output_attentions=bool(attention_layers))
        logits[index] = out.logits                                               # (B, C)
        for j, (i, t) in enumerate(zip(index, batch["attention_mask"].sum(1).tolist(), strict=True)):
            for k in hidden_layers:
                hidden[k][i] = out.hidden_states[k][j, :t].clone()               # (T_i, d)
            for k in attention_layers:
                attentions[k][i] = out.attentions[k - 1][j, :, :t, :t].clone()   # (nh, T_i, T_i)
    return TeacherTargets(logits, hidden, attentions)


# ----------------------------------------------------------------------------------------------
# training loops
# ----------------------------------------------------------------------------------------------
def _optimiser(params: Sequence[nn.Parameter], lr: float, steps: int, warmup: float = 0.1):
    optimiser = torch.optim.AdamW([p for p in params if p.requires_grad], lr=lr, weight_decay=0.01)
    warm = max(1, int(warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    return optimiser, schedule


def _start(modules: Sequence[nn.Module], data: EncodedSet, *, lr: float, steps: int, batch_size: int, seed: int):
    """What every training loop here starts with: AdamW over the trainable parameters of ``modules`` with
    warm-up and linear decay, endless seeded batches of ``data``, the seed for dropout, training mode."""
    params = [p for m in modules for p in m.parameters()]
    optimiser, schedule = _optimiser(params, lr, steps)
    batches = _shuffled_batches([len(i) for i in data.ids], batch_size, seed)
    torch.manual_seed(seed)   # dropout
    for m in modules:
        m.train()
    return params, optimiser, schedule, batches


def _update(loss: torch.Tensor, params: Sequence[nn.Parameter], optimiser: Any, schedule: Any) -> None:
    optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in params if p.requires_grad], 1.0)
    optimiser.step()
    schedule.step()


def fine_tune(model: Any, data: EncodedSet, *, steps: int, lr: float = 1e-4, batch_size: int = 32, seed: int = 0,
              desc: str = "fine-tuning") -> History:
    """Train on hard labels only (cross-entropy): the teacher's fine-tuning and the from-scratch student."""
    if (data.labels == -100).any():
        raise CourseError("fine_tune needs a label for every sentence; unlabelled ones belong to distil()")
    params, optimiser, schedule, batches = _start([model], data, lr=lr, steps=steps, batch_size=batch_size, seed=seed)

    def step(i: int) -> float:
        batch = data.batch(next(batches))
        loss = model(**batch).loss
        _update(loss, params, optimiser, schedule)
        return loss.item()

    history = fit(step, steps, desc=desc)
    model.eval()
    return history


def distil(student: Any, data: EncodedSet, targets: TeacherTargets, *, weights: LossWeights, steps: int,
           lr: float = 1e-4, batch_size: int = 32, seed: int = 0, hidden_layer: int | None = None,
           desc: str = "distilling") -> History:
    """DistilBERT-style training on the teacher's cached outputs: α_ce L_ce + α_task L_task + α_cos L_cos.

    L_cos compares the student's last hidden state with the teacher's layer ``hidden_layer`` (default:
    the teacher's last layer, which ``targets`` must hold). The history records each term.
    """
    if weights.cos:
        hidden_layer = max(targets.hidden) if hidden_layer is None and targets.hidden else hidden_layer
        if hidden_layer not in targets.hidden:
            raise CourseError("weights.cos > 0 needs the teacher's hidden states: teacher_targets(..., "
                              "hidden_layers=[last layer])")
    params, optimiser, schedule, batches = _start([student], data, lr=lr, steps=steps, batch_size=batch_size, seed=seed)

    def step(i: int) -> dict[str, float]:
        index = next(batches)
        batch = data.batch(index)
        width = batch["input_ids"].shape[1]
        teacher = targets.batch(index, width, hidden_layers=[hidden_layer] if weights.cos else [], attention_layers=[])
        out = student(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                      output_hidden_states=bool(weights.cos))
        terms = distillation_loss(
            out.logits, teacher["logits"], batch["labels"], weights,
            student_hidden=out.hidden_states[-1] if weights.cos else None,
            teacher_hidden=teacher["hidden"].get(hidden_layer), attention_mask=batch["attention_mask"])
        _update(terms["loss"], params, optimiser, schedule)
        return {k: v.item() for k, v in terms.items()}

    history = fit(step, steps, desc=desc)
    student.eval()
    return history


def _check_layers(targets: TeacherTargets, layer_map: dict[int, int]) -> None:
    missing = [g for g in layer_map.values() if g not in targets.hidden] + \
              [g for m, g in layer_map.items() if m >= 1 and g not in targets.attentions]
    if missing:
        raise CourseError(f"the teacher targets lack layers {sorted(set(missing))}: pass them to teacher_targets")


def _layer_terms(student: Any, projection: nn.Module, batch: dict[str, torch.Tensor], teacher: dict[str, Any],
                 layer_map: dict[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """TinyBERT's two layer losses on one batch: hidden-state MSE (summed over the mapped layers, m = 0 the
    embedding output) and attention MSE (summed over m ≥ 1)."""
    mask = batch["attention_mask"]
    out = student(input_ids=batch["input_ids"], attention_mask=mask, output_hidden_states=True,
                  output_attentions=True)
    hidden = sum(hidden_mse_loss(out.hidden_states[m], teacher["hidden"][g], projection, mask)
                 for m, g in layer_map.items())
    attention = sum(attention_mse_loss(out.attentions[m - 1], teacher["attentions"][g], mask)
                    for m, g in layer_map.items() if m >= 1)
    return hidden, attention


def distil_intermediate(student: Any, projection: nn.Module, data: EncodedSet, targets: TeacherTargets, *,
                        layer_map: dict[int, int], steps: int, lr: float = 5e-4, batch_size: int = 32,
                        seed: int = 0, desc: str = "layer distillation") -> History:
    """TinyBERT's intermediate-layer distillation: for each student layer m and its teacher layer
    g(m) = ``layer_map[m]``, MSE of the projected hidden states (m = 0 is the embedding output) and, for
    m ≥ 1, MSE of the attention maps. No logits and no labels are used in this stage."""
    _check_layers(targets, layer_map)
    params, optimiser, schedule, batches = _start([student, projection], data, lr=lr, steps=steps,
                                                  batch_size=batch_size, seed=seed)

    def step(i: int) -> dict[str, float]:
        index = next(batches)
        batch = data.batch(index)
        hidden, attention = _layer_terms(student, projection, batch, targets.batch(index, batch["input_ids"].shape[1]),
                                         layer_map)
        loss = hidden + attention
        _update(loss, params, optimiser, schedule)
        return {"loss": loss.item(), "hidden": float(hidden.detach()), "attention": float(attention.detach())}

    history = fit(step, steps, desc=desc)
    student.eval()
    return history


@torch.no_grad()
def layer_distances(student: Any, projection: nn.Module, data: EncodedSet, targets: TeacherTargets, *,
                    layer_map: dict[int, int], batch_size: int = 64) -> dict[str, float]:
    """How far the student's layers are from the teacher's on ``data``: the two losses of
    ``distil_intermediate`` (hidden-state MSE through ``projection``, attention MSE), averaged over batches."""
    _check_layers(targets, layer_map)
    student.eval()
    totals = {"hidden": 0.0, "attention": 0.0}
    chunks = _by_length(data, batch_size)
    for index in chunks:
        batch = data.batch(index)
        hidden, attention = _layer_terms(student, projection, batch, targets.batch(index, batch["input_ids"].shape[1]),
                                         layer_map)
        totals["hidden"] += float(hidden) / len(chunks)
        totals["attention"] += float(attention) / len(chunks)
    return totals


# ----------------------------------------------------------------------------------------------
# evaluation and the measurements of the papers' tables
# ----------------------------------------------------------------------------------------------
@torch.no_grad()
def predict(model: Any, data: EncodedSet, batch_size: int = 64) -> torch.Tensor:
    """The model's logits (N, C) for every sentence of ``data``."""
    model.eval()
    logits = torch.zeros(len(data), model.config.num_labels)
    for index in _by_length(data, batch_size):
        batch = data.batch(index)
        logits[index] = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return logits


def accuracy(model: Any, data: EncodedSet) -> float:
    """Share of the labelled sentences of ``data`` whose argmax prediction equals the label."""
    labelled = data.labels != -100
    if not labelled.any():
        raise CourseError("accuracy needs labelled sentences")
    predicted = predict(model, data).argmax(-1)
    return float((predicted[labelled] == data.labels[labelled]).float().mean())


def count_params(model: nn.Module) -> int:
    """Number of parameters (each tensor counted once)."""
    return sum(p.numel() for p in model.parameters())


def file_size_mib(model: Any) -> float:
    """Size in MiB of the weight files ``save_pretrained`` writes (safetensors, float32)."""
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        return sum(f.stat().st_size for f in Path(folder).glob("*.safetensors")) / 2 ** 20


@torch.inference_mode()
def latency_ms(model: Any, data: EncodedSet, *, sentences: int = 64, warmup: int = 5) -> float:
    """Median milliseconds to classify one sentence (batch 1) over the first ``sentences`` of ``data``."""
    model.eval()
    n = min(sentences, len(data))
    for i in range(min(warmup, n)):
        model(**{k: v for k, v in data.batch([i]).items() if k != "labels"})
    times = []
    for i in range(n):
        batch = {k: v for k, v in data.batch([i]).items() if k != "labels"}
        start = time.perf_counter()
        model(**batch)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


@torch.inference_mode()
def throughput(model: Any, data: EncodedSet, *, batch_size: int = 32, batches: int = 8, repeats: int = 3) -> float:
    """Sentences per second at ``batch_size``: the best of ``repeats`` passes over ``batches`` batches."""
    model.eval()
    n = min(len(data), batch_size * batches)
    prepared = [{k: v for k, v in data.batch(range(s, min(s + batch_size, n))).items() if k != "labels"}
                for s in range(0, n, batch_size)]
    model(**prepared[0])                                                          # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in prepared:
            model(**batch)
        best = min(best, time.perf_counter() - start)
    return n / best


def measure_models(models: dict[str, Any], data: EncodedSet, *, repeats: int = 3, sentences: int = 64,
                   batch_size: int = 32, batches: int = 8) -> dict[str, dict[str, float]]:
    """The papers' size and speed columns for each model: parameters, file MiB, latency (ms, batch 1) and
    throughput (sentences/s, batch ``batch_size``).

    Timings are interleaved across the models and the best of ``repeats`` rounds is kept, so a burst of
    load from another process on a shared machine slows every model alike instead of one of them.
    """
    if repeats < 1:
        raise CourseError(f"repeats must be ≥ 1, got {repeats}")
    rows = {name: {"params": count_params(m), "file_mib": file_size_mib(m), "latency_ms": float("inf"),
                   "throughput": 0.0} for name, m in models.items()}
    for _ in range(repeats):
        for name, m in models.items():
            row = rows[name]
            row["latency_ms"] = min(row["latency_ms"], latency_ms(m, data, sentences=sentences))
            row["throughput"] = max(row["throughput"], throughput(m, data, batch_size=batch_size, batches=batches,
                                                                  repeats=1))
    return rows


def default_threads() -> int:
    """The thread count torch would use by default here (the number of usable CPU cores)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
