"""Twin cells: teaching code lives in a notebook cell, and ``course_utils`` keeps an identical copy for reuse.

The convention (d2l's ``#@save``, made checkable): a code cell whose first line is ::

    # twin: course_utils.transformer

holds definitions that the module ``course_utils.transformer`` also holds, with the same code. The cell
may contain imports (not compared: a notebook imports what it needs), functions, classes and assignments
to plain names (constants); each definition must exist at the top level of the module and be the same
code after formatting (the same syntax tree: layout and comments may differ, names, statements and
docstrings may not). Anything else in a twin cell is an error, so a twin cell stays a cell of definitions.

``python -m course_utils.twins check [NOTEBOOK ...]`` lists every difference and exits 1 if there is one
(the test suite runs it, so drift fails CI). ``python -m course_utils.twins write [NOTEBOOK ...]``
rewrites the twin cells from the package (the package is the copy that recipes and later notebooks run,
so an edit meant to last goes there first, then ``write`` copies it into the notebook).
``python -m course_utils.twins list`` prints each twin cell and what it defines.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^# twin: (course_utils(?:\.\w+)+)\s*$")


@dataclass
class TwinCell:
    """One marked cell: where it is, which module it twins, and the names it defines in order."""

    notebook: Path
    index: int  # position in nb.cells
    module: str
    names: list[str]


def _marker(source: str) -> str | None:
    first = source.split("\n", 1)[0]
    match = MARKER.match(first)
    return match.group(1) if match else None


def module_file(module: str, root: Path = ROOT) -> Path:
    """The source file of ``course_utils.x.y`` under ``root``."""
    parts = module.split(".")
    path = root.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = root.joinpath(*parts, "__init__.py")
    return path


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _definitions(tree: ast.Module, where: str) -> tuple[dict[str, ast.stmt], list[str]]:
    """Top-level definitions by name (and problems: statements a twin cell may not hold)."""
    found: dict[str, ast.stmt] = {}
    problems: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        name = _defined_name(node)
        if name is None:
            problems.append(f"{where}, line {node.lineno}: a twin cell holds only imports and definitions "
                            f"(found {type(node).__name__})")
        else:
            found[name] = node
    return found, problems


def _same(a: ast.stmt, b: ast.stmt) -> bool:
    return ast.dump(a, include_attributes=False) == ast.dump(b, include_attributes=False)


def _module_tree(module: str, root: Path) -> tuple[ast.Module, str]:
    path = module_file(module, root)
    if not path.exists():
        raise FileNotFoundError(f"no module {module} at {path}")
    text = path.read_text(encoding="utf-8")
    return ast.parse(text), text


def _module_definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for node in tree.body:
        name = _defined_name(node)
        if name is not None:
            out[name] = node
    return out


def twin_cells(notebook: Path) -> list[TwinCell]:
    """Every marked cell of one notebook (raises SyntaxError for a marked cell that does not parse)."""
    nb = nbformat.read(notebook, as_version=4)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or (module := _marker(cell.source)) is None:
            continue
        found, _ = _definitions(ast.parse(cell.source), f"{notebook.name} cell {i}")
        cells.append(TwinCell(notebook, i, module, list(found)))
    return cells


def check(notebooks: list[Path], root: Path = ROOT) -> list[str]:
    """Every difference between the twin cells of ``notebooks`` and the package under ``root``."""
    problems: list[str] = []
    for notebook in notebooks:
        nb = nbformat.read(notebook, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            module = _marker(cell.source)
            if module is None:
                if cell.source.lstrip().startswith("# twin"):
                    problems.append(f"{notebook.name} cell {i}: malformed marker {cell.source.splitlines()[0]!r}"
                                    " (write '# twin: course_utils.MODULE')")
                continue
            where = f"{notebook.name} cell {i} ({module})"
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as exc:
                problems.append(f"{where}: does not parse: {exc}")
                continue
            found, bad = _definitions(tree, where)
            problems += bad
            if not found:
                problems.append(f"{where}: a twin cell defines nothing")
            try:
                module_defs = _module_definitions(_module_tree(module, root)[0])
            except FileNotFoundError as exc:
                problems.append(f"{where}: {exc}")
                continue
            for name, node in found.items():
                if name not in module_defs:
                    problems.append(f"{where}: {name} is not defined in {module}")
                elif not _same(node, module_defs[name]):
                    problems.append(f"{where}: {name} differs from {module}.{name} "
                                    "(run `python -m course_utils.twins write` to copy the package's version)")
    return problems


def _segment(text: str, node: ast.stmt) -> str:
    """A top-level statement's source text, decorators included."""
    lines = text.splitlines()
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[start - 1: node.end_lineno])


def rewrite_source(source: str, root: Path = ROOT) -> str:
    """A twin cell's source with every definition replaced by the package's text (imports kept)."""
    module = _marker(source)
    if module is None:
        raise ValueError("not a twin cell")
    tree = ast.parse(source)
    found, bad = _definitions(tree, "cell")
    if bad:
        raise ValueError("; ".join(bad))
    mod_tree, mod_text = _module_tree(module, root)
    module_defs = _module_definitions(mod_tree)
    missing = [name for name in found if name not in module_defs]
    if missing:
        raise ValueError(f"not defined in {module}: {', '.join(missing)}")
    lines = source.splitlines()
    first_def = min(node.lineno for node in found.values()) if found else len(lines) + 1
    first_def = min([first_def] + [d.lineno for n in found.values() for d in getattr(n, "decorator_list", [])])
    head = "\n".join(lines[: first_def - 1]).rstrip()   # the marker, comments and imports before the code
    body = "\n\n\n".join(_segment(mod_text, module_defs[name]) for name in found)
    return f"{head}\n\n\n{body}" if head != lines[0] else f"{head}\n{body}"


def write(notebooks: list[Path], root: Path = ROOT) -> list[Path]:
    """Rewrite every twin cell of ``notebooks`` from the package; return the notebooks that changed."""
    changed = []
    for notebook in notebooks:
        nb = nbformat.read(notebook, as_version=4)
        dirty = False
        for cell in nb.cells:
            if cell.cell_type == "code" and _marker(cell.source):
                new = rewrite_source(cell.source, root)
                if new != cell.source:
                    cell.source, dirty = new, True
        if dirty:
            nbformat.write(nb, notebook)
            changed.append(notebook)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["check", "write", "list"])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to look at (default: every notebook in notebooks/)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.action == "list":
        for nb in notebooks:
            for cell in twin_cells(nb):
                print(f"{nb.name} cell {cell.index}: {cell.module}: {', '.join(cell.names)}")
        return 0
    if args.action == "write":
        for nb in write(notebooks):
            print(f"{nb}: twin cells rewritten from the package (re-execute it)")
        return 0
    problems = check(notebooks)
    for problem in problems:
        print(problem)
    n = sum(len(twin_cells(nb)) for nb in notebooks)
    print(f"{n} twin cells in {len(notebooks)} notebooks: {'in sync' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
