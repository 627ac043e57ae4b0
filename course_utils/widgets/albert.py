"""ALBERT parameter calculator (notebook 07): where a BERT-style encoder's parameters are, and what
factorised embeddings and cross-layer sharing remove.

``parameter_calculator_payload`` is pure (sizes in, counts per component out; tested with pytest);
``draw_parameter_calculator`` draws one frame (the static fallback); ``parameter_calculator`` adds sliders.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..albert import SHARING, parameter_counts
from .core import show_figure

__all__ = ["parameter_calculator_payload", "draw_parameter_calculator", "parameter_calculator"]

_COLOURS = ("#4c72b0", "#8fb3de", "#c7c7c7", "#dd8452", "#55a868", "#8172b3")


def parameter_calculator_payload(vocab_size: int = 30000, hidden: int = 768, embedding: int = 128,
                                 layers: int = 12, sharing: str = "all-shared", *, ffn: int | None = None,
                                 positions: int = 512) -> dict[str, Any]:
    """Counts per component for a BERT-style encoder (E = H, nothing shared) and for the ALBERT-style one
    with embedding size ``embedding`` and ``sharing``, the same V, H, L and FFN size (4H by default).

    Returns ``components`` (names, in drawing order), ``models`` (label → {component: count}),
    ``totals`` (label → count), ``ratio`` (BERT total / ALBERT total) and the ``settings``."""
    bert = parameter_counts(vocab_size, hidden, None, layers, "not-shared", ffn=ffn, positions=positions)
    albert = parameter_counts(vocab_size, hidden, embedding, layers, sharing, ffn=ffn, positions=positions)
    labels = ("BERT-style (E = H, not shared)", f"ALBERT-style (E = {embedding}, {sharing})")
    models = dict(zip(labels, (bert, albert), strict=True))
    totals = {label: sum(counts.values()) for label, counts in models.items()}
    return {
        "components": list(bert),
        "models": models,
        "totals": totals,
        "ratio": totals[labels[0]] / totals[labels[1]],
        "settings": {"vocab_size": vocab_size, "hidden": hidden, "embedding": embedding, "layers": layers,
                     "sharing": sharing, "ffn": 4 * hidden if ffn is None else ffn},
    }


def draw_parameter_calculator(payload: dict[str, Any]) -> plt.Figure:
    """Two horizontal stacked bars (millions of parameters), one segment per component."""
    labels = list(payload["models"])
    fig, ax = plt.subplots(figsize=(10, 3.4))
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for colour, component in zip(_COLOURS, payload["components"], strict=False):
        values = np.array([payload["models"][label][component] for label in labels]) / 1e6
        ax.barh(y, values, left=left, color=colour, edgecolor="white", label=component)
        left += values
    for yi, label in zip(y, labels, strict=True):
        ax.text(payload["totals"][label] / 1e6, yi, f"  {payload['totals'][label]:,}", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    s = payload["settings"]
    ax.set(xlabel="parameters (millions)", xlim=(0, max(payload["totals"].values()) / 1e6 * 1.25),
           title=f"V = {s['vocab_size']:,}, H = {s['hidden']}, L = {s['layers']}, FFN = {s['ffn']:,}: "
                 f"ALBERT-style is {payload['ratio']:.1f}× smaller")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), fontsize=8, ncol=len(payload["components"]),
              frameon=False)
    fig.tight_layout()
    return fig


def parameter_calculator(vocab_size: int = 30000, hidden: int = 768, embedding: int = 128, layers: int = 12,
                         sharing: str = "all-shared"):
    """Sliders for V, H, E and L and a sharing menu; every change redraws the stacked bars."""
    import ipywidgets as w

    style = {"description_width": "120px"}
    v = w.IntSlider(value=vocab_size, min=1000, max=100000, step=1000, description="vocabulary V", style=style)
    h = w.IntSlider(value=hidden, min=64, max=4096, step=64, description="hidden H", style=style)
    e = w.IntSlider(value=embedding, min=16, max=1024, step=16, description="embedding E", style=style)
    n = w.IntSlider(value=layers, min=1, max=48, description="layers L", style=style)
    mode = w.Dropdown(options=list(SHARING), value=sharing, description="sharing", style=style)
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        payload = parameter_calculator_payload(v.value, h.value, e.value, n.value, mode.value)
        show_figure(out, draw_parameter_calculator(payload))

    for control in (v, h, e, n, mode):
        control.observe(render, names="value")
    render()
    return w.VBox([w.HBox([w.VBox([v, h, e]), w.VBox([n, mode])]), out])

