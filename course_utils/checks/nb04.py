"""Exercise checkers of notebook 04 (attention and the Transformer). Each computes its own answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade

__all__ = ["EXERCISE_QKV", "exercise_attention_by_hand", "exercise_causal_mask_4_tokens",
           "exercise_encoder_layer_params"]

# The 3-token example of exercise 1: d_k = 4, so √d_k = 2 and the scores stay small whole numbers.
EXERCISE_QKV: dict[str, list[list[float]]] = {
    "Q": [[1, 0, 1, 0], [0, 2, 0, 0], [1, 1, 1, 1]],
    "K": [[2, 0, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0]],
    "V": [[1, 0], [0, 1], [1, 1]],
}


def _close(answer: Any, expected: np.ndarray, atol: float) -> bool:
    """True if ``answer`` has ``expected``'s shape and values (within ``atol``)."""
    if hasattr(answer, "detach"):
        answer = answer.detach().cpu().numpy()
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == expected.shape and bool(np.allclose(a, expected, atol=atol, rtol=0))


def exercise_attention_by_hand(answer: Any) -> None:
    """Notebook 04: the (3, 2) output of scaled dot-product attention on ``EXERCISE_QKV``."""
    import torch

    from ..transformer import scaled_dot_product_attention

    q, k, v = (torch.tensor(EXERCISE_QKV[n], dtype=torch.float64) for n in ("Q", "K", "V"))
    expected = scaled_dot_product_attention(q, k, v)[0].numpy()
    verdict = answer if answer is Ellipsis or answer is None else _close(answer, expected, 1e-3)
    grade(verdict, True, "scores = Q @ K.T / 2 (√d_k = 2); softmax each row (dim=-1) so it sums to 1; "
          "then weights @ V gives a (3, 2) matrix", name="attention by hand")


def exercise_causal_mask_4_tokens(answer: Any) -> None:
    """Notebook 04: GPT's causal mask for 4 tokens, a (4, 4) boolean matrix, True = may attend."""
    from ..transformer import causal_mask

    expected = causal_mask(4).numpy()
    if answer is Ellipsis or answer is None:
        verdict = answer
    else:
        if hasattr(answer, "detach"):
            answer = answer.detach().cpu().numpy()
        a = np.asarray(answer)
        verdict = a.shape == expected.shape and a.dtype == bool and bool(np.array_equal(a, expected))
    grade(verdict, True, "row i is the query; it may see keys 0..i, itself included: a lower triangle of "
          "True (torch.tril of a (4, 4) ones matrix, .bool())", name="causal mask")


def exercise_encoder_layer_params(answer: Any) -> None:
    """Notebook 04: parameters of one encoder layer of the original Transformer (d_model 512, d_ff 2048)."""
    from ..transformer import EncoderConfig, EncoderLayer, count_params

    expected = count_params(EncoderLayer(EncoderConfig(d_model=512, n_heads=8, d_ff=2048)))
    grade(answer, expected, "four 512×512 projections (Q, K, V, O) with biases, two LayerNorms with a "
          "scale and a shift each, and the FFN's 512×2048 and 2048×512 matrices with biases",
          name="encoder layer parameters")
