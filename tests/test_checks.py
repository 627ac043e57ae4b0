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
    checks.exercise_gpt2_token_count(len(gpt2_tok(checks.SNOW_SENTENCE)["input_ids"]))
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


def test_stepped_hints_go_from_conceptual_to_specific_and_restart_after_a_right_answer(capsys):
    checks.reset_hints()
    hints = ["think about it", "look at rows", "use a lower triangle"]
    assert not checks.grade(..., 3, hints, name="steps")        # unanswered: the first hint
    for _ in range(4):
        assert not checks.grade(4, 3, hints, name="steps")      # wrong: one step further each time
    assert checks.grade(3, 3, hints, name="steps")
    assert not checks.grade(5, 3, hints, name="steps")          # after a right answer: from the start
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "steps: not answered yet. Hint: (hint 1 of 3) think about it"
    assert [line.split("Hint: ")[1][:10] for line in out[1:5]] == ["(hint 1 of", "(hint 2 of", "(hint 3 of",
                                                                   "(hint 3 of"]
    assert out[5] == "steps: correct" and "(hint 1 of 3)" in out[6]


def _reference_cumsum(xs: list[float]) -> list[float]:
    out, total = [], 0.0
    for x in xs:
        total += x
        out.append(total)
    return out


def test_grade_function_right_wrong_crashing_unfilled_and_not_a_function(capsys):
    checks.reset_hints()
    cases = [([1.0, 2.0, 3.0],), ([],), ([5.0],)]
    hints = ["keep a running total", "append the total after adding each item"]
    assert checks.grade_function(_reference_cumsum, _reference_cumsum, cases, hints, name="cumsum")
    assert checks.grade_function(lambda xs: list(np.cumsum(xs)), _reference_cumsum, cases, hints, name="cumsum")
    assert not checks.grade_function(lambda xs: xs, _reference_cumsum, cases, hints, name="cumsum")
    assert not checks.grade_function(lambda xs: [xs[0]] + _reference_cumsum(xs)[1:], _reference_cumsum, cases, hints,
                                     name="cumsum")

    def unfilled(xs):
        raise NotImplementedError("write this part, then run the cell")

    assert not checks.grade_function(unfilled, _reference_cumsum, cases, hints, name="cumsum")
    assert not checks.grade_function(..., _reference_cumsum, cases, hints, name="cumsum")
    assert not checks.grade_function(42, _reference_cumsum, cases, hints, name="cumsum")
    out = capsys.readouterr().out
    assert out.count("cumsum: correct (3 cases") == 2
    assert "case 1 of 3 ([1.0, 2.0, 3.0]) gave [1.0, 2.0, 3.0]; expected [1.0, 3.0, 6.0]" in out
    assert "case 2 of 3 ([]) raised IndexError" in out and "(hint 2 of 2)" in out
    assert out.count("cumsum: not written yet. Hint: (hint 1 of 2) keep a running total") == 2
    assert "expected a function, got int" in out


def test_grade_function_does_not_let_an_in_place_edit_leak_into_the_reference():
    def sorts_in_place(xs):
        xs.sort()
        return xs

    data = [3, 1, 2]
    assert checks.grade_function(sorts_in_place, sorted, [(data,)], "sort", name="sort")
    assert data == [3, 1, 2]


def test_same_result_compares_tensors_arrays_numbers_and_containers():
    t = torch.tensor([[1.0, 2.0]])
    assert checks.same_result(t, t.numpy() + 1e-7) and not checks.same_result(t, t + 1e-3)
    assert not checks.same_result(t, t.T)                                  # shape matters
    assert checks.same_result(torch.tensor([True, False]), np.array([True, False]))
    assert not checks.same_result(torch.tensor([1.0, 0.0]), torch.tensor([1, 0]))   # ints exactly, as ints
    assert checks.same_result({"a": [1, 2], "b": "x"}, {"a": [1, 2], "b": "x"})
    assert not checks.same_result({"a": [1, 2]}, {"a": [1, 3]})
    assert checks.same_result([("lo", "w"), ("e", "r")], [("lo", "w"), ("e", "r")])
    assert not checks.same_result(["a"], "a") and checks.same_result(None, None)


def test_a_function_body_solution_becomes_not_implemented_in_the_learner_copy():
    src = ('def top_p(probs, p):\n    """Keep the smallest set."""\n    # BEGIN SOLUTION\n'
           '    kept = probs > p\n    return kept\n    # END SOLUTION\n\n\nchecks.exercise_top_p(top_p)')
    out = student.strip_solutions(src)
    assert out == ('def top_p(probs, p):\n    """Keep the smallest set."""\n'
                   '    # Write your solution here, then run the cell to check it.\n'
                   '    raise NotImplementedError("write this part, then run the cell")\n\n\n'
                   'checks.exercise_top_p(top_p)')


def test_copy_lines_say_which_copy_and_the_learner_badge_opens_the_learner_copy(tmp_path):
    src = ROOT / "notebooks" / "04_attention_transformer.ipynb"
    header = nbformat.read(src, as_version=4).cells[0].source
    assert student.copy_line(src.name, learner=False) in header
    student.student_copy(src, tmp_path / src.name)
    learner = nbformat.read(tmp_path / src.name, as_version=4).cells[0].source
    assert student.copy_line(src.name, learner=True) in learner and "instructor copy**" not in learner
    assert f"{student.COLAB}/student/{src.name}" in learner and f"{student.COLAB}/notebooks/{src.name}" not in learner
    nb = nbformat.read(src, as_version=4)
    assert not student.mark_instructor_copy(nb, src.name)     # already marked: nothing to do
    nb.cells[0].source = nb.cells[0].source.replace(student.copy_line(src.name, learner=False), "")
    with pytest.raises(ValueError, match="lacks the instructor copy line"):
        student._learner_header(nb.cells[0].source, src.name)


STUDENT = ROOT / "student"


def test_committed_learner_copies_are_exactly_what_make_student_makes(tmp_path):
    """student/ holds one learner copy per notebook, byte for byte what `make student` writes now."""
    student.main([str(ROOT / "notebooks"), str(tmp_path)])
    made = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert made == sorted(p.name for p in STUDENT.glob("*.ipynb")), "run `make student` and commit student/"
    for name in made:
        assert (STUDENT / name).read_bytes() == (tmp_path / name).read_bytes(), \
            f"student/{name} is stale: run `make student` and commit it"


def test_learner_copies_have_no_solutions_no_outputs_and_say_which_copy():
    for path in sorted(STUDENT.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert student.copy_line(path.name, learner=True) in nb.cells[0].source
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None
                assert "BEGIN SOLUTION" not in cell.source and "NBVAL_CHECK_OUTPUT" not in cell.source



def test_same_result_on_tuples_of_tensors_with_gradients_and_bool_versus_int():
    w = torch.ones(2, 3, requires_grad=True)
    out = (w * 2, w.sum(0))
    assert checks.same_result(out, (torch.full((2, 3), 2.0), torch.full((3,), 2.0)))
    assert not checks.same_result(out, (torch.full((2, 3), 2.0), torch.full((3,), 3.0)))
    assert not checks.same_result(torch.tensor([1, 0]), torch.tensor([True, False]))   # a mask is boolean
    assert not checks.same_result(torch.tensor([True, False]), torch.tensor([1, 0]))
    from course_utils.checks.core import _short

    assert _short((torch.zeros(2, 3), torch.zeros(4))) == \
        "(Tensor of shape (2, 3) (torch.float32) = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], " \
        "Tensor of shape (4,) (torch.float32) = [0.0, 0.0, 0.0, 0.0])"
    assert _short(torch.tensor(float("nan"))) == "Tensor of shape () (torch.float32) = nan"
    assert _short(torch.zeros(3, 3)) == "Tensor of shape (3, 3) (torch.float32)"


def test_every_teaching_notebook_has_a_function_exercise():
    """Notebooks 01-10 each have an exercise whose solution is the body of a function the learner writes,
    graded by a checker that runs it (the learner copy's stub raises NotImplementedError: first hint)."""
    teaching = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if not p.name.startswith("00")]
    assert len(teaching) >= 10
    for path in teaching:
        bodies = [c.source for c in nbformat.read(path, as_version=4).cells
                  if c.cell_type == "code" and "    # BEGIN SOLUTION" in c.source]
        assert bodies, f"{path.name}: no implement-a-function exercise"
        for body in bodies:
            assert "raise NotImplementedError" in student.strip_solutions(body)
            assert "checks.exercise_" in body, f"{path.name}: a function exercise without its checker call"


def test_grade_does_not_take_an_empty_list_for_any_number(capsys):
    assert not checks.grade([], 45, "count them", name="empty")
    assert not checks.grade([45, 45], 45, "count them", name="two")
    assert checks.grade([[1, 2]], [[1, 2]], "h", name="nested")
    assert "not quite" in capsys.readouterr().out
