"""Notebook 00 in a real browser: JupyterLab in headless Chromium runs it and the widget responds."""

from __future__ import annotations

import os
from pathlib import Path

from browserlib import ARGS, jupyter_lab, open_and_run_all, require_chromium

NOTEBOOK = "00_setup_and_tour.ipynb"


def test_notebook_00_runs_in_jupyterlab_and_the_tokenizer_widget_responds(tmp_path):
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with jupyter_lab(tmp_path, NOTEBOOK) as (base, token), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # the last cell prints the compare() verdict; the run takes ~20 s with models cached
        open_and_run_all(page, base, token, NOTEBOOK, ".jp-OutputArea-output:has-text('max diff')")

        text_box = page.locator(".widget-text input").first
        text_box.wait_for(timeout=30_000)
        output = page.locator(".widget-output").first
        output.locator("img").first.wait_for(timeout=30_000)
        before = output.locator("img").first.get_attribute("src")
        text_box.fill("unbelievable tokenization")
        text_box.press("Enter")
        page.wait_for_function(
            "([sel, old]) => { const img = document.querySelector(sel); return img && img.src !== old; }",
            arg=[".widget-output img", before], timeout=30_000)
        after = output.locator("img").first.get_attribute("src")
        tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')").count()
        text_box.scroll_into_view_if_needed()
        shot = Path(os.environ.get("COURSE_SCREENSHOT", tmp_path / "notebook00.png"))
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert after != before and after.startswith("data:image/png")
    assert tracebacks == 0
    assert shot.stat().st_size > 10_000
