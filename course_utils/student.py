"""``make student``: learner copies of the notebooks, with exercise solutions removed.

A solution sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` in a code cell. In the learner copy
the block becomes a comment saying what to write plus ``name = ...`` for every variable the solution
assigns at the block's own indentation, so the checker call after it still runs and prints a hint.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
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
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            if BEGIN in cell.source:
                count += cell.source.count(BEGIN)
                cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("src", type=Path, help="folder of instructor notebooks")
    parser.add_argument("dst", type=Path, help="output folder (git ignores build/)")
    args = parser.parse_args(argv)
    for nb in sorted(args.src.glob("*.ipynb")):
        n = student_copy(nb, args.dst / nb.name)
        print(f"{args.dst / nb.name}: {n} exercise(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
