"""Exercise checkers of notebook 10 (language models and knowledge graphs). Each computes its own answer."""

from __future__ import annotations

from typing import Any

from .core import grade_function

__all__ = ["L1_LOSS_CASES", "TWO_HOP_CASES", "exercise_transe_l1_loss", "exercise_two_hop"]


def _l1_cases() -> list[tuple[Any, ...]]:
    import torch

    g = torch.Generator().manual_seed(10)
    cases = []
    for n, d, margin in ((4, 3, 1.0), (1, 5, 0.5), (6, 2, 2.0)):
        h, r, t, h_neg, t_neg = (torch.randn(n, d, generator=g) for _ in range(5))
        cases.append((h, r, t, h_neg, t_neg, margin))
    z = torch.zeros(2, 3)
    far = torch.full((2, 3), 5.0)
    cases.append((z, z, z, far, z, 1.0))      # negatives far away: every hinge is 0, the loss is 0
    return cases


L1_LOSS_CASES = _l1_cases()


def _reference_l1_loss(h: Any, r: Any, t: Any, h_neg: Any, t_neg: Any, margin: float) -> Any:
    d_pos = (h + r - t).abs().sum(dim=-1)              # (N,) L1 distance of the true triples
    d_neg = (h_neg + r - t_neg).abs().sum(dim=-1)      # (N,) ... of the corrupted ones
    return (margin + d_pos - d_neg).clamp(min=0).mean()


def exercise_transe_l1_loss(fn: Any) -> bool:
    """Notebook 10: ``transe_l1_loss(h, r, t, h_neg, t_neg, margin)``, TransE's margin loss with the L1
    distance, run against the reference on ``L1_LOSS_CASES``."""
    hints = [
        "two distances per row: one for the true triple (h, r, t), one for the corrupted triple (h_neg, r, t_neg); "
        "the loss asks the true one to be smaller by at least the margin, and is 0 once it is",
        "the L1 distance of a row is the sum of the absolute values of h + r − t over the last dimension; the "
        "hinge is max(0, margin + d_pos − d_neg) for each row",
        "return one number: the mean of the hinge over the rows (a 0-dimensional tensor); a row whose negative is "
        "already far away contributes 0, not a negative amount",
    ]
    return grade_function(fn, _reference_l1_loss, L1_LOSS_CASES, hints, name="transe_l1_loss")


def _toy_triples() -> list[tuple[str, str, str]]:
    return [("a", "likes", "b"), ("a", "likes", "c"), ("b", "owns", "x"), ("c", "owns", "x"), ("c", "owns", "y"),
            ("b", "likes", "a"), ("y", "owns", "z")]


def _course_triples() -> list[tuple[str, str, str]]:
    from ..knowledge import build_triples

    return [tuple(t) for t in build_triples()]


TWO_HOP_CASES: list[tuple[Any, ...]] = [
    ("course", "Paris", "capital_of", "language"),
    ("course", "Anna", "lives_in", "capital_of"),
    ("course", "Kate", "lives_in", "home_of"),
    ("toy", "a", "likes", "owns"),          # two middles (b, c) that reach the same tail x: listed once
    ("toy", "b", "likes", "likes"),          # a → b and a → c: both, sorted
    ("toy", "x", "owns", "owns"),            # no triple starts at x: an empty list
]


def _materialise(case: tuple[Any, ...]) -> tuple[Any, ...]:
    which, *rest = case
    return (_course_triples() if which == "course" else _toy_triples(), *rest)


def _reference_two_hop(triples: Any, head: str, first: str, second: str) -> list[str]:
    middles = {t for h, r, t in triples if h == head and r == first}
    return sorted({t for h, r, t in triples if h in middles and r == second})


def exercise_two_hop(fn: Any) -> bool:
    """Notebook 10: ``two_hop(triples, head, first, second)``, the sorted tails reachable from ``head`` by
    a ``first`` edge then a ``second`` edge, run against the reference on ``TWO_HOP_CASES``."""
    hints = [
        "a two-hop query is two one-hop queries in a row: first collect every middle entity m with (head, first, m), "
        "then every tail t with (m, second, t) for any of those middles",
        "keep the middles in a set, and the tails in a set too: two middles can lead to the same tail, which "
        "must be listed once",
        "return sorted(...) of the tails; when nothing matches, return an empty list rather than raising",
    ]
    cases = [_materialise(c) for c in TWO_HOP_CASES]
    return grade_function(fn, _reference_two_hop, cases, hints, name="two_hop")
