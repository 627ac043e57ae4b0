"""Exercise checkers of notebook 01 (word embeddings). Each computes its own expected answer."""

from __future__ import annotations

from typing import Any

from .core import grade

__all__ = ["exercise_cooccurrence_cosine", "exercise_char_ngrams", "exercise_one_hot_dimension"]


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
    grade(_close_enough(answer, expected, 1e-4), expected,
          "count with co = embeddings.cooccurrence(corpus.tokenized(['glove']), window=2), take the rows "
          "u = co.row('ice') and v = co.row('steam'), and divide u @ v by np.linalg.norm(u) * np.linalg.norm(v)",
          name="co-occurrence cosine")


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
