"""Driving JupyterLab in headless Chromium (Debian's chromium + Playwright, no browser download).

Used by the browser tests: ``open_notebook`` starts a throwaway JupyterLab on 127.0.0.1 over a copy of
one notebook, opens it in Chromium and runs all its cells. With CI set a missing Chromium is a
failure; elsewhere the test is skipped with a message saying how to enable it.
"""

from __future__ import annotations

import contextlib
import json
import os
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
def jupyter_lab(tmp_path: Path, notebook: str) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback over a copy of ``notebooks/<notebook>``; yields (base URL, token)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / notebook, work)
    env = dict(os.environ, COURSE_MODELS="local",
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
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
                     timeout_ms: int = 300_000) -> None:
    """Open ``notebook`` in JupyterLab, run all cells, wait until ``done_selector`` appears."""
    page.goto(f"{base}/lab/tree/{notebook}?token={token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    wait_for_idle_kernel(base, token)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(done_selector, timeout=timeout_ms)
