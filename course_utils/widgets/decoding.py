"""Decoding explorer (notebook 06): how temperature, top-k and top-p reshape the next-token distribution.

``decoding_payload`` is pure (logits in, plain data out; tested with pytest); ``draw_decoding`` draws one
frame (the static fallback); ``decoding_explorer`` adds sliders and a "sample" button on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..decoding import check_sampling_params, next_token_probs
from ..errors import CourseError, require_strings
from .core import show_figure

__all__ = ["decoding_payload", "draw_decoding", "decoding_explorer"]


def decoding_payload(logits: torch.Tensor, tokens: Sequence[str], *, temperature: float = 1.0,
                     top_k: int | None = None, top_p: float | None = None, show: int = 12,
                     seed: int | None = None) -> dict[str, Any]:
    """The ``show`` most likely next tokens with their probability before and after the knobs.

    ``logits``: (V,) next-token logits; ``tokens``: the V token strings. Returns the shown tokens, their
    original probabilities (temperature 1, no filter), the adjusted probabilities, how many tokens keep a
    non-zero probability, the mass the shown bars cover, and — with a ``seed`` — one sampled token.
    """
    check_sampling_params(temperature, top_k, top_p)
    tokens = require_strings(tokens, "tokens (one string per vocabulary entry)", max_items=1_000_000)
    logits = torch.as_tensor(logits, dtype=torch.float32)
    if logits.dim() != 1 or len(tokens) != logits.shape[0]:
        raise CourseError(f"need (V,) logits and V tokens, got {tuple(logits.shape)} and {len(tokens)}")
    original = torch.softmax(logits, dim=-1)
    adjusted = next_token_probs(logits, temperature, top_k, top_p)
    order = torch.argsort(original, descending=True)[:show].tolist()
    sample = None
    if seed is not None:
        generator = torch.Generator().manual_seed(seed)
        sample = tokens[int(torch.multinomial(adjusted, 1, generator=generator))]
    return {
        "tokens": [tokens[i] for i in order],
        "original": [float(original[i]) for i in order],
        "adjusted": [float(adjusted[i]) for i in order],
        "kept": int((adjusted > 0).sum()),
        "vocab": int(logits.shape[0]),
        "shown_mass": float(adjusted[order].sum()),
        "settings": {"temperature": temperature, "top_k": top_k, "top_p": top_p},
        "sample": sample,
    }


def draw_decoding(payload: dict[str, Any], *, context: str = "") -> plt.Figure:
    """Bars: original probability (grey outline) and the adjusted one (filled) of the shown tokens."""
    tokens = [repr(t)[1:-1] for t in payload["tokens"]]
    x = np.arange(len(tokens))
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.bar(x, payload["original"], width=0.8, facecolor="none", edgecolor="grey", label="original (T = 1)")
    ax.bar(x, payload["adjusted"], width=0.55, color="tab:blue", label="after temperature / top-k / top-p")
    ax.set_xticks(x, tokens, rotation=45, ha="right")
    s = payload["settings"]
    title = (f"T = {s['temperature']:g}, top-k = {s['top_k'] or 'off'}, top-p = {s['top_p'] or 'off'}: "
             f"{payload['kept']:,} of {payload['vocab']:,} tokens can be drawn")
    if payload["sample"] is not None:
        title += f"; sampled {payload['sample']!r}"
    ax.set(xlabel="next token (the most likely ones at T = 1)", ylabel="probability", ylim=(0, 1.05),
           title=title)
    if context:
        ax.text(0.99, 0.95, f"after: …{context[-40:]!r}", transform=ax.transAxes, ha="right", va="top",
                fontsize=8, color="dimgrey")
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def decoding_explorer(logits: torch.Tensor, tokens: Sequence[str], *, context: str = "", show: int = 12):
    """Sliders for temperature, top-k (0 = off) and top-p; a button draws a sample from the result."""
    import ipywidgets as w

    labels = {"description_width": "7em"}   # wide enough for "temperature" and "top-k (0 off)", not cut off
    temperature = w.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="temperature", style=labels)
    top_k = w.IntSlider(value=0, min=0, max=50, description="top-k (0 off)", style=labels)
    top_p = w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p", style=labels)
    button = w.Button(description="sample")
    out = w.Output()
    draws = {"n": 0}

    def render(change: dict | None = None, seed: int | None = None) -> None:
        out.outputs = ()
        payload = decoding_payload(logits, tokens, temperature=temperature.value, top_k=top_k.value or None,
                                   top_p=top_p.value if top_p.value < 1 else None, show=show, seed=seed)
        show_figure(out, draw_decoding(payload, context=context))

    def sample(_: Any) -> None:
        draws["n"] += 1
        render(seed=draws["n"])

    for slider in (temperature, top_k, top_p):
        slider.observe(render, names="value")
    button.on_click(sample)
    render()
    return w.VBox([w.HBox([temperature, top_k, top_p]), button, out])
