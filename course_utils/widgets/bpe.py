"""The BPE merge stepper (notebook 03): move a slider through the learned merges and watch a word's
segmentation and the vocabulary grow. ``bpe_step_payload`` computes what one step shows (pure, tested);
``draw_bpe_step`` draws it; ``draw_bpe_progress`` is the static fallback (several steps in one picture)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt

from .. import viz
from ..errors import CourseError, require_text
from ..subword import BPE
from .core import show_figure

__all__ = ["bpe_step_payload", "draw_bpe_step", "draw_bpe_progress", "bpe_stepper"]

_BPE_ATTRIBUTES = ("merges", "trace", "encode_word", "vocab_size_after")
_SINGLE, _MERGED = "#e8e8e8", "#fde2c8"  # one character / a merged token


def _is_bpe(bpe: Any) -> bool:
    """A trained BPE: the package's ``subword.BPE`` or the notebook's own twin of it (same attributes)."""
    return isinstance(bpe, BPE) or all(hasattr(bpe, name) for name in _BPE_ATTRIBUTES)


def _check_step(bpe: BPE, step: int) -> int:
    if not _is_bpe(bpe):
        raise CourseError(f"expected a trained subword.BPE, got {type(bpe).__name__}")
    if not isinstance(step, int) or not 0 <= step <= len(bpe.merges):
        raise CourseError(f"step must be a whole number from 0 to {len(bpe.merges)} (the number of merges), "
                          f"got {step!r}")
    return step


def bpe_step_payload(bpe: BPE, word: str, step: int, *, recent: int = 8) -> dict[str, Any]:
    """What the stepper shows after the first ``step`` merges of ``bpe``.

    Keys: ``word``, ``step``, ``total_steps``, ``tokens`` (the word's segmentation), ``vocab_size``
    (alphabet + tokens made so far), ``recent`` (the last ``recent`` merges as (number, left, right, new
    token, count); count is None for a BPE built without a training trace), and ``changed`` (whether
    merge number ``step`` changed this word's segmentation).
    """
    require_text(word, "word")
    _check_step(bpe, step)
    counts = [m.count for m in bpe.trace] if len(bpe.trace) == len(bpe.merges) else [None] * len(bpe.merges)
    first = max(0, step - recent)
    rows = [(i + 1, a, b, a + b, counts[i]) for i, (a, b) in enumerate(bpe.merges[first:step], start=first)]
    tokens = bpe.encode_word(word, num_merges=step)
    before = bpe.encode_word(word, num_merges=step - 1) if step > 0 else tokens
    return {"word": word, "step": step, "total_steps": len(bpe.merges), "tokens": tokens,
            "vocab_size": bpe.vocab_size_after(step), "recent": rows, "changed": tokens != before}


def draw_bpe_step(payload: dict[str, Any]) -> plt.Figure:
    """One frame: the word's tokens (merged tokens shaded) above a table of the latest merges."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 3.2), gridspec_kw={"height_ratios": [1, 2.2]})
    tokens = payload["tokens"]
    colors = [_MERGED if len(t) > 1 else _SINGLE for t in tokens]
    viz.token_row(tokens, colors, ax=top, title=(
        f"'{payload['word']}' after {payload['step']} of {payload['total_steps']} merges: {len(tokens)} tokens"
        f" · vocabulary {payload['vocab_size']:,}" + ("  (this merge changed it)" if payload["changed"] else "")))
    bottom.axis("off")
    lines = [f"{'merge':>5}   {'pair':^21}   {'new token':<14}   {'count':>7}"]
    for number, a, b, new, count in payload["recent"]:
        shown = "" if count is None else f"{count:,}"
        lines.append(f"{number:>5}   {a!r:>9} + {b!r:<9}   {new!r:<14}   {shown:>7}")
    if not payload["recent"]:
        lines.append("  (no merges yet: every word is a sequence of characters)")
    # monospace for alignment, falling back to the course font (Hangul) for characters it lacks
    family = ["DejaVu Sans Mono", *plt.rcParams["font.family"]]
    bottom.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=9, family=family,
                transform=bottom.transAxes)
    bottom.set_title("latest merges (most frequent adjacent pair first)", loc="left", fontsize=10)
    fig.tight_layout()
    return fig


def draw_bpe_progress(bpe: BPE, word: str, steps: Sequence[int]) -> plt.Figure:
    """Static fallback: the segmentation of ``word`` after each number of merges in ``steps``."""
    require_text(word, "word")
    steps = [_check_step(bpe, s) for s in steps]
    if not steps:
        raise CourseError("give at least one step, e.g. steps=[0, 10, 100]")
    fig, axes = plt.subplots(len(steps), 1, figsize=(9, 0.75 * len(steps) + 0.4), squeeze=False)
    for ax, step in zip(axes[:, 0], steps, strict=True):
        tokens = bpe.encode_word(word, num_merges=step)
        viz.token_row(tokens, [_MERGED if len(t) > 1 else _SINGLE for t in tokens], ax=ax,
                      title=f"after {step:,} merges (vocabulary {bpe.vocab_size_after(step):,}): {len(tokens)} tokens")
    fig.suptitle(f"BPE merges applied to '{word}'", x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig


def bpe_stepper(bpe: BPE, word: str = "tokenization", step: int = 0):
    """A merge slider and a word box; every change redraws the segmentation and the latest merges."""
    import ipywidgets as w

    _check_step(bpe, step)
    slider = w.IntSlider(value=step, min=0, max=len(bpe.merges), description="merges:",
                         continuous_update=False, layout=w.Layout(width="90%"))
    box = w.Text(value=word, description="word:", continuous_update=False)
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        if not box.value.strip():
            out.append_stdout("type a word\n")
            return
        show_figure(out, draw_bpe_step(bpe_step_payload(bpe, box.value.strip(), slider.value)))

    slider.observe(render, names="value")
    box.observe(render, names="value")
    render()
    return w.VBox([w.HBox([box]), slider, out])
