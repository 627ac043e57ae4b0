"""``make book``: the static site builds from the committed notebooks and works from the disk, offline.

The book is built once per session into a temporary folder (Sphinx + myst-nb, no notebook executed),
then opened from file:// in headless Chromium. Every request that is not local (not file:, data: or
blob:) is aborted and recorded, and the test fails on any: a page that works only online is a bug.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest
from browserlib import ARGS, require_chromium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_book  # noqa: E402
import web_assets  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def _title(path: Path) -> str:
    first = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
    return first.splitlines()[0].removeprefix("# ").strip()


def require_build_tools() -> None:
    """Skip (fail under CI) without npm (reveal.js, MathJax) or the [dev] extra's Sphinx and myst-nb."""
    missing = [name for name, ok in (("npm (Debian/Ubuntu: sudo apt-get install nodejs npm)", web_assets.npm_ready()),
                                     ("myst-nb (run `make setup`)", importlib.util.find_spec("myst_nb")))
               if not ok]
    if missing:
        message = f"the book and slides tests need {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """The built site's html folder (built once for this module)."""
    require_build_tools()
    return build_book.build(tmp_path_factory.mktemp("book") / "book").parent


def test_the_source_tree_lists_every_notebook_in_order_and_localises_the_badge(tmp_path):
    require_build_tools()
    pages = build_book.source_tree(tmp_path / "src")
    assert pages == [p.stem for p in NOTEBOOKS]
    index = (tmp_path / "src" / "index.md").read_text(encoding="utf-8")
    assert index.index(pages[0]) < index.index(pages[-1]) and "{toctree}" in index
    text = (tmp_path / "src" / NOTEBOOKS[0].name).read_text(encoding="utf-8")
    assert web_assets.REMOTE_BADGE not in text and "_static/colab-badge.svg" in text
    assert "](../student/" not in text
    assert (tmp_path / "src" / "_static" / "mathjax" / "tex-chtml.js").exists()


def test_no_page_loads_a_script_style_or_image_from_the_network(book):
    remote = re.compile(r"<(?:script|img|iframe)\b[^>]*\bsrc=\"https?://|<link\b[^>]*\bhref=\"https?://")
    found = {p.name: remote.findall(p.read_text(encoding="utf-8")) for p in book.glob("*.html")}
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    assert len(list(book.glob("*.html"))) >= len(NOTEBOOKS) + 2     # the notebooks, index, search


def test_every_page_renders_title_figures_badge_and_math_offline_and_search_finds(book):
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    remote: list[str] = []
    errors: list[str] = []

    def guard(route):
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        context.route("**/*", guard)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto((book / "index.html").as_uri())
        toc = [a.get_attribute("href") for a in page.locator(".bd-sidebar a.reference.internal").all()]
        assert [h.split("#")[0] for h in toc if h.startswith("0") or h.startswith("1")][:len(NOTEBOOKS)] \
            == [f"{nb.stem}.html" for nb in NOTEBOOKS], toc

        for nb in NOTEBOOKS:
            page.goto((book / f"{nb.stem}.html").as_uri())
            assert _title(nb) in page.locator("article h1").first.inner_text(), nb.name
            figures = page.locator(".cell_output img")
            assert figures.count() >= 1, nb.name
            figures.first.scroll_into_view_if_needed()
            assert page.evaluate("(img) => img.complete && img.naturalWidth > 100", figures.first.element_handle())
            badge = page.locator("article img[src$='colab-badge.svg']").first
            assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", badge.element_handle()), nb.name
            if "\\(" in page.content() or "\\[" in page.content():    # a page with math: MathJax typesets it
                page.wait_for_selector("mjx-container", timeout=30_000)

        page.goto((book / "search.html").as_uri() + "?q=attention")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        hits = [a.get_attribute("href") for a in page.locator("#search-results ul.search li a").all()]
        browser.close()

    assert any("04_attention_transformer" in h for h in hits), hits
    assert not remote, f"the book asked the network for: {remote}"
    assert not errors, errors
