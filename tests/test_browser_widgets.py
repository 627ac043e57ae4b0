"""Every widget of every notebook in a real browser: JupyterLab in headless Chromium builds it, a control is
changed (a key press on a slider, a menu choice, a click, typed text) and its picture or text changes,
with no traceback, no "Error displaying widget" and no label cut off with "…".

The notebooks are not run whole (that is what nbval does): for each notebook with widgets the test writes
a small notebook holding its setup cell, the statements its widget cells need (found by name, so the
test follows the notebook when it changes, and training cells the widgets do not use are left out) and
the widget cells themselves, unchanged. One JupyterLab and one Chromium serve the whole session; each
notebook's kernel is shut down before the next one starts.

Screenshots for the README (opt-in, never in CI):
``COURSE_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/test_browser_widgets.py``
writes ``SCREENSHOTS``' PNGs (and a page of the static book, if ``make book`` has built it) there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from browserlib import (
    ARGS,
    READY,
    ROOT,
    interactive_widget_names,
    jupyter_lab,
    open_and_run_all,
    require_chromium,
    save_screenshot,
    shut_down_kernels,
    truncated_labels,
    widget_calls,
    widget_notebook,
)

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CALLS = [(nb, cell, name) for nb in NOTEBOOKS for cell, name in widget_calls(nb)]
SHOTS = os.environ.get("COURSE_SCREENSHOTS")
# (notebook, widget, which of that notebook's calls of it) -> file name under $COURSE_SCREENSHOTS
SCREENSHOTS = {("04_attention_transformer.ipynb", "attention_widget", 0): "attention-widget.png",
               ("05_bert.ipynb", "masking_explorer", 0): "masking-explorer.png"}
BOOK_PAGE = ROOT / "build" / "book" / "html"


# ----------------------------------------------------------------------------------------------
# how to drive each widget: a list of actions; after each one the widget's output must change
# ----------------------------------------------------------------------------------------------
def _slider(label: str, key: str = "ArrowRight") -> Callable:
    def act(root):
        handle = root.locator(f".widget-slider:has(label:text-is('{label}')) .noUi-handle").first
        handle.focus()
        handle.press(key)
    act.__doc__ = f"{key} on the {label!r} slider"
    return act


def _next_option(label: str) -> Callable:
    def act(root):
        menu = root.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first
        menu.evaluate("s => { s.selectedIndex = (s.selectedIndex + 1) % s.options.length;"
                      " s.dispatchEvent(new Event('change', {bubbles: true})); }")
    act.__doc__ = f"the next option of the {label!r} menu"
    return act


def _click(text: str) -> Callable:
    def act(root):
        root.locator(f"button:text-is('{text}')").first.click()
    act.__doc__ = f"a click on {text!r}"
    return act


def _type(label: str, text: str) -> Callable:
    def act(root):
        box = root.locator(f".widget-text:has(label:text-is('{label}')) input").first
        box.fill(text)
        box.press("Enter")
    act.__doc__ = f"{text!r} typed into {label!r}"
    return act


DRIVERS: dict[str, list[Callable]] = {
    "tokenizer_explorer": [_type("text:", "unbelievable tokenization")],
    "embedding_explorer": [_slider("k:"), _type("analogy:", "paris - france + italy")],
    "bpe_stepper": [_slider("merges:"), _type("word:", "tokenization")],
    "attention_mask_widget": [_click("causal (GPT)"), _slider("[PAD]s")],
    "attention_widget": [_next_option("head"), _click("model view")],
    "masking_explorer": [_click("resample"), _slider("mask rate")],
    "decoding_explorer": [_slider("temperature"), _click("sample")],
    "parameter_calculator": [_next_option("sharing"), _slider("layers L")],
    "temperature_explorer": [_slider("T")],
    "kg_query_explorer": [_next_option("start:"), _next_option("relation 3:")],
}

OUTPUTS_JS = """root => Array.from(root.querySelectorAll('.widget-output')).map(
    o => o.innerText.trim() + Array.from(o.querySelectorAll('img')).map(i => i.src).join()).join('|')"""
CHANGED_JS = f"""([root, old]) => {{ const now = ({OUTPUTS_JS})(root); return now !== old && /\\S/.test(now); }}"""


def test_every_widget_has_a_driver_and_every_notebook_uses_course_widgets():
    """A new widget needs a driver here; a notebook building ipywidgets itself would escape this test."""
    assert set(interactive_widget_names()) <= set(DRIVERS), set(interactive_widget_names()) - set(DRIVERS)
    assert {name for _, _, name in CALLS} == set(interactive_widget_names())  # each one is in some notebook
    for nb in NOTEBOOKS:
        cells = json.loads((ROOT / "notebooks" / nb).read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        direct = [s for s in sources if re.search(r"^\s*(import ipywidgets|from ipywidgets)|\binteract\(", s, re.M)]
        assert not direct, f"{nb} builds ipywidgets itself: put the widget in course_utils.widgets"
        targets = [cell for n, cell, _ in CALLS if n == nb]
        if targets:  # the cut-down notebook finds every name its widget cells use
            cut, where = widget_notebook(nb, targets)
            assert [cut["cells"][i]["source"] for i in where] == [sources[i] for i in targets]


class Lab:
    """One JupyterLab + Chromium for the session; ``open`` runs one notebook's widget cells at a time."""

    def __init__(self, base: str, token: str, work: Path, browser) -> None:
        self.base, self.token, self.work, self.browser = base, token, work, browser
        self.notebook, self.page, self.where, self.errors = None, None, [], []

    def open(self, notebook: str):
        if notebook != self.notebook:
            if self.page is not None:
                self.page.close()
                shut_down_kernels(self.base, self.token)
            nb, self.where = widget_notebook(notebook, [cell for n, cell, _ in CALLS if n == notebook])
            name = f"widgets_{notebook}"
            (self.work / name).write_text(json.dumps(nb), encoding="utf-8")
            self.notebook, self.errors = notebook, []
            self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
            self.page.on("pageerror", lambda error: self.errors.append(str(error)))
            open_and_run_all(self.page, self.base, self.token, name,
                             f".jp-OutputArea-output:has-text('{READY}'), .jp-OutputArea-output:has-text('Traceback')",
                             workspace=Path(name).stem.replace("_", "-"))
            tracebacks = self.page.locator(".jp-OutputArea-output:has-text('Traceback')")
            assert tracebacks.count() == 0, f"{notebook}'s widget cells raised:\n{tracebacks.first.inner_text()}"
        return self.page


@pytest.fixture(scope="module")  # ends with this module: a later sync_playwright() in the same process needs no running loop
def browser():
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("widgets-lab")
    with jupyter_lab(tmp) as (base, token):
        yield Lab(base, token, tmp / "work", browser)


def _call_id(call: tuple[str, int, str]) -> str:
    return f"{call[0][:2]}-{call[2]}-cell{call[1]}"


@pytest.mark.parametrize("call", CALLS, ids=_call_id)
def test_widget_responds_in_jupyterlab(lab, call):
    notebook, cell, name = call
    page = lab.open(notebook)
    position = [c for n, c, _ in CALLS if n == notebook].index(cell)
    root = page.locator(".jp-Notebook .jp-CodeCell").nth(lab.where[position])
    root.scroll_into_view_if_needed()
    root.locator(".widget-output img, .widget-output pre").first.wait_for(timeout=180_000)
    nth = [(n, w) for n, c, w in CALLS if (n, c) <= (notebook, cell)].count((notebook, name)) - 1
    if SHOTS and (notebook, name, nth) in SCREENSHOTS:  # as the notebook opens it
        area = root.locator(".jp-OutputArea").first
        area.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        save_screenshot(area, Path(SHOTS) / SCREENSHOTS[notebook, name, nth])
    handle = root.element_handle()
    for act in DRIVERS[name]:
        before = handle.evaluate(OUTPUTS_JS)
        act(root)
        try:
            page.wait_for_function(CHANGED_JS, arg=[handle, before], timeout=120_000)
        except Exception as error:  # playwright's TimeoutError: say which action did nothing
            raise AssertionError(f"{name}: the output did not change after {act.__doc__}") from error
        after = handle.evaluate(OUTPUTS_JS)
        assert "data:image/png" in after, f"{name}: no picture after {act.__doc__}: {after[:300]!r}"
    assert root.locator(":text('Error displaying widget')").count() == 0
    assert page.locator(".jp-OutputArea-output:has-text('Traceback')").count() == 0
    assert truncated_labels(root) == [], f"{name}: labels cut off"
    assert not [e for e in lab.errors if "widget" in e.lower()], lab.errors


@pytest.mark.skipif(not SHOTS, reason="screenshots only: set COURSE_SCREENSHOTS=<folder>")
def test_book_page_screenshot(browser):
    """A page of the static book (``make book``): notebook 04's static frames of the attention widget."""
    page_file = BOOK_PAGE / "04_attention_transformer.html"
    if not page_file.exists():
        pytest.skip(f"{page_file.relative_to(ROOT)} is missing: run `make book` first")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("http*://**", lambda route: route.abort())  # the book must not need the network
    page.goto(page_file.as_uri(), wait_until="load")
    cell = page.locator("div.cell:has-text('draw_attention_head(payload')").first
    if cell.count():
        cell.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.evaluate("window.scrollBy(0, -40)")
    page.wait_for_timeout(500)
    shot = save_screenshot(page, Path(SHOTS) / "book-page.png")
    page.close()
    assert shot.stat().st_size <= 150_000
