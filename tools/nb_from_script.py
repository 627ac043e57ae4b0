"""Authoring aid: turn a percent-format script (``# %%`` cells) into a clean, unexecuted notebook.

Usage: python tools/nb_from_script.py SCRIPT.py notebooks/NN_topic.ipynb   (then `make execute`)
Needs jupytext (pip install jupytext); the course itself does not.
"""

from __future__ import annotations

import sys

import jupytext
import nbformat


def main(src: str, dst: str) -> None:
    nb = jupytext.read(src)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.metadata = {}
    nbformat.write(nb, dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
