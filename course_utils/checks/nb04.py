"""Exercise checkers of notebook 04 (attention and the Transformer). Each computes its own answer.

``exercise_multi_query_attention`` and ``exercise_combined_mask`` run the learner's function against a
reference (``_reference_...`` below) on several inputs, edge cases included; the others grade a value."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade, grade_function, same_result

__all__ = ["EXERCISE_QKV", "exercise_attention_by_hand", "exercise_multi_query_attention",
           "exercise_causal_mask_4_tokens", "exercise_combined_mask", "exercise_encoder_layer_params",
           "exercise_elmo_mix"]

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


ATTENTION_BY_HAND_HINTS = [
    "four steps: compare every query with every key (a dot product each), divide by √d_k, turn each "
    "query's row of scores into probabilities, then average the values with those probabilities",
    "the scores form a (3, 3) matrix, query i (row) against key j (column); with √d_k = 2 they are small "
    "whole numbers. Each row of weights must sum to 1, so normalise along the key axis, not the query axis",
    "the output row of query i is the sum of V's rows weighted by row i of the weights: a (3, 3) matrix "
    "times a (3, 2) one gives the (3, 2) answer (the weights themselves are not the answer)",
]


def exercise_attention_by_hand(answer: Any) -> None:
    """Notebook 04: the (3, 2) output of scaled dot-product attention on ``EXERCISE_QKV``."""
    import torch

    from ..transformer import scaled_dot_product_attention

    q, k, v = (torch.tensor(EXERCISE_QKV[n], dtype=torch.float64) for n in ("Q", "K", "V"))
    expected = scaled_dot_product_attention(q, k, v)[0].numpy()
    verdict = answer if answer is Ellipsis or answer is None else _close(answer, expected, 1e-3)
    grade(verdict, True, ATTENTION_BY_HAND_HINTS, name="attention by hand")


# ----------------------------------------------------------------------------------------------
# multi-query attention: nh query heads share one key head and one value head
# ----------------------------------------------------------------------------------------------
def _reference_multi_query_attention(x: Any, query: Any, key: Any, value: Any, out: Any, n_heads: int,
                                     mask: Any = None) -> Any:
    """Multi-query attention (Shazeer 2019) with the course's ``scaled_dot_product_attention``."""
    from ..transformer import scaled_dot_product_attention

    B, T, C = x.shape
    hs = C // n_heads
    q = query(x).view(B, T, n_heads, hs).transpose(1, 2)              # (B, nh, T, hs)
    k = key(x)[:, None]                                               # (B, 1, T, hs): one head for all
    v = value(x)[:, None]                                             # (B, 1, T, hs)
    y, _ = scaled_dot_product_attention(q, k, v, mask)                # (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view(B, T, C)                  # (B, T, C): heads concatenated
    return out(y)                                                     # (B, T, C)


def multi_query_cases() -> list[dict[str, Any]]:
    """The inputs the multi-query checker runs: plain, causal, padded (one sequence fully padded but one
    token), a single token, one head (= ordinary attention) and heads of size 1."""
    import torch

    from ..transformer import causal_mask

    def case(B: int, T: int, C: int, n_heads: int, seed: int, mask: Any = None) -> dict[str, Any]:
        g = torch.Generator().manual_seed(seed)
        hs = C // n_heads

        def linear(n_in: int, n_out: int) -> torch.nn.Linear:
            layer = torch.nn.Linear(n_in, n_out)
            with torch.no_grad():
                layer.weight.copy_(torch.randn(n_out, n_in, generator=g) / n_in ** 0.5)
                layer.bias.copy_(0.1 * torch.randn(n_out, generator=g))
            return layer

        return {"x": torch.randn(B, T, C, generator=g), "query": linear(C, C), "key": linear(C, hs),
                "value": linear(C, hs), "out": linear(C, C), "n_heads": n_heads, "mask": mask}

    pads = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]]).bool()[:, None, None, :]
    return [case(2, 5, 8, 2, seed=0), case(1, 6, 12, 3, seed=1, mask=causal_mask(6)),
            case(3, 5, 8, 4, seed=2, mask=pads), case(2, 1, 8, 2, seed=3),
            case(2, 4, 6, 1, seed=4), case(1, 3, 4, 4, seed=5, mask=causal_mask(3))]


MULTI_QUERY_HINTS = [
    "only the queries are split into heads; the one key head and the one value head are shared by every "
    "query head. Give keys and values a head axis of size 1 and let broadcasting pair them with all heads",
    "shapes: queries (B, nh, T, hs), split exactly as MultiHeadAttention splits them; keys and values "
    "(B, 1, T, hs). The attention function of section 2 takes these as they are (and the mask too) and "
    "returns one (B, nh, T, hs) result per query head",
    "merge the heads back as MultiHeadAttention.forward does (head axis next to hs again, then one "
    "(B, T, C) tensor) and apply the output projection only then; return that (B, T, C) tensor alone",
]


def exercise_multi_query_attention(fn: Any) -> None:
    """Notebook 04: ``fn(x, query, key, value, out, n_heads, mask=None)`` is multi-query attention,
    returning the (B, T, C) output; run against the reference on six cases."""
    grade_function(fn, _reference_multi_query_attention, multi_query_cases(), MULTI_QUERY_HINTS,
                   name="multi-query attention")


# ----------------------------------------------------------------------------------------------
# masks
# ----------------------------------------------------------------------------------------------
CAUSAL_MASK_HINTS = [
    "row i is the query and column j the key; a GPT token may see itself and every earlier token, never a "
    "later one",
    "so True on and below the diagonal and False above it: a lower triangle of a (4, 4) matrix",
    "check the type: a matrix of ones and zeros (float or int) is not a boolean mask; the answer must be "
    "a (4, 4) tensor of booleans",
]


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
    grade(verdict, True, CAUSAL_MASK_HINTS, name="causal mask")


def _reference_combined_mask(attention_mask: Any, causal: bool) -> Any:
    """One boolean (B, 1, T, T) mask: no query attends to a pad, and (causal) none to a later token."""
    from ..transformer import causal_mask, padding_mask

    B, T = attention_mask.shape
    allowed = padding_mask(attention_mask).expand(B, 1, T, T)         # (B, 1, T, T): pads hidden
    if causal:
        allowed = allowed & causal_mask(T)                            # (B, 1, T, T): and the future
    return allowed


def combined_mask_cases() -> list[tuple[Any, bool]]:
    """Padded batches with and without the causal rule, one token, a fully padded row, no padding at all."""
    import torch

    batch = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]])
    return [(batch, True), (batch, False), (torch.tensor([[1]]), True), (torch.tensor([[1]]), False),
            (torch.tensor([[1, 1, 0], [0, 0, 0]]), True), (torch.ones(1, 5, dtype=torch.long), True),
            (torch.tensor([[1, 1, 1, 0]]).bool(), False)]


COMBINED_MASK_HINTS = [
    "a query may attend to a key only when both rules allow it: the key is not a pad, and (with causal) "
    "the key is not later than the query. 'Both' is a logical and of two boolean masks",
    "the padding mask of section 4 is (B, 1, 1, T) and the causal mask is (T, T); combined elementwise "
    "they broadcast to (B, 1, T, T), one (T, T) grid per sequence",
    "with causal=False there is nothing to combine, but the answer must still be (B, 1, T, T): repeat the "
    "padding mask along the query axis. And keep it boolean (True = may attend), not 0/1 numbers",
]


def _same_boolean_mask(mine: Any, expected: Any) -> bool:
    """The same shape and values, and boolean: a 0/1 integer mask cannot be inverted with ``~`` for
    ``masked_fill``, so it does not count."""
    return str(getattr(mine, "dtype", "")) in ("torch.bool", "bool") and same_result(mine, expected)


def exercise_combined_mask(fn: Any) -> None:
    """Notebook 04: ``fn(attention_mask, causal)`` builds the (B, 1, T, T) boolean mask of a padded batch,
    causal or not; run against the reference on seven cases."""
    grade_function(fn, _reference_combined_mask, combined_mask_cases(), COMBINED_MASK_HINTS,
                   name="combined mask", same=_same_boolean_mask)


# ----------------------------------------------------------------------------------------------
# parameter count
# ----------------------------------------------------------------------------------------------
ENCODER_LAYER_PARAMS_HINTS = [
    "go through the layer piece by piece: the attention's four projections, the two LayerNorms and the "
    "feed-forward network's two linear layers. Every linear layer has a weight matrix and a bias vector",
    "a linear map from a to b channels has a·b weights and b biases; a LayerNorm over C channels has a "
    "scale and a shift of C values each",
    "here C = 512 and d_ff = 2048: Q, K, V and O each map 512 → 512; the FFN maps 512 → 2048, then 2048 → 512",
]


def exercise_encoder_layer_params(answer: Any) -> None:
    """Notebook 04: parameters of one encoder layer of the original Transformer (d_model 512, d_ff 2048)."""
    from ..transformer import EncoderConfig, EncoderLayer, count_params

    expected = count_params(EncoderLayer(EncoderConfig(d_model=512, n_heads=8, d_ff=2048)))
    grade(answer, expected, ENCODER_LAYER_PARAMS_HINTS, name="encoder layer parameters")


# ----------------------------------------------------------------------------------------------
# ELMo's scalar mix (eq. 1 of Peters et al. 2018)
# ----------------------------------------------------------------------------------------------
def _reference_elmo_mix(layers: Any, w: Any, gamma: Any) -> Any:
    """γ Σ_j softmax(w)_j layers[:, j]: (N, L, D), (L,), () -> (N, D)."""
    import torch

    s = torch.softmax(w, dim=0)                                       # (L,): positive, sums to 1
    return gamma * (s[None, :, None] * layers).sum(1)                 # (N, D)


def elmo_mix_cases() -> list[tuple[Any, Any, Any]]:
    """Random layers and weights, equal weights, one layer, γ = 0, and raw weights large enough that
    exp() overflows unless the softmax subtracts the maximum first."""
    import torch

    g = torch.Generator().manual_seed(0)

    def rand(*shape: int) -> Any:
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    return [
        (rand(4, 3, 6), rand(3), torch.tensor(1.5, dtype=torch.float64)),
        (rand(2, 3, 5), torch.zeros(3, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)),
        (rand(5, 1, 4), rand(1), torch.tensor(0.7, dtype=torch.float64)),
        (rand(3, 3, 2), rand(3), torch.tensor(0.0, dtype=torch.float64)),
        (rand(2, 3, 4), torch.tensor([1000.0, 999.0, -5.0], dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)),
    ]


ELMO_MIX_HINTS = [
    "eq. 1 has two learned things: raw weights w, one per layer, turned into positive weights that sum to "
    "1 by a softmax over the layer axis, and one scale γ that multiplies the weighted sum",
    "shapes: layers is (N, L, D) and w is (L,). Give the normalised weights the shape (1, L, 1) so they "
    "broadcast over items and channels, multiply, and sum over the layer axis (dim 1) to get (N, D)",
    "if a case with large raw weights gives nan or inf, your softmax computes exp(1000): subtract the "
    "largest weight first (torch.softmax does), which leaves the result unchanged",
]


def exercise_elmo_mix(fn: Any) -> None:
    """Notebook 04: ``fn(layers, w, gamma)`` is ELMo's scalar mix, (N, L, D) -> (N, D); five cases."""
    grade_function(fn, _reference_elmo_mix, elmo_mix_cases(), ELMO_MIX_HINTS, name="ELMo scalar mix")
