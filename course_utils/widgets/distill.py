"""Temperature explorer (notebook 09): how softmax(z / T) turns a teacher's confident prediction into the
soft targets a student learns from.

``temperature_payload`` is pure (a distribution in, plain data out; tested with pytest); ``draw_temperature``
draws one frame for one or several temperatures (the static fallback, and the notebook's figure);
``temperature_explorer`` adds a slider on top.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..distill import check_temperature, softmax_with_temperature
from ..errors import CourseError, require_strings
from .core import show_figure

__all__ = ["GO_EXAMPLE", "temperature_payload", "draw_temperature", "temperature_explorer"]

# The notes' example: a teacher's next-word distribution for "I go ___" over a five-word vocabulary.
GO_EXAMPLE: dict[str, Any] = {
    "context": "I go ___",
    "words": ["home", "out", "there", "back", "banana"],
    "probs": [0.70, 0.15, 0.10, 0.03, 0.02],
}


def temperature_payload(probs: Sequence[float], words: Sequence[str], temperatures: Sequence[float], *,
                        softmax: Callable[[torch.Tensor, float], torch.Tensor] = softmax_with_temperature
                        ) -> dict[str, Any]:
    """The distribution ``probs`` re-shaped at each temperature: softmax(log p / T).

    At T = 1 it is ``probs`` itself. Returns the words, one distribution per temperature, its entropy in
    bits (log2 of the vocabulary size is the flattest possible), and the ratio between the second and
    the last word: the "dark knowledge" that T makes visible. ``softmax(logits, T)`` computes each
    distribution (the notebook passes its own ``softmax_with_temperature``, so an edit there shows here).
    """
    words = require_strings(words, "words", max_items=1_000)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 1 or len(p) != len(words) or len(p) < 2:
        raise CourseError(f"need one probability per word (at least two), got {len(p)} and {len(words)} words")
    if (p <= 0).any() or abs(p.sum() - 1) > 1e-6:
        raise CourseError(f"probabilities must be > 0 and sum to 1, got {p.tolist()} (sum {p.sum():.4f})")
    if not temperatures:
        raise CourseError("give at least one temperature")
    logits = torch.log(torch.tensor(p, dtype=torch.float32))                 # any logits with this softmax
    rows = []
    for T in temperatures:
        q = softmax(logits, check_temperature(T)).double().numpy()                # (C,)
        rows.append({
            "temperature": float(T),
            "probs": q.tolist(),
            "entropy_bits": float(-(q * np.log2(q)).sum()),
            "second_to_last": float(q[np.argsort(-p)[1]] / q[np.argsort(-p)[-1]]),
        })
    return {"words": list(words), "rows": rows, "max_entropy_bits": math.log2(len(p))}


def draw_temperature(payload: dict[str, Any], *, context: str = "") -> plt.Figure:
    """Grouped bars: one group per word, one bar per temperature; the legend gives each entropy."""
    words, rows = payload["words"], payload["rows"]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    x = np.arange(len(words))
    width = 0.8 / len(rows)
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, len(rows)))
    for i, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        ax.bar(x - 0.4 + width * (i + 0.5), row["probs"], width=width, color=colour,
               label=f"T = {row['temperature']:g} (entropy {row['entropy_bits']:.2f} bits)")
    ax.axhline(1 / len(words), color="grey", linestyle=":", linewidth=1,
               label=f"uniform: the limit of large T ({payload['max_entropy_bits']:.2f} bits)")
    ax.set_xticks(x, words)
    title = "softmax(z / T): a higher temperature softens the teacher's distribution"
    ax.set(xlabel=f"next word{f' after {context!r}' if context else ''}", ylabel="probability",
           ylim=(0, 1.0), title=title)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def temperature_explorer(probs: Sequence[float] | None = None, words: Sequence[str] | None = None, *,
                         context: str | None = None):
    """A temperature slider (0.25–10): the teacher at T = 1 beside the same distribution at the slider's T."""
    import ipywidgets as w

    probs = GO_EXAMPLE["probs"] if probs is None else probs
    words = GO_EXAMPLE["words"] if words is None else words
    context = GO_EXAMPLE["context"] if context is None else context
    slider = w.FloatLogSlider(value=2.0, base=10, min=math.log10(0.25), max=1.0, step=0.05,
                              description="T", readout_format=".2f")
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        payload = temperature_payload(probs, words, [1.0, slider.value])
        show_figure(out, draw_temperature(payload, context=context))

    slider.observe(render, names="value")
    render()
    return w.VBox([slider, out])
