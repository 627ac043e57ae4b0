"""``make book``: the course as a static website, built from the committed, executed notebooks.

Usage: python tools/build_book.py [--out build/book]

Writes a Sphinx source tree into OUT-src (book/conf.py, book/_static, an index page whose table of
contents lists the notebooks in course order, and a copy of each notebook in which the Colab badge is a
local SVG), then builds it with Sphinx + myst-nb into OUT/html. No notebook is executed; MathJax is the
local copy from node_modules/ (``npm ci`` runs first if needed); the site opens from the disk, offline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import web_assets

ROOT = web_assets.ROOT
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"


def source_tree(src: Path) -> list[str]:
    """Write the book's Sphinx sources into ``src``; return the notebook page names in course order."""
    src.mkdir(parents=True, exist_ok=True)
    for path in BOOK.rglob("*"):
        if path.is_file() and path.name != "index.md" and "__pycache__" not in path.parts:
            target = src / path.relative_to(BOOK)
            if not target.exists() or target.read_bytes() != path.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    web_assets.copy_mathjax(src / "_static" / "mathjax")
    pages = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = web_assets.local_copy(json.loads(path.read_text(encoding="utf-8")), "_static/colab-badge.svg")
        web_assets.write_if_changed(src / path.name, web_assets.dump_notebook(nb))
        pages.append(path.stem)
    for stale in src.glob("*.ipynb"):
        if stale.stem not in pages:
            stale.unlink()
    toc = "\n".join(["", "```{toctree}", ":caption: Notebooks", ":maxdepth: 1", "", *pages, "```", ""])
    web_assets.write_if_changed(src / "index.md", (BOOK / "index.md").read_text(encoding="utf-8") + toc)
    return pages


def build(out: Path, quiet: bool = True) -> Path:
    """Build the book into ``out/html`` (sources in ``out/src``, doctrees in ``out/doctrees``);
    return the path of index.html."""
    src = out.parent / f"{out.name}-src"
    source_tree(src)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(out / "doctrees"), str(src),
           str(out / "html")]
    if quiet:
        cmd.append("-q")
    subprocess.run(cmd, check=True)
    return out / "html" / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book", help="output folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build(args.out.resolve())
    print(f"book built in {time.perf_counter() - start:.0f} s: open {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
