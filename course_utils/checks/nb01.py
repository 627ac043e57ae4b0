"""Exercise checkers of notebook 01 (word embeddings). Each computes its own expected answer."""

from __future__ import annotations

from typing import Any

from .core import grade, grade_function

__all__ = [
    "exercise_cooccurrence_cosine", "exercise_char_ngrams", "exercise_one_hot_dimension", "exercise_sparse_glove_loss",
]


def _close_enough(answer: Any, expected: float, atol: float) -> Any:
    """``expected`` itself when ``answer`` is a number within ``atol`` of it (so ``grade`` says correct)."""
    try:
        if abs(float(answer) - expected) <= atol:
            return expected
    except (TypeError, ValueError):
        pass
    return answer


def exercise_cooccurrence_cosine(answer: Any) -> None:
    """Notebook 01: cosine similarity of the window-2 count rows of 'ice' and 'steam' (glove section)."""
    from ..data import course_corpus
    from ..embeddings import cooccurrence, cosine

    co = cooccurrence(course_corpus().tokenized(["glove"]), window=2)
    expected = cosine(co.row("ice"), co.row("steam"))
    grade(_close_enough(answer, expected, 1e-4), expected, [
        "a word's count vector is its row of the co-occurrence matrix: count the glove section's sentences "
        "with a window of 2 words on each side, then compare the rows of 'ice' and 'steam'",
        "cosine = dot product of the two rows divided by the product of their lengths (Euclidean norms); "
        "the value lies between 0 and 1 here, since counts are never negative",
        "check the window (2, not 5 or 10) and that you count inside each sentence (the list of tokenized "
        "sentences as it is, not one stream of words)",
    ], name="co-occurrence cosine")


def exercise_char_ngrams(answer: Any) -> None:
    """Notebook 01: fastText's character 3-grams of 'subword', with the < > boundary markers."""
    from ..embeddings import char_ngrams

    expected = char_ngrams("subword", 3, 3)
    if isinstance(answer, list | tuple):  # compare whole lists (as one string: no numpy broadcasting)
        answer = " ".join(str(a) for a in answer)
    grade(answer, " ".join(expected),
          "write '<subword>' and slide a window of 3 characters over it, one step at a time: "
          f"{len(expected)} n-grams in order, the first is '<su'", name="character n-grams")


def exercise_one_hot_dimension(answer: Any) -> None:
    """Notebook 01: the length of a one-hot vector over the Lee corpus vocabulary."""
    from ..data import lee_corpus

    expected = len({w for doc in lee_corpus() for w in doc})
    grade(answer, expected, "a one-hot vector has one position per distinct word: count the distinct "
          "words of data.lee_corpus() (a set of every word of every document)", name="one-hot dimension")


def _reference_sparse_glove_loss(word: Any, context: Any, word_bias: Any, context_bias: Any, rows: Any,
                                 cols: Any, x: Any, x_max: float = 100.0, alpha: float = 0.75) -> Any:
    """GloVe's J over a list of non-zero cells (rows[n], cols[n]) with counts x[n], divided by their number."""
    import torch

    if x.numel() == 0:
        return torch.zeros((), dtype=word.dtype)
    f = torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))                # (N,)
    dots = (word[rows] * context[cols]).sum(dim=1)                                        # (N,)
    error = dots + word_bias[rows] + context_bias[cols] - torch.log(x)                    # (N,)
    return (f * error**2).sum() / x.numel()


def _sparse_glove_cases() -> list[Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    V, D = 5, 3

    def params() -> tuple[Any, ...]:
        return (torch.randn(V, D, generator=g, dtype=torch.float64), torch.randn(V, D, generator=g, dtype=torch.float64),
                torch.randn(V, generator=g, dtype=torch.float64), torch.randn(V, generator=g, dtype=torch.float64))

    def cells(pairs: list[tuple[int, int]], counts: list[float]) -> tuple[Any, ...]:
        rows = torch.tensor([i for i, _ in pairs], dtype=torch.long)
        cols = torch.tensor([k for _, k in pairs], dtype=torch.long)
        return rows, cols, torch.tensor(counts, dtype=torch.float64)

    mixed = cells([(0, 1), (1, 0), (2, 4), (3, 3), (4, 2), (1, 2)], [1.0, 1.0, 37.5, 250.0, 0.5, 100.0])
    return [
        (*params(), *mixed),                                                  # rare, fractional (1/d), x = x_max, x > x_max
        (*params(), *cells([(2, 3)], [4.0])),                                 # a single cell
        (*params(), *cells([(0, 0), (1, 1), (4, 4)], [120.0, 500.0, 101.0])),  # every f(x) = 1
        (*params(), *cells([(0, 2), (3, 1)], [2.0, 30.0]), 10.0, 1.0),         # other x_max and alpha
        (*params(), *cells([], [])),                                          # no cells at all
    ]


def exercise_sparse_glove_loss(fn: Any) -> None:
    """Notebook 01: GloVe's weighted least-squares loss over the non-zero cells only (the paper's form)."""
    grade_function(fn, _reference_sparse_glove_loss, _sparse_glove_cases(), [
        "loop over the listed cells only, not the V × V matrix: cell n pairs word rows[n] with context cols[n] "
        "and has count x[n]; add up f(x) · (wᵀw̃ + b + b̃ − log x)² over the cells and divide by their number",
        "index the four parameter tensors with rows (word side) and cols (context side) to get one vector or "
        "bias per cell, (N, D) and (N,); the dot product per cell is an element-wise product summed over D; "
        "f(x) is (x / x_max)^alpha below x_max and exactly 1 from x_max on, using the x_max and alpha passed in",
        "the result is one number (a 0-dimensional tensor); with no cells at all there is nothing to average: "
        "return a zero loss instead of dividing by 0",
    ], name="sparse GloVe loss", atol=1e-8)
