"""The source notes' errors are corrected where a learner meets them: every known error of the notes
appears in the notebook of its topic as a box of one form, "> **The notes say** … — **in fact** …".

Each entry below is one error of the notes (by notebook), given as a pattern that the box's text must
match; a notebook that loses a box, or a box that loses its "in fact", fails here."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "**The notes say**"

# notebook stem prefix -> patterns (case-insensitive), one per error of the notes in that topic
ERRATA = {
    "01": [r"artificial", r"dot product", r"subsampling", r"조아"],
    "02": [r"window", r"6 million|6,000,000", r"negative samples|5–10", r"distance"],
    "03": [r"frequent words", r"embedding method", r"one character", r"rust", r"never released",
           r"pretrain", r"킹", r"짹짹"],
    "04": [r"key.{0,3}query", r"sentences", r"기계 독해"],
    "05": [r"attention blocks", r"\[cls\]", r"semi-supervised|준지도", r"could not be pre-trained",
           r"question answering|\bqa\b", r"elmo", r"static mask", r"탕수육"],
    "06": [r"2020", r"initiali[sz]ation", r"wikipedia", r"coqa", r"bleu", r"greedy"],
    "07": [r"15,000", r"production", r"엘모", r"output layer"],
    "08": [r"\bgan\b|adversarial", r"generator is bert"],
    "09": [r"soft-target", r"w\^q|w\^\{q\}", r"projection"],
}


def notes_boxes(path: Path) -> list[str]:
    """The text of every blockquote paragraph in the notebook's markdown that starts a notes correction."""
    boxes = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        paragraph: list[str] = []
        for line in cell.source.splitlines() + [""]:
            if line.startswith(">") and (paragraph or MARK in line):
                if MARK in line and paragraph:
                    boxes.append(" ".join(paragraph))
                    paragraph = []
                paragraph.append(line.lstrip("> ").strip())
            elif paragraph:
                boxes.append(" ".join(paragraph))
                paragraph = []
    return boxes


def _notebook(prefix: str) -> Path:
    (path,) = sorted((ROOT / "notebooks").glob(f"{prefix}_*.ipynb"))
    return path


@pytest.mark.parametrize("prefix", sorted(ERRATA))
def test_every_error_of_the_notes_is_corrected_in_its_notebook(prefix):
    boxes = notes_boxes(_notebook(prefix))
    missing = [p for p in ERRATA[prefix] if not any(re.search(p, box, re.IGNORECASE) for box in boxes)]
    assert not missing, f"notebook {prefix} has no '{MARK} … — **in fact** …' box matching {missing}"


@pytest.mark.parametrize("prefix", sorted(ERRATA))
def test_every_box_says_what_is_in_fact_true(prefix):
    for box in notes_boxes(_notebook(prefix)):
        assert "**in fact**" in box, f"a box in notebook {prefix} lacks its '**in fact**': {box[:120]}"


def test_the_box_reader_finds_boxes_and_ends_them_at_the_blockquote(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "Text.\n\n> **The notes say** A — **in fact** B,\n> continued.\n> **The notes say** C — **in fact** D.\n\nAfter."
    )])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    assert notes_boxes(path) == ["**The notes say** A — **in fact** B, continued.",
                                 "**The notes say** C — **in fact** D."]
