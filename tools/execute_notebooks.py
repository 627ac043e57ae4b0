"""Execute notebooks for commit: each in a fresh kernel, in local model mode, widget state stripped.

Usage: python tools/execute_notebooks.py notebooks/00_setup_and_tour.ipynb [...]
Widget views keep their plain-text fallback (tqdm bars leave one per bar); ``metadata.widgets`` and
execution timings are removed, so a committed notebook holds only what the reader needs; each cell's
slide type (tools/slide_metadata.py) is set from the new outputs.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slide_metadata  # noqa: E402  (tools/slide_metadata.py: the slides' cut, kept in each cell's metadata)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _progress_text(model_id: str, state: dict) -> str | None:
    """The final text of a tqdm.auto bar (an HBox of prefix HTML, FloatProgress, postfix HTML) from the
    saved widget state, e.g. ``training: 100%|██████████| 200/200 [00:05<00:00, 37it/s]``; None if the
    widget is no progress bar."""
    box = state.get(model_id, {})
    children = box.get("state", {}).get("children", []) if box.get("model_name") == "HBoxModel" else []
    models = [state.get(c.removeprefix("IPY_MODEL_"), {}) for c in children]
    if [m.get("model_name") for m in models] != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    prefix, bar, postfix = (m.get("state", {}) for m in models)
    total = bar.get("max") or 0
    filled = round(10 * min(1.0, bar.get("value", 0) / total)) if total else 0

    def text(value: str) -> str:
        return html.unescape(value).replace("\u2007", " ")

    return f"{text(prefix.get('value', ''))}|{'█' * filled}{' ' * (10 - filled)}|{text(postfix.get('value', ''))}"


def strip_widget_state(nb: nbformat.NotebookNode) -> None:
    """Drop saved widget state and widget views (their models are not saved, so they cannot render).
    A progress bar's plain-text fallback is the bar as it started (0%); it is replaced by the bar's final
    state, read from the widget state before that is dropped."""
    widgets = nb.metadata.pop("widgets", None) or {}
    state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data")
            if data is not None and WIDGET_VIEW in data:
                final = _progress_text(data[WIDGET_VIEW].get("model_id", ""), state)
                if final is not None:
                    data["text/plain"] = final
                data.pop(WIDGET_VIEW)
                if not data:
                    continue
            kept.append(out)
        cell.outputs = kept


def execute(path: Path, timeout: int = 900) -> float:
    """Run one notebook in place in a fresh kernel; return wall seconds."""
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("COURSE_MODELS", "local")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    strip_widget_state(nb)
    slide_metadata.apply(nb)  # the slide cut depends on the outputs (figures, printed lines)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if os.environ.get("COURSE_MODELS", "local") != "local":
        print("committed notebooks are executed in local mode: unset COURSE_MODELS", file=sys.stderr)
        return 2
    for path in args.notebooks:
        seconds = execute(path)
        size = path.stat().st_size / 1e6
        print(f"{path}: {seconds:.0f} s, {size:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
