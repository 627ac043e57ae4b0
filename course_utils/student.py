"""``make student``: learner copies of the notebooks, with exercise solutions removed.

A solution sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` in a code cell. In the learner copy
a block at the top level of a cell becomes a comment saying what to write plus ``name = ...`` for every
variable the solution assigns, so the checker call after it still runs and prints a hint. A block inside
a function (the body of a function the learner writes) becomes the comment plus
``raise NotImplementedError``, which the checkers read as "not written yet" and answer with the first hint.

The learner copies are committed in ``student/`` (a test keeps them identical to what this module makes).
Learner copies have no outputs, so their cells lose the ``# NBVAL_CHECK_OUTPUT`` marker (CI runs them
under nbval to check that they run, not what they print). Each copy's header says which copy it is: the instructor notebook's ``COPY_LINE`` is replaced by the
learner's, and its Colab badge opens the learner copy.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
COLAB = "https://colab.research.google.com/github/nlp-course/nlp-pretrained-models/blob/main"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
CHECKED = "# NBVAL_CHECK_OUTPUT"
COPY_LINE = "*You are in the "  # how the header line that says which copy this is begins


def copy_line(name: str, learner: bool) -> str:
    """The header line of notebook ``name`` (e.g. ``04_attention_transformer.ipynb``) in either copy."""
    if learner:
        return (f"{COPY_LINE}**learner copy**: the exercises are yours to write, and their checkers give "
                f"hints. The [instructor copy](../notebooks/{name}) has the solutions filled in.*")
    return (f"{COPY_LINE}**instructor copy**, with the exercise solutions filled in. Learners: open the "
            f"[learner copy](../student/{name}) [![Open the learner copy in Colab]({BADGE})]"
            f"({COLAB}/student/{name}).*")


def mark_instructor_copy(nb: nbformat.NotebookNode, name: str) -> bool:
    """Put the instructor's copy line into the first cell (after the Colab badge); True if it changed."""
    cell = nb.cells[0]
    lines = cell.source.split("\n")
    wanted = copy_line(name, learner=False)
    for i, line in enumerate(lines):
        if line.startswith(COPY_LINE):
            if line == wanted:
                return False
            lines[i] = wanted
            break
    else:
        at = next((i + 1 for i, line in enumerate(lines) if "colab-badge.svg" in line), 1)
        lines[at:at] = ["", wanted]
    cell.source = "\n".join(lines)
    return True


def _learner_header(source: str, name: str) -> str:
    lines = source.split("\n")
    if not any(line == copy_line(name, learner=False) for line in lines):
        raise ValueError(f"{name}: the first cell lacks the instructor copy line; run "
                         "`python -m course_utils.student --mark notebooks`")
    lines = [copy_line(name, learner=True) if line.startswith(COPY_LINE) else
             line.replace(f"{COLAB}/notebooks/{name}", f"{COLAB}/student/{name}") for line in lines]
    return "\n".join(lines)
_ASSIGN = re.compile(r"^(\s*)([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)")


def strip_solutions(source: str) -> str:
    """Replace every solution block of a cell's source; raise on unbalanced markers."""
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if block is not None:
                raise ValueError("nested # BEGIN SOLUTION")
            block, indent = [], line[: len(line) - len(line.lstrip())]
            continue
        if stripped.startswith(END):
            if block is None:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            out.append(f"{indent}# Write your solution here, then run the cell to check it.")
            if indent:  # the body of a function the learner writes
                out.append(f'{indent}raise NotImplementedError("write this part, then run the cell")')
                block = None
                continue
            names: list[str] = []
            for code in block:
                match = _ASSIGN.match(code)
                if match and match.group(1) == indent:
                    for name in re.split(r"\s*,\s*", match.group(2)):
                        if name not in names:
                            names.append(name)
            out += [f"{indent}{name} = ..." for name in names] or [f"{indent}..."]
            block = None
            continue
        if block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def student_copy(src: Path, dst: Path) -> int:
    """Write the learner copy of one notebook (outputs cleared); return the number of exercises."""
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source = _learner_header(nb.cells[0].source, src.name)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            if BEGIN in cell.source:
                count += cell.source.count(BEGIN)
                cell.source = strip_solutions(cell.source)
            if cell.source.startswith(CHECKED):  # no outputs to compare in a learner copy
                cell.source = cell.source[len(CHECKED):].lstrip("\n")
            cell.outputs, cell.execution_count = [], None
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("src", type=Path, help="folder of instructor notebooks")
    parser.add_argument("dst", type=Path, nargs="?", help="output folder (the committed copies: student/)")
    parser.add_argument("--mark", action="store_true", help="only write the instructor copy line into src")
    args = parser.parse_args(argv)
    if args.mark:
        for path in sorted(args.src.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            if mark_instructor_copy(nb, path.name):
                nbformat.write(nb, path)
                print(f"{path}: copy line written")
        return 0
    if args.dst is None:
        parser.error("give the output folder")
    for nb in sorted(args.src.glob("*.ipynb")):
        n = student_copy(nb, args.dst / nb.name)
        print(f"{args.dst / nb.name}: {n} exercise(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
