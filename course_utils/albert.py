"""ALBERT (notebook 07): where BERT's parameters are, and the two ways ALBERT removes most of them;
sentence-order prediction (SOP) next to BERT's next-sentence prediction (NSP).

* Counting: ``embedding_parameters`` (V·H vs V·E + E·H), ``attention_parameters`` / ``ffn_parameters``
  (one block each), ``owned_blocks`` (what a shared stack owns) and ``parameter_counts`` (a whole model,
  per component). ``SharedStackAlbert`` builds the four sharing modes of the paper's Table 4 from
  ``transformers``' own ALBERT modules, so the formulas can be checked against ``sum(p.numel())``.
* Sentence pairs: ``sop_pairs`` (a story's consecutive sentences in order or swapped), next to
  ``course_utils.pretraining.nsp_pairs``.
* Baselines without a neural network: ``OverlapBaseline`` and ``CooccurrenceBaseline`` score a pair from
  its words alone; both are symmetric in A and B, so they cannot see order.
* Small pair classifiers: ``train_pair_classifier`` and ``pair_accuracy``.

Shapes in comments: B batch, T tokens, V vocabulary, E embedding size, H hidden size.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn

from .data import words
from .errors import CourseError

__all__ = [
    "SHARING", "MODEL_SIZES", "PAPER_TABLE2", "PAPER_TABLE4", "PAPER_TABLE5", "embedding_parameters", "attention_parameters",
    "FactorisedEmbedding", "ffn_parameters", "owned_blocks", "parameter_counts", "counts_from_config", "SharedStackAlbert",
    "sop_pairs", "OverlapBaseline", "CooccurrenceBaseline", "baseline_accuracies", "pair_classifier_config",
    "encode_pairs", "train_pair_classifier", "pair_accuracy", "model_memory_mb",
]

# The four ways of sharing parameters across layers compared in ALBERT's Table 4.
SHARING = ("not-shared", "shared-attention", "shared-FFN", "all-shared")

# ALBERT-base (L = 12, H = 768, V = 30,000), millions of parameters (Lan et al. 2020, Table 4).
PAPER_TABLE4 = {768: {"not-shared": 108, "shared-attention": 83, "shared-FFN": 57, "all-shared": 31},
                128: {"not-shared": 89, "shared-attention": 64, "shared-FFN": 38, "all-shared": 12}}

# The models of ALBERT's Tables 1 and 2 as (layers L, hidden size H, attention heads): ALBERT has E = 128,
# BERT E = H, and the feed-forward width is 4H in all of them (heads from the released configurations).
MODEL_SIZES = {"BERT-base": (12, 768, 12), "BERT-large": (24, 1024, 16), "ALBERT-base": (12, 768, 12),
               "ALBERT-large": (24, 1024, 16), "ALBERT-xlarge": (24, 2048, 16), "ALBERT-xxlarge": (12, 4096, 64)}

# Lan et al. 2020, Table 2: every model pre-trained for 125k steps on BookCorpus and Wikipedia, dev-set
# results. Parameters in millions; SQuAD as (F1, EM); MNLI, SST-2 and RACE accuracy; "avg" is the paper's
# average over the five tasks (each SQuAD counted as the mean of F1 and EM); "speedup" is training data
# throughput relative to BERT-large.
PAPER_TABLE2 = {
    "BERT-base": {"params_m": 108, "squad11": (90.4, 83.2), "squad20": (80.4, 77.6), "mnli": 84.5, "sst2": 92.8,
                  "race": 68.2, "avg": 82.3, "speedup": 4.7},
    "BERT-large": {"params_m": 334, "squad11": (92.2, 85.5), "squad20": (85.0, 82.2), "mnli": 86.6, "sst2": 93.0,
                   "race": 73.9, "avg": 85.2, "speedup": 1.0},
    "ALBERT-base": {"params_m": 12, "squad11": (89.3, 82.3), "squad20": (80.0, 77.1), "mnli": 81.6, "sst2": 90.3,
                    "race": 64.0, "avg": 80.1, "speedup": 5.6},
    "ALBERT-large": {"params_m": 18, "squad11": (90.6, 83.9), "squad20": (82.3, 79.4), "mnli": 83.5, "sst2": 91.7,
                     "race": 68.5, "avg": 82.4, "speedup": 1.7},
    "ALBERT-xlarge": {"params_m": 60, "squad11": (92.5, 86.1), "squad20": (86.1, 83.1), "mnli": 86.4, "sst2": 92.4,
                      "race": 74.8, "avg": 85.5, "speedup": 0.6},
    "ALBERT-xxlarge": {"params_m": 235, "squad11": (94.1, 88.3), "squad20": (88.1, 85.1), "mnli": 88.0, "sst2": 95.2,
                       "race": 82.3, "avg": 88.7, "speedup": 0.3},
}

# Intrinsic accuracy (%) of the pre-trained heads on each sentence-pair task (Lan et al. 2020, Table 5).
PAPER_TABLE5 = {"NSP": {"NSP": 90.5, "SOP": 52.0}, "SOP": {"NSP": 78.9, "SOP": 86.5}}


# ----------------------------------------------------------------------------------------------
# counting
# ----------------------------------------------------------------------------------------------
def _positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CourseError(f"{name} must be a positive whole number, got {value!r}")


def embedding_parameters(vocab_size: int, hidden: int, embedding: int | None = None) -> int:
    """The token-embedding matrices only (no biases), as in the ALBERT paper's O(V·H) vs O(V·E + E·H).

    BERT (``embedding=None``): one V×H table. ALBERT: a V×E table, then an E×H projection up to the
    hidden size."""
    _positive(vocab_size=vocab_size, hidden=hidden)
    if embedding is None:
        return vocab_size * hidden
    _positive(embedding=embedding)
    return vocab_size * embedding + embedding * hidden


class FactorisedEmbedding(nn.Module):
    """ALBERT's factorised token embedding: a V×E table, then a linear projection from E up to H.

    Each token id picks a row of the small table (E numbers, its context-independent identity); one shared
    E×H matrix maps every row to the hidden size. Without a bias it stores exactly V·E + E·H parameters,
    ``embedding_parameters(V, H, E)``. (``transformers``' ALBERT has a bias on the projection, and applies it
    after adding positions and segment types.)"""

    def __init__(self, vocab_size: int, embedding: int, hidden: int, bias: bool = False) -> None:
        super().__init__()
        _positive(vocab_size=vocab_size, embedding=embedding, hidden=hidden)
        self.table = nn.Embedding(vocab_size, embedding)                  # weight (V, E)
        self.projection = nn.Linear(embedding, hidden, bias=bias)         # weight (H, E)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) → vectors of the hidden size (B, T, H)."""
        small = self.table(input_ids)                                     # (B, T, E)
        return self.projection(small)                                     # (B, T, H)


def attention_parameters(hidden: int) -> int:
    """One self-attention block: Q, K, V and the output projection (H×H weights + H biases each), and
    the LayerNorm after it (scale and shift): 4(H² + H) + 2H."""
    _positive(hidden=hidden)
    return 4 * (hidden * hidden + hidden) + 2 * hidden


def ffn_parameters(hidden: int, ffn: int) -> int:
    """One feed-forward block: H→F and F→H with biases, and the LayerNorm after it: 2HF + F + H + 2H."""
    _positive(hidden=hidden, ffn=ffn)
    return hidden * ffn + ffn + ffn * hidden + hidden + 2 * hidden


def owned_blocks(layers: int, sharing: str) -> tuple[int, int]:
    """How many distinct (attention, feed-forward) blocks a stack of ``layers`` layers owns.

    Every layer still *runs* an attention block and a feed-forward block; sharing means several layers
    run the same weights, so the stack stores fewer of them."""
    _positive(layers=layers)
    if sharing not in SHARING:
        raise CourseError(f"sharing must be one of {SHARING}, got {sharing!r}")
    attention = 1 if sharing in ("shared-attention", "all-shared") else layers
    feed_forward = 1 if sharing in ("shared-FFN", "all-shared") else layers
    return attention, feed_forward


def parameter_counts(vocab_size: int, hidden: int, embedding: int | None, layers: int,
                     sharing: str = "not-shared", *, ffn: int | None = None, positions: int = 512,
                     types: int = 2, pooler: bool = True, projection: bool | None = None) -> dict[str, int]:
    """Parameters of a BERT/ALBERT encoder per component (closed-form; equals ``sum(p.numel())``).

    ``embedding=None`` is BERT: the embeddings have the hidden size and there is no projection.
    ``projection``: whether an E→H linear layer (``embedding_hidden_mapping_in``) follows the embeddings;
    by default only when E ≠ H, as in the original ALBERT code (``transformers``' ``AlbertModel`` always has
    one: pass ``projection=True`` to count it). ``ffn`` defaults to 4H."""
    E = hidden if embedding is None else embedding
    ffn = 4 * hidden if ffn is None else ffn
    _positive(vocab_size=vocab_size, hidden=hidden, embedding=E, layers=layers, ffn=ffn, positions=positions,
              types=types)
    if projection is None:
        projection = E != hidden
    if not projection and E != hidden:
        raise CourseError(f"without a projection the embedding size must equal the hidden size, got E={E}, H={hidden}")
    n_attention, n_ffn = owned_blocks(layers, sharing)
    return {
        "token embeddings": vocab_size * E,
        "positions, types, LayerNorm": positions * E + types * E + 2 * E,
        "E×H projection": E * hidden + hidden if projection else 0,
        "attention": n_attention * attention_parameters(hidden),
        "feed-forward": n_ffn * ffn_parameters(hidden, ffn),
        "pooler": hidden * hidden + hidden if pooler else 0,
    }


def counts_from_config(config: Any, sharing: str | None = None) -> dict[str, int]:
    """``parameter_counts`` for a ``transformers`` ``BertConfig`` or ``AlbertConfig`` (as ``BertModel`` /
    ``AlbertModel`` build it: with a pooler; ALBERT always with the projection, sharing all layers when
    ``num_hidden_groups`` is 1)."""
    is_albert = getattr(config, "model_type", "") == "albert"
    if sharing is None:
        if is_albert and config.num_hidden_groups != 1:
            raise CourseError("counts_from_config covers num_hidden_groups = 1 (all layers shared)")
        sharing = "all-shared" if is_albert else "not-shared"
    return parameter_counts(
        config.vocab_size, config.hidden_size, config.embedding_size if is_albert else None,
        config.num_hidden_layers, sharing, ffn=config.intermediate_size,
        positions=config.max_position_embeddings, types=config.type_vocab_size, projection=is_albert)


class SharedStackAlbert(nn.Module):
    """An ALBERT encoder whose layers share nothing, the attention, the feed-forward block, or everything.

    Built from ``transformers``' own ``AlbertEmbeddings`` and ``AlbertLayer``: layer ``i`` is a fresh
    ``AlbertLayer`` whose shared parts are *the same module objects* as layer 0's. ``model.parameters()``
    yields a shared tensor once, so ``sum(p.numel())`` counts what the model stores.
    With ``sharing="all-shared"`` this is ``AlbertModel``: ``load_albert`` copies its weights in.
    """

    def __init__(self, config: Any, sharing: str = "all-shared", projection: bool = True) -> None:
        super().__init__()
        from transformers.models.albert.modeling_albert import AlbertEmbeddings, AlbertLayer

        owned_blocks(config.num_hidden_layers, sharing)   # validates ``sharing``
        if not projection and config.embedding_size != config.hidden_size:
            raise CourseError("projection=False needs embedding_size == hidden_size")
        self.config, self.sharing = config, sharing
        self.embeddings = AlbertEmbeddings(config)
        self.embedding_hidden_mapping_in = (nn.Linear(config.embedding_size, config.hidden_size) if projection
                                            else nn.Identity())
        first = AlbertLayer(config)
        layers = [first]
        for _ in range(1, config.num_hidden_layers):
            if sharing == "all-shared":
                layers.append(first)
                continue
            layer = AlbertLayer(config)
            if sharing == "shared-attention":
                layer.attention = first.attention
            if sharing == "shared-FFN":
                layer.ffn, layer.ffn_output = first.ffn, first.ffn_output
                layer.full_layer_layer_norm = first.full_layer_layer_norm
            layers.append(layer)
        self.layers = nn.ModuleList(layers)      # all-shared: one module, listed L times
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (last hidden states (B, T, H), pooled [CLS] (B, H)), as ``AlbertModel`` does."""
        from transformers.masking_utils import create_bidirectional_mask

        x = self.embeddings(input_ids, token_type_ids=token_type_ids)              # (B, T, E)
        mask = create_bidirectional_mask(self.config, x, attention_mask)  # (config, embeddings, mask): positional,
        # since transformers renamed the second argument (input_embeds → inputs_embeds) within 5.x
        x = self.embedding_hidden_mapping_in(x)                                    # (B, T, H)
        for layer in self.layers:
            x = layer(x, mask)                                                     # (B, T, H)
        pooled = torch.tanh(self.pooler(x[:, 0]))                                  # (B, H)
        return x, pooled

    @torch.no_grad()
    def load_albert(self, albert: Any) -> SharedStackAlbert:
        """Copy the weights of a ``transformers`` ``AlbertModel`` (one layer group) into this all-shared stack."""
        if self.sharing != "all-shared" or len(albert.encoder.albert_layer_groups) != 1:
            raise CourseError("load_albert copies an AlbertModel with one layer group into sharing='all-shared'")
        self.embeddings.load_state_dict(albert.embeddings.state_dict())
        self.embedding_hidden_mapping_in.load_state_dict(albert.encoder.embedding_hidden_mapping_in.state_dict())
        self.layers[0].load_state_dict(albert.encoder.albert_layer_groups[0].albert_layers[0].state_dict())
        self.pooler.load_state_dict(albert.pooler.state_dict())
        return self


def model_memory_mb(model: nn.Module) -> float:
    """Megabytes the parameters occupy (float32: 4 bytes each); Adam keeps two more copies while training."""
    return sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20


# ----------------------------------------------------------------------------------------------
# sentence pairs
# ----------------------------------------------------------------------------------------------
def sop_pairs(stories: Sequence[Sequence[str]], rng: random.Random) -> list[tuple[str, str, int]]:
    """Sentence-order prediction pairs: every two consecutive sentences of a story, as (A, B, label).

    Label 0: in their order (B follows A); label 1: swapped (A follows B), half and half by ``rng``.
    Both sentences always come from the same story, so topic says nothing: only order does. The label
    ids follow ``transformers``' ``sentence_order_label`` (0 = original order)."""
    pairs = []
    for story in stories:
        for j in range(len(story) - 1):
            if rng.random() < 0.5:
                pairs.append((story[j], story[j + 1], 0))
            else:
                pairs.append((story[j + 1], story[j], 1))
    return pairs


def _check_pairs(pairs: Sequence[tuple[str, str, int]]) -> None:
    if not pairs:
        raise CourseError("no sentence pairs given")
    labels = {label for _, _, label in pairs}
    if not labels <= {0, 1}:
        raise CourseError(f"pair labels must be 0 (coherent: next / in order) or 1, got {sorted(labels)}")


class OverlapBaseline:
    """No neural network: the share of words two sentences have in common (Jaccard), and one threshold.

    Predicts 0 (coherent) when the overlap is at least the threshold learned on training pairs. The
    score is symmetric: (A, B) and (B, A) get the same answer."""

    def __init__(self) -> None:
        self.threshold = 0.0

    @staticmethod
    def score(a: str, b: str) -> float:
        wa, wb = set(words(a)), set(words(b))
        return len(wa & wb) / max(1, len(wa | wb))

    def fit(self, pairs: Sequence[tuple[str, str, int]]) -> OverlapBaseline:
        _check_pairs(pairs)
        scored = [(self.score(a, b), label) for a, b, label in pairs]
        best = (-1, 0.0)
        for t in sorted({s for s, _ in scored}):
            correct = sum((s >= t) == (label == 0) for s, label in scored)
            best = max(best, (correct, -t))       # ties: the smallest threshold
        self.threshold = -best[1]
        return self

    def predict(self, a: str, b: str) -> int:
        return 0 if self.score(a, b) >= self.threshold else 1


class CooccurrenceBaseline:
    """No neural network: naive Bayes over the unordered word pairs {a, b}, a from A and b from B.

    It learns which words go together in coherent pairs (topic: "exam" with "library") and which do not.
    An unordered pair is the same whichever sentence comes first, so it cannot see order either."""

    def __init__(self, smoothing: float = 1.0) -> None:
        self.smoothing = smoothing
        self.counts: list[Counter[tuple[str, str]]] = [Counter(), Counter()]
        self.priors = [0.5, 0.5]

    @staticmethod
    def features(a: str, b: str) -> list[tuple[str, str]]:
        return sorted({tuple(sorted((x, y))) for x in set(words(a)) for y in set(words(b))})

    def fit(self, pairs: Sequence[tuple[str, str, int]]) -> CooccurrenceBaseline:
        _check_pairs(pairs)
        n = Counter(label for _, _, label in pairs)
        self.priors = [n[0] / len(pairs), n[1] / len(pairs)]
        for a, b, label in pairs:
            self.counts[label].update(self.features(a, b))
        self.vocab = set(self.counts[0]) | set(self.counts[1])
        self.totals = [sum(c.values()) for c in self.counts]
        return self

    def log_odds(self, a: str, b: str) -> float:
        """log P(coherent | words) − log P(not | words), naive Bayes with add-``smoothing``."""
        k, size = self.smoothing, len(self.vocab) + 1
        odds = math.log(max(self.priors[0], 1e-12)) - math.log(max(self.priors[1], 1e-12))
        for f in self.features(a, b):
            odds += math.log((self.counts[0][f] + k) / (self.totals[0] + k * size))
            odds -= math.log((self.counts[1][f] + k) / (self.totals[1] + k * size))
        return odds

    def predict(self, a: str, b: str) -> int:
        return 0 if self.log_odds(a, b) >= 0 else 1


def baseline_accuracies(train: dict[str, Sequence[tuple[str, str, int]]],
                        test: dict[str, Sequence[tuple[str, str, int]]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Fit each baseline on each task's training pairs; return {baseline: {task: (correct, total)}} on its
    test pairs."""
    if set(train) != set(test):
        raise CourseError(f"train and test must name the same tasks, got {sorted(train)} and {sorted(test)}")
    table: dict[str, dict[str, tuple[int, int]]] = {}
    for name, cls in (("word overlap (Jaccard + threshold)", OverlapBaseline),
                      ("word co-occurrence (naive Bayes)", CooccurrenceBaseline)):
        table[name] = {}
        for task in train:
            model = cls().fit(train[task])
            _check_pairs(test[task])
            correct = sum(model.predict(a, b) == label for a, b, label in test[task])
            table[name][task] = (correct, len(test[task]))
    return table


# ----------------------------------------------------------------------------------------------
# small neural pair classifiers: [CLS] A [SEP] B [SEP] -> coherent or not
# ----------------------------------------------------------------------------------------------
def pair_classifier_config(vocab_size: int, hidden: int = 64, layers: int = 1, heads: int = 2) -> Any:
    """A tiny BERT configuration for sequence-pair classification (2 labels), trained from scratch."""
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=64,
                      num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str, int]], max_len: int = 48) -> dict[str, torch.Tensor]:
    """Tokenise (A, B, label) pairs as ``[CLS] A [SEP] B [SEP]`` with segment ids; padded tensors."""
    _check_pairs(pairs)
    enc = tokenizer([a for a, _, _ in pairs], [b for _, b, _ in pairs], truncation=True, max_length=max_len,
                    padding=True, return_tensors="pt")
    enc = dict(enc)
    enc["labels"] = torch.tensor([label for _, _, label in pairs])               # (N,)
    return enc


def train_pair_classifier(tokenizer: Any, pairs: Sequence[tuple[str, str, int]], *, steps: int = 200,
                          batch: int = 64, lr: float = 2e-3, seed: int = 0, desc: str = "pair classifier",
                          config: Any = None) -> tuple[Any, Any]:
    """Train a tiny BERT from scratch to tell coherent pairs (label 0) from the rest (label 1).

    Returns (model in eval mode, ``course_utils.train.History``). Deterministic for a given ``seed``."""
    from transformers import BertForSequenceClassification

    from .train import fit

    data = encode_pairs(tokenizer, pairs)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config or pair_classifier_config(len(tokenizer)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(seed)
    n = data["labels"].shape[0]
    model.train()

    def step(i: int) -> float:
        rows = torch.randint(0, n, (batch,), generator=generator)                 # (B,)
        width = int(data["attention_mask"][rows].sum(1).max())                     # drop all-padding columns
        batch_inputs = {k: v[rows][:, :width] if v.dim() == 2 else v[rows] for k, v in data.items()}
        loss = model(**batch_inputs).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        return loss.item()

    history = fit(step, steps, desc=desc)
    model.eval()
    return model, history


@torch.no_grad()
def pair_accuracy(model: Any, tokenizer: Any, pairs: Sequence[tuple[str, str, int]], *, head: str = "logits",
                  batch: int = 256) -> float:
    """Accuracy of a pair classifier on (A, B, label) pairs; label 0 = coherent (IsNext / in order).

    ``head`` is the output field to read: ``"logits"`` for a sequence classifier,
    ``"seq_relationship_logits"`` for BERT's NSP head, ``"sop_logits"`` for ALBERT's SOP head."""
    data = encode_pairs(tokenizer, pairs)
    labels = data.pop("labels")
    correct = 0
    for start in range(0, labels.shape[0], batch):
        chunk = {k: v[start:start + batch] for k, v in data.items()}
        logits = getattr(model(**chunk), head)                                      # (b, 2)
        correct += int((logits.argmax(-1) == labels[start:start + batch]).sum())
    return correct / labels.shape[0]
