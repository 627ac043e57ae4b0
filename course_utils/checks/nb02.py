"""Exercise checkers of notebook 02 (word2vec). Each computes its own expected answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade, grade_function, grade_numbers

__all__ = ["NS_EXERCISE_VECTORS", "exercise_skipgram_pairs", "exercise_negative_sampling_loss",
           "exercise_sgns_gradients", "exercise_word2vec_c_keep_probabilities"]

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
    grade(answer, " | ".join(f"{t} {c}" for t, c in expected), [
        "with a window of 1, each word predicts only its immediate neighbours: the word before it and the "
        "word after it, when they exist",
        "go through the words in order; for each, add (word, left neighbour) first, then (word, right "
        "neighbour); the first and the last word have only one neighbour",
        f"tokenize with data.words(data.COFFEE_SENTENCE): 8 words give {len(expected)} tuples of two strings",
    ], name="skip-gram pairs")


def exercise_negative_sampling_loss(answer: Any) -> None:
    """Notebook 02: −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c) for ``NS_EXERCISE_VECTORS``."""
    import torch

    from ..word2vec import negative_sampling_loss

    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in NS_EXERCISE_VECTORS.items()}
    expected = float(negative_sampling_loss(t["v_c"][None], t["u_o"][None], t["u_k"][None]))
    grade_numbers(answer, expected, [
        "three scores: the true context's u_o·v_c and each noise word's u_k·v_c; the true pair should be "
        "likely, the noise pairs unlikely",
        "σ(x) = 1 / (1 + e^(−x)); the true pair contributes −log σ(score), each noise word −log σ(−score)",
        "u_k is a (2, 3) matrix: one matrix-vector product gives both noise scores; the answer is one "
        "positive number",
    ], name="negative-sampling loss")


# ----------------------------------------------------------------------------------------------
# implement-the-algorithm exercises: the learner's function against a reference on several inputs
# ----------------------------------------------------------------------------------------------
def _reference_sgns_gradients(v_c: Any, u_o: Any, u_k: Any) -> tuple[Any, Any, Any]:
    """∂L/∂v_c (D,), ∂L/∂u_o (D,), ∂L/∂u_k (K, D) of L = −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c), by autograd."""
    import torch.nn.functional as F

    v_c, u_o, u_k = (x.detach().clone().requires_grad_(True) for x in (v_c, u_o, u_k))
    loss = -(F.logsigmoid(u_o @ v_c) + F.logsigmoid(-(u_k @ v_c)).sum())
    loss.backward()
    return v_c.grad, u_o.grad, u_k.grad


def _sgns_cases() -> list[tuple[Any, Any, Any]]:
    import torch

    gen = torch.Generator().manual_seed(2)
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in NS_EXERCISE_VECTORS.items()}
    cases = [(t["v_c"], t["u_o"], t["u_k"])]                                     # the vectors of exercise 2
    cases.append((torch.randn(8, generator=gen, dtype=torch.float64),
                  torch.randn(8, generator=gen, dtype=torch.float64),
                  torch.randn(5, 8, generator=gen, dtype=torch.float64)))        # D = 8, K = 5
    cases.append((torch.randn(4, generator=gen, dtype=torch.float64),
                  torch.zeros(4, dtype=torch.float64),
                  torch.zeros(3, 4, dtype=torch.float64)))                       # output vectors at their start: 0
    cases.append((torch.randn(6, generator=gen, dtype=torch.float64),
                  torch.randn(6, generator=gen, dtype=torch.float64),
                  torch.randn(1, 6, generator=gen, dtype=torch.float64)))        # a single negative, K = 1
    shared = torch.randn(3, generator=gen, dtype=torch.float64)
    cases.append((torch.randn(3, generator=gen, dtype=torch.float64), shared,
                  torch.stack([shared, shared])))                                # noise = the true context, twice
    return cases


def exercise_sgns_gradients(fn: Any) -> bool:
    """Notebook 02: ``fn(v_c, u_o, u_k)`` → the three gradients of one example's negative-sampling loss,
    compared with autograd on five cases (zero output vectors, K = 1, noise equal to the context)."""
    return grade_function(fn, _reference_sgns_gradients, _sgns_cases(), [
        "differentiate one term at a time: −log σ(x) has derivative σ(x) − 1, −log σ(−x) has derivative "
        "σ(x); then apply the chain rule through the dot product x = u·v",
        "the true pair's term gives (σ(u_o·v_c) − 1)·u_o to v_c and (σ(u_o·v_c) − 1)·v_c to u_o; each noise "
        "word k gives σ(u_k·v_c)·u_k to v_c and σ(u_k·v_c)·v_c to u_k",
        "shapes: v_c (D,), u_o (D,), u_k (K, D); the noise scores form a (K,) vector, the v_c gradient sums "
        "the K noise rows weighted by their σ, and the u_k gradient is a (K, D) outer product; return a tuple "
        "of three tensors in the order (v_c, u_o, u_k)",
    ], name="SGNS gradients", atol=1e-8)


def _reference_word2vec_c_keep_probabilities(counts: Any, t: float = 1e-3) -> np.ndarray:
    """word2vec.c's (and gensim's) keep probability min(1, (√(f/t) + 1)·t/f), f = count / total."""
    counts = np.asarray(counts, dtype=np.float64)
    frequency = counts / counts.sum()
    keep = (np.sqrt(frequency / t) + 1.0) * t / frequency
    return np.minimum(keep, 1.0)


def exercise_word2vec_c_keep_probabilities(fn: Any) -> bool:
    """Notebook 02: ``fn(counts, t)`` → word2vec.c's probability of keeping each word, on five cases."""
    cases = [
        ([15853, 4556, 4161, 304, 15], 1e-3),  # the course corpus' the, was, a, lives, africa
        ([900, 90, 9, 1], 0.05),               # a small corpus with a large t
        ([7], 1e-3),                           # one word: f = 1
        ([5, 5, 5, 5], 0.25),                  # a tie: every f equals t, kept with probability 1
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.5),  # every word rarer than t: nothing is dropped
    ]
    return grade_function(fn, _reference_word2vec_c_keep_probabilities, cases, [
        "start from the frequencies f(w) = count / total count; the keep probability is a formula in f and t "
        "alone, and a probability can never exceed 1",
        "the formula is (√(f/t) + 1)·t/f: compute it for every word at once with numpy, then cap it at 1 "
        "(rare words would otherwise get values above 1)",
        "return a float array as long as counts; check the edge cases by hand: one word has f = 1, and a "
        "word with f = t gets (1 + 1)·t/t = 2 before the cap",
    ], name="word2vec.c keep probability", atol=1e-9)
