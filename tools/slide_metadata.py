"""Slide boundaries for ``make slides``: each cell's ``metadata.slideshow.slide_type``, set by rules.

Usage: python tools/slide_metadata.py [--check] notebooks/*.ipynb

The notebooks carry the cut themselves (the key nbconvert and RISE read), so the deck and the notebook
never diverge: change a notebook, rerun this tool, and its deck follows. ``--check`` writes nothing and
fails if a notebook's metadata is not what the rules give (the test suite runs the same check).

The rules, cell by cell:
- the title cell, every ``# `` and ``## `` heading cell (a section; Summary and References too): "slide"
  (tools/build_slides.py also cuts a cell before a ``## ``/``### `` heading inside it);
- a ``### `` heading cell, and a markdown cell that opens with a bold lead (``**The margin loss.**``,
  ``**Exercise 2.**``): "subslide", one idea per slide;
- not shown ("skip"): code before the first section (the Colab set-up cell, imports, seeding), cells of
  imports and asserts only, interactive widgets (their static frame follows them), exercise solutions (``# BEGIN SOLUTION``) and checker calls
  (``checks.exercise_*``), the run-time line;
- long code (more than LONG lines) that prints nothing: "notes" (the speaker view has it);
- every other cell continues the current slide ("-"), unless the slide is full: it then opens a
  subslide. A slide holds about BUDGET lines; a figure counts FIGURE lines, and a second figure always
  gets a slide of its own. The deck shows only the outputs of long code (tools/build_slides.py), so such
  a cell counts its outputs alone.
A cell whose ``metadata.slideshow`` has ``"manual": true`` keeps the slide_type someone gave it by hand.
The tool changes nothing else: the file is rewritten in nbformat's own layout (indent 1, sorted keys),
and only if a slide_type changed.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
from pathlib import Path

import web_assets

LONG = 15      # code lines: longer code is not shown on a slide
BUDGET = 18    # lines that fit on one slide
FIGURE = 11    # lines one figure takes
TEXT_OUTPUT = 8  # at most this many lines of a printed output count
WIDTH = 90     # characters per line of prose on a slide
CHECKER = re.compile(r"\bchecks\.exercise_\w+\(")
SOLUTION = "# BEGIN SOLUTION"
IMAGE = ("image/png", "image/svg+xml", "image/jpeg")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _has_image(cell: dict) -> bool:
    return any(kind in out.get("data", {}) for out in cell.get("outputs", []) for kind in IMAGE)


def _output_lines(cell: dict) -> int:
    lines = 0
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(kind in data for kind in IMAGE):
            lines += FIGURE
        else:
            text = out.get("text", data.get("text/plain", ""))
            text = "".join(text) if isinstance(text, list) else text
            lines += min(TEXT_OUTPUT, len(text.splitlines()))
    return lines


def _prose_lines(text: str) -> int:
    return sum(max(1, math.ceil(len(line) / WIDTH)) for line in text.strip().splitlines())


def _only_imports_and_asserts(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(s, ast.Import | ast.ImportFrom | ast.Assert) for s in tree.body)


def _only_widgets(cell: dict) -> bool:
    """True if every output is a widget's plain-text repr (an interactive widget, whose view is not saved)."""
    outputs = cell.get("outputs", [])
    texts = ["".join(out.get("data", {}).get("text/plain", "")) for out in outputs]
    return bool(outputs) and all(web_assets.WIDGET_REPR.match(text) for text in texts)


def _hidden(cell: dict, in_preamble: bool) -> bool:
    """True for a code cell that no slide shows."""
    code = _source(cell)
    return (in_preamble or "google.colab" in code or SOLUTION in code or bool(CHECKER.search(code))
            or "notebook run time" in code or not code.strip() or _only_imports_and_asserts(code)
            or _only_widgets(cell))


def slide_types(cells: list[dict]) -> list[str]:
    """The slide_type of every cell, by the rules in this module's docstring."""
    types: list[str] = []
    used, figures = 0, 0          # lines and figures on the current (sub)slide
    in_preamble = True            # before the first section heading
    for index, cell in enumerate(cells):
        text = _source(cell)
        first = text.lstrip().split("\n", 1)[0]
        manual = cell.get("metadata", {}).get("slideshow", {})
        if manual.get("manual") and manual.get("slide_type"):
            kind, lines = manual["slide_type"], _prose_lines(text) + _output_lines(cell)
        elif cell["cell_type"] == "markdown":
            lines = _prose_lines(text)
            if index == 0 or re.match(r"#{1,2} ", first):
                kind = "slide"
                in_preamble = in_preamble and index == 0
            elif first.startswith("### ") or first.startswith("**"):
                kind = "subslide"
            else:
                kind = "-"
        elif cell["cell_type"] == "code" and _hidden(cell, in_preamble):
            kind, lines = "skip", 0
        elif cell["cell_type"] == "code":
            n_code = len(text.strip().splitlines())
            if n_code > LONG and not cell.get("outputs"):
                kind, lines = "notes", 0
            else:
                kind = "-"
                lines = (0 if n_code > LONG else n_code) + _output_lines(cell)
        else:                     # raw cells are not shown
            kind, lines = "skip", 0
        if kind == "-" and used and (used + lines > BUDGET or (figures and _has_image(cell))):
            kind = "subslide"
        if kind in ("slide", "subslide"):
            used, figures = 0, 0
        if cell["cell_type"] == "markdown":       # the deck cuts a cell before a heading inside it
            inner = [i for i, line in enumerate(text.split("\n")) if i and re.match(r"#{2,3} ", line)]
            if inner:
                in_preamble = False
                used, figures = 0, 0
                lines = _prose_lines("\n".join(text.split("\n")[inner[-1]:]))
        if kind not in ("skip", "notes"):
            used += lines
            figures += _has_image(cell)
        types.append(kind)
    return types


def apply(nb: dict) -> bool:
    """Set every cell's slide_type in ``nb`` (a notebook as loaded by json); True if any changed."""
    changed = False
    for cell, kind in zip(nb["cells"], slide_types(nb["cells"]), strict=True):
        slideshow = cell.setdefault("metadata", {}).setdefault("slideshow", {})
        if slideshow.get("slide_type") != kind:
            slideshow["slide_type"] = kind
            changed = True
    return changed


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (indent 1, sorted keys, non-ASCII kept, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", type=Path, nargs="+")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if any notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if apply(nb):
            stale.append(path)
            if not args.check:
                path.write_text(dumps(nb), encoding="utf-8")
                print(f"{path}: slide metadata written")
    if args.check and stale:
        print("stale slide metadata (run python tools/slide_metadata.py NOTEBOOKS): "
              + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
