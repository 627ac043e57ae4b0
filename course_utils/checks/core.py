"""``compare`` (your result next to a library's), ``grade`` and ``grade_function`` (the engines of every
exercise checker: a value, or a function the learner wrote run against the reference), with stepped hints."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
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


Hints = str | Sequence[str]

# How many wrong answers each exercise has had in this kernel: the n-th wrong answer gets hint n.
_WRONG: dict[str, int] = {}


def _hint(hints: Hints, name: str, wrong: bool) -> str:
    """The hint to print: the first (conceptual) one for an unanswered exercise and for the first wrong
    answer, then one step more specific after each further wrong answer (the last one repeats). Steps are
    numbered when there is more than one."""
    steps = [hints] if isinstance(hints, str) else list(hints)
    if not steps:
        return "no hint for this one: reread the section above"
    if wrong:
        _WRONG[name] = _WRONG.get(name, 0) + 1
    level = min(_WRONG[name] - 1 if wrong else 0, len(steps) - 1)
    if len(steps) == 1:
        return steps[0]
    return f"(hint {level + 1} of {len(steps)}) {steps[level]}"


def reset_hints(name: str | None = None) -> None:
    """Forget the wrong answers of one exercise (or of all), so its hints start again from the first."""
    if name is None:
        _WRONG.clear()
    else:
        _WRONG.pop(name, None)


def grade(answer: Any, expected: Any, hint: Hints, *, name: str = "exercise") -> bool:
    """Print ``correct`` or a hint. ``...`` (an unfilled learner copy) gets the first hint, never an error.

    ``hint`` is one hint or a list of them, from conceptual to specific: each wrong answer moves one
    step further (never to the answer itself)."""
    if answer is Ellipsis or answer is None:
        print(f"{name}: not answered yet. Hint: {_hint(hint, name, wrong=False)}")
        return False
    try:
        if isinstance(expected, str):
            ok = answer == expected
        else:  # same shape and values: an empty list is no answer to "how many?"
            a, b = np.asarray(answer), np.asarray(expected)
            ok = a.shape == b.shape and bool(np.all(a == b))
    except (ValueError, TypeError):
        ok = False
    if ok:
        print(f"{name}: correct")
        reset_hints(name)
    else:
        print(f"{name}: not quite. Hint: {_hint(hint, name, wrong=True)}")
    return ok


def same_result(mine: Any, reference: Any, atol: float = 1e-5) -> bool:
    """True when two results agree: tensors and arrays by shape and values (within ``atol``; booleans and
    integers exactly), numbers within ``atol``, strings exactly, and lists, tuples and dicts item by item."""
    if isinstance(reference, dict):
        return isinstance(mine, dict) and mine.keys() == reference.keys() and \
            all(same_result(mine[k], reference[k], atol) for k in reference)
    if isinstance(reference, (list, tuple)) and not _is_numeric_list(reference):
        return isinstance(mine, (list, tuple)) and len(mine) == len(reference) and \
            all(same_result(a, b, atol) for a, b in zip(mine, reference, strict=True))
    if isinstance(reference, str) or reference is None:
        return mine == reference
    try:
        a, b = _as_raw(mine), _as_raw(reference)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape or a.dtype.kind in "OUS" or b.dtype.kind in "OUS":
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if b.dtype.kind == "b":      # a mask must come back as booleans, not 0/1 numbers
        return a.dtype.kind == "b" and bool(np.array_equal(a, b))
    if b.dtype.kind in "iu":     # counts and ids: integers, exactly
        return a.dtype.kind in "iu" and bool(np.array_equal(a, b))
    return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=0, atol=atol, equal_nan=True))


def _is_numeric_list(x: Any) -> bool:
    if any(hasattr(item, "detach") for item in x):  # a tuple of tensors: compare them one by one
        return False
    try:
        return np.asarray(x).dtype.kind in "biuf"
    except Exception:  # noqa: BLE001 - ragged or odd containers are compared item by item
        return False


def _as_raw(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _short(x: Any, limit: int = 120) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        described = f"{type(x).__name__} of shape {tuple(x.shape)} ({x.dtype})"
        if int(np.prod(x.shape)) <= 6:  # small: show the values too (a scalar loss, a short row)
            described += f" = {_as_raw(x).tolist()}"
        return described
    if isinstance(x, tuple) and any(hasattr(item, "shape") for item in x):
        return "(" + ", ".join(_short(item, limit // 2) for item in x) + ")"
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def grade_function(fn: Any, reference: Callable[..., Any], cases: Sequence[Any], hints: Hints, *,
                   name: str = "exercise", atol: float = 1e-5,
                   same: Callable[[Any, Any], bool] | None = None) -> bool:
    """Grade a function the learner wrote by running it and ``reference`` on every case.

    Each case is a tuple of positional arguments (or a dict of keyword arguments); both functions get
    their own deep copy, so an in-place edit cannot leak. The verdict names the first case that fails
    (its input, what came back, and what kind of result was expected) and prints a stepped hint; an
    unfilled exercise (``...``, or a body that raises ``NotImplementedError``) prints the first hint and
    never raises. ``same(mine, expected)`` replaces the default comparison (``same_result``)."""
    same = same or (lambda a, b: same_result(a, b, atol))
    if fn is Ellipsis or fn is None:
        print(f"{name}: not written yet. Hint: {_hint(hints, name, wrong=False)}")
        return False
    if not callable(fn):
        print(f"{name}: expected a function, got {type(fn).__name__}. Hint: {_hint(hints, name, wrong=True)}")
        return False
    for i, case in enumerate(cases, 1):
        args, kwargs = ((), dict(case)) if isinstance(case, dict) else (tuple(case), {})
        expected = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
        try:
            mine = fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            print(f"{name}: not written yet. Hint: {_hint(hints, name, wrong=False)}")
            return False
        except Exception as exc:  # noqa: BLE001 - any error in the learner's code is a hint, not a crash
            print(f"{name}: case {i} of {len(cases)} ({shown}) raised {type(exc).__name__}: {exc}\n"
                  f"  Hint: {_hint(hints, name, wrong=True)}")
            return False
        if not same(mine, expected):
            print(f"{name}: case {i} of {len(cases)} ({shown}) gave {_short(mine)}; "
                  f"expected {_short(expected)}\n  Hint: {_hint(hints, name, wrong=True)}")
            return False
    print(f"{name}: correct ({len(cases)} cases, edge cases included)")
    reset_hints(name)
    return True


def grade_numbers(answer: Any, expected: Any, hint: Hints, *, name: str = "exercise", atol: float = 1e-4,
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


__all__ = ["compare", "grade", "grade_function", "grade_numbers", "reset_hints", "same_result"]
