"""The Unigram language-model tokenizer from scratch (Kudo 2018), notebook 03.

A Unigram model is a set of pieces with log-probabilities. A word's segmentation is a path through the
lattice of its pieces, and its probability is the product of the pieces' probabilities:

- ``viterbi`` finds the most probable segmentation; given SentencePiece's own piece scores (and text
  normalised with NFKC, as SentencePiece does first) it gives SentencePiece's segmentation
  (``tests/test_nb03_unigram.py``);
- ``expected_counts`` is the E-step of EM (forward-backward over each word's lattice);
- ``train_unigram`` seeds a large vocabulary with frequent substrings, fits it with EM, and prunes the pieces
  whose removal costs the least likelihood until ``vocab_size`` remain;
- ``sample_segmentation`` draws a segmentation with probability proportional to P(segmentation)^alpha
  (subword regularisation), as SentencePiece's ``enable_sampling`` does with ``nbest_size=-1``.

Words are SentencePiece-style: split on whitespace, each prefixed with ``▁`` (``unigram_words``).

>>> model = train_unigram(["low lower lowest", "new newer newest", "wide wider widest"] * 5, vocab_size=14)
>>> model.encode("lowest newer")
['▁low', 'e', 's', 't', '▁new', 'e', 'r']
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import CourseError, require_text

__all__ = ["SPACE", "unigram_words", "viterbi", "expected_counts", "UnigramModel", "train_unigram",
           "sample_segmentation"]

SPACE = "\u2581"  # '▁', SentencePiece's visible space


def unigram_words(texts: Iterable[str]) -> Counter[str]:
    """Word counts as SentencePiece sees words: split on whitespace, each word prefixed with '▁'."""
    if isinstance(texts, str):
        raise CourseError("unigram_words takes an iterable of texts (e.g. a list of lines), not one string")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(SPACE + word for word in text.split())
    return counts


def viterbi(word: str, log_probs: Mapping[str, float], unk_score: float | None = None, *,
            max_len: int | None = None) -> tuple[list[str], float]:
    """The most probable segmentation of ``word`` and its log-probability.

    ``best[end]`` is the best score of any segmentation of ``word[:end]``; it extends ``best[start]`` by the
    piece ``word[start:end]``. A character that is no piece costs ``unk_score`` (None: not allowed).
    ``max_len`` (default: the longest piece) bounds the pieces tried.
    """
    require_text(word, "word")
    if max_len is None:
        max_len = max(map(len, log_probs), default=1)
    n = len(word)
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_len), end):
            score = log_probs.get(word[start:end])
            if score is None and end - start == 1 and unk_score is not None:
                score = unk_score
            if score is not None and best[start] + score > best[end]:
                best[end], back[end] = best[start] + score, start
    if best[n] == -math.inf:
        raise CourseError(f"{word!r} cannot be segmented: some character is in no piece (pass unk_score=)")
    pieces, end = [], n
    while end > 0:
        pieces.append(word[back[end]:end])
        end = back[end]
    return pieces[::-1], best[n]


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    top = max(a, b)
    return top + math.log(math.exp(a - top) + math.exp(b - top))


def _forward(word: str, log_probs: Mapping[str, float], max_len: int, weight: float = 1.0) -> list[float]:
    """``forward[end]``: log of the summed (weighted) probability of every segmentation of ``word[:end]``."""
    forward = [0.0] + [-math.inf] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - max_len), end):
            score = log_probs.get(word[start:end])
            if score is not None:
                forward[end] = _logaddexp(forward[end], forward[start] + weight * score)
    return forward


def expected_counts(words: Mapping[str, int], log_probs: Mapping[str, float]) -> tuple[Counter[str], float]:
    """E-step: how often each piece is expected to occur, summed over all segmentations of every word
    weighted by their probability (forward-backward), and the corpus log-likelihood."""
    max_len = max(map(len, log_probs), default=1)
    expected: Counter[str] = Counter()
    log_likelihood = 0.0
    for word, count in words.items():
        n = len(word)
        forward = _forward(word, log_probs, max_len)
        backward = [-math.inf] * n + [0.0]  # backward[start]: all segmentations of word[start:]
        for start in range(n - 1, -1, -1):
            for end in range(start + 1, min(n, start + max_len) + 1):
                score = log_probs.get(word[start:end])
                if score is not None:
                    backward[start] = _logaddexp(backward[start], score + backward[end])
        total = forward[n]
        if total == -math.inf:
            raise CourseError(f"{word!r} cannot be segmented with these pieces")
        log_likelihood += count * total
        for start in range(n):
            for end in range(start + 1, min(n, start + max_len) + 1):
                score = log_probs.get(word[start:end])
                if score is not None:  # P(piece word[start:end] is used) = forward * p * backward / total
                    expected[word[start:end]] += count * math.exp(forward[start] + score + backward[end] - total)
    return expected, log_likelihood


@dataclass
class UnigramModel:
    """Pieces with log-probabilities, and the log-likelihood of the training words after each EM step."""

    log_probs: dict[str, float]
    history: list[tuple[int, float]]  # (vocabulary size, log-likelihood)

    def encode_word(self, word: str) -> list[str]:
        """Most probable segmentation of one word (give it its '▁' if it starts after a space). A character
        never seen in training is a piece of its own, scored as SentencePiece scores its unknown token:
        10 below the least probable piece."""
        return viterbi(word, self.log_probs, unk_score=min(self.log_probs.values()) - 10)[0]

    def encode(self, text: str) -> list[str]:
        """Pieces of a text: each whitespace-separated word, prefixed with '▁', segmented by Viterbi."""
        require_text(text, "text")
        return [piece for word in text.split() for piece in self.encode_word(SPACE + word)]


def _m_step(expected: Mapping[str, float], keep: set[str]) -> dict[str, float]:
    """Maximum-likelihood probabilities from expected counts; pieces expected < 0.5 times are dropped
    (SentencePiece's rule), except the ``keep`` set (single characters, so every word stays segmentable)."""
    kept = {p: c for p, c in expected.items() if c >= 0.5 or p in keep}
    total = sum(kept.values())
    return {p: math.log(max(c, 1e-12) / total) for p, c in kept.items()}


def _prune(words: Mapping[str, int], log_probs: Mapping[str, float], keep: set[str], size: int) -> dict[str, float]:
    """Keep the ``size`` pieces whose removal would cost the most likelihood (and every piece in ``keep``).

    A piece's loss: how often the Viterbi segmentation uses it, times how much less probable its best
    segmentation without it is (``log p(piece) - log p(best alternative)``).
    """
    used: Counter[str] = Counter()
    max_len = max(map(len, log_probs))
    for word, count in words.items():
        for piece in viterbi(word, log_probs, max_len=max_len)[0]:
            used[piece] += count
    table = dict(log_probs)
    loss = {}
    for piece, score in log_probs.items():
        if piece in keep:
            continue
        del table[piece]  # the best segmentation of the piece without the piece itself
        loss[piece] = used[piece] * (score - viterbi(piece, table, max_len=max_len)[1])
        table[piece] = score
    ranked = sorted(loss, key=lambda p: (-loss[p], p))
    chosen = set(ranked[:max(0, size - len(keep))]) | keep
    return {p: s for p, s in log_probs.items() if p in chosen}


def train_unigram(texts: Iterable[str], *, vocab_size: int, max_piece_len: int = 8, seed_size: int = 10_000,
                  shrink: float = 0.75, em_steps: int = 2, progress: bool = False) -> UnigramModel:
    """Train a Unigram model: seed with the ``seed_size`` most frequent substrings (frequency x length, as
    SentencePiece ranks them) plus every character, then alternate ``em_steps`` EM steps with pruning to
    ``shrink`` of the vocabulary, until at most ``vocab_size`` pieces are left; finish with EM steps."""
    if not 0 < shrink < 1:
        raise CourseError(f"shrink must be between 0 and 1, got {shrink}")
    words = unigram_words(texts)
    if not words:
        raise CourseError("no words to train on: pass a list of non-empty texts")
    chars = {c for word in words for c in word}
    if vocab_size < len(chars):
        raise CourseError(f"vocab_size {vocab_size} is below the {len(chars)} characters of the text")
    substrings: Counter[str] = Counter()
    for word, count in words.items():
        for start in range(len(word)):
            for end in range(start + 2, min(len(word), start + max_piece_len) + 1):
                substrings[word[start:end]] += count
    seeds = sorted((s for s, c in substrings.items() if c >= 2), key=lambda s: (-substrings[s] * len(s), s))
    counts = {c: 0 for c in chars}
    for word, count in words.items():
        for c in word:
            counts[c] += count
    counts.update({s: substrings[s] for s in seeds[:seed_size]})
    total = sum(counts.values())
    log_probs = {p: math.log(c / total) for p, c in counts.items()}
    history = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="Unigram EM + pruning", unit="round")
    while True:
        for _ in range(em_steps):
            expected, log_likelihood = expected_counts(words, log_probs)
            log_probs = _m_step(expected, chars)
            history.append((len(log_probs), log_likelihood))
        if len(log_probs) <= vocab_size:
            break
        log_probs = _prune(words, log_probs, chars, max(vocab_size, int(len(log_probs) * shrink)))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return UnigramModel(log_probs, history)


def sample_segmentation(word: str, log_probs: Mapping[str, float], alpha: float,
                        rng: random.Random) -> list[str]:
    """Sample a segmentation with probability proportional to P(segmentation)^alpha (Kudo 2018, §3.3).

    Forward pass with every log-probability scaled by ``alpha``, then walk back from the end, choosing each
    piece's start in proportion to forward[start] x p(piece)^alpha (forward filtering, backward sampling).
    """
    require_text(word, "word")
    max_len = max(map(len, log_probs), default=1)
    forward = _forward(word, log_probs, max_len, weight=alpha)
    if forward[-1] == -math.inf:
        raise CourseError(f"{word!r} cannot be segmented with these pieces")
    pieces, end = [], len(word)
    while end > 0:
        starts, weights = [], []
        for start in range(max(0, end - max_len), end):
            score = log_probs.get(word[start:end])
            if score is not None and forward[start] > -math.inf:
                starts.append(start)
                weights.append(math.exp(forward[start] + alpha * score - forward[end]))
        start = rng.choices(starts, weights)[0]
        pieces.append(word[start:end])
        end = start
    return pieces[::-1]
