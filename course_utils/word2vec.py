"""word2vec from scratch: the reusable pieces of notebook 02.

Training examples (skip-gram pairs and CBOW windows, a readable version for one sentence and a vectorised
one for a whole corpus), the two sampling tables of Mikolov et al. (2013b) — the unigram^0.75 noise table
for negative sampling and the subsampling probabilities P(discard) = 1 − √(t / f(w)) — and a small,
fast trainer: skip-gram or CBOW, negative sampling or a full softmax, in PyTorch with sparse updates.

>>> skipgram_pairs(["하루", "커피", "최소", "3잔은", "마셔야"], window=2)[:3]
[('하루', '커피'), ('하루', '최소'), ('커피', '하루')]
>>> cbow_examples(["하루", "커피", "최소"], window=1)[1]
(('하루', '최소'), '커피')
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .embeddings import WordVectors, _check_sentences
from .errors import CourseError
from .train import History

__all__ = [
    "skipgram_pairs", "cbow_examples", "Vocab", "window_pairs", "cbow_windows", "noise_probabilities",
    "noise_table", "discard_probabilities", "subsample_mask", "SkipGramNS", "SkipGramSoftmax", "CBOWNS",
    "Word2VecConfig", "Word2VecResult", "train_word2vec", "negative_sampling_loss", "huffman_tree",
    "hs_probability",
]


# ----------------------------------------------------------------------------------------------
# training examples for one sentence: the readable version
# ----------------------------------------------------------------------------------------------
def _check_window(window: int) -> None:
    if not isinstance(window, int | np.integer) or isinstance(window, bool) or window < 1:
        raise CourseError(f"window must be a positive integer (words on each side), got {window!r}")


def _check_words(words: Sequence[str]) -> list[str]:
    if isinstance(words, str):
        raise CourseError("pass a list of words, not one string: e.g. data.words(sentence)")
    return list(words)


def skipgram_pairs(words: Sequence[str], window: int = 2) -> list[tuple[str, str]]:
    """Skip-gram's (target, context) pairs: every word with each word up to ``window`` positions away.

    Ordered by target position, then by context position (left to right).
    """
    words = _check_words(words)
    _check_window(window)
    pairs = []
    for i, target in enumerate(words):
        for j in range(max(0, i - window), min(len(words), i + window + 1)):
            if j != i:
                pairs.append((target, words[j]))
    return pairs


def cbow_examples(words: Sequence[str], window: int = 2) -> list[tuple[tuple[str, ...], str]]:
    """CBOW's (context words, target) examples: the words around each position predict the word there."""
    words = _check_words(words)
    _check_window(window)
    examples = []
    for i, target in enumerate(words):
        context = tuple(words[j] for j in range(max(0, i - window), min(len(words), i + window + 1)) if j != i)
        examples.append((context, target))
    return examples


# ----------------------------------------------------------------------------------------------
# a vocabulary and a corpus as integer arrays
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocab:
    """Words by falling frequency (ties: first appearance), their counts, and word → id."""

    words: tuple[str, ...]
    counts: np.ndarray
    index: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], *, min_count: int = 1,
              max_size: int | None = None) -> Vocab:
        """The words seen at least ``min_count`` times, the ``max_size`` most frequent if given."""
        counter: Counter[str] = Counter()
        for sentence in _check_sentences(sentences):
            counter.update(sentence)
        ranked = sorted((w for w, n in counter.items() if n >= min_count), key=lambda w: -counter[w])
        if max_size is not None:
            ranked = ranked[:max_size]
        if not ranked:
            raise CourseError("the vocabulary is empty: no sentences, or min_count is too high")
        counts = np.array([counter[w] for w in ranked], dtype=np.int64)
        return cls(tuple(ranked), counts, {w: i for i, w in enumerate(ranked)})

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentences: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The corpus as two aligned arrays: token ids and the sentence number of each token.

        Words outside the vocabulary are dropped (as gensim does), so their neighbours become adjacent.
        """
        ids, sentence_of = [], []
        for number, sentence in enumerate(_check_sentences(sentences)):
            kept = [self.index[w] for w in sentence if w in self.index]
            ids.extend(kept)
            sentence_of.extend([number] * len(kept))
        return np.array(ids, dtype=np.int64), np.array(sentence_of, dtype=np.int64)


# ----------------------------------------------------------------------------------------------
# training examples for a whole corpus: vectorised
# ----------------------------------------------------------------------------------------------
def _reduced_windows(n: int, window: int, rng: np.random.Generator | None) -> np.ndarray:
    """word2vec's dynamic window: each position looks b ~ U{1..window} words each way (nearer = likelier)."""
    if rng is None:
        return np.full(n, window, dtype=np.int64)
    return rng.integers(1, window + 1, size=n)


def window_pairs(ids: np.ndarray, sentence_of: np.ndarray, window: int, *,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All skip-gram (center, context) id pairs of a corpus at once, without a Python loop over tokens.

    For each distance d = 1..window, position i pairs with i + d when both are in the same sentence. With
    ``rng``, each position uses word2vec's random reduced window. Returns two (N,) arrays, grouped by d.
    """
    _check_window(window)
    ids, sentence_of = np.asarray(ids), np.asarray(sentence_of)
    if ids.shape != sentence_of.shape or ids.ndim != 1:
        raise CourseError(f"ids and sentence_of must be 1-D and aligned, got {ids.shape} and {sentence_of.shape}")
    reach = _reduced_windows(len(ids), window, rng)                     # (T,) words each side
    centers, contexts = [], []
    for d in range(1, window + 1):
        left, right = np.arange(len(ids) - d), np.arange(d, len(ids))   # (T-d,) positions d apart
        same = sentence_of[left] == sentence_of[right]                  # (T-d,)
        forward = same & (reach[left] >= d)                             # left looks right
        backward = same & (reach[right] >= d)                           # right looks left
        centers += [ids[left[forward]], ids[right[backward]]]
        contexts += [ids[right[forward]], ids[left[backward]]]
    return np.concatenate(centers), np.concatenate(contexts)


def cbow_windows(ids: np.ndarray, sentence_of: np.ndarray, window: int, *, pad: int,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CBOW examples of a corpus: (contexts (N, 2·window), targets (N,)); missing context slots hold ``pad``.

    Positions with no context word at all (one-word sentences) are left out.
    """
    _check_window(window)
    ids, sentence_of = np.asarray(ids), np.asarray(sentence_of)
    n = len(ids)
    reach = _reduced_windows(n, window, rng)                            # (T,)
    positions = np.arange(n)
    offsets = [d for d in range(-window, window + 1) if d != 0]
    contexts = np.full((n, len(offsets)), pad, dtype=np.int64)          # (T, 2W)
    for column, d in enumerate(offsets):
        other = positions + d                                           # (T,)
        ok = (other >= 0) & (other < n) & (abs(d) <= reach)
        ok[ok] &= sentence_of[other[ok]] == sentence_of[positions[ok]]
        contexts[ok, column] = ids[other[ok]]
    has_context = (contexts != pad).any(axis=1)
    return contexts[has_context], ids[has_context]


# ----------------------------------------------------------------------------------------------
# the sampling tables of Mikolov et al. (2013b)
# ----------------------------------------------------------------------------------------------
def _check_counts(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts <= 0).any():
        raise CourseError("counts must be a non-empty 1-D sequence of positive word counts")
    return counts


def noise_probabilities(counts: Sequence[int] | np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling noise distribution U(w)^power / Z (power 3/4 in the paper)."""
    weights = _check_counts(counts) ** power
    return weights / weights.sum()


def noise_table(counts: Sequence[int] | np.ndarray, size: int = 1_000_000, power: float = 0.75) -> np.ndarray:
    """word2vec.c's unigram table: word ids repeated in proportion to U(w)^power, so that a uniform random
    index into it draws a negative in O(1): ``table[rng.integers(len(table), size=k)]``."""
    if size < len(np.atleast_1d(counts)):
        raise CourseError(f"the table needs at least one slot per word: size {size} < {len(counts)} words")
    cumulative = np.cumsum(noise_probabilities(counts, power))          # (V,)
    slots = (np.arange(size) + 0.5) / size                              # (size,) evenly spaced in (0, 1)
    return np.minimum(np.searchsorted(cumulative, slots), len(cumulative) - 1)


def huffman_tree(counts: Sequence[int] | np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """word2vec's Huffman tree over the vocabulary (Mikolov et al. 2013a, §3.1): frequent words get short codes.

    Returns, for each word, its ``code`` (the 0/1 turns from the root down to the word) and its ``path`` (the
    inner nodes it passes, root first). The V − 1 inner nodes are numbered 0 … V − 2; the root is V − 2.
    """
    counts = _check_counts(counts)
    V = len(counts)
    if V < 2:
        raise CourseError("a Huffman tree needs at least 2 words")
    heap = [(float(n), node) for node, n in enumerate(counts)]          # leaves 0..V-1, inner nodes V..2V-2
    heapq.heapify(heap)
    parent = np.zeros(2 * V - 1, dtype=np.int64)
    turn = np.zeros(2 * V - 1, dtype=np.int64)
    for inner in range(V, 2 * V - 1):                                   # merge the two rarest, V − 1 times
        count_0, node_0 = heapq.heappop(heap)
        count_1, node_1 = heapq.heappop(heap)
        parent[node_0], turn[node_0] = inner, 0
        parent[node_1], turn[node_1] = inner, 1
        heapq.heappush(heap, (count_0 + count_1, inner))
    root = 2 * V - 2
    codes, paths = [], []
    for word in range(V):
        code, path, node = [], [], word
        while node != root:                                             # climb to the root, then reverse
            code.append(int(turn[node]))
            path.append(int(parent[node]) - V)
            node = parent[node]
        codes.append(code[::-1])
        paths.append(path[::-1])
    return codes, paths


def hs_probability(center: torch.Tensor, inner: torch.Tensor, code: Sequence[int], path: Sequence[int]) -> torch.Tensor:
    """Hierarchical softmax: P(w | c) = Π over the inner nodes n on w's path of σ(±u_n·v_c).

    center (D,) is v_c; inner (V − 1, D) holds one vector u_n per inner node; a 0 turn takes σ(u_n·v_c), a 1
    turn σ(−u_n·v_c) (word2vec.c's convention). At every node the two turns sum to 1, so P sums to 1 over V.
    """
    if len(code) != len(path) or not code:
        raise CourseError("code and path must be non-empty and of the same length (from huffman_tree)")
    signs = 1.0 - 2.0 * torch.tensor(code, dtype=center.dtype)          # (L,) +1 for a 0 turn, −1 for a 1
    scores = inner[torch.tensor(path)] @ center                         # (L,) u_n·v_c along the path
    return torch.sigmoid(signs * scores).prod()                         # ()


def discard_probabilities(counts: Sequence[int] | np.ndarray, t: float = 1e-3) -> np.ndarray:
    """Subsampling: P(discard w) = max(0, 1 − √(t / f(w))), f(w) = the word's share of all tokens."""
    if not t > 0:
        raise CourseError(f"the threshold t must be positive (the paper uses about 1e-5), got {t!r}")
    counts = _check_counts(counts)
    frequency = counts / counts.sum()
    return np.maximum(0.0, 1.0 - np.sqrt(t / frequency))


def subsample_mask(ids: np.ndarray, discard: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask over tokens: True = keep (each token survives with 1 − P(discard) of its word)."""
    return rng.random(len(ids)) >= discard[ids]


# ----------------------------------------------------------------------------------------------
# the models
# ----------------------------------------------------------------------------------------------
def negative_sampling_loss(center: torch.Tensor, context: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c), summed over the batch (Mikolov et al. 2013b, eq. 4).

    center (B, D) input vectors v_c; context (B, D) output vectors u_o; noise (B, K, D) output vectors u_k.
    """
    positive = (center * context).sum(-1)                               # (B,)
    negative = torch.bmm(noise, center.unsqueeze(2)).squeeze(2)         # (B, K)
    return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(-1)).sum()


def _negative_sampling_update(v: torch.Tensor, C: torch.Tensor, contexts: torch.Tensor, noise: torch.Tensor,
                              lr: float) -> tuple[torch.Tensor, float]:
    """The hand-written gradient of ``negative_sampling_loss``: update the output rows C in place, return
    ∂L/∂v (B, D) and the loss. With σ' = σ(1 − σ): ∂/∂x of −log σ(x) is σ(x) − 1, of −log σ(−x) is σ(x)."""
    u = C[contexts]                                                     # (B, D)
    n = C[noise]                                                        # (B, K, D)
    positive = (v * u).sum(-1)                                          # (B,)
    negative = torch.bmm(n, v.unsqueeze(2)).squeeze(2)                  # (B, K)
    g_pos = torch.sigmoid(positive) - 1.0                               # (B,)   ∂L/∂(u_o·v)
    g_neg = torch.sigmoid(negative)                                     # (B, K) ∂L/∂(u_k·v)
    grad_v = g_pos.unsqueeze(1) * u + torch.bmm(g_neg.unsqueeze(1), n).squeeze(1)  # (B, D)
    grad_u = g_pos.unsqueeze(1) * v                                     # (B, D)
    grad_n = g_neg.unsqueeze(2) * v.unsqueeze(1)                        # (B, K, D)
    C.index_add_(0, contexts, grad_u, alpha=-lr)
    C.index_add_(0, noise.reshape(-1), grad_n.reshape(-1, v.shape[1]), alpha=-lr)
    loss = -(F.logsigmoid(positive).sum() + F.logsigmoid(-negative).sum())
    return grad_v, float(loss)


def _input_init(vocab_size: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    # word2vec.c: input vectors uniform in ±0.5/dim, output vectors zero
    return (torch.rand(vocab_size, dim, generator=generator) - 0.5) / dim


class SkipGramNS(nn.Module):
    """Skip-gram with negative sampling: the center word's vector v_c scores its context u_o against noise."""

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab_size, dim, sparse=True)          # v: the word vectors we keep
        self.context = nn.Embedding(vocab_size, dim, sparse=True)       # u: output ("context") vectors
        with torch.no_grad():
            self.word.weight.copy_(_input_init(vocab_size, dim, generator))
            self.context.weight.zero_()

    def forward(self, centers: torch.Tensor, contexts: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        # centers (B,), contexts (B,), noise (B, K) word ids -> the summed loss
        return negative_sampling_loss(self.word(centers), self.context(contexts), self.context(noise))

    @torch.no_grad()
    def sgd_step(self, centers: torch.Tensor, contexts: torch.Tensor, noise: torch.Tensor, lr: float) -> float:
        """One SGD step with the gradients written out (what gensim's C loop does, a batch at a time):
        only the rows of the batch's words change. Returns the summed loss before the step."""
        W, C = self.word.weight, self.context.weight                     # (V, D), (V, D)
        v = W[centers]                                                  # (B, D)
        grad_v, loss = _negative_sampling_update(v, C, contexts, noise, lr)
        W.index_add_(0, centers, grad_v, alpha=-lr)                     # v_c -= lr · ∂L/∂v_c
        return loss


class CBOWNS(nn.Module):
    """CBOW with negative sampling: the mean of the context words' vectors scores the target word."""

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator) -> None:
        super().__init__()
        # one extra row, the padding id vocab_size, is left out of the mean (windows cut by a sentence end)
        self.word = nn.EmbeddingBag(vocab_size + 1, dim, mode="mean", sparse=True, padding_idx=vocab_size)
        self.context = nn.Embedding(vocab_size, dim, sparse=True)
        with torch.no_grad():
            self.word.weight[:vocab_size].copy_(_input_init(vocab_size, dim, generator))
            self.word.weight[vocab_size].zero_()
            self.context.weight.zero_()

    def forward(self, windows: torch.Tensor, targets: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        # windows (B, 2W) context ids (padded), targets (B,), noise (B, K) -> the summed loss
        hidden = self.word(windows)                                     # (B, D) mean of the context vectors
        return negative_sampling_loss(hidden, self.context(targets), self.context(noise))

    @torch.no_grad()
    def sgd_step(self, windows: torch.Tensor, targets: torch.Tensor, noise: torch.Tensor, lr: float) -> float:
        """One SGD step with the gradients written out; each context word gets 1/n of ∂L/∂h."""
        W, C = self.word.weight, self.context.weight                     # (V+1, D), (V, D)
        pad = W.shape[0] - 1
        present = (windows != pad).to(W.dtype)                          # (B, 2W)
        n = present.sum(1, keepdim=True)                                # (B, 1) context words per example
        hidden = W[windows].sum(1) / n                                  # (B, D); the pad row is zero
        grad_h, loss = _negative_sampling_update(hidden, C, targets, noise, lr)
        per_word = (grad_h / n).unsqueeze(1) * present.unsqueeze(2)     # (B, 2W, D)
        W.index_add_(0, windows.reshape(-1), per_word.reshape(-1, W.shape[1]), alpha=-lr)
        W[pad].zero_()
        return loss


class SkipGramSoftmax(nn.Module):
    """Skip-gram with the full softmax: P(o | c) = exp(u_o·v_c) / Σ_w exp(u_w·v_c), over all V words."""

    def __init__(self, vocab_size: int, dim: int, generator: torch.Generator) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab_size, dim, sparse=True)          # v
        self.context = nn.Linear(dim, vocab_size, bias=False)           # u: every row is used every step
        with torch.no_grad():
            self.word.weight.copy_(_input_init(vocab_size, dim, generator))
            self.context.weight.zero_()

    def forward(self, centers: torch.Tensor, contexts: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.context(self.word(centers))                       # (B, V): a score for every word
        return F.cross_entropy(logits, contexts, reduction="sum")


# ----------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------
@dataclass
class Word2VecConfig:
    """Settings; the defaults follow gensim's ``Word2Vec`` (window 5 there, 3 here for a small corpus)."""

    model: str = "skipgram"        # "skipgram" or "cbow"
    objective: str = "negative"    # "negative" (sampling) or "softmax" (skip-gram only)
    dim: int = 50
    window: int = 3
    negatives: int = 5
    sample: float = 1e-3           # subsampling threshold t; 0 turns subsampling off
    epochs: int = 10
    lr: float = 0.025              # linearly decayed to min_lr, as in word2vec.c and gensim
    min_lr: float = 1e-4
    batch_size: int = 4096         # larger batches sum too many updates to one row and can diverge
    min_count: int = 1
    seed: int = 0

    def check(self) -> None:
        if self.model not in ("skipgram", "cbow"):
            raise CourseError(f"model must be 'skipgram' or 'cbow', got {self.model!r}")
        if self.objective not in ("negative", "softmax"):
            raise CourseError(f"objective must be 'negative' or 'softmax', got {self.objective!r}")
        if self.objective == "softmax" and self.model != "skipgram":
            raise CourseError("the full softmax is implemented for skip-gram only")
        for name in ("dim", "window", "epochs", "batch_size", "min_count"):
            if int(getattr(self, name)) < 1:
                raise CourseError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.objective == "negative" and self.negatives < 1:
            raise CourseError(f"negatives must be at least 1, got {self.negatives!r}")


@dataclass
class Word2VecResult:
    """A trained model, its vocabulary, the per-batch losses (per example) and the wall time."""

    vocab: Vocab
    model: nn.Module
    history: History
    seconds: float
    examples: int

    def vectors(self, name: str = "word2vec") -> WordVectors:
        """The input vectors v (one row per vocabulary word), the vectors word2vec keeps."""
        weight = self.model.word.weight.detach()[: len(self.vocab)]
        return WordVectors(self.vocab.words, weight.numpy().copy(), name=name)


def _epoch_examples(config: Word2VecConfig, ids: np.ndarray, sentence_of: np.ndarray, discard: np.ndarray | None,
                    rng: np.random.Generator, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's shuffled examples: subsample the tokens, then cut windows (rows: inputs, targets)."""
    if discard is not None:
        keep = subsample_mask(ids, discard, rng)
        ids, sentence_of = ids[keep], sentence_of[keep]
    if config.model == "skipgram":
        inputs, targets = window_pairs(ids, sentence_of, config.window, rng=rng)
    else:
        inputs, targets = cbow_windows(ids, sentence_of, config.window, pad=pad, rng=rng)
    order = rng.permutation(len(targets))
    return inputs[order], targets[order]


def train_word2vec(sentences: Iterable[Sequence[str]], config: Word2VecConfig | None = None, *,
                   vocab: Vocab | None = None, progress: bool = True, desc: str | None = None) -> Word2VecResult:
    """Train skip-gram or CBOW from scratch with plain SGD and sparse gradients.

    Each epoch subsamples the corpus, builds every example with numpy (``window_pairs`` /
    ``cbow_windows``), shuffles them and walks through them in batches; negatives come from the
    unigram^0.75 ``noise_table``. Only the rows a batch touches are updated (``sparse=True``).
    """
    config = config or Word2VecConfig()
    config.check()
    sentences = _check_sentences(sentences)
    vocab = vocab or Vocab.build(sentences, min_count=config.min_count)
    ids, sentence_of = vocab.encode(sentences)
    if len(ids) < 2:
        raise CourseError("the corpus has fewer than 2 vocabulary tokens: nothing to train on")
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    V = len(vocab)
    if config.objective == "softmax":
        model: nn.Module = SkipGramSoftmax(V, config.dim, generator)
    elif config.model == "skipgram":
        model = SkipGramNS(V, config.dim, generator)
    else:
        model = CBOWNS(V, config.dim, generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr) if config.objective == "softmax" else None
    table = torch.from_numpy(noise_table(vocab.counts))
    discard = discard_probabilities(vocab.counts, config.sample) if config.sample > 0 else None
    # the learning rate decays over the expected number of examples; estimate it from the first epoch
    history = History()
    start = time.perf_counter()
    seen, total = 0, None
    bar = tqdm(range(config.epochs), desc=desc or f"{config.model} ({config.objective})", unit="epoch",
               leave=False, disable=not progress)
    for _ in bar:
        inputs, targets = _epoch_examples(config, ids, sentence_of, discard, rng, pad=V)
        inputs_t, targets_t = torch.from_numpy(inputs), torch.from_numpy(targets)
        if total is None:
            total = len(targets) * config.epochs
        for begin in range(0, len(targets), config.batch_size):
            x = inputs_t[begin:begin + config.batch_size]               # (B,) or (B, 2W)
            y = targets_t[begin:begin + config.batch_size]              # (B,)
            noise = None
            if config.objective == "negative":
                slots = torch.randint(len(table), (len(y), config.negatives), generator=generator)
                noise = table[slots]                                    # (B, K)
            lr = config.lr - (config.lr - config.min_lr) * min(1.0, seen / total)
            if optimizer is None:                                       # negative sampling: hand-written step
                loss = model.sgd_step(x, y, noise, lr)
            else:                                                       # full softmax: autograd and SGD
                for group in optimizer.param_groups:
                    group["lr"] = lr
                loss_t = model(x, y)
                optimizer.zero_grad(set_to_none=True)
                loss_t.backward()
                optimizer.step()
                loss = loss_t.item()
            if not np.isfinite(loss):
                raise CourseError(f"the loss became {loss} at example {seen:,}: lower lr or batch_size")
            history.losses.append(loss / len(y))
            seen += len(y)
        bar.set_postfix(loss=f"{np.mean(history.losses[-50:]):.3f}")
    bar.close()
    return Word2VecResult(vocab, model, history, time.perf_counter() - start, seen)
