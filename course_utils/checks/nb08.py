"""Exercise checkers of notebook 08 (ELECTRA). Each computes its own answer."""

from __future__ import annotations

from typing import Any

from .core import grade_numbers

__all__ = ["EXERCISE_RTD", "EXERCISE_JOINT_LOSS", "exercise_rtd_labels", "exercise_joint_loss",
           "exercise_replaced_labels"]

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


def _reference_replaced_labels(input_ids: Any, chosen: Any, samples: Any, attention_mask: Any,
                               special_ids: Any) -> Any:
    """RTD labels from the masked positions and the generator's samples: corrupt, then compare."""
    from ..electra import corrupt, rtd_labels

    return rtd_labels(input_ids, corrupt(input_ids, chosen, samples), special_ids=special_ids,
                      attention_mask=attention_mask)


def _replaced_label_cases() -> list[tuple[Any, ...]]:
    import torch

    special = [0, 1, 2, 3, 4]                      # [PAD], [UNK], [CLS], [SEP], [MASK]
    ids = torch.tensor([[2, 311, 87, 95, 410, 66, 17, 3, 0, 0],
                        [2, 40, 41, 42, 43, 44, 45, 46, 47, 3]])                  # (B, T) = (2, 10)
    mask = (ids != 0).long()                                                     # (B, T)
    chosen = torch.zeros_like(ids, dtype=torch.bool)
    chosen[0, [2, 3, 5]] = True
    chosen[1, [1, 8]] = True
    samples = torch.tensor([52, 95, 240, 99, 47])  # (M,): row 0's second sample is the original (95)
    one = torch.tensor([[2, 7, 3]])                                              # a one-word sentence
    one_chosen = torch.tensor([[False, True, False]])
    return [
        (ids, chosen, samples, mask, special),                                   # a padded batch
        (ids, chosen, ids[chosen], mask, special),                               # every sample = the original
        (ids, torch.zeros_like(chosen), samples[:0], mask, special),              # nothing masked
        (one, one_chosen, torch.tensor([9]), torch.ones_like(one), special),     # one token, replaced
        (one, one_chosen, torch.tensor([7]), torch.ones_like(one), special),     # one token, sampled back
    ]


def exercise_replaced_labels(fn: Any) -> None:
    """Notebook 08: ``replaced_labels(input_ids, chosen, samples, attention_mask, special_ids)``, the RTD
    labels built from the masked positions and the generator's samples, run against the reference."""
    from .core import grade_function

    hints = [
        "start from 'original' (0) everywhere; only a masked position can be replaced, and it is replaced "
        "only if its sample differs from the token that was there; positions with no loss get -100",
        "the samples come in the order the True positions of `chosen` are read row by row, which is the "
        "order in which indexing the ids with the boolean mask returns the originals: compare those two "
        "(M,) vectors; then overwrite padding (attention mask 0) and special-token positions with -100",
        "edge cases: a sample equal to the original is 0, not 1; with nothing masked every real token is 0; "
        "return a (B, T) integer tensor, the shape of input_ids",
    ]
    grade_function(fn, _reference_replaced_labels, _replaced_label_cases(), hints, name="replaced_labels")
