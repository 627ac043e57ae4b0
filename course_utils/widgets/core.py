"""Widget plumbing (figures into ``Output`` widgets) and the tokenizer explorer (notebooks 00, 03)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt

from .. import viz
from ..errors import require_text


def figure_png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes (and closed, so it is not also drawn below the cell)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=viz.DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def show_figure(out: Any, fig: plt.Figure) -> None:
    """Put a matplotlib figure into an ``ipywidgets.Output`` (works with or without a live kernel)."""
    from IPython.display import Image

    out.append_display_data(Image(data=figure_png(fig), format="png"))


# ----------------------------------------------------------------------------------------------
# tokenizer explorer (notebook 00; reused by 03)
# ----------------------------------------------------------------------------------------------
__all__ = ["PALETTE", "figure_png", "show_figure", "tokens_payload", "draw_tokens", "tokenizer_explorer"]

PALETTE = ("#dbe9f6", "#fde2c8", "#d7f0d2", "#f3d3e8", "#fff3b0", "#e3dcf5")


def tokens_payload(text: str, tokenizers: Mapping[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """For each named tokenizer: the (token, id) pairs of ``text``, without special tokens.

    Tokens are shown as the vocabulary stores them: WordPiece continuations start with '##'; GPT-2's
    byte-level tokens show a leading space as 'Ġ' and the bytes of a Korean syllable as Latin-1
    look-alikes ('ì', 'ķ'…).
    """
    require_text(text, "text to tokenize")
    out = {}
    for name, tok in tokenizers.items():
        ids = tok(text, add_special_tokens=False)["input_ids"]
        out[name] = list(zip(tok.convert_ids_to_tokens(ids), ids, strict=True))
    return out


def draw_tokens(payload: dict[str, list[tuple[str, int]]]) -> plt.Figure:
    """Static frame: one row of coloured token boxes per tokenizer, with its token count."""
    fig, axes = plt.subplots(len(payload), 1, figsize=(11, 0.95 * len(payload)), squeeze=False)
    for ax, (name, pairs) in zip(axes[:, 0], payload.items(), strict=True):
        tokens = [p for p, _ in pairs]
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(tokens))]
        viz.token_row(tokens, colors, ax=ax, title=f"{name}: {len(tokens)} tokens")
    fig.tight_layout()
    return fig


def tokenizer_explorer(tokenizers: Mapping[str, Any], text: str = "Tokenizers split 킹받네 into pieces."):
    """A text box; every edit redraws the token rows of each tokenizer."""
    import ipywidgets as w

    box = w.Text(value=text, description="text:", layout=w.Layout(width="90%"), continuous_update=False)
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        if not box.value.strip():
            out.append_stdout("type some text\n")
            return
        show_figure(out, draw_tokens(tokens_payload(box.value, tokenizers)))

    box.observe(render, names="value")
    render()
    return w.VBox([box, out])
