"""checks.compare, exercise grading, and learner copies made by `make student`."""

import os
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from course_utils import CourseError, checks, student

ROOT = Path(__file__).resolve().parent.parent


def test_compare_exact_close_wrong_and_shape(capsys):
    x = torch.tensor([1.0, 2.0])
    assert checks.compare("same", x, x.clone())
    assert checks.compare("close", x, x + 1e-7, atol=1e-6)
    assert not checks.compare("off", x, x + 1e-3, atol=1e-6)
    assert not checks.compare("shape", x, torch.zeros(3))
    out = capsys.readouterr().out.splitlines()
    assert "exact" in out[0] and "close" in out[1] and "WRONG" in out[2] and "WRONG shape" in out[3]


def test_grade_correct_wrong_and_unanswered(capsys):
    assert checks.grade(3, 3, "count them")
    assert not checks.grade(4, 3, "count them")
    assert not checks.grade(..., 3, "count them")
    assert checks.grade([1, 2], [1, 2], "h") and not checks.grade([1, 2], [1, 2, 3], "h")
    out = capsys.readouterr().out
    assert "correct" in out and "not quite. Hint: count them" in out and "not answered yet. Hint" in out


def test_exercise_checkers_compute_their_answers(capsys, gpt2_tok, glove):
    from course_utils import data

    checks.exercise_gpt2_token_count(len(gpt2_tok(data.COFFEE_SENTENCE)["input_ids"]))
    checks.exercise_gpt2_token_count(3)
    checks.exercise_analogy("Tokyo")
    checks.exercise_analogy(...)
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "Hint" in out[1] and out[2].endswith("correct") and "not answered" in out[3]
    with pytest.raises(CourseError, match="a word"):
        checks.exercise_analogy(42)


def test_strip_solutions_keeps_answer_names_as_ellipsis():
    src = ("x = 1\n# BEGIN SOLUTION\ncounts = {}\nfor w in words:\n    counts[w] = 1\n"
           "a, b = 1, 2\n# END SOLUTION\nchecks.exercise(counts)")
    out = student.strip_solutions(src)
    assert out == ("x = 1\n# Write your solution here, then run the cell to check it.\ncounts = ...\n"
                   "a = ...\nb = ...\nchecks.exercise(counts)")
    with pytest.raises(ValueError, match="without # END"):
        student.strip_solutions("# BEGIN SOLUTION\nx = 1")
    with pytest.raises(ValueError, match="without # BEGIN"):
        student.strip_solutions("x = 1\n# END SOLUTION")


def test_learner_copy_runs_and_checkers_give_hints(tmp_path):
    """The learner copy of notebook 00 executes to the end; its unfilled exercises print hints."""
    from nbclient import NotebookClient

    src = ROOT / "notebooks" / "00_setup_and_tour.ipynb"
    dst = tmp_path / src.name
    assert student.student_copy(src, dst) == 2
    nb = nbformat.read(dst, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "n_tokens = ..." in code and "answer = ..." in code
    os.environ.setdefault("COURSE_MODELS", "local")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(src.parent)}}).execute()
    outputs = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(outputs)
    assert "GPT-2 token count: not answered yet. Hint" in text
    assert "GloVe analogy: not answered yet. Hint" in text
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_make_student_cli(tmp_path, capsys):
    assert student.main([str(ROOT / "notebooks"), str(tmp_path)]) == 0
    assert (tmp_path / "00_setup_and_tour.ipynb").exists()
    assert "2 exercise(s)" in capsys.readouterr().out
    assert sys.executable  # the CLI ran in-process


def test_grade_numbers_shapes_tolerance_and_bad_input(capsys):
    from course_utils.checks.core import grade_numbers

    assert grade_numbers([0.1, 0.2], np.array([0.1, 0.20004]), "hint", name="a")          # within atol
    assert not grade_numbers([0.1, 0.2], [0.1, 0.3], "hint", name="b")                    # wrong value
    assert not grade_numbers([0.1, 0.2, 0.0], [0.1, 0.2], "hint", name="c")               # wrong shape
    assert grade_numbers(torch.tensor([[2.5]]), 2.5, "hint", name="d")                    # one number, any container
    assert not grade_numbers([1, 0, 1], [1, 0, 1.00001], "hint", name="e", exact=True)   # exact means exact
    assert not grade_numbers("seven", 7.0, "hint", name="f")                              # not numbers: a hint
    assert not grade_numbers(..., 7.0, "hint", name="g")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "a: correct" and out[3] == "d: correct"
    assert all("not quite. Hint: hint" in out[i] for i in (1, 2, 4, 5)) and "not answered yet" in out[6]
