"""Exercise checkers of notebook 02 (word2vec). Each computes its own expected answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade

__all__ = ["NS_EXERCISE_VECTORS", "exercise_skipgram_pairs", "exercise_negative_sampling_loss",
           "exercise_discard_probability"]

# v_c (the center word's vector), u_o (its true context's output vector) and K = 2 noise vectors u_k
NS_EXERCISE_VECTORS: dict[str, list[list[float]] | list[float]] = {
    "v_c": [0.5, -1.0, 2.0],
    "u_o": [1.0, 0.0, 0.5],
    "u_k": [[0.0, 1.0, 0.0], [-0.5, 0.5, 1.0]],
}


def exercise_skipgram_pairs(answer: Any) -> None:
    """Notebook 02: the skip-gram (target, context) pairs of the notes' sentence with window 1, in order."""
    from ..data import COFFEE_SENTENCE, words
    from ..word2vec import skipgram_pairs

    expected = skipgram_pairs(words(COFFEE_SENTENCE), window=1)
    if isinstance(answer, list | tuple):  # compare as one string: no numpy broadcasting of tuples
        try:
            answer = " | ".join(f"{t} {c}" for t, c in answer)
        except (TypeError, ValueError):
            answer = "not a list of (target, context) pairs"
    grade(answer, " | ".join(f"{t} {c}" for t, c in expected),
          f"tokenize with data.words(data.COFFEE_SENTENCE); for each word in order, pair it with the word "
          f"before and the word after (when they exist): {len(expected)} (target, context) tuples, the first "
          f"is {expected[0]}", name="skip-gram pairs")


def exercise_negative_sampling_loss(answer: Any) -> None:
    """Notebook 02: −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c) for ``NS_EXERCISE_VECTORS``."""
    import torch

    from ..word2vec import negative_sampling_loss

    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in NS_EXERCISE_VECTORS.items()}
    expected = float(negative_sampling_loss(t["v_c"][None], t["u_o"][None], t["u_k"][None]))
    if hasattr(answer, "item"):
        answer = answer.item()
    try:
        if answer is not Ellipsis and answer is not None and abs(float(answer) - expected) <= 1e-4:
            answer = expected
    except (TypeError, ValueError):
        pass
    grade(answer, expected, "σ(x) = 1 / (1 + e^(−x)); the true pair scores u_o·v_c, each noise word −u_k·v_c; "
          "add −log σ(...) of the three scores (one number)", name="negative-sampling loss")


def exercise_discard_probability(answer: Any) -> None:
    """Notebook 02: P(discard 'the') = 1 − √(t / f) in the English course corpus, t = 1e-3."""
    from ..data import course_corpus

    tokens = [w for sentence in course_corpus().tokenized() for w in sentence]
    frequency = tokens.count("the") / len(tokens)
    expected = float(max(0.0, 1.0 - np.sqrt(1e-3 / frequency)))
    try:
        if answer is not Ellipsis and answer is not None and abs(float(answer) - expected) <= 1e-4:
            answer = expected
    except (TypeError, ValueError):
        pass
    grade(answer, expected, "f(the) = count of 'the' / all tokens of course_corpus().tokenized(); then "
          "1 − sqrt(1e-3 / f) (a probability between 0 and 1)", name="discard probability")
