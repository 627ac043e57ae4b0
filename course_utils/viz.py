"""Matplotlib helpers: modest-dpi defaults, a Korean-capable font, heatmaps, curves, token rows."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib import font_manager

from .errors import CourseError

KOREAN_FONT = "NanumGothic"
DPI = 80  # modest: committed notebooks stay small


def korean_font_path() -> Path | None:
    """NanumGothic bundled by the koreanize-matplotlib package, found without importing it
    (its import breaks on Python ≥ 3.12)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "fonts" / "NanumGothic.ttf"
    return path if path.exists() else None


def setup(dpi: int = DPI) -> str | None:
    """Course plot defaults plus a Korean-capable font; returns the font family used (or None)."""
    matplotlib.rcParams.update({
        "figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (6.4, 3.6),
        "axes.grid": False, "axes.spines.top": False, "axes.spines.right": False,
        "axes.unicode_minus": False,  # NanumGothic has no U+2212 minus sign
    })
    path = korean_font_path()
    if path is None:
        warnings.warn("Korean font not found: install the [offline] extra (koreanize-matplotlib) "
                      "to render Hangul in plots", stacklevel=2)
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
    return family


def heatmap(matrix: np.ndarray, xlabels: Sequence[str], ylabels: Sequence[str], *, title: str = "",
            xlabel: str = "", ylabel: str = "", ax: plt.Axes | None = None, cmap: str = "viridis",
            colorbar: bool = True, annotate: bool = False) -> plt.Axes:
    """A labelled heatmap, e.g. attention weights (rows: queries, columns: keys)."""
    matrix = np.asarray(matrix)
    if matrix.shape != (len(ylabels), len(xlabels)):
        raise CourseError(f"matrix shape {matrix.shape} does not match {len(ylabels)} row and "
                          f"{len(xlabels)} column labels")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * len(xlabels) + 2, 0.4 * len(ylabels) + 1.2))
    im = ax.imshow(matrix, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(xlabels)), xlabels, rotation=60, ha="right")
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if annotate:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7, color="w")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def curves(series: dict[str, Sequence[float]], *, xlabel: str = "step", ylabel: str = "loss",
           title: str = "", ax: plt.Axes | None = None, logy: bool = False) -> plt.Axes:
    """Several named curves on one labelled axis (loss curves, accuracy vs shots…)."""
    if ax is None:
        _, ax = plt.subplots()
    for name, values in series.items():
        ax.plot(np.arange(len(values)), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logy:
        ax.set_yscale("log")
        # plain tick labels: NanumGothic has no U+2212 minus for matplotlib's 10⁻³ mathtext labels
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    if len(series) > 1:
        ax.legend()
    return ax


def token_row(tokens: Sequence[str], colors: Sequence[str] | None = None, *, ax: plt.Axes | None = None,
              title: str = "", y: float = 0.5) -> plt.Axes:
    """Draw tokens as coloured boxes in one row (tokenizer output, masking, replaced tokens)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, 0.9 + 0.75 * len(tokens)), 0.9))
    colors = list(colors) if colors is not None else ["#dbe9f6"] * len(tokens)
    if len(colors) != len(tokens):
        raise CourseError(f"{len(tokens)} tokens but {len(colors)} colours")
    x = 0.0
    for token, color in zip(tokens, colors, strict=True):
        width = 0.35 + 0.13 * max(1, len(token))
        ax.add_patch(matplotlib.patches.FancyBboxPatch(
            (x, y - 0.3), width, 0.6, boxstyle="round,pad=0.02", facecolor=color, edgecolor="#555"))
        ax.text(x + width / 2, y, token, ha="center", va="center", fontsize=10)
        x += width + 0.12
    ax.set_xlim(-0.1, max(x, 1.0))
    ax.set_ylim(y - 0.45, y + 0.45)
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=10)
    return ax
