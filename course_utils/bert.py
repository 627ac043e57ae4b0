"""BERT (notebook 05, which teaches most of these in twin cells): input representation, parameter counts,
masking statistics, contextual vectors, transfer by feature extraction or fine-tuning, and what goes wrong
when BERT is made to generate.

The masking itself (``mask_tokens``, BERT §3.1) and the NSP pairs live in ``course_utils.pretraining``,
shared with the ``course/bert-mini`` recipe; this module holds what notebook 05 measures with them:

* **inputs** — ``input_breakdown`` splits a real BERT embedding module (MiniLM's) into its token, segment
  and position embeddings, their sum and the LayerNorm, next to what the module itself returns;
* **size** — ``bert_parameter_formula`` counts a ``BertConfig`` by formula, ``count_bert_parameters`` by
  building the model (on PyTorch's ``meta`` device: shapes only, no memory, no download);
* **masking** — ``masking_shares`` (shares of [MASK] / random / kept among maskable tokens),
  ``collator_masking`` (the same statistics from ``transformers``' ``DataCollatorForLanguageModeling``),
  ``masking_over_epochs`` (static vs dynamic masking, RoBERTa §4.1);
* **context** — ``contextual_vectors`` of one word in many sentences, ``sense_similarity``;
* **pre-training** — ``masked_token_accuracy``: how often a masked LM restores the tokens BERT's masking
  chose (the facts test, ``pretraining.fill_mask_accuracy``, asks for one chosen word instead);
* **transfer** — ``feature_extraction`` (frozen encoder + logistic regression), ``fine_tune`` (encoder +
  a dense layer, all weights trained) and ``keyword_baseline`` (bag of words), each a ``TransferResult``;
* **generation** — ``generate_by_filling``: fill [MASK] after [MASK] to the right of a prompt.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import CourseError, require_text
from .pretraining import KEPT, MASKED, RANDOM, UNTOUCHED, MaskedBatch, mask_tokens
from .train import fit
from .transformer import layer_param_formula

KIND_NAMES: dict[int, str] = {UNTOUCHED: "untouched", MASKED: "[MASK]", RANDOM: "random", KEPT: "kept"}


# ----------------------------------------------------------------------------------------------
# input representation: token + segment + position embeddings, then LayerNorm
# ----------------------------------------------------------------------------------------------
@dataclass
class InputBreakdown:
    """One (pair of) sentence(s) through a BERT embedding module, piece by piece (T tokens, width H)."""

    tokens: list[str]
    input_ids: torch.Tensor        # (T,)
    token_type_ids: torch.Tensor   # (T,) segment ids: 0 for sentence A (with [CLS] and its [SEP]), 1 for B
    position_ids: torch.Tensor     # (T,) 0, 1, ..., T-1
    token: torch.Tensor            # (T, H) rows of word_embeddings
    segment: torch.Tensor          # (T, H) rows of token_type_embeddings
    position: torch.Tensor         # (T, H) rows of position_embeddings
    summed: torch.Tensor           # (T, H) token + segment + position
    normalised: torch.Tensor       # (T, H) LayerNorm(summed): BERT's input to layer 1
    module_output: torch.Tensor    # (T, H) what encoder.embeddings(...) returns (eval mode: no dropout)


def input_breakdown(encoder: Any, tokenizer: Any, text_a: str, text_b: str | None = None) -> InputBreakdown:
    """Build BERT's input for ``text_a`` (and ``text_b``) by hand from ``encoder.embeddings``' tables."""
    require_text(text_a, "sentence A")
    if text_b is not None:
        require_text(text_b, "sentence B")
    emb = getattr(encoder, "embeddings", None)
    if emb is None or not hasattr(emb, "token_type_embeddings"):
        raise CourseError("need a BERT-style encoder (a BertModel with .embeddings.token_type_embeddings), "
                          f"got {type(encoder).__name__}")
    enc = tokenizer(text_a, text_b, return_tensors="pt")
    ids = enc["input_ids"][0]                                               # (T,)
    types = enc["token_type_ids"][0]                                        # (T,)
    positions = torch.arange(ids.shape[0])                                  # (T,)
    encoder.eval()
    with torch.no_grad():
        token = emb.word_embeddings(ids)                                    # (T, H)
        segment = emb.token_type_embeddings(types)                          # (T, H)
        position = emb.position_embeddings(positions)                       # (T, H)
        summed = token + segment + position                                 # (T, H)
        normalised = emb.LayerNorm(summed)                                  # (T, H)
        module_output = emb(input_ids=ids[None], token_type_ids=types[None])[0]   # (T, H)
    return InputBreakdown(tokenizer.convert_ids_to_tokens(ids.tolist()), ids, types, positions, token,
                          segment, position, summed, normalised, module_output)


# ----------------------------------------------------------------------------------------------
# parameter counts: by formula and by building the model
# ----------------------------------------------------------------------------------------------
def bert_parameter_formula(config: Any, *, pooler: bool = True) -> dict[str, int]:
    """Parameters of ``BertModel(config)`` by formula (V vocabulary, H width, L layers, F FFN width,
    P positions, S segment types):

    * embeddings: V·H + P·H + S·H, plus LayerNorm's scale and shift 2H;
    * one layer: Q, K, V and output projections 4(H² + H), two LayerNorms 2·2H, FFN H·F + F + F·H + H;
    * pooler (a dense layer on [CLS] for NSP): H² + H.
    """
    V, H, L = config.vocab_size, config.hidden_size, config.num_hidden_layers
    F, P, S = config.intermediate_size, config.max_position_embeddings, config.type_vocab_size
    if H % config.num_attention_heads:
        raise CourseError(f"hidden_size {H} is not a multiple of num_attention_heads {config.num_attention_heads}")
    embeddings = V * H + P * H + S * H + 2 * H
    per_layer = layer_param_formula(H, F)
    out = {"embeddings": embeddings, "one layer": per_layer, "all layers": L * per_layer,
           "pooler": H * H + H if pooler else 0}
    out["total"] = out["embeddings"] + out["all layers"] + out["pooler"]
    return out


def count_bert_parameters(config: Any, *, pooler: bool = True) -> int:
    """Build ``BertModel(config)`` on the ``meta`` device (shapes only: no memory, no weights, no
    download) and count its parameters tensor by tensor."""
    from transformers import BertModel

    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=pooler)
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------------------------
# masking statistics
# ----------------------------------------------------------------------------------------------
def masking_shares(kinds: torch.Tensor, candidates: torch.Tensor) -> dict[str, float]:
    """Shares of the maskable positions (``candidates``: True where a token may be chosen, i.e. not a
    special token or padding) that were chosen, replaced by [MASK], by a random token, or kept."""
    kinds, candidates = torch.as_tensor(kinds), torch.as_tensor(candidates, dtype=torch.bool)
    if kinds.shape != candidates.shape:
        raise CourseError(f"kinds {tuple(kinds.shape)} and candidates {tuple(candidates.shape)} differ in shape")
    n = int(candidates.sum())
    if n == 0:
        raise CourseError("no maskable tokens: the batch holds only special tokens or padding")
    if ((kinds != UNTOUCHED) & ~candidates).any():
        raise CourseError("a special token or padding position was masked: specials must never be chosen")
    counts = {name: int((kinds == k).sum()) for k, name in KIND_NAMES.items() if k != UNTOUCHED}
    shares = {"chosen": sum(counts.values()) / n}
    shares.update({name: c / n for name, c in counts.items()})
    return shares


def maskable(input_ids: torch.Tensor, special_ids: Sequence[int]) -> torch.Tensor:
    """True where a token may be masked: not one of ``special_ids`` ([CLS], [SEP], [PAD], …)."""
    return ~torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype))


def collator_kinds(original: torch.Tensor, inputs: torch.Tensor, labels: torch.Tensor, mask_id: int) -> torch.Tensor:
    """UNTOUCHED / MASKED / RANDOM / KEPT per position from a collator's output (its labels are the
    original id where chosen, -100 elsewhere). A random token that happens to equal the original
    (probability 1/V) is indistinguishable from a kept one and counts as kept."""
    chosen = labels != -100
    kinds = torch.full_like(original, UNTOUCHED)
    kinds[chosen & (inputs == mask_id)] = MASKED
    kinds[chosen & (inputs != mask_id) & (inputs != original)] = RANDOM
    kinds[chosen & (inputs == original)] = KEPT
    return kinds


def collator_masking(tokenizer: Any, texts: Sequence[str], *, seed: int = 0, mlm_probability: float = 0.15,
                     max_length: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask ``texts`` with ``transformers.DataCollatorForLanguageModeling`` (seeded); return (kinds,
    candidates), both (N, T), ready for ``masking_shares``."""
    from transformers import DataCollatorForLanguageModeling

    if not texts:
        raise CourseError("no texts to mask")
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability, seed=seed)
    examples = [{"input_ids": ids} for ids in tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]]
    original = tokenizer.pad(examples, return_tensors="pt")["input_ids"]                    # (N, T)
    batch = collator(examples)                                     # input_ids and labels, (N, T) each
    candidates = maskable(original, tokenizer.all_special_ids)                               # (N, T)
    return collator_kinds(original, batch["input_ids"], batch["labels"], tokenizer.mask_token_id), candidates


def masking_over_epochs(input_ids: torch.Tensor, epochs: int, *, dynamic: bool, mask_id: int, vocab_size: int,
                        special_ids: Sequence[int], seed: int = 0, mlm_probability: float = 0.15) -> list[MaskedBatch]:
    """The masked copies of ``input_ids`` that training sees in each of ``epochs`` epochs.

    Static masking (the original BERT data pipeline) masks once while preparing the data, so every epoch
    repeats the same positions; dynamic masking (RoBERTa §4.1) draws a new mask each time a sequence
    is fed to the model.
    """
    if epochs < 1:
        raise CourseError(f"epochs must be at least 1, got {epochs}")
    generator = torch.Generator().manual_seed(seed)
    batches: list[MaskedBatch] = []
    for _ in range(epochs):
        if dynamic or not batches:
            batches.append(mask_tokens(input_ids, mask_id=mask_id, vocab_size=vocab_size, special_ids=special_ids,
                                       mlm_probability=mlm_probability, generator=generator))
        else:
            batches.append(batches[0])
    return batches


def ever_chosen_share(batches: Sequence[MaskedBatch], candidates: torch.Tensor) -> list[float]:
    """After each epoch: the share of maskable positions that have been a prediction target at least once."""
    seen = torch.zeros_like(candidates, dtype=torch.bool)
    out = []
    for batch in batches:
        seen |= batch.labels != -100
        out.append(float(seen[candidates].float().mean()))
    return out


# ----------------------------------------------------------------------------------------------
# contextual vs static vectors
# ----------------------------------------------------------------------------------------------
def _word_span(sentence: str, word: str) -> tuple[int, int]:
    match = re.search(rf"\b{re.escape(word)}\b", sentence, flags=re.IGNORECASE)
    if match is None:
        raise CourseError(f"the word {word!r} does not occur in {sentence!r}")
    return match.span()


def contextual_vectors(encoder: Any, tokenizer: Any, sentences: Sequence[str], word: str) -> torch.Tensor:
    """The encoder's last-layer vector of ``word`` in each sentence, (N, H): the mean over the word's
    WordPiece tokens (its first occurrence)."""
    require_text(word, "word")
    if not sentences:
        raise CourseError("no sentences given")
    enc = tokenizer(list(sentences), return_tensors="pt", padding=True, return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")                                      # (N, T, 2)
    encoder.eval()
    with torch.no_grad():
        hidden = encoder(**enc).last_hidden_state                           # (N, T, H)
    rows = []
    for i, sentence in enumerate(sentences):
        start, end = _word_span(sentence, word)
        inside = (offsets[i, :, 0] >= start) & (offsets[i, :, 1] <= end) & (offsets[i, :, 1] > offsets[i, :, 0])
        if not inside.any():
            raise CourseError(f"{word!r} in {sentence!r} maps to no token of this tokenizer")
        rows.append(hidden[i, inside].mean(dim=0))                           # (H,)
    return torch.stack(rows)                                                 # (N, H)


def sense_similarity(vectors: torch.Tensor | np.ndarray, senses: Sequence[str]) -> dict[str, Any]:
    """Cosine similarities between the rows of ``vectors`` (one per sentence) and their mean over
    pairs of sentences with the same sense and with different senses (the diagonal excluded)."""
    v = np.asarray(vectors.detach() if hasattr(vectors, "detach") else vectors, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] != len(senses):
        raise CourseError(f"need one vector per sense label: {v.shape} vs {len(senses)} labels")
    if len(set(senses)) < 2:
        raise CourseError("need sentences of at least two senses")
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    matrix = unit @ unit.T
    labels = np.asarray(senses)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    return {"matrix": matrix, "same": float(matrix[same & off_diagonal].mean()),
            "different": float(matrix[~same].mean())}


# ----------------------------------------------------------------------------------------------
# transfer: feature extraction vs fine-tuning
# ----------------------------------------------------------------------------------------------
@dataclass
class TransferResult:
    """One way of adapting a model to a labelled task: test accuracies, trainable parameters, seconds."""

    method: str
    accuracy: dict[str, float]
    trainable: int
    seconds: float
    losses: list[float] = field(default_factory=list)


def _texts_labels(items: Sequence[Any], what: str) -> tuple[list[str], torch.Tensor]:
    if not items:
        raise CourseError(f"the {what} set is empty")
    try:
        texts = [x.text for x in items]
        labels = torch.tensor([int(x.label) for x in items])
    except AttributeError:
        raise CourseError(f"the {what} set must hold items with .text and .label (data.Labelled)") from None
    if not set(labels.tolist()) <= {0, 1}:
        raise CourseError(f"labels of the {what} set must be 0 or 1")
    if what == "training" and len(set(labels.tolist())) < 2:
        raise CourseError("the training set needs both labels (0 and 1) to learn to tell them apart")
    return texts, labels


def mean_pooled(encoder: nn.Module, tokenizer: Any, texts: Sequence[str], *, max_length: int = 64,
                batch_size: int = 64) -> torch.Tensor:
    """Sentence vectors (N, H): the mean of the encoder's last-layer token vectors over real tokens
    (padding excluded), the pooling MiniLM was trained with. No gradients."""
    encoder.eval()
    return _in_length_order(lambda enc: _pool(encoder(**enc).last_hidden_state, enc["attention_mask"]),
                            tokenizer, texts, max_length, batch_size)


def _in_length_order(fn: Any, tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int) -> torch.Tensor:
    """``fn(batch)`` over ``texts`` in batches of similar length (little padding), without gradients;
    the rows come back in the order of ``texts``."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    rows = []
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = [texts[i] for i in order[start:start + batch_size]]
            rows.append(fn(tokenizer(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")))
    out = torch.cat(rows)
    return out[torch.argsort(torch.tensor(order))]


def _pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)                 # (B, T, 1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1)                # (B, H)


def feature_extraction(encoder: nn.Module, tokenizer: Any, train: Sequence[Any], tests: Mapping[str, Sequence[Any]],
                       *, max_length: int = 64, C: float = 1.0) -> TransferResult:
    """BERT's feature-based approach: the encoder stays frozen; its mean-pooled sentence vectors train a
    logistic regression (H weights + 1 bias: the only trained parameters)."""
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    texts, labels = _texts_labels(train, "training")
    features = mean_pooled(encoder, tokenizer, texts, max_length=max_length).numpy()
    clf = LogisticRegression(C=C, max_iter=2000).fit(features, labels.numpy())
    accuracy = {}
    for name, items in tests.items():
        t_texts, t_labels = _texts_labels(items, name)
        predicted = clf.predict(mean_pooled(encoder, tokenizer, t_texts, max_length=max_length).numpy())
        accuracy[name] = float((predicted == t_labels.numpy()).mean())
    trainable = int(clf.coef_.size + clf.intercept_.size)
    return TransferResult("feature extraction (frozen encoder + logistic regression)", accuracy, trainable,
                          time.perf_counter() - start)


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, generator: torch.Generator,
                            pool: int = 8) -> list[list[int]]:
    """One epoch of batches: shuffle, sort each pool of ``pool`` batches' worth of sentences by length,
    cut it into batches, shuffle the batches. Sentences of similar length share a batch, so little of
    each batch is padding (about half the compute for these short, varied reviews), and the order still
    changes every epoch."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    batches = []
    for start in range(0, len(order), pool * batch_size):
        chunk = sorted(order[start:start + pool * batch_size], key=lambda r: lengths[r])
        batches += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[b] for b in shuffled]


class SentenceClassifier(nn.Module):
    """An encoder plus one dense layer on its mean-pooled sentence vector: the fine-tuning model."""

    def __init__(self, encoder: nn.Module, n_labels: int = 2, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: Any) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kw).last_hidden_state  # (B, T, H)
        return self.head(self.dropout(_pool(hidden, attention_mask)))       # (B, n_labels)


def fine_tune(encoder: nn.Module, tokenizer: Any, train: Sequence[Any], tests: Mapping[str, Sequence[Any]], *,
              epochs: int = 2, lr: float = 5e-5, batch_size: int = 16, max_length: int = 64, seed: int = 0,
              desc: str = "fine-tuning") -> TransferResult:
    """BERT's fine-tuning approach on a copy of ``encoder`` (the original stays untouched): a dense layer
    on the mean-pooled vector, every encoder weight trained with AdamW at a small learning rate and a
    linear decay. The unused pooler is frozen."""
    if epochs < 1 or batch_size < 1:
        raise CourseError(f"epochs and batch_size must be at least 1, got {epochs} and {batch_size}")
    if not 0 < lr < 1e-2:
        raise CourseError(f"fine-tuning needs a small learning rate (BERT used 2e-5 to 5e-5), got {lr}")
    start = time.perf_counter()
    texts, labels = _texts_labels(train, "training")
    torch.manual_seed(seed)
    model = SentenceClassifier(copy.deepcopy(encoder))
    pooler = getattr(model.encoder, "pooler", None)
    if pooler is not None:
        pooler.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    steps = epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / steps)
    generator = torch.Generator().manual_seed(seed)
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    batches: list[list[int]] = []
    model.train()

    def step(i: int) -> float:
        nonlocal batches
        if i % steps_per_epoch == 0:
            batches = length_bucketed_batches(lengths, batch_size, generator)
        rows = batches[i % steps_per_epoch]
        enc = tokenizer([texts[r] for r in rows], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
        logits = model(enc["input_ids"], enc["attention_mask"])            # (B, 2)
        loss = nn.functional.cross_entropy(logits, labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        return loss.item()

    history = fit(step, steps, desc=desc)
    model.eval()
    accuracy = {}
    for name, items in tests.items():
        t_texts, t_labels = _texts_labels(items, name)
        predicted = _in_length_order(lambda enc: model(enc["input_ids"], enc["attention_mask"]).argmax(-1),
                                     tokenizer, t_texts, max_length, 64)
        accuracy[name] = float((predicted == t_labels).float().mean())
    return TransferResult("fine-tuning (encoder + dense layer, all weights trained)", accuracy,
                          sum(p.numel() for p in params), time.perf_counter() - start, history.losses)


def keyword_baseline(train: Sequence[Any], tests: Mapping[str, Sequence[Any]]) -> TransferResult:
    """No pre-training at all: logistic regression on word counts (a bag of words), which can only
    learn which words go with which label, not what "not" or "but" do to them."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    texts, labels = _texts_labels(train, "training")
    vectorizer = CountVectorizer(lowercase=True)
    clf = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(texts), labels.numpy())
    accuracy = {}
    for name, items in tests.items():
        t_texts, t_labels = _texts_labels(items, name)
        accuracy[name] = float((clf.predict(vectorizer.transform(t_texts)) == t_labels.numpy()).mean())
    return TransferResult("keywords (bag of words + logistic regression)", accuracy,
                          int(clf.coef_.size + clf.intercept_.size), time.perf_counter() - start)


# ----------------------------------------------------------------------------------------------
# masked-LM accuracy
# ----------------------------------------------------------------------------------------------
def _mlm_logits(model: nn.Module, **inputs: Any) -> torch.Tensor:
    """Vocabulary logits of a BertForMaskedLM (``.logits``) or a BertForPreTraining (``.prediction_logits``)."""
    out = model(**inputs)
    logits = getattr(out, "logits", None)
    if logits is None:
        logits = getattr(out, "prediction_logits", None)
    if logits is None:
        raise CourseError(f"{type(model).__name__} has no masked-LM head: load the model with task 'masked-lm' "
                          "or 'pretraining'")
    return logits


def masked_token_accuracy(model: nn.Module, tokenizer: Any, sentences: Sequence[str], *, seed: int = 0,
                          mlm_probability: float = 0.15, max_length: int = 64, batch_size: int = 256) -> float:
    """Top-1 accuracy of a masked LM at the positions BERT's masking chooses (15%, 80/10/10; seeded):
    the share of chosen tokens whose original token is the model's first guess."""
    if not sentences:
        raise CourseError("no sentences given")
    generator = torch.Generator().manual_seed(seed)
    right = total = 0
    model.eval()
    for i in range(0, len(sentences), batch_size):
        enc = tokenizer(list(sentences[i:i + batch_size]), padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
        masked = mask_tokens(enc["input_ids"], mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                             special_ids=tokenizer.all_special_ids, mlm_probability=mlm_probability,
                             generator=generator)
        with torch.no_grad():
            logits = _mlm_logits(model, input_ids=masked.input_ids, token_type_ids=enc["token_type_ids"],
                                 attention_mask=enc["attention_mask"])               # (B, T, V)
        chosen = masked.labels != -100                                               # (B, T)
        right += int((logits[chosen].argmax(-1) == masked.labels[chosen]).sum())
        total += int(chosen.sum())
    return right / total


# ----------------------------------------------------------------------------------------------
# BERT cannot generate left to right
# ----------------------------------------------------------------------------------------------
GENERATION_MODES = ("left-to-right", "all-at-once")


def generate_by_filling(model: nn.Module, tokenizer: Any, prompt: str, n_tokens: int, *,
                        mode: str = "left-to-right") -> list[str]:
    """Make a masked LM continue ``prompt`` by filling [MASK] tokens placed after it (greedy, special
    tokens excluded); return the ``n_tokens`` new tokens.

    * ``left-to-right``: put one [MASK] after the text, fill it, put the next [MASK] after that, …;
    * ``all-at-once``: put ``n_tokens`` [MASK]s after the prompt and fill them all from one forward pass.
    """
    require_text(prompt, "prompt")
    if mode not in GENERATION_MODES:
        raise CourseError(f"unknown mode {mode!r}; choose one of {GENERATION_MODES}")
    if not isinstance(n_tokens, int) or n_tokens < 1:
        raise CourseError(f"n_tokens must be a whole number ≥ 1, got {n_tokens!r}")
    cls, sep, mask = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.mask_token_id
    body = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    banned = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    model.eval()

    def predict(ids: list[int]) -> torch.Tensor:
        with torch.no_grad():
            logits = _mlm_logits(model, input_ids=torch.tensor([ids]))[0]     # (T, V)
        logits[:, banned] = float("-inf")
        return logits.argmax(-1)                                            # (T,)

    new: list[int] = []
    if mode == "all-at-once":
        ids = [cls] + body + [mask] * n_tokens + [sep]
        new = predict(ids)[1 + len(body):1 + len(body) + n_tokens].tolist()
    else:
        for _ in range(n_tokens):
            ids = [cls] + body + new + [mask, sep]
            new.append(int(predict(ids)[len(ids) - 2]))
    return tokenizer.convert_ids_to_tokens(new)


__all__ = [
    "KIND_NAMES", "InputBreakdown", "input_breakdown", "bert_parameter_formula", "count_bert_parameters",
    "masking_shares", "maskable", "collator_kinds", "collator_masking", "masking_over_epochs",
    "ever_chosen_share", "contextual_vectors", "sense_similarity", "TransferResult", "mean_pooled",
    "feature_extraction", "length_bucketed_batches", "SentenceClassifier", "fine_tune", "keyword_baseline", "masked_token_accuracy", "GENERATION_MODES",
    "generate_by_filling",
]
