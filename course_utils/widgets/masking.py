"""Masking explorer (notebook 05): BERT's 15% × 80/10/10 masking of one sentence, resampled on demand.

``masking_payload`` is pure (text in, plain data out; tested with pytest) and uses the same
``pretraining.mask_tokens`` that pre-trains ``course/bert-mini``; ``draw_masking`` draws one frame (the
static fallback); ``masking_explorer`` adds a text box, a mask-rate slider and a "resample" button.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Patch

from .. import viz
from ..errors import CourseError, require_text
from ..pretraining import KEPT, MASKED, RANDOM, UNTOUCHED, mask_tokens
from .core import show_figure

__all__ = ["MASKING_COLOURS", "masking_payload", "draw_masking", "masking_explorer"]

# one colour per kind of position; special tokens are white, as they can never be chosen
MASKING_COLOURS: dict[str, str] = {"[MASK]": "#f4a261", "random": "#e76f7a", "kept": "#8ecae6",
                                   "untouched": "#eeeeee", "special": "#ffffff"}
_KIND = {UNTOUCHED: "untouched", MASKED: "[MASK]", RANDOM: "random", KEPT: "kept"}


def masking_payload(text: str, tokenizer: Any, *, mlm_probability: float = 0.15, seed: int = 0) -> dict[str, Any]:
    """Mask ``text`` as BERT does and say what happened to every token.

    Returns the original tokens, the tokens the model reads, the kind of each position ("[MASK]",
    "random", "kept", "untouched" or "special"), the counts of each kind, the number of maskable
    (non-special) tokens, and the settings.
    """
    require_text(text, "sentence to mask")
    if getattr(tokenizer, "mask_token_id", None) is None:
        raise CourseError(f"{type(tokenizer).__name__} has no [MASK] token: use a BERT tokenizer")
    if not isinstance(mlm_probability, (int, float)) or not 0 < mlm_probability <= 1:
        raise CourseError(f"the mask rate must be in (0, 1] (BERT uses 0.15), got {mlm_probability!r}")
    ids = torch.tensor([tokenizer(text)["input_ids"]])                      # (1, T) with [CLS] … [SEP]
    special_ids = list(tokenizer.all_special_ids)
    generator = torch.Generator().manual_seed(int(seed))
    out = mask_tokens(ids, mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer), special_ids=special_ids,
                      mlm_probability=float(mlm_probability), generator=generator)
    special = torch.isin(ids[0], torch.tensor(special_ids))
    kinds = ["special" if s else _KIND[int(k)] for k, s in zip(out.kinds[0].tolist(), special.tolist(), strict=True)]
    counts = {name: kinds.count(name) for name in ("[MASK]", "random", "kept", "untouched")}
    return {
        "tokens": tokenizer.convert_ids_to_tokens(ids[0].tolist()),
        "shown": tokenizer.convert_ids_to_tokens(out.input_ids[0].tolist()),
        "kinds": kinds,
        "counts": counts,
        "maskable": int((~special).sum()),
        "mlm_probability": float(mlm_probability),
        "seed": int(seed),
    }


def draw_masking(payload: dict[str, Any]) -> plt.Figure:
    """Two rows of token boxes: the sentence, and what the model reads, coloured by kind; counts in the title."""
    fig, axes = plt.subplots(2, 1, figsize=(11, 2.3))
    viz.token_row(payload["tokens"], [MASKING_COLOURS["special"] if k == "special" else MASKING_COLOURS["untouched"]
                                      for k in payload["kinds"]], ax=axes[0], title="the sentence")
    c = payload["counts"]
    chosen = c["[MASK]"] + c["random"] + c["kept"]
    title = (f"what the model reads (mask rate {payload['mlm_probability']:.0%}, draw {payload['seed']}): "
             f"{chosen} of {payload['maskable']} tokens chosen — {c['[MASK]']} [MASK], {c['random']} random, "
             f"{c['kept']} kept")
    viz.token_row(payload["shown"], [MASKING_COLOURS[k] for k in payload["kinds"]], ax=axes[1], title=title)
    handles = [Patch(facecolor=MASKING_COLOURS[k], edgecolor="#555", label=k)
               for k in ("[MASK]", "random", "kept", "untouched")]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def masking_explorer(tokenizer: Any, text: str = "The quick brown fox jumps over the lazy dog near the river bank.",
                     *, mlm_probability: float = 0.15):
    """A text box, a mask-rate slider and a "resample" button that draws a new mask for the same settings."""
    import ipywidgets as w

    box = w.Text(value=text, description="sentence:", layout=w.Layout(width="90%"), continuous_update=False)
    rate = w.FloatSlider(value=mlm_probability, min=0.05, max=1.0, step=0.05, description="mask rate",
                         readout_format=".0%")
    button = w.Button(description="resample")
    out = w.Output()
    draws = {"seed": 0}

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        if not box.value.strip():
            out.append_stdout("type a sentence\n")
            return
        payload = masking_payload(box.value, tokenizer, mlm_probability=rate.value, seed=draws["seed"])
        show_figure(out, draw_masking(payload))

    def resample(_: Any) -> None:
        draws["seed"] += 1
        render()

    box.observe(render, names="value")
    rate.observe(render, names="value")
    button.on_click(resample)
    render()
    return w.VBox([box, w.HBox([rate, button]), out])
