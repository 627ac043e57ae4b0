"""Driving JupyterLab in headless Chromium (Debian's chromium + Playwright, no browser download).

Used by the browser tests: ``jupyter_lab`` starts a throwaway JupyterLab on 127.0.0.1 (over a copy of
one notebook, or an empty folder the test fills), ``open_and_run_all`` opens a notebook in Chromium and
runs all its cells. ``widget_notebook`` cuts a committed notebook down to the cells its widgets need,
``truncated_labels`` finds widget labels cut off with "…", ``save_screenshot`` writes a small PNG. With CI
set a missing Chromium is a failure; elsewhere the test is skipped with a message saying how to enable it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def require_chromium() -> str:
    """The Chromium path, or skip (fail under CI) with how to install it."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing: .ci/run installs it with apt-get", pytrace=False)
        pytest.skip("browser test skipped: install Chromium (Debian/Ubuntu: sudo apt-get install chromium) "
                    "to run it")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def jupyter_lab(tmp_path: Path, notebook: str | None = None) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback over ``tmp_path / "work"`` holding a copy of ``notebooks/<notebook>``
    (or nothing, for the test to write notebooks into); yields (base URL, token)."""
    work = tmp_path / "work"
    work.mkdir()
    if notebook is not None:
        shutil.copy(ROOT / "notebooks" / notebook, work)
    # no "Would you like to get notified about official Jupyter news?" toast over the widgets
    news = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, COURSE_MODELS="local",
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    port, token = _free_port(), "course-test-token"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", "--allow-root", "--LabApp.expose_app_in_browser=True",
         f"--ServerApp.root_dir={work}", "--LabApp.news_url="],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def wait_for_idle_kernel(base: str, token: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        sessions = _get(f"{base}/api/sessions?token={token}")
        if sessions and all(s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    raise AssertionError("the notebook's kernel never became idle")


def open_and_run_all(page, base: str, token: str, notebook: str, done_selector: str,
                     timeout_ms: int = 300_000, workspace: str | None = None) -> None:
    """Open ``notebook`` in JupyterLab, run all cells, wait until ``done_selector`` appears.

    A named ``workspace`` starts empty: the tabs of notebooks opened before are not restored."""
    page.goto(f"{base}/lab/{f'workspaces/{workspace}/' if workspace else ''}tree/{notebook}?token={token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    wait_for_idle_kernel(base, token)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(done_selector, timeout=timeout_ms)


def shut_down_kernels(base: str, token: str) -> None:
    """End every session (and its kernel) of the server, so the next notebook starts on a quiet machine."""
    for session in _get(f"{base}/api/sessions?token={token}"):
        request = urllib.request.Request(f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


# ----------------------------------------------------------------------------------------------
# a notebook cut down to its widgets: the setup cell, the statements the widget cells need, the widgets
# ----------------------------------------------------------------------------------------------
WIDGET_PREFIX = "widgets."
_BUILTINS = set(dir(builtins))
_NOT_WIDGETS = re.compile(r"^(draw_|parse_)|_payload$|^(figure_png|show_figure)$")


def interactive_widget_names() -> list[str]:
    """The functions of ``course_utils.widgets`` that build an ipywidgets widget (not payloads, static frames
    or helpers): by the package's naming convention, the lower-case names not matching ``_NOT_WIDGETS``."""
    from course_utils import widgets

    return sorted(n for n in widgets.__all__ if n.islower() and callable(getattr(widgets, n))
                  and not _NOT_WIDGETS.search(n))


def _parse(source: str) -> ast.Module:
    return ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))


def _stored(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _bound(st: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds."""
    if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {st.name}
    if isinstance(st, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in st.names}
    if isinstance(st, ast.Assign):
        return set().union(*(_stored(t) for t in st.targets))
    if isinstance(st, ast.AugAssign | ast.AnnAssign):
        return _stored(st.target)
    names = set()
    if isinstance(st, ast.For | ast.AsyncFor):
        names |= _stored(st.target)
    if isinstance(st, ast.With | ast.AsyncWith):
        names |= set().union(*(_stored(i.optional_vars) for i in st.items if i.optional_vars))
    for field in ("body", "orelse", "finalbody"):
        for child in getattr(st, field, []):
            names |= _bound(child)
    for handler in getattr(st, "handlers", []):
        for child in handler.body:
            names |= _bound(child)
    return names


def _free(st: ast.stmt) -> set[str]:
    """The names a statement reads and does not bind itself (close enough for notebook code)."""
    local = set()
    for n in ast.walk(st):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            local.add(n.id)
        elif isinstance(n, ast.arg):
            local.add(n.arg)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            local.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            local |= {(a.asname or a.name).split(".")[0] for a in n.names}
    used = {n.id for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return used - local - _BUILTINS


def widget_calls(notebook: str, names: list[str] | None = None) -> list[tuple[int, str]]:
    """(code cell index, widget name) of every cell of ``notebooks/<notebook>`` that builds a widget.

    A cell may build one widget only (the test finds the widget by its cell)."""
    names = interactive_widget_names() if names is None else names
    pattern = re.compile(r"\b" + re.escape(WIDGET_PREFIX) + r"(" + "|".join(map(re.escape, names)) + r")\(")
    cells = _code_cells(notebook)
    calls = []
    for k, source in enumerate(cells):
        found = pattern.findall(source)
        if len(found) > 1:
            raise AssertionError(f"{notebook}: code cell {k} builds {len(found)} widgets; give each its own cell")
        calls += [(k, found[0])] if found else []
    return calls


def _code_cells(notebook: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


READY = "ALL WIDGET CELLS RAN"


def widget_notebook(notebook: str, targets: list[int]) -> tuple[dict, list[int]]:
    """A small notebook that builds the widgets of code cells ``targets`` of ``notebooks/<notebook>``.

    It holds the notebook's setup cell (the one importing ``course_utils.widgets``), then only the
    top-level statements that define names the widget cells use (found backwards, statement by statement,
    so training cells whose results the widgets do not use are left out), then the widget cells unchanged,
    then a cell printing ``READY``. Returns the notebook and the cell index of each widget cell in it.
    """
    cells = _code_cells(notebook)
    setup = next(j for j, s in enumerate(cells) if re.search(r"^from course_utils import .*\bwidgets\b", s, re.M))
    have = set().union(*(_bound(st) for st in _parse(cells[setup]).body))
    need: set[str] = set()
    kept: dict[int, list[tuple[int, str]]] = {}
    for j in range(max(targets), setup, -1):
        lines, body = cells[j].splitlines(), _parse(cells[j]).body
        for st in reversed(body):
            if j in targets or _bound(st) & need:
                start = min([st.lineno] + [d.lineno for d in getattr(st, "decorator_list", [])])
                if j not in targets:
                    kept.setdefault(j, []).append((start, "\n".join(lines[start - 1: st.end_lineno])))
                need = (need - _bound(st)) | _free(st)
        need -= have
        if j in targets:
            kept[j] = [(0, cells[j])]
    if need:
        raise AssertionError(f"{notebook}: the widget cells use {sorted(need)}, defined nowhere before them")
    sources, where = [cells[setup]], []
    for j in sorted(kept):
        if j in targets:
            where.append(len(sources))
        sources.append("\n".join(text for _, text in sorted(kept[j])))
    sources.append(f"print({READY!r})")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": source} for source in sources],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    return nb, where


# ----------------------------------------------------------------------------------------------
# checks on the page, and screenshots
# ----------------------------------------------------------------------------------------------
_TRUNCATED_JS = """root => Array.from(root.querySelectorAll(
    '.widget-label, .widget-toggle-button, .widget-button, .widget-readout'))
  .filter(e => e.offsetParent !== null && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.className.split(' ')[0]} "${e.textContent.trim()}" (${e.scrollWidth} px in ${e.clientWidth})`)"""


def truncated_labels(locator) -> list[str]:
    """Visible widget labels, buttons and readouts under ``locator`` whose text is wider than their box
    (the browser cuts them with "…")."""
    return locator.evaluate(_TRUNCATED_JS)


def save_screenshot(locator, path: Path, *, max_width: int = 1100, max_bytes: int = 150_000) -> Path:
    """A PNG of ``locator`` (an element or a page), at most ``max_width`` px wide, palette-quantised until it
    is at most ``max_bytes``: small enough to commit."""
    from PIL import Image

    image = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)), Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    for colours in (256, 128, 64, 32):
        buffer = io.BytesIO()
        image.quantize(colours, dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= max_bytes:
            break
    path.write_bytes(buffer.getvalue())
    return path
