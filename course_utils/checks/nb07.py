"""Exercise checkers of notebook 07 (ALBERT). Each computes its own answer with ``course_utils.albert``."""

from __future__ import annotations

from typing import Any

from .core import grade, grade_function

__all__ = ["EXERCISE_XLARGE", "EXERCISE_STACK", "exercise_embedding_params", "exercise_owned_blocks",
           "exercise_stack_params", "exercise_stack_parameters"]

# Exercise 1: ALBERT-xlarge's sizes (Lan et al. 2020, Table 1): V = 30,000, H = 2,048, E = 128.
EXERCISE_XLARGE: dict[str, int] = {"vocab_size": 30000, "hidden": 2048, "embedding": 128}

# Exercises 2 and 3: a stack of 12 layers of ALBERT-base width (H = 768, FFN = 3,072).
EXERCISE_STACK: dict[str, int] = {"layers": 12, "hidden": 768, "ffn": 3072}


def _as_ints(answer: Any) -> Any:
    try:
        return tuple(int(x) for x in answer)
    except (TypeError, ValueError):
        return None


def exercise_embedding_params(answer: Any) -> None:
    """Notebook 07: (BERT-style V·H, ALBERT's V·E + E·H) token-embedding parameters for ``EXERCISE_XLARGE``."""
    from ..albert import embedding_parameters

    s = EXERCISE_XLARGE
    expected = (embedding_parameters(s["vocab_size"], s["hidden"]),
                embedding_parameters(s["vocab_size"], s["hidden"], s["embedding"]))
    if answer is Ellipsis or answer is None:
        verdict = answer
    else:
        mine = _as_ints(answer)
        verdict = mine is not None and mine == expected
    grade(verdict, True, "give two numbers: V·H for one V×H table, then V·E + E·H for a V×E table followed by an "
          "E×H projection (biases left out, as in the paper's O(V·H) vs O(V·E + E·H))",
          name="embedding parameters")


def exercise_owned_blocks(answer: Any) -> None:
    """Notebook 07: {sharing mode: (attention blocks, feed-forward blocks) the stack owns} for 12 layers."""
    from ..albert import SHARING, owned_blocks

    expected = {mode: owned_blocks(EXERCISE_STACK["layers"], mode) for mode in SHARING}
    if answer is Ellipsis or answer is None:
        verdict = answer
    else:
        verdict = isinstance(answer, dict) and set(answer) == set(expected) and all(
            _as_ints(answer[mode]) == expected[mode] for mode in expected)
    grade(verdict, True, "one entry per mode of albert.SHARING; every layer *runs* an attention and a "
          "feed-forward block, but a shared block is stored once however many layers use it",
          name="blocks a shared stack owns")


def exercise_stack_params(answer: Any) -> None:
    """Notebook 07: parameters the layer stack (no embeddings, no pooler) owns with shared feed-forward blocks."""
    from ..albert import attention_parameters, ffn_parameters, owned_blocks

    s = EXERCISE_STACK
    n_attention, n_ffn = owned_blocks(s["layers"], "shared-FFN")
    expected = n_attention * attention_parameters(s["hidden"]) + n_ffn * ffn_parameters(s["hidden"], s["ffn"])
    if answer is Ellipsis or answer is None:
        verdict = answer
    else:
        try:
            verdict = int(answer) == expected
        except (TypeError, ValueError):
            verdict = False
    grade(verdict, True, "shared-FFN: 12 attention blocks of 4(H² + H) + 2H each, plus ONE feed-forward block "
          "of 2·H·FFN + FFN + H + 2H (LayerNorms included)", name="shared-FFN stack parameters")


def _reference_stack_parameters(layers: int, hidden: int, ffn: int, sharing: str) -> int:
    """Parameters a stack of ``layers`` encoder layers stores (no embeddings, no pooler) under ``sharing``."""
    from ..albert import attention_parameters, ffn_parameters, owned_blocks

    n_attention, n_ffn = owned_blocks(layers, sharing)
    return n_attention * attention_parameters(hidden) + n_ffn * ffn_parameters(hidden, ffn)


STACK_CASES: list[tuple[int, int, int, str]] = [
    (12, 768, 3072, "not-shared"), (12, 768, 3072, "shared-attention"), (12, 768, 3072, "shared-FFN"),
    (12, 768, 3072, "all-shared"),
    (1, 32, 64, "not-shared"), (1, 32, 64, "all-shared"),      # one layer: sharing stores nothing less
    (3, 16, 16, "shared-FFN"),                                  # an FFN as wide as H, not 4H
    (24, 1024, 4096, "shared-attention"),
]


def exercise_stack_parameters(fn: Any) -> None:
    """Notebook 07: ``stack_parameters(layers, hidden, ffn, sharing)``, the parameters a layer stack stores
    per sharing mode, run against the reference on ``STACK_CASES``."""
    hints = [
        "the stack stores some attention blocks and some feed-forward blocks: first count how many distinct "
        "blocks of each kind the sharing mode keeps (Exercise 2), then multiply each count by the size of one "
        "block and add",
        "one attention block: four H×H projections (query, key, value, output), each with a bias of H, plus a "
        "LayerNorm (a scale and a shift of H each); one feed-forward block: H→F and F→H, each with its bias, "
        "plus a LayerNorm of 2H",
        "check the edge cases: with one layer every mode stores the same; the FFN width is the ffn argument "
        "(not always 4H); 'shared-attention' keeps ONE attention block and one FFN per layer",
    ]
    grade_function(fn, _reference_stack_parameters, STACK_CASES, hints, name="stack_parameters")
