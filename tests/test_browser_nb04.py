"""Notebook 04 in a real browser: JupyterLab in headless Chromium runs it; changing the attention widget's
head redraws its picture, and the notebook's other widgets stay as they were."""

from __future__ import annotations

import os
from pathlib import Path

from browserlib import ARGS, jupyter_lab, open_and_run_all, require_chromium

NOTEBOOK = "04_attention_transformer.ipynb"
IMG = ".widget-output img"


def test_notebook_04_attention_widget_changes_head_in_jupyterlab(tmp_path):
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with jupyter_lab(tmp_path, NOTEBOOK) as (base, token), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # the last cell grades exercise 5 (parameters); the whole notebook takes ~1-2 min on 2 cores
        open_and_run_all(page, base, token, NOTEBOOK,
                         ".jp-OutputArea-output:has-text('encoder layer parameters: correct')")

        attention = page.locator(".course-attention")
        assert attention.count() == 2  # the single-sentence widget and the sentence-pair widget
        first, second = attention.nth(0), attention.nth(1)
        mask = page.locator(".course-attention-mask").first
        for widget in (first, second, mask):
            widget.locator(IMG).first.wait_for(timeout=30_000)
        before = first.locator(IMG).first.get_attribute("src")
        others = [second.locator(IMG).first.get_attribute("src"), mask.locator(IMG).first.get_attribute("src")]

        head = first.locator(".widget-dropdown:has(label:text-is('head')) select")
        selected = "s => s.options[s.selectedIndex].text"
        assert head.evaluate(selected) == "4"  # the notebook opens it on layer 2, head 4
        head.select_option(label="8")
        first.locator(f"{IMG}:not([src='{before}'])").first.wait_for(timeout=30_000)
        after = first.locator(IMG).first.get_attribute("src")
        assert head.evaluate(selected) == "8"
        others_after = [second.locator(IMG).first.get_attribute("src"),
                        mask.locator(IMG).first.get_attribute("src")]

        tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')").count()
        first.scroll_into_view_if_needed()
        shot = Path(os.environ.get("COURSE_SCREENSHOT", tmp_path / "notebook04.png"))
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert after != before and after.startswith("data:image/png")
    assert others_after == others  # several widgets in one notebook do not interfere
    assert tracebacks == 0
    assert shot.stat().st_size > 10_000
