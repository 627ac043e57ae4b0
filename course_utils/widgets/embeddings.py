"""The embedding explorer (notebook 01; reused for any word vectors): words → 2-D PCA map, nearest
neighbours and an analogy solver.

``explorer_payload`` computes everything as plain data (tested with pytest); ``draw_explorer`` is the
static frame; ``embedding_explorer`` is the thin ipywidgets layer that redraws on every edit and shows a
bad input (an unknown word, fewer than 2 words, a malformed analogy) as one line of text.
"""

from __future__ import annotations

import re
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..embeddings import WordVectors, as_word_vectors, pca_2d
from ..errors import CourseError, require_strings, require_text
from .core import show_figure

__all__ = [
    "parse_word_list", "parse_analogy", "scatter_payload", "neighbours_payload", "analogy_payload",
    "explorer_payload", "draw_explorer", "embedding_explorer", "DEFAULT_EXPLORER_WORDS",
]

DEFAULT_EXPLORER_WORDS = "man, woman, king, queen, uncle, aunt, boy, girl, father, mother"
_ANALOGY_RE = re.compile(r"^\s*([^\s+\-]+)\s*-\s*([^\s+\-]+)\s*\+\s*([^\s+\-]+)\s*$")


def parse_word_list(text: str) -> list[str]:
    """'king, queen  man' → ['king', 'queen', 'man']: split on commas/spaces, lower-case, drop repeats."""
    require_text(text, "the word list")
    out: list[str] = []
    for word in re.split(r"[,\s]+", text.strip().lower()):
        if word and word not in out:
            out.append(word)
    return out


def parse_analogy(text: str) -> tuple[str, str, str]:
    """'king - man + woman' → ('man', 'king', 'woman'): a is to b as c is to ?, i.e. b − a + c."""
    require_text(text, "the analogy")
    match = _ANALOGY_RE.match(text.lower())
    if match is None:
        raise CourseError(f"write the analogy as 'b - a + c', e.g. 'king - man + woman'; got {text!r}")
    b, a, c = match.groups()
    return a, b, c


def _vectors(vectors: Any) -> WordVectors:
    return as_word_vectors(vectors)


def scatter_payload(vectors: Any, words: list[str] | str) -> dict[str, Any]:
    """The chosen words' vectors projected on their first two principal components.

    Returns ``{"words", "xy" (n × 2 list), "explained" (2 variance ratios)}``. Needs at least 2 distinct
    words that all have vectors.
    """
    wv = _vectors(vectors)
    words = parse_word_list(words) if isinstance(words, str) else \
        list(dict.fromkeys(require_strings(words, "the words", max_items=200)))
    if len(words) < 2:
        raise CourseError(f"choose at least 2 different words for the map (got {len(words)}): "
                          "e.g. 'king, queen, man, woman'")
    wv.check(*words)
    xy, explained = pca_2d(np.stack([wv.vector(w) for w in words]))
    return {"words": words, "xy": np.round(xy, 6).tolist(), "explained": np.round(explained, 6).tolist()}


def neighbours_payload(vectors: Any, word: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` nearest words to ``word`` with their cosine similarities."""
    require_text(word, "the word")
    return _vectors(vectors).nearest(word.strip().lower(), k)


def analogy_payload(vectors: Any, analogy: str | tuple[str, str, str], k: int = 5) -> dict[str, Any]:
    """Solve 'b - a + c' (a string, or the tuple (a, b, c)): ``{"a", "b", "c", "answers"}``."""
    if isinstance(analogy, str):
        a, b, c = parse_analogy(analogy)
    else:
        parts = require_strings(analogy, "the analogy", max_items=3)
        if len(parts) != 3:
            raise CourseError(f"an analogy has three words (a - b + c), got {len(parts)}: e.g. 'king - man + woman'")
        a, b, c = parts
    return {"a": a, "b": b, "c": c, "answers": _vectors(vectors).analogy(a, b, c, k)}


def explorer_payload(vectors: Any, words: str | list[str], *, neighbours_of: str | None = None,
                     analogy: str | None = "king - man + woman", k: int = 5) -> dict[str, Any]:
    """Everything one frame of the explorer shows.

    The map holds ``words`` plus the analogy's words and its best answer; ``neighbours_of`` defaults to the
    first word. Raises ``CourseError`` (with a message that says what to fix) on bad input.
    """
    wv = _vectors(vectors)
    chosen = parse_word_list(words) if isinstance(words, str) else \
        list(dict.fromkeys(require_strings(words, "the words", max_items=200)))
    if len(chosen) < 2:
        raise CourseError(f"choose at least 2 different words for the map (got {len(chosen)}): "
                          "e.g. 'king, queen, man, woman'")
    wv.check(*chosen)
    solved = analogy_payload(wv, analogy, k) if analogy and analogy.strip() else None
    plotted = list(chosen)
    if solved is not None:
        for w in (solved["a"], solved["b"], solved["c"], solved["answers"][0][0]):
            if w not in plotted:
                plotted.append(w)
    target = (neighbours_of or chosen[0]).strip().lower()
    return {
        "name": wv.name,
        "scatter": scatter_payload(wv, plotted),
        "chosen": chosen,
        "neighbours_of": target,
        "neighbours": neighbours_payload(wv, target, k),
        "analogy": solved,
    }


def draw_explorer(payload: dict[str, Any]) -> plt.Figure:
    """Static frame: the PCA map (analogy arrows b−a and its answer highlighted) and a bar chart of the
    nearest neighbours."""
    fig, (ax_map, ax_nn) = plt.subplots(1, 2, figsize=(11, 4.3), gridspec_kw={"width_ratios": [1.5, 1]})
    scatter = payload["scatter"]
    xy = np.asarray(scatter["xy"])
    pos = {w: xy[i] for i, w in enumerate(scatter["words"])}
    solved = payload.get("analogy")
    answer = solved["answers"][0][0] if solved else None
    for w, (x, y) in pos.items():
        colour = "#d62728" if w == answer else ("#1f77b4" if w in payload["chosen"] else "#7f7f7f")
        ax_map.scatter([x], [y], color=colour, s=30, zorder=3)
        ax_map.annotate(w, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=9, color=colour)
    if solved:
        for start, end in ((solved["a"], solved["b"]), (solved["c"], answer)):
            ax_map.annotate("", xy=pos[end], xytext=pos[start],
                            arrowprops=dict(arrowstyle="->", color="#d62728", alpha=0.6, lw=1.2))
    ev = scatter["explained"]
    ax_map.set_xlabel(f"principal component 1 ({ev[0]:.0%} of variance)")
    ax_map.set_ylabel(f"principal component 2 ({ev[1]:.0%} of variance)")
    title = f"{payload['name']}: PCA of {len(pos)} word vectors"
    if solved:
        title += f"\n{solved['b']} − {solved['a']} + {solved['c']} ≈ {answer} (red)"
    ax_map.set_title(title, fontsize=10)
    ax_map.margins(0.15)

    words = [w for w, _ in payload["neighbours"]][::-1]
    sims = [s for _, s in payload["neighbours"]][::-1]
    ax_nn.barh(words, sims, color="#1f77b4")
    ax_nn.set_xlabel("cosine similarity")
    ax_nn.set_ylabel("neighbour")
    ax_nn.set_xlim(min(0.0, min(sims)), 1.0)
    ax_nn.set_title(f"nearest neighbours of '{payload['neighbours_of']}'", fontsize=10)
    fig.tight_layout()
    return fig


def embedding_explorer(vectors: Any, words: str = DEFAULT_EXPLORER_WORDS, *,
                       analogy: str = "king - man + woman", k: int = 5):
    """Text boxes for the words, the neighbour query and an analogy, a slider for k; every edit redraws.

    Bad input prints one line (what to fix) instead of a traceback.
    """
    import ipywidgets as w

    wv = _vectors(vectors)
    layout = w.Layout(width="90%")
    words_box = w.Text(value=words, description="words:", layout=layout, continuous_update=False)
    first = parse_word_list(words)[0] if words.strip() else ""
    query_box = w.Text(value=first, description="neighbours:", continuous_update=False)
    analogy_box = w.Text(value=analogy, description="analogy:", continuous_update=False,
                         placeholder="b - a + c, e.g. king - man + woman")
    k_slider = w.IntSlider(value=k, min=1, max=15, description="k:", continuous_update=False)
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        try:
            payload = explorer_payload(wv, words_box.value, neighbours_of=query_box.value or None,
                                       analogy=analogy_box.value, k=k_slider.value)
        except CourseError as err:
            out.append_stdout(f"{err}\n")
            return
        show_figure(out, draw_explorer(payload))

    for widget in (words_box, query_box, analogy_box, k_slider):
        widget.observe(render, names="value")
    render()
    return w.VBox([words_box, w.HBox([query_box, analogy_box, k_slider]), out])
