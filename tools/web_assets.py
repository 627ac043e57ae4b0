"""Local copies of the JavaScript that the book (`make book`) and the slides (`make slides`) need.

reveal.js and MathJax come from the npm registry, pinned in package.json and package-lock.json, and are
installed into node_modules/ by ``npm ci``. The builds copy the files they need next to the HTML, so a
built book or deck works from a folder on a classroom machine without any network, and no page asks a
CDN for anything. Also the notebook copies that the book and the slides are built from are made here:
the Colab badge (an image on colab.research.google.com) becomes a local SVG, and links to the learner
copies point at the repository instead of a file outside the built site.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
BADGE_SVG = ROOT / "book" / "_static" / "colab-badge.svg"
REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
REPOSITORY = "https://github.com/nlp-course/nlp-pretrained-models/blob/main"
# MathJax 3: the TeX-to-HTML component, the extensions it loads on demand, its fonts and menu. The
# speech rule engine (sre/, 4 MB) is left out: it only loads when a reader turns on speech in the menu.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml", "ui", "a11y", "adaptors")
REVEAL_PARTS = ("dist", "plugin/notes", "LICENSE")
# A widget's plain-text repr (the view itself is not saved): noise next to the widget's static frame
WIDGET_REPR = re.compile(r"^[A-Z]\w*\(children=")


def npm_ready() -> bool:
    """True if node_modules/ is installed or npm is there to install it."""
    return (NODE_MODULES / ".package-lock.json").exists() or shutil.which("npm") is not None


def ensure_node_modules() -> Path:
    """Run ``npm ci`` if node_modules/ is missing or older than package-lock.json; return its path."""
    stamp = NODE_MODULES / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing: install Node.js and npm (Debian/Ubuntu: sudo apt-get install nodejs "
                         "npm), then rerun; the book and the slides need reveal.js and MathJax from npm")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=ROOT, check=True)
    stamp.touch()
    return NODE_MODULES


def _copy_parts(src: Path, dst: Path, parts: tuple[str, ...]) -> None:
    for part in parts:
        source, target = src / part, dst / part
        if not source.exists():
            raise SystemExit(f"{source} is missing: delete node_modules/ and rerun (npm ci reinstalls it)")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def copy_mathjax(dst: Path) -> Path:
    """Copy MathJax 3 into ``dst``; return the path of its loader, ``dst/tex-chtml.js``."""
    _copy_parts(ensure_node_modules() / "mathjax" / "es5", dst, MATHJAX_PARTS)
    return dst / "tex-chtml.js"


def copy_reveal(dst: Path) -> Path:
    """Copy reveal.js (dist/ and the speaker-notes plugin) into ``dst``; return ``dst``."""
    _copy_parts(ensure_node_modules() / "reveal.js", dst, REVEAL_PARTS)
    return dst


def local_copy(nb: dict, badge: str) -> dict:
    """The notebook (JSON as loaded) as the book and the slides show it, changed in place and returned:
    the Colab badge image is ``badge`` (a path relative to the page), links to ``../student/`` and
    ``../notebooks/`` go to the repository, and widget reprs without their view are dropped."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]).replace(REMOTE_BADGE, badge)
            text = re.sub(r"\]\(\.\./(student|notebooks)/", rf"]({REPOSITORY}/\1/", text)
            cell["source"] = text
        elif cell["cell_type"] == "code":
            cell["outputs"] = [out for out in cell["outputs"] if not _widget_repr(out)]
    return nb


def _widget_repr(out: dict) -> bool:
    data = out.get("data", {})
    return list(data) == ["text/plain"] and bool(WIDGET_REPR.match("".join(data["text/plain"])))


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (keeps mtimes, so Sphinx rebuilds only changes)."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def dump_notebook(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
