"""``make slides``: reveal.js lecture decks from the committed, executed notebooks.

Usage: python tools/build_slides.py [NB ...] [--out build/slides]
  NB is a notebook number or name prefix (``04``, ``04_attention``); none means every notebook.

Each notebook becomes OUT/NN_name.slides.html, with reveal.js and MathJax copied beside it (OUT/reveal.js,
OUT/mathjax, relative paths), so the folder can be copied to a classroom machine and opened offline.
Slide boundaries are the notebooks' own ``slideshow.slide_type`` metadata (tools/slide_metadata.py sets
it). The deck shows the notebook as a lecture, so the copy it is made from differs from the notebook in
presentation only:
- a markdown cell is cut before each ``## ``/``### `` heading inside it (a new slide/subslide), and the
  title cell before its learning objectives (a slide of their own); the rest of the title cell after
  "Estimated run time" goes to the speaker notes; the Colab badges and the copy line are left out, and
  the title slide names the course;
- code longer than slide_metadata.LONG lines shows its outputs only; ``# NBVAL_...`` marker lines and
  progress bars are left out; widgets (not saved) are shown by their static frames, which the notebooks
  draw in the next cell.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import slide_metadata
import web_assets
from nbconvert import SlidesExporter

ROOT = web_assets.ROOT
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
PROGRESS_BAR = re.compile(r"\d+%\|[█▏▎▍▌▋▊▉ ]*\|")
MARKER = re.compile(r"^\s*# NBVAL_\w+\s*$")
HEADING = re.compile(r"^(#{2,3}) ")
COURSE = "NLP pre-trained models — a runnable course"


def select(prefixes: list[str]) -> list[Path]:
    """The notebooks whose names start with one of ``prefixes`` (all of them for none)."""
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not prefixes:
        return notebooks
    chosen = [nb for nb in notebooks if any(nb.name.startswith(p) for p in prefixes)]
    missing = [p for p in prefixes if not any(nb.name.startswith(p) for nb in notebooks)]
    if missing:
        raise SystemExit(f"no notebook starts with {', '.join(missing)}; "
                         f"there are {', '.join(nb.name[:2] for nb in notebooks)}")
    return chosen


def _markdown(text: str, kind: str) -> dict:
    return nbformat.v4.new_markdown_cell(text.strip("\n"), metadata={"slideshow": {"slide_type": kind}})


def _split_title(cell: dict) -> list[dict]:
    """Title slide, objectives slide, and the rest (run time, the models used) as speaker notes."""
    lines = [line for line in cell.source.split("\n")
             if "colab-badge.svg" not in line and not line.startswith("*You are in the ")]
    text = "\n".join(lines)
    parts = re.split(r"\n(?=\*\*(?:Learning objectives|Estimated run time))", text, maxsplit=2)
    cells = [_markdown(f"{parts[0].strip()}\n\n*{COURSE}*", "slide")]
    for part in parts[1:]:
        cells.append(_markdown(part, "slide" if part.startswith("**Learning") else "notes"))
    return cells


def _split_headings(cell: dict) -> list[dict]:
    """Cut a markdown cell before every ``## ``/``### `` heading after its first line."""
    pieces: list[list[str]] = [[]]
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type", "-")]
    for i, line in enumerate(cell.source.split("\n")):
        match = HEADING.match(line)
        if match and i > 0 and any(p.strip() for p in pieces[-1]):
            pieces.append([])
            kinds.append("slide" if match.group(1) == "##" else "subslide")
        pieces[-1].append(line)
    if len(pieces) == 1:
        return [cell]
    return [_markdown("\n".join(piece), kind) for piece, kind in zip(pieces, kinds, strict=True)]


def deck_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as its deck shows it (see the module docstring)."""
    raw = web_assets.local_copy(json.loads(path.read_text(encoding="utf-8")), "colab-badge.svg")
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cells += _split_title(cell) if index == 0 else _split_headings(cell)
            continue
        if cell.cell_type == "code":
            lines = [line for line in cell.source.split("\n") if not MARKER.match(line)]
            cell.source = "\n".join(lines)
            if len(cell.source.strip().splitlines()) > slide_metadata.LONG:
                cell.metadata["transient"] = {"remove_source": True}
            cell.outputs = [out for out in cell.outputs
                            if not PROGRESS_BAR.search("".join(out.get("data", {}).get("text/plain", "")))]
        cells.append(cell)
    nb.cells = cells
    return nb


def exporter() -> SlidesExporter:
    slides = SlidesExporter(template_name="course_reveal", extra_template_basedirs=[str(TEMPLATES)])
    slides.reveal_url_prefix = "reveal.js"
    slides.reveal_theme = "white"
    slides.reveal_number = "c/t"
    slides.reveal_width = "1100"
    slides.reveal_height = "760"
    slides.mathjax_url = "mathjax/tex-chtml.js"
    slides.exclude_input_prompt = True
    slides.exclude_output_prompt = True
    return slides


def build(notebooks: list[Path], out: Path) -> list[Path]:
    """Write one deck per notebook into ``out``, with reveal.js and MathJax beside them."""
    out.mkdir(parents=True, exist_ok=True)
    web_assets.copy_reveal(out / "reveal.js")
    web_assets.copy_mathjax(out / "mathjax")
    (out / "colab-badge.svg").write_bytes(web_assets.BADGE_SVG.read_bytes())
    slides, decks = exporter(), []
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        stale = [c for c, kind in zip(cells, slide_metadata.slide_types(cells), strict=True)
                 if c.get("metadata", {}).get("slideshow", {}).get("slide_type") != kind]
        if stale:
            print(f"warning: {path.name} has stale slide metadata ({len(stale)} cells): run "
                  f"python tools/slide_metadata.py {path.relative_to(ROOT)}", file=sys.stderr)
        html, _ = slides.from_notebook_node(deck_notebook(path), resources={"metadata": {"name": path.stem}})
        deck = out / f"{path.stem}.slides.html"
        deck.write_text(html, encoding="utf-8")
        decks.append(deck)
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or name prefixes (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides", help="output folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    decks = build(select(args.notebooks), args.out.resolve())
    for deck in decks:
        print(deck)
    print(f"{len(decks)} deck(s) in {time.perf_counter() - start:.0f} s; open one in a browser "
          "(arrows move, S opens the speaker notes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
