"""Execute notebooks for commit: each in a fresh kernel, in local model mode, widget state stripped.

Usage: python tools/execute_notebooks.py notebooks/00_setup_and_tour.ipynb [...]
Widget views keep their plain-text fallback (tqdm bars leave one per bar); ``metadata.widgets`` and
execution timings are removed, so a committed notebook holds only what the reader needs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_widget_state(nb: nbformat.NotebookNode) -> None:
    """Drop saved widget state and widget views (their models are not saved, so they cannot render)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data")
            if data is not None and WIDGET_VIEW in data:
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
