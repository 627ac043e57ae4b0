"""``compare`` (your result next to a library's) and ``grade`` (the engine of every exercise checker)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def compare(name: str, mine: Any, reference: Any, atol: float = 1e-5) -> bool:
    """Print ``name: exact | close | WRONG`` with the max abs difference; return True unless wrong."""
    a, b = _as_array(mine), _as_array(reference)
    if a.shape != b.shape:
        print(f"{name:<28} WRONG shape: mine {a.shape} vs reference {b.shape}")
        return False
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff == 0.0:
        verdict = "exact"
    elif diff <= atol:
        verdict = "close"
    else:
        verdict = "WRONG"
    print(f"{name:<28} {verdict:<6} max diff {diff:.2e} (atol {atol:.0e})")
    return verdict != "WRONG"


def grade(answer: Any, expected: Any, hint: str, *, name: str = "exercise") -> bool:
    """Print ``correct`` or a hint. ``...`` (an unfilled learner copy) gets the hint, never an error."""
    if answer is Ellipsis or answer is None:
        print(f"{name}: not answered yet. Hint: {hint}")
        return False
    try:
        ok = bool(np.all(np.asarray(answer) == np.asarray(expected))) if not isinstance(expected, str) \
            else answer == expected
    except (ValueError, TypeError):
        ok = False
    if ok:
        print(f"{name}: correct")
    else:
        print(f"{name}: not quite. Hint: {hint}")
    return ok

def grade_numbers(answer: Any, expected: Any, hint: str, *, name: str = "exercise", atol: float = 1e-4,
                  exact: bool = False) -> bool:
    """Grade a numeric answer (a number, a list or a tensor) with ``grade``: right when it has ``expected``'s
    shape (a single number may come in any one-element container) and equals it (``exact``) or is within
    ``atol`` of it. Anything that is not numbers gets the hint, never an error."""
    if answer is Ellipsis or answer is None:
        return grade(answer, True, hint, name=name)
    try:
        a = _as_array(answer)
    except (TypeError, ValueError):
        return grade(False, True, hint, name=name)
    b = _as_array(expected)
    if a.size == 1 and b.size == 1:
        a, b = a.reshape(()), b.reshape(())
    ok = a.shape == b.shape and (np.array_equal(a, b) if exact else bool(np.allclose(a, b, rtol=0, atol=atol)))
    return grade(ok, True, hint, name=name)


__all__ = ["compare", "grade", "grade_numbers"]
