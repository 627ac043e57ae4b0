"""Word vectors from counts to dense embeddings: the reusable pieces of notebook 01.

One-hot vectors, window co-occurrence counts, PPMI, truncated SVD (LSA), cosine similarity, nearest
neighbours and analogies over any matrix of word vectors (``WordVectors``), batched evaluation on analogy
and word-similarity sets, PCA to 2-D, GloVe's weighting function and fastText's character n-grams.
Notebooks 02+ import them from here instead of copying them.

>>> co = cooccurrence([["모닝", "커피", "좋아"]], window=1)
>>> co.words, co.matrix.tolist()
(('모닝', '커피', '좋아'), [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
>>> char_ngrams("where", 3, 3)
['<wh', 'whe', 'her', 'ere', 're>']
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import CourseError

__all__ = [
    "vocabulary", "vocabulary_growth", "one_hot", "Cooccurrence", "cooccurrence", "ppmi", "truncated_svd", "cosine",
    "cosine_matrix", "WordVectors", "as_word_vectors", "AnalogyResult", "analogy_accuracy",
    "similarity_correlation", "pca_2d", "glove_weight", "char_ngrams", "is_semantic_section",
    "epoch_progress",
]

MAX_DENSE_VOCAB = 10_000  # a dense V × V float64 matrix of 10k words is 800 MB: larger needs min_count


# ----------------------------------------------------------------------------------------------
# vocabularies and one-hot vectors
# ----------------------------------------------------------------------------------------------
def _check_sentences(sentences: Any) -> list[list[str]]:
    if isinstance(sentences, str):
        raise CourseError("pass tokenized sentences (a list of word lists), not one string: "
                          "e.g. [data.words(s) for s in sentences]")
    out = []
    for s in sentences:
        if isinstance(s, str):
            raise CourseError(f"each sentence must be a list of words, got the string {s[:40]!r}: "
                              "tokenize first, e.g. data.words(sentence)")
        out.append(list(s))
    return out


def vocabulary(sentences: Iterable[Sequence[str]], *, min_count: int = 1,
               by_frequency: bool = False) -> list[str]:
    """The distinct words of tokenized ``sentences`` seen at least ``min_count`` times.

    Order: first appearance (the default, so "모닝 커피 좋아" gives 모닝, 커피, 좋아), or by falling
    frequency with ties in first-appearance order (``by_frequency=True``).
    """
    counts: Counter[str] = Counter()
    for sentence in _check_sentences(sentences):
        counts.update(sentence)
    words = [w for w, n in counts.items() if n >= min_count]  # Counter keeps first-appearance order
    if by_frequency:
        words.sort(key=lambda w: -counts[w])
    return words


def vocabulary_growth(sentences: Iterable[Sequence[str]], points: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """How the vocabulary (= the one-hot dimension) grows while reading: (tokens read, distinct words seen),
    sampled at ``points`` evenly spaced positions, the last one at the end of the text."""
    tokens = [w for sentence in _check_sentences(sentences) for w in sentence]
    if not tokens:
        raise CourseError("no tokens: the sentences are empty")
    marks = np.unique(np.linspace(1, len(tokens), num=max(2, points)).astype(int))
    seen: set[str] = set()
    sizes, position = [], 0
    for mark in marks:
        seen.update(tokens[position:mark])
        position = mark
        sizes.append(len(seen))
    return marks, np.array(sizes)


def one_hot(words: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """One row per word of ``words``: a 1 at the word's index in ``vocab``, 0 elsewhere.

    Shape (len(words), len(vocab)); the dimension is the vocabulary size, whatever the word.
    """
    index = {w: i for i, w in enumerate(vocab)}
    unknown = [w for w in words if w not in index]
    if unknown:
        raise CourseError(f"not in the vocabulary: {unknown}; a one-hot vector exists only for the "
                          f"{len(vocab)} vocabulary words")
    out = np.zeros((len(words), len(vocab)), dtype=np.int64)
    for row, word in enumerate(words):
        out[row, index[word]] = 1
    return out


# ----------------------------------------------------------------------------------------------
# co-occurrence counts, PPMI, SVD
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cooccurrence:
    """A word-by-context count matrix: ``matrix[i, j]`` counts context ``words[j]`` near ``words[i]``."""

    words: tuple[str, ...]
    matrix: np.ndarray
    window: int
    index: dict[str, int] = field(repr=False)

    def _i(self, word: str) -> int:
        if word not in self.index:
            raise CourseError(f"{word!r} is not in this co-occurrence vocabulary ({len(self.words)} words)"
                              f"{_did_you_mean(word, self.words)}")
        return self.index[word]

    def count(self, word: str, context: str) -> float:
        """How often ``context`` occurs within the window of ``word``."""
        return float(self.matrix[self._i(word), self._i(context)])

    def row(self, word: str) -> np.ndarray:
        """The counts of every context word around ``word`` (its sparse count vector)."""
        return self.matrix[self._i(word)]

    def probability(self, context: str, word: str) -> float:
        """P(context | word) = X[word, context] / Σ_k X[word, k] (GloVe's notation: P(k|ice))."""
        row = self.row(word)
        total = row.sum()
        if total == 0:
            raise CourseError(f"{word!r} has no context words in the window")
        return float(row[self._i(context)] / total)


def cooccurrence(sentences: Iterable[Sequence[str]], window: int = 2, *, vocab: Sequence[str] | None = None,
                 min_count: int = 1, weighting: str = "count") -> Cooccurrence:
    """Symmetric window co-occurrence counts inside each sentence.

    ``window=k`` pairs every word with the k words on each side. ``weighting="count"`` adds 1 per pair;
    ``"harmonic"`` adds 1/d for a pair d words apart (what GloVe does). Words outside ``vocab`` (default:
    ``vocabulary(sentences, min_count=...)``) are skipped but still take up their position.
    """
    if not isinstance(window, int) or window < 1:
        raise CourseError(f"window must be a positive integer, got {window!r}")
    if weighting not in ("count", "harmonic"):
        raise CourseError(f"weighting must be 'count' or 'harmonic', got {weighting!r}")
    sentences = _check_sentences(sentences)
    words = list(vocab) if vocab is not None else vocabulary(sentences, min_count=min_count)
    if not words:
        raise CourseError("the vocabulary is empty: no sentences, or min_count is too high")
    if len(words) > MAX_DENSE_VOCAB:
        raise CourseError(f"{len(words):,} words is too many for a dense matrix (limit "
                          f"{MAX_DENSE_VOCAB:,}): raise min_count or pass a smaller vocab")
    index = {w: i for i, w in enumerate(words)}
    matrix = np.zeros((len(words), len(words)), dtype=np.float64)
    for sentence in sentences:
        ids = [index.get(w, -1) for w in sentence]
        for pos, i in enumerate(ids):
            if i < 0:
                continue
            for d in range(1, window + 1):
                if pos + d >= len(ids):
                    break
                j = ids[pos + d]
                if j < 0:
                    continue
                weight = 1.0 if weighting == "count" else 1.0 / d
                matrix[i, j] += weight  # j to the right of i ...
                matrix[j, i] += weight  # ... and i to the left of j: the matrix is symmetric
    return Cooccurrence(tuple(words), matrix, window, index)


def ppmi(counts: np.ndarray, *, context_alpha: float = 1.0) -> np.ndarray:
    """Positive pointwise mutual information: max(0, log P(w, c) / (P(w) P(c))), 0 where a count is 0.

    ``context_alpha`` < 1 (e.g. 0.75, Levy et al. 2015) smooths the context distribution so rare contexts
    get less extreme scores.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or (counts < 0).any():
        raise CourseError("ppmi needs a 2-D matrix of non-negative counts")
    total = counts.sum()
    if total == 0:
        raise CourseError("ppmi of an all-zero matrix is undefined")
    p_word = counts.sum(axis=1, keepdims=True) / total                  # (V, 1)
    context = counts.sum(axis=0, keepdims=True) ** context_alpha        # (1, V)
    p_context = context / context.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((counts / total) / (p_word * p_context))           # (V, V), -inf where count is 0
    return np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)


def _fix_signs(vectors: np.ndarray) -> np.ndarray:
    """SVD/PCA axes have arbitrary signs: make each column's largest-magnitude entry positive."""
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[rows, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def truncated_svd(matrix: np.ndarray, dim: int, *, weight_exponent: float = 1.0) -> np.ndarray:
    """Dense ``dim``-dimensional word vectors U_k · S_k^p from the SVD M = U S Vᵀ (LSA when M is PPMI).

    ``weight_exponent`` p = 1 keeps the singular values, 0.5 is the symmetric split of Levy et al. (2015).
    Signs are fixed so the same matrix always gives the same vectors.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if not 1 <= dim <= min(matrix.shape):
        raise CourseError(f"dim must be between 1 and {min(matrix.shape)}, got {dim}")
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    return _fix_signs(u[:, :dim] * s[:dim] ** weight_exponent)


# ----------------------------------------------------------------------------------------------
# similarity
# ----------------------------------------------------------------------------------------------
def cosine(u: Any, v: Any) -> float:
    """cos(u, v) = u·v / (|u| |v|): 1 same direction, 0 orthogonal, -1 opposite."""
    u, v = np.asarray(u, dtype=np.float64).ravel(), np.asarray(v, dtype=np.float64).ravel()
    if u.shape != v.shape:
        raise CourseError(f"vectors of different sizes: {u.shape[0]} and {v.shape[0]}")
    norm = np.linalg.norm(u) * np.linalg.norm(v)
    if norm == 0:
        raise CourseError("cosine similarity is undefined for a zero vector (a word with no counts)")
    return float(u @ v / norm)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def cosine_matrix(matrix: np.ndarray) -> np.ndarray:
    """All pairwise cosine similarities of the rows of ``matrix`` (zero rows give 0)."""
    unit = _unit_rows(np.asarray(matrix, dtype=np.float64))
    return unit @ unit.T


def _did_you_mean(word: str, words: Sequence[str], limit: int = 50_000) -> str:
    close = difflib.get_close_matches(str(word).lower(), list(words[:limit]), n=3, cutoff=0.75)
    return f"; did you mean {', '.join(repr(w) for w in close)}?" if close else ""


class WordVectors:
    """Words and their vectors (one row each) with cosine neighbours and analogies.

    Works for any source: counts, PPMI, SVD, a trained model, or GloVe via ``as_word_vectors(kv)``.
    ``words`` are ordered as given; for pretrained sets that is by frequency, so ``restrict(30_000)``
    keeps the most frequent words.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, *, name: str = "vectors") -> None:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise CourseError(f"need one vector per word: {len(words)} words but an array of shape "
                              f"{vectors.shape}")
        self.words = list(words)
        self.vectors = vectors
        self.name = name
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise CourseError("the word list has duplicates")
        self._unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"WordVectors({self.name!r}, {len(self)} words × {self.dim} dims)"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def unit(self) -> np.ndarray:
        """The vectors scaled to length 1 (cosine similarity is then a dot product)."""
        if self._unit is None:
            self._unit = _unit_rows(self.vectors.astype(np.float32, copy=False))
        return self._unit

    def check(self, *words: str) -> None:
        """Raise a ``CourseError`` naming every word that has no vector (with spelling suggestions)."""
        for word in words:
            if not isinstance(word, str) or not word.strip():
                raise CourseError(f"a word must be a non-empty string, got {word!r}")
        unknown = [w for w in words if w not in self.index]
        if unknown:
            hints = "".join(_did_you_mean(w, self.words) for w in unknown[:3])
            raise CourseError(f"not in the vocabulary of {self.name} ({len(self):,} words): "
                              f"{', '.join(repr(w) for w in unknown)}{hints}")

    def vector(self, word: str) -> np.ndarray:
        self.check(word)
        return self.vectors[self.index[word]]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return cosine(self.vector(a), self.vector(b))

    def nearest_to_vector(self, query: np.ndarray, k: int = 5, *,
                          exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """The ``k`` words whose vectors have the highest cosine with ``query``."""
        if k < 1:
            raise CourseError(f"k must be at least 1, got {k}")
        query = np.asarray(query, dtype=np.float32).ravel()
        norm = np.linalg.norm(query)
        if norm == 0:
            raise CourseError("the query vector is zero")
        sims = self.unit @ (query / norm)                                # (V,)
        skip = [self.index[w] for w in exclude if w in self.index]
        sims[skip] = -np.inf
        k = min(k, len(self) - len(skip))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(self) else np.arange(len(self))
        top = top[np.lexsort((top, -sims[top]))]                         # by similarity, ties by index
        return [(self.words[i], round(float(sims[i]), 6)) for i in top]

    def nearest(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` nearest words to ``word`` by cosine (the word itself left out)."""
        return self.nearest_to_vector(self.vector(word), k, exclude=[word])

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """a is to b as c is to ?: the words nearest to b − a + c (unit vectors; a, b, c left out).

        ``analogy("man", "king", "woman")`` computes king − man + woman.
        """
        self.check(a, b, c)
        unit = self.unit
        query = unit[self.index[b]] - unit[self.index[a]] + unit[self.index[c]]
        return self.nearest_to_vector(query, k, exclude=[a, b, c])

    def restrict(self, limit: int) -> WordVectors:
        """The first ``limit`` words (the most frequent, for pretrained vectors)."""
        return WordVectors(self.words[:limit], self.vectors[:limit], name=f"{self.name} (top {limit:,})")


def as_word_vectors(source: Any, *, limit: int | None = None, name: str | None = None) -> WordVectors:
    """``WordVectors`` from a gensim ``KeyedVectors`` (GloVe, Word2Vec().wv, FastText().wv), a
    ``Cooccurrence``, a ``WordVectors``, or a ``(words, matrix)`` pair."""
    if isinstance(source, WordVectors):
        out = source
    elif isinstance(source, Cooccurrence):
        out = WordVectors(source.words, source.matrix, name=name or "co-occurrence counts")
    elif hasattr(source, "index_to_key") and hasattr(source, "vectors"):
        out = WordVectors(source.index_to_key, source.vectors, name=name or "gensim vectors")
    elif isinstance(source, tuple) and len(source) == 2:
        out = WordVectors(source[0], source[1], name=name or "vectors")
    else:
        raise CourseError(f"cannot make word vectors from {type(source).__name__}: pass gensim "
                          "KeyedVectors, a Cooccurrence, WordVectors or (words, matrix)")
    if name is not None and out.name != name:
        out = WordVectors(out.words, out.vectors, name=name)
    return out.restrict(limit) if limit is not None else out


# ----------------------------------------------------------------------------------------------
# evaluation: analogies and word similarity
# ----------------------------------------------------------------------------------------------
def is_semantic_section(section: str) -> bool:
    """Google analogy sections: the 5 semantic ones (capitals, currency, city-in-state, family); the
    other 9 start with 'gram' (syntactic)."""
    return not section.startswith("gram")


@dataclass(frozen=True)
class AnalogyResult:
    """Correct and asked questions per category; ``skipped`` had a word outside the vocabulary."""

    correct: dict[str, int]
    total: dict[str, int]
    skipped: int
    predictions: list[tuple[tuple[str, str, str, str], str]] = field(repr=False)

    @property
    def accuracy(self) -> float:
        asked = sum(self.total.values())
        return sum(self.correct.values()) / asked if asked else 0.0

    def accuracy_of(self, categories: Iterable[str]) -> float:
        cats = [c for c in categories if c in self.total]
        asked = sum(self.total[c] for c in cats)
        return sum(self.correct[c] for c in cats) / asked if asked else 0.0

    def table(self) -> list[tuple[str, int, int, float]]:
        """(category, correct, asked, accuracy) rows in the order the categories first appear."""
        return [(c, self.correct[c], n, self.correct[c] / n) for c, n in self.total.items()]


def analogy_accuracy(vectors: Any, questions: Iterable[Sequence[str]], *, max_batch: int = 512,
                     exclude_inputs: bool = True) -> AnalogyResult:
    """3CosAdd accuracy (Mikolov et al. 2013): for a:b :: c:d, is d the nearest word to b − a + c?

    ``questions`` are (a, b, c, d[, category]) tuples such as ``data.Analogy``. Questions with a word
    outside the vocabulary are skipped (counted in ``skipped``); a, b and c are never answers unless
    ``exclude_inputs=False`` (to show why the usual protocol leaves them out). Scores are computed in
    float64 so the result does not depend on the CPU's float32 rounding.
    """
    wv = as_word_vectors(vectors)
    unit = _unit_rows(np.asarray(wv.vectors, dtype=np.float64))          # (V, D)
    asked: list[tuple[tuple[str, str, str, str], str]] = []
    skipped = 0
    for q in questions:
        a, b, c, d = q[:4]
        category = q[4] if len(q) > 4 else "all"
        if all(w in wv.index for w in (a, b, c, d)):
            asked.append(((a, b, c, d), category))
        else:
            skipped += 1
    correct: dict[str, int] = {}
    total: dict[str, int] = {}
    predictions = []
    batch_size = max(1, min(max_batch, 20_000_000 // len(wv)))  # a (batch, V) float64 block stays <= 160 MB
    for start in range(0, len(asked), batch_size):
        chunk = asked[start:start + batch_size]
        ids = np.array([[wv.index[w] for w in quad[:3]] for quad, _ in chunk])   # (B, 3)
        query = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]             # (B, D)
        scores = query @ unit.T                                                  # (B, V)
        rows = np.arange(len(chunk))[:, None]
        if exclude_inputs:
            scores[rows, ids] = -np.inf                                          # never answer a, b or c
        best = scores.argmax(axis=1)                                             # (B,)
        for (quad, category), guess in zip(chunk, best, strict=True):
            total[category] = total.get(category, 0) + 1
            hit = wv.words[guess] == quad[3]
            correct[category] = correct.get(category, 0) + int(hit)
            predictions.append((quad, wv.words[guess]))
    return AnalogyResult(correct, total, skipped, predictions)


def similarity_correlation(vectors: Any, pairs: Iterable[tuple[str, str, float]]) -> tuple[float, int, int]:
    """Spearman correlation between cosine similarities and human scores: (rho, pairs used, pairs skipped).

    Pairs with a word outside the vocabulary are skipped (as gensim's ``evaluate_word_pairs`` does).
    """
    from scipy.stats import spearmanr

    wv = as_word_vectors(vectors)
    model, human, skipped = [], [], 0
    for a, b, score in pairs:
        if a in wv.index and b in wv.index:
            model.append(wv.similarity(a, b))
            human.append(score)
        else:
            skipped += 1
    if len(model) < 3:
        raise CourseError(f"only {len(model)} pairs have both words in the vocabulary: too few to correlate")
    return float(spearmanr(model, human).statistic), len(model), skipped


# ----------------------------------------------------------------------------------------------
# PCA, GloVe weighting, character n-grams
# ----------------------------------------------------------------------------------------------
def pca_2d(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows onto their first two principal components: (coords (n, 2), explained variance ratio (2,)).

    Deterministic signs; with fewer than 3 rows or rank < 2 the missing axis is 0.
    """
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise CourseError("PCA needs at least 2 vectors")
    centred = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = np.zeros((x.shape[0], 2))
    k = min(2, len(s))
    coords[:, :k] = _fix_signs(u[:, :k] * s[:k])
    variance = s ** 2
    ratio = np.zeros(2)
    if variance.sum() > 0:
        ratio[:k] = variance[:k] / variance.sum()
    return coords, ratio


def glove_weight(x: Any, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting f(x) = (x / x_max)^α below x_max, 1 above (Pennington et al. 2014, eq. 9)."""
    x = np.asarray(x, dtype=np.float64)
    if (x < 0).any():
        raise CourseError("co-occurrence counts are never negative")
    return np.where(x < x_max, (x / x_max) ** alpha, 1.0)


def char_ngrams(word: str, n_min: int = 3, n_max: int = 6, *, boundary: bool = True,
                include_word: bool = False) -> list[str]:
    """fastText's character n-grams of ``word``: '<' and '>' mark its start and end (Bojanowski et al. 2017).

    Ordered by n, then by position. ``include_word=True`` adds the whole word '<where>' as fastText does
    (it is skipped when it is already one of the n-grams).
    """
    if not isinstance(word, str) or not word or any(ch.isspace() for ch in word):
        raise CourseError(f"char_ngrams needs one word without spaces, got {word!r}")
    if not 1 <= n_min <= n_max:
        raise CourseError(f"need 1 <= n_min <= n_max, got n_min={n_min}, n_max={n_max}")
    marked = f"<{word}>" if boundary else word
    grams = [marked[i:i + n] for n in range(n_min, n_max + 1) for i in range(len(marked) - n + 1)]
    if include_word and marked not in grams:
        grams.append(marked)
    return grams


def epoch_progress(epochs: int, desc: str = "training") -> Any:
    """A gensim callback that shows a ``tqdm.auto`` bar over training epochs:
    ``Word2Vec(..., epochs=n, callbacks=[epoch_progress(n, "word2vec")])``."""
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm.auto import tqdm

    class _EpochBar(CallbackAny2Vec):
        def __init__(self) -> None:
            self.bar = None

        def on_train_begin(self, model: Any) -> None:
            self.bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=False)

        def on_epoch_end(self, model: Any) -> None:
            self.bar.update(1)

        def on_train_end(self, model: Any) -> None:
            self.bar.refresh()   # the final count (the last epoch may fall between the bar's redraws)
            self.bar.close()

    return _EpochBar()
