"""Exercise checkers of notebook 06 (GPT-2 and GPT-3). Each computes its own answer.

``exercise_min_p_filter`` and ``exercise_repetition_penalty`` run the learner's function against a reference
(``_reference_...`` below) on several inputs, edge cases included; the other two grade a value."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade, grade_function

__all__ = ["EXERCISE_LOGITS", "EXERCISE_SHOTS", "exercise_top_k_probs", "exercise_k_shot_prompt",
           "exercise_min_p_filter", "exercise_repetition_penalty"]

# Exercise 1: next-token logits over a 6-token vocabulary; keep the top 3, renormalise.
EXERCISE_LOGITS: list[float] = [2.0, -1.0, 0.5, 3.0, 0.0, 1.0]

# Exercise 2: a 2-shot prompt in the GPT-3 format (Brown et al. 2020, Fig. 2.1), with Korean inputs.
EXERCISE_SHOTS: dict[str, Any] = {
    "description": "Translate Korean to English:",
    "shots": [("고양이", "cat"), ("사과", "apple")],
    "query": "물",
}

TOP_K_HINTS = [
    "top-k removes every token outside the k most likely from the draw; the survivors share all the "
    "probability, so the result still has 6 entries and sums to 1",
    "the 3 largest logits are 3.0, 2.0 and 1.0. A removed token must get probability exactly 0, which a "
    "softmax gives to a logit of minus infinity",
    "replace the three other logits by minus infinity and apply the softmax to all 6; the kept tokens keep "
    "the ratios they had (e^3 : e^2 : e^1)",
]


def exercise_top_k_probs(answer: Any) -> None:
    """Notebook 06: the 6 probabilities after top-k filtering (k = 3) of ``EXERCISE_LOGITS`` and softmax."""
    import torch

    from ..decoding import next_token_probs

    expected = next_token_probs(torch.tensor(EXERCISE_LOGITS), top_k=3).numpy()
    if answer is Ellipsis or answer is None:
        verdict = answer
    else:
        if hasattr(answer, "detach"):
            answer = answer.detach().cpu().numpy()
        try:
            a = np.asarray(answer, dtype=np.float64)
            verdict = a.shape == expected.shape and bool(np.allclose(a, expected, atol=1e-4))
        except (TypeError, ValueError):
            verdict = False
    grade(verdict, True, TOP_K_HINTS, name="top-k probabilities")


K_SHOT_HINTS = [
    "the GPT-3 format has one line per part: the description, one line per solved example, then the query, "
    "whose answer the model is to write",
    "an example line is the input, the arrow ' => ' with a space on each side, and the answer; the lines "
    "are joined by newlines",
    "the prompt stops right after the query's arrow: the query, a space and '=>', with no space or newline "
    "after it (the answer's first token brings its own space)",
]


def exercise_k_shot_prompt(answer: Any) -> None:
    """Notebook 06: the 2-shot prompt of ``EXERCISE_SHOTS`` as one string."""
    from ..decoding import k_shot_prompt

    s = EXERCISE_SHOTS
    expected = k_shot_prompt(s["description"], s["shots"], s["query"])
    grade(answer, expected, K_SHOT_HINTS, name="k-shot prompt")


# ----------------------------------------------------------------------------------------------
# min-p filtering (Nguyen et al. 2024): the threshold scales with the top token's probability
# ----------------------------------------------------------------------------------------------
def _reference_min_p_filter(logits: Any, min_p: float) -> Any:
    """Keep the tokens whose probability is at least ``min_p`` times the most likely token's; -inf the rest."""
    import torch

    probs = torch.softmax(logits.float(), dim=-1)                      # (..., V)
    top = probs.max(dim=-1, keepdim=True).values                      # (..., 1)
    threshold = min_p * top                                           # (..., 1), one threshold per row
    drop = probs < threshold                                          # (..., V)
    return logits.masked_fill(drop, float("-inf"))                    # (..., V)


def min_p_cases() -> list[tuple[Any, float]]:
    """Inputs of the min-p checker: a plain row, a confident and a flat row, min_p = 1 with a tie at the
    top, a tiny min_p (everything stays), one token, and a batch of rows with different thresholds."""
    import torch

    g = torch.Generator().manual_seed(6)
    return [
        (torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0, -3.0]), 0.2),
        (torch.tensor([8.0, 1.0, 0.5, 0.0, -1.0]), 0.1),                 # confident: only the top survives
        (torch.tensor([0.3, 0.2, 0.25, 0.1, 0.0]), 0.5),                 # flat: most survive
        (torch.tensor([1.0, 3.0, 3.0, 0.0]), 1.0),                       # a tie at the top: both stay
        (torch.tensor([4.0, -4.0, 0.0, 2.0]), 1e-6),                     # nothing is dropped
        (torch.tensor([0.7]), 0.5),                                      # one token
        (torch.randn(3, 10, generator=g) * 2, 0.3),                      # a batch: one threshold per row
    ]


MIN_P_HINTS = [
    "min-p keeps a token when its probability is at least a fraction min_p of the *most likely* token's "
    "probability: a confident model keeps few tokens, an unsure one many. Work with probabilities (a "
    "softmax over the last axis), then filter the logits",
    "per row: the largest probability times min_p is the threshold; a token below it is dropped, a token "
    "equal to it stays (with min_p = 1 every token tied for the top survives). Keep the row axis when you "
    "take the maximum, so a batch (..., V) gets one threshold per row",
    "return the logits themselves, same shape, with the dropped positions set to minus infinity (as the "
    "top-k and top-p filters above do), not the probabilities",
]


def exercise_min_p_filter(fn: Any) -> None:
    """Notebook 06: ``fn(logits, min_p)`` is min-p filtering of (..., V) logits; seven cases."""
    grade_function(fn, _reference_min_p_filter, min_p_cases(), MIN_P_HINTS, name="min-p filter")


# ----------------------------------------------------------------------------------------------
# the repetition penalty of CTRL (Keskar et al. 2019), as transformers applies it
# ----------------------------------------------------------------------------------------------
def _reference_repetition_penalty(logits: Any, previous: list[int], penalty: float) -> Any:
    """Make every token of ``previous`` less likely: a positive logit is divided by ``penalty``, a negative
    one multiplied by it, once per token however often it occurred. The other logits are unchanged."""
    import torch

    out = logits.clone()                                              # (V,)
    if len(previous) == 0:
        return out
    seen = torch.tensor(sorted(set(previous)), dtype=torch.long)      # (S,) each token once
    picked = out[seen]                                                # (S,)
    out[seen] = torch.where(picked < 0, picked * penalty, picked / penalty)
    return out                                                        # (V,)


def repetition_penalty_cases() -> list[tuple[Any, list[int], float]]:
    """Inputs of the repetition-penalty checker: mixed signs, a token repeated three times, no previous
    tokens, penalty 1 (no change), a zero logit, every token seen, a one-token vocabulary."""
    import torch

    logits = torch.tensor([2.0, -1.0, 0.5, 3.0, -0.2, 1.0])
    return [
        (logits, [0, 1], 1.3),
        (logits, [3, 3, 3, 2], 2.0),                                      # repeated: penalised once
        (logits, [], 1.5),                                                # nothing generated yet
        (logits, [0, 4, 5], 1.0),                                         # penalty 1 changes nothing
        (torch.tensor([0.0, 1.0, -2.0]), [0, 2], 1.2),                    # a zero logit stays zero
        (logits, [5, 4, 3, 2, 1, 0], 1.1),                                # every token seen
        (torch.tensor([-0.5]), [0, 0], 3.0),                              # one token
    ]


REPETITION_PENALTY_HINTS = [
    "the penalty must make an already generated token *less* likely whatever the sign of its logit: "
    "dividing a negative logit would raise it, so a negative logit is multiplied by the penalty instead",
    "each distinct token of `previous` is penalised once, however many times it occurred (an empty list "
    "changes nothing); tokens never generated keep their logits exactly",
    "work on a copy of the (V,) logits: for each distinct previous token, divide its logit by the penalty "
    "if it is positive (or zero), multiply it if negative; return the whole (V,) tensor",
]


def exercise_repetition_penalty(fn: Any) -> None:
    """Notebook 06: ``fn(logits, previous, penalty)`` applies CTRL's repetition penalty; seven cases."""
    grade_function(fn, _reference_repetition_penalty, repetition_penalty_cases(), REPETITION_PENALTY_HINTS,
                   name="repetition penalty")
