"""Twin cells (``# twin: course_utils.MODULE``): the committed notebooks agree with the package, and any
drift, either way, is reported; ``write`` copies the package's code back into the notebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import twins

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

MODULE = '''"""A module."""

import math

SCALE = 2


def area(r: float) -> float:
    """Area of a circle."""
    return math.pi * r ** 2  # pi r squared


@staticmethod
def twice(x):
    return SCALE * x
'''

CELL = '''# twin: course_utils.shapes
import math

SCALE = 2


def area(r: float) -> float:
    """Area of a circle."""
    return math.pi * r**2   # a different comment and spacing: the same code


@staticmethod
def twice(x):
    return SCALE * x'''


def _project(tmp_path: Path, cell: str = CELL, module: str = MODULE) -> Path:
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "shapes.py").write_text(module)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell(cell),
                nbformat.v4.new_code_cell("area(1.0)")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_committed_notebooks_are_in_sync_with_the_package():
    problems = twins.check(NOTEBOOKS)
    assert not problems, "\n".join(problems)


def test_same_code_in_another_layout_is_in_sync(tmp_path):
    nb = _project(tmp_path)
    assert twins.check([nb], root=tmp_path) == []
    assert [c.names for c in twins.twin_cells(nb)] == [["SCALE", "area", "twice"]]


def test_a_change_in_the_package_is_drift(tmp_path):
    nb = _project(tmp_path, module=MODULE.replace("r ** 2", "r ** 3"))
    problems = twins.check([nb], root=tmp_path)
    assert len(problems) == 1 and "area differs from course_utils.shapes.area" in problems[0]


def test_a_change_in_the_notebook_is_drift(tmp_path):
    nb = _project(tmp_path, cell=CELL.replace("SCALE = 2", "SCALE = 3").replace('"""Area of a circle."""', ""))
    problems = twins.check([nb], root=tmp_path)
    assert any("SCALE differs" in p for p in problems) and any("area differs" in p for p in problems)


def test_a_definition_the_package_lacks_and_a_statement_that_is_no_definition(tmp_path):
    nb = _project(tmp_path, cell=CELL + "\n\n\ndef extra():\n    pass\n\n\nprint(area(2))")
    problems = twins.check([nb], root=tmp_path)
    assert any("extra is not defined in course_utils.shapes" in p for p in problems)
    assert any("holds only imports and definitions (found Expr)" in p for p in problems)


def test_unknown_module_and_malformed_marker(tmp_path):
    nb = _project(tmp_path, cell=CELL.replace("course_utils.shapes", "course_utils.nothing"))
    assert any("no module course_utils.nothing" in p for p in twins.check([nb], root=tmp_path))
    shutil.rmtree(tmp_path / "course_utils")
    nb = _project(tmp_path, cell=CELL.replace("# twin: ", "# twin "))
    assert any("malformed marker" in p for p in twins.check([nb], root=tmp_path))


def test_write_copies_the_package_code_into_the_cell(tmp_path):
    nb = _project(tmp_path, module=MODULE.replace("r ** 2", "r ** 3"))
    assert twins.write([nb], root=tmp_path) == [nb]
    assert twins.check([nb], root=tmp_path) == []
    source = nbformat.read(nb, as_version=4).cells[1].source
    assert source.startswith("# twin: course_utils.shapes\nimport math\n\n\nSCALE = 2\n")
    assert "return math.pi * r ** 3  # pi r squared" in source and "@staticmethod\ndef twice" in source
    assert twins.write([nb], root=tmp_path) == []          # idempotent


def test_cli_check_reports_and_fails_on_drift(tmp_path, capsys, monkeypatch):
    assert twins.main(["check", *map(str, NOTEBOOKS)]) == 0
    assert "in sync" in capsys.readouterr().out
    nb = _project(tmp_path, module=MODULE.replace("SCALE = 2", "SCALE = 5"))
    monkeypatch.setattr(twins, "ROOT", tmp_path)
    with pytest.raises(SystemExit):
        twins.main(["nonsense"])
    assert twins.check([nb], root=tmp_path)


def test_every_teaching_notebook_has_twin_cells():
    for nb in NOTEBOOKS[1:]:
        assert twins.twin_cells(nb), f"{nb.name} has no twin cell"
