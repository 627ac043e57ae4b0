"""Exercise checkers of notebook 08 (ELECTRA). Each computes its own answer."""

from __future__ import annotations

from typing import Any

from .core import grade_numbers

__all__ = ["EXERCISE_RTD", "EXERCISE_JOINT_LOSS", "exercise_rtd_labels", "exercise_joint_loss"]

# Exercise 1: one padded sentence before and after the generator filled its masked positions.
# Ids 0–4 are [PAD], [UNK], [CLS], [SEP], [MASK]. Positions 2, 3 and 5 were masked; at position 3 the
# generator sampled the original token back.
EXERCISE_RTD: dict[str, Any] = {
    "original": [2, 311, 87, 95, 410, 66, 17, 3, 0, 0],
    "corrupted": [2, 311, 52, 95, 410, 240, 17, 3, 0, 0],
    "masked_positions": [2, 3, 5],
    "special_ids": [0, 1, 2, 3, 4],
}

# Exercise 2: the generator's MLM loss of a batch and the discriminator's logits and labels of its tokens.
EXERCISE_JOINT_LOSS: dict[str, Any] = {
    "mlm_loss": 3.2,
    "disc_logits": [[-2.0, 1.5, -0.5, 0.0, 3.0], [-1.0, -3.0, 2.0, 0.5, -4.0]],
    "labels": [[-100, 1, 0, 0, -100], [-100, 0, 1, 0, -100]],
    "disc_weight": 50,
}


def exercise_rtd_labels(answer: Any) -> None:
    """Notebook 08: the 10 RTD labels (1 replaced, 0 original, -100 excluded) of ``EXERCISE_RTD``."""
    from ..electra import rtd_labels

    e = EXERCISE_RTD
    expected = rtd_labels(e["original"], e["corrupted"], special_ids=e["special_ids"]).numpy()
    grade_numbers(answer, expected, "compare the two id lists position by position: -100 where the original id is special "
          "([CLS] 2, [SEP] 3, [PAD] 0), else 1 if the ids differ and 0 if they are equal — a masked position "
          "where the generator sampled the original token back is 0 (original)", name="RTD labels", exact=True)


def exercise_joint_loss(answer: Any) -> None:
    """Notebook 08: L_MLM + λ·L_Disc for ``EXERCISE_JOINT_LOSS`` (one number)."""
    import torch

    from ..electra import discriminator_loss, electra_loss

    e = EXERCISE_JOINT_LOSS
    disc = discriminator_loss(torch.tensor(e["disc_logits"]), torch.tensor(e["labels"]))
    expected = float(electra_loss(e["mlm_loss"], disc, e["disc_weight"]))
    grade_numbers(answer, expected, "L_Disc is the mean binary cross-entropy −[y·log σ(z) + (1−y)·log(1−σ(z))] over the "
          "6 positions whose label is not -100 (not the sum, not all 10); then add mlm_loss + 50 · L_Disc",
          name="joint loss", atol=1e-3)
