"""Exercise checkers of notebook 09 (knowledge distillation). Each computes its own answer."""

from __future__ import annotations

from typing import Any

from .core import grade_numbers

__all__ = ["EXERCISE_TEMPERATURE", "EXERCISE_DISTILLATION", "exercise_softmax_temperature",
           "exercise_distillation_loss"]

# Exercise 1: a teacher's logits over four classes, softened at T = 3.
EXERCISE_TEMPERATURE: dict[str, Any] = {"logits": [4.0, 1.0, 0.5, -2.0], "T": 3.0}

# Exercise 2: one batch of two sentences (two classes); the second has no label (a transfer sentence).
EXERCISE_DISTILLATION: dict[str, Any] = {
    "student_logits": [[1.0, -0.5], [0.2, 0.4]],
    "teacher_logits": [[2.5, -1.0], [-0.5, 1.5]],
    "labels": [0, -100],
    "T": 2.0, "alpha_ce": 5.0, "alpha_task": 2.0,
}


def exercise_softmax_temperature(answer: Any) -> None:
    """Notebook 09: the four probabilities softmax(z / T) of ``EXERCISE_TEMPERATURE``."""
    import torch

    from ..distill import softmax_with_temperature

    e = EXERCISE_TEMPERATURE
    expected = softmax_with_temperature(torch.tensor(e["logits"]), e["T"]).double().numpy()
    grade_numbers(answer, expected, "divide every logit by T first, then softmax: exp(z_i / T) / Σ_j exp(z_j / T); the "
          "four values sum to 1 and are less peaked than softmax(z)", name="softmax with temperature")


def exercise_distillation_loss(answer: Any) -> None:
    """Notebook 09: α_ce · KL(p_teacher ‖ p_student) · T² + α_task · CE(labelled rows) for ``EXERCISE_DISTILLATION``."""
    import torch

    from ..distill import LossWeights, distillation_loss

    e = EXERCISE_DISTILLATION
    weights = LossWeights(ce=e["alpha_ce"], task=e["alpha_task"], cos=0.0, temperature=e["T"])
    expected = distillation_loss(torch.tensor(e["student_logits"]), torch.tensor(e["teacher_logits"]),
                                 torch.tensor(e["labels"]), weights)["loss"].item()
    grade_numbers(answer, expected, "L_ce: softmax both rows' logits at T, KL(teacher ‖ student) summed over classes and "
          "averaged over the 2 rows, times T²; L_task: the ordinary cross-entropy of the labelled row only "
          "(label -100 means 'no label'); the answer is α_ce · L_ce + α_task · L_task, one number",
          name="distillation loss")
