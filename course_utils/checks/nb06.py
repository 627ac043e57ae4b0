"""Exercise checkers of notebook 06 (GPT-2 and GPT-3). Each computes its own answer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import grade

__all__ = ["EXERCISE_LOGITS", "EXERCISE_SHOTS", "exercise_top_k_probs", "exercise_k_shot_prompt"]

# Exercise 1: next-token logits over a 6-token vocabulary; keep the top 3, renormalise.
EXERCISE_LOGITS: list[float] = [2.0, -1.0, 0.5, 3.0, 0.0, 1.0]

# Exercise 2: a 2-shot prompt in the GPT-3 format (Brown et al. 2020, Fig. 2.1).
EXERCISE_SHOTS: dict[str, Any] = {
    "description": "Translate English to French:",
    "shots": [("sea otter", "loutre de mer"), ("peppermint", "menthe poivrée")],
    "query": "cheese",
}


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
    grade(verdict, True, "keep the 3 largest logits (3.0, 2.0, 1.0), set the other three to -inf (probability "
          "0), then softmax: the result still has 6 entries and sums to 1", name="top-k probabilities")


def exercise_k_shot_prompt(answer: Any) -> None:
    """Notebook 06: the 2-shot prompt of ``EXERCISE_SHOTS`` as one string."""
    from ..decoding import k_shot_prompt

    s = EXERCISE_SHOTS
    expected = k_shot_prompt(s["description"], s["shots"], s["query"])
    grade(answer, expected, "one line per part, joined with '\\n': the description, then 'x => y' for each shot, "
          "then the query followed by ' =>' and nothing after it (no trailing space or newline)",
          name="k-shot prompt")
