"""The attention widget and the attention-mask widget (notebook 04; reused wherever attention is shown).

Payloads are plain data computed apart from the drawing (the bertviz/ecco idea) and tested with pytest:

* ``attention_payload(text, tokenizer, model, text_pair=None)`` runs a BERT-style encoder once and keeps
  every layer's and head's attention weights with the token labels and segment ids;
* ``attention_mask_payload(tokens, kind, n_pad)`` says which keys each query may attend to under a
  bidirectional (BERT) or causal (GPT) mask, with padding.

Drawing: ``draw_attention_head`` (one head: the full heatmap, or the lines from one chosen token, as in
bertviz's head view), ``draw_attention_model_view`` (every layer × head), ``draw_attention_mask``. The
widgets (``attention_widget``, ``attention_mask_widget``) are thin layers over those; each owns its controls
and its ``Output``, so several live in one notebook without touching each other. Layers and heads are
0-based in code and shown 1-based in titles and menus, as "layer 2 · head 4".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .. import viz
from ..errors import CourseError, require_strings, require_text
from .core import show_figure

__all__ = [
    "AttentionPayload", "attention_payload", "draw_attention_head", "draw_attention_model_view",
    "attention_widget", "ATTENTION_MASK_KINDS", "attention_mask_payload", "draw_attention_mask", "attention_mask_widget",
]

SEGMENT_COLOURS = ("#222222", "#1f5fbf")  # token labels: segment A black, segment B blue


# ----------------------------------------------------------------------------------------------
# attention of a real encoder
# ----------------------------------------------------------------------------------------------
@dataclass
class AttentionPayload:
    """Everything the attention pictures need. ``weights[l, h, i, j]``: how much token ``i`` (query)
    attends to token ``j`` (key) in layer ``l``, head ``h``; each row sums to 1."""

    tokens: list[str]
    segments: list[int]        # token_type_ids: 0 for the first sentence, 1 for the second
    weights: np.ndarray        # (n_layers, n_heads, T, T)
    text: str
    text_pair: str | None = None

    @property
    def n_layers(self) -> int:
        return self.weights.shape[0]

    @property
    def n_heads(self) -> int:
        return self.weights.shape[1]

    def labels(self) -> list[str]:
        """Unique labels ``"3 · the"`` (position · token), for menus where tokens repeat."""
        return [f"{i} · {t}" for i, t in enumerate(self.tokens)]

    def check(self, layer: int, head: int, token: int | None = None) -> None:
        """Raise a ``CourseError`` if the layer, head or token index is out of range."""
        if not 0 <= layer < self.n_layers:
            raise CourseError(f"layer must be 0..{self.n_layers - 1} (0-based), got {layer}")
        if not 0 <= head < self.n_heads:
            raise CourseError(f"head must be 0..{self.n_heads - 1} (0-based), got {head}")
        if token is not None and not 0 <= token < len(self.tokens):
            raise CourseError(f"token must be 0..{len(self.tokens) - 1}, got {token}")


def _max_positions(model: Any) -> int:
    config = getattr(model, "config", None)
    for name in ("max_positions", "max_position_embeddings"):
        if hasattr(config, name):
            return int(getattr(config, name))
    raise CourseError("the model has no maximum length in its config: pass a BERT-style encoder")


def attention_payload(text: str, tokenizer: Any, model: Any, text_pair: str | None = None) -> AttentionPayload:
    """Run ``model`` (a ``transformers`` BertModel loaded with ``attn_implementation="eager"``, or the
    course's ``transformer.Encoder``) on ``text`` (and ``text_pair``: a sentence pair with [SEP] and
    segment ids) and keep all its attention weights."""
    import torch

    from ..transformer import Encoder

    require_text(text, "sentence")
    if text_pair is not None:
        require_text(text_pair, "second sentence")
    enc = tokenizer(text, text_pair, return_tensors="pt")
    n_tokens, limit = enc["input_ids"].shape[1], _max_positions(model)
    if n_tokens > limit:
        raise CourseError(f"the text has {n_tokens} tokens but the model reads at most {limit}: shorten it")
    # the course's encoder: the package's class, or notebook 04's own copy of it (a different class object
    # with the same code), recognised by its EncoderConfig (``max_positions``; BERT's says max_position_embeddings)
    course_encoder = isinstance(model, Encoder) or hasattr(getattr(model, "config", None), "max_positions")
    with torch.no_grad():
        if course_encoder:
            out = model(enc["input_ids"], enc["attention_mask"], enc.get("token_type_ids"))
        else:
            out = model(**enc, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise CourseError("the model returned no attentions: load it with attn_implementation='eager' "
                          "(models.load(..., task='encoder') does)")
    weights = torch.stack([a[0] for a in out.attentions]).float().numpy()  # (L, H, T, T)
    segments = enc["token_type_ids"][0].tolist() if "token_type_ids" in enc else [0] * n_tokens
    return AttentionPayload(tokenizer.convert_ids_to_tokens(enc["input_ids"][0]), segments, weights,
                            text, text_pair)


def _colour_ticklabels(labels: Sequence[Any], segments: Sequence[int]) -> None:
    for label, segment in zip(labels, segments, strict=True):
        label.set_color(SEGMENT_COLOURS[segment % 2])


def draw_attention_head(payload: AttentionPayload, layer: int, head: int, token: int | None = None) -> plt.Figure:
    """One head. ``token=None``: the full heatmap (rows: queries, columns: keys). ``token=i``: lines from
    token ``i`` (left) to every token (right), thicker and darker for larger weights, with the weights."""
    payload.check(layer, head, token)
    tokens, weights = payload.tokens, payload.weights[layer, head]   # (T, T)
    T = len(tokens)
    name = f"layer {layer + 1} · head {head + 1}"
    if token is None:
        fig, ax = plt.subplots(figsize=(min(12.0, 0.42 * T + 2.5), min(10.0, 0.36 * T + 1.6)))
        pair = " (blue: second sentence)" if any(payload.segments) else ""
        viz.heatmap(weights, tokens, tokens, ax=ax, title=f"attention, {name}{pair}",
                    xlabel="attended-to token (key)", ylabel="token (query)")
        _colour_ticklabels(ax.get_xticklabels(), payload.segments)
        _colour_ticklabels(ax.get_yticklabels(), payload.segments)
        fig.tight_layout()
        return fig
    row = weights[token]                                             # (T,)
    fig, ax = plt.subplots(figsize=(5.6, 0.3 * T + 1.0))
    for j in range(T):
        ax.plot([0.18, 0.82], [-token, -j], color="#c0392b", alpha=float(0.08 + 0.92 * row[j] / row.max()),
                linewidth=0.5 + 6.0 * float(row[j]))
    for i, t in enumerate(tokens):
        colour = SEGMENT_COLOURS[payload.segments[i] % 2]
        box = {"boxstyle": "round,pad=0.2", "facecolor": "#fde2c8", "edgecolor": "none"} if i == token else None
        ax.text(0.16, -i, t, ha="right", va="center", fontsize=9, color=colour, bbox=box)
        ax.text(0.84, -i, f"{t}  {row[i]:.2f}", ha="left", va="center", fontsize=9, color=colour)
    ax.set_xlim(-0.25, 1.3)
    ax.set_ylim(-T + 0.4, 0.8)
    ax.set_xticks([0.16, 0.84], ["query", "keys and weights"])
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{name}: where '{tokens[token]}' (position {token}) attends")
    fig.tight_layout()
    return fig


def draw_attention_model_view(payload: AttentionPayload, highlight: tuple[int, int] | None = None) -> plt.Figure:
    """Every head of every layer as a small heatmap (rows: layers, columns: heads); ``highlight`` frames
    one (layer, head) in red."""
    L, H = payload.n_layers, payload.n_heads
    fig, axes = plt.subplots(L, H, figsize=(0.95 * H + 0.6, 0.95 * L + 0.8), squeeze=False)
    for layer in range(L):
        for head in range(H):
            ax = axes[layer, head]
            ax.imshow(payload.weights[layer, head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if (layer, head) == highlight:
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color("red")
                    spine.set_linewidth(2.5)
            if layer == 0:
                ax.set_title(f"head {head + 1}", fontsize=8)
            if head == 0:
                ax.set_ylabel(f"layer {layer + 1}", fontsize=8)
    fig.suptitle(f"Model view: all {L} layers × {H} heads ({len(payload.tokens)} tokens; rows: queries, "
                 "columns: keys; colour from 0 to 1)", fontsize=10)
    fig.tight_layout()
    return fig


def attention_widget(tokenizer: Any, model: Any, text: str = "The cat sat on the mat because it was tired.",
                     text_pair: str | None = None, layer: int = 0, head: int = 0):
    """Sentence boxes (a second sentence makes a pair), layer/head/token menus and a head/model view switch.

    The model runs once per text; changing the layer, head, token or view only redraws.
    """
    import ipywidgets as w

    box = w.Text(value=text, description="sentence", continuous_update=False, layout=w.Layout(width="95%"))
    pair_box = w.Text(value=text_pair or "", description="pair (opt.)", placeholder="optional second sentence",
                      continuous_update=False, layout=w.Layout(width="95%"))
    layer_menu = w.Dropdown(description="layer", layout=w.Layout(width="150px"))
    head_menu = w.Dropdown(description="head", layout=w.Layout(width="150px"))
    token_menu = w.Dropdown(description="token", layout=w.Layout(width="300px"))
    view = w.ToggleButtons(options=["head view", "model view"], value="head view")
    out = w.Output()
    state: dict[str, Any] = {"payload": None, "quiet": False}

    def draw(change: dict | None = None) -> None:
        payload = state["payload"]
        if state["quiet"] or payload is None:
            return
        out.outputs = ()
        if view.value == "model view":
            fig = draw_attention_model_view(payload, highlight=(layer_menu.value, head_menu.value))
        else:
            token = None if token_menu.value in (None, -1) else token_menu.value
            fig = draw_attention_head(payload, layer_menu.value, head_menu.value, token)
        show_figure(out, fig)

    def recompute(change: dict | None = None) -> None:
        pair = pair_box.value if pair_box.value.strip() else None
        try:
            payload = attention_payload(box.value, tokenizer, model, pair)
        except CourseError as err:
            state["payload"] = None
            out.outputs = ()
            out.append_stdout(f"{err}\n")
            return
        state["payload"], state["quiet"] = payload, True  # refill the menus without redrawing each time
        old_layer = layer if layer_menu.value is None else layer_menu.value
        old_head = head if head_menu.value is None else head_menu.value
        layer_menu.options = [(str(i + 1), i) for i in range(payload.n_layers)]
        layer_menu.value = min(old_layer, payload.n_layers - 1)
        head_menu.options = [(str(i + 1), i) for i in range(payload.n_heads)]
        head_menu.value = min(old_head, payload.n_heads - 1)
        token_menu.options = [("all (heatmap)", -1)] + [(label, i) for i, label in enumerate(payload.labels())]
        token_menu.value = -1
        state["quiet"] = False
        draw()

    box.observe(recompute, names="value")
    pair_box.observe(recompute, names="value")
    for control in (layer_menu, head_menu, token_menu, view):
        control.observe(draw, names="value")
    recompute()
    widget = w.VBox([box, pair_box, w.HBox([layer_menu, head_menu, token_menu]), view, out])
    widget.add_class("course-attention")
    return widget


# ----------------------------------------------------------------------------------------------
# masks: which positions may each token attend to?
# ----------------------------------------------------------------------------------------------
ATTENTION_MASK_KINDS = ("bidirectional (BERT)", "causal (GPT)")


def attention_mask_payload(tokens: Sequence[str], kind: str = ATTENTION_MASK_KINDS[0], n_pad: int = 0) -> dict[str, Any]:
    """The mask for ``tokens`` followed by ``n_pad`` [PAD] tokens, and the attention weights it leaves
    when every score is equal (so each allowed key gets 1 / number of allowed keys).

    Returns ``tokens`` (with the pads), ``allowed`` (T, T) booleans, True = query i may attend to key j,
    and ``weights`` (T, T) whose rows sum to 1 and are 0 wherever ``allowed`` is False.
    """
    import torch

    from ..transformer import causal_mask, padding_mask, scaled_dot_product_attention

    tokens = require_strings(tokens, "tokens", max_items=512)
    if not tokens:
        raise CourseError("no tokens: give at least one token (e.g. tokenizer.tokenize('The cat sat.'))")
    if kind not in ATTENTION_MASK_KINDS:
        raise CourseError(f"mask kind must be one of {ATTENTION_MASK_KINDS}, got {kind!r}")
    if not isinstance(n_pad, int) or n_pad < 0:
        raise CourseError(f"n_pad must be a whole number >= 0, got {n_pad!r}")
    T = len(tokens) + n_pad
    real = torch.tensor([[1] * len(tokens) + [0] * n_pad])           # (1, T) like a tokenizer's attention_mask
    allowed = padding_mask(real)[0, 0].expand(T, T)                   # (T, T): no query sees a pad key
    if kind == ATTENTION_MASK_KINDS[1]:
        allowed = allowed & causal_mask(T)                            # (T, T): and nothing to its right
    zeros = torch.zeros(T, 1)
    _, weights = scaled_dot_product_attention(zeros, zeros, torch.eye(T), allowed)  # equal scores
    return {"tokens": tokens + ["[PAD]"] * n_pad, "kind": kind, "n_pad": n_pad,
            "allowed": allowed.numpy().copy(), "weights": weights.numpy()}


def draw_attention_mask(payload: dict[str, Any]) -> plt.Figure:
    """Left: which keys each query may attend to. Right: the weights when all scores are equal."""
    tokens = payload["tokens"]
    T = len(tokens)
    fig, axes = plt.subplots(1, 2, figsize=(min(14.0, 0.8 * T + 4.5), min(7.0, 0.3 * T + 1.8)))
    viz.heatmap(payload["allowed"].astype(float), tokens, tokens, ax=axes[0], cmap="Greens", colorbar=False,
                title=f"{payload['kind']}: may attend (green)", xlabel="key", ylabel="query")
    viz.heatmap(payload["weights"], tokens, tokens, ax=axes[1], cmap="viridis", annotate=T <= 12,
                title="weights when all scores are equal", xlabel="key", ylabel="query")
    fig.tight_layout()
    return fig


def attention_mask_widget(tokens: Sequence[str], max_pad: int = 4):
    """A mask kind switch and a padding slider over ``tokens``; redraws the mask and its weights."""
    import ipywidgets as w

    attention_mask_payload(tokens)  # fail early, with a clear message, on bad tokens
    kind = w.ToggleButtons(options=list(ATTENTION_MASK_KINDS), value=ATTENTION_MASK_KINDS[0], description="mask")
    pads = w.IntSlider(value=0, min=0, max=max_pad, description="[PAD]s")
    out = w.Output()

    def draw(change: dict | None = None) -> None:
        out.outputs = ()
        show_figure(out, draw_attention_mask(attention_mask_payload(tokens, kind.value, pads.value)))

    kind.observe(draw, names="value")
    pads.observe(draw, names="value")
    draw()
    widget = w.VBox([w.HBox([kind, pads]), out])
    widget.add_class("course-attention-mask")
    return widget
