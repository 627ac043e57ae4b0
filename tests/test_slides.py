"""``make slides``: reveal.js decks from the notebooks, cut by the notebooks' own slide metadata.

The committed notebooks carry ``slideshow.slide_type`` exactly as tools/slide_metadata.py computes it;
the tool changes nothing but that metadata; every deck builds, loads reveal.js and MathJax from copies
beside it, and works offline in headless Chromium (any request that is not local fails the test).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from browserlib import ARGS, require_chromium
from test_book import require_build_tools

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_slides  # noqa: E402
import slide_metadata  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def _types(path: Path) -> list[str | None]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_slide_metadata_is_what_the_tool_computes(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert _types(path) == slide_metadata.slide_types(cells), \
        f"run `python tools/slide_metadata.py notebooks/{path.name}` and commit it"


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    figure = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    nb.cells = [
        md("# 99 · A title\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
           "(https://colab.research.google.com/github/o/r/blob/main/notebooks/99_demo.ipynb)\n\n"
           "**Learning objectives**\n- one\n\n**Estimated run time:** a minute."),
        code('# Setup\nimport sys\nif "google.colab" in sys.modules:\n    pass'),
        code("import torch"),
        md("## 1 · A section\nShort prose."),
        code("x = 1\nprint(x)", outputs=[nbformat.v4.new_output("stream", text="1\n")]),
        code("\n".join(f"y{i} = {i}" for i in range(20))),                        # long, prints nothing
        code("plot()", outputs=[figure]),
        code("plot()", outputs=[figure]),                                          # a second figure
        md("### A subsection"),
        md("**The loss.** Bold lead."),
        code("# BEGIN SOLUTION\nanswer = 1\n# END SOLUTION\nchecks.exercise_x(answer)"),
        code("assert x == 1"),
        code("widgets.explorer()", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "VBox(children=(Text(value='a'),))"}, execution_count=1)]),
        md("## Summary\n- done"),
    ]
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_rules_cut_a_notebook_into_slides(tmp_path):
    path = _notebook(tmp_path)
    assert slide_metadata.main([str(path)]) == 0
    assert _types(path) == ["slide", "skip", "skip", "slide", "-", "notes", "-", "subslide", "subslide",
                            "subslide", "skip", "skip", "skip", "slide"]


def test_the_tool_changes_only_slide_metadata_is_idempotent_and_keeps_manual_choices(tmp_path, capsys):
    path = _notebook(tmp_path)
    before = json.loads(path.read_text(encoding="utf-8"))
    assert slide_metadata.main(["--check", str(path)]) == 1                  # stale: reported, not written
    assert json.loads(path.read_text(encoding="utf-8")) == before
    slide_metadata.main([str(path)])
    after = json.loads(path.read_text(encoding="utf-8"))
    for cell in after["cells"]:
        cell["metadata"].pop("slideshow")
    assert after == before
    text = path.read_text(encoding="utf-8")
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"   # nbformat's own layout
    assert slide_metadata.main([str(path)]) == 0 and slide_metadata.main(["--check", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text                          # idempotent
    nb = json.loads(text)
    nb["cells"][4]["metadata"]["slideshow"] = {"slide_type": "fragment", "manual": True}
    path.write_text(slide_metadata.dumps(nb), encoding="utf-8")
    slide_metadata.main([str(path)])
    assert _types(path)[4] == "fragment"


def test_the_deck_copy_cuts_title_and_headings_and_hides_long_code(tmp_path):
    path = _notebook(tmp_path)
    slide_metadata.main([str(path)])
    path.write_text(path.read_text(encoding="utf-8").replace("Short prose.", "Short prose.\\n### Inner"))
    deck = build_slides.deck_notebook(path)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in deck.cells]
    assert deck.cells[0].source.startswith("# 99 · A title\n") and "colab" not in deck.cells[0].source.lower()
    assert deck.cells[1].source.startswith("**Learning objectives**") and "run time" not in deck.cells[1].source
    assert deck.cells[2].metadata.slideshow.slide_type == "notes" and "run time" in deck.cells[2].source
    sources = [c.source for c in deck.cells]
    section = sources.index("## 1 · A section\nShort prose.")
    assert kinds[:2] == ["slide", "slide"] and kinds[section] == "slide"
    assert sources[section + 1] == "### Inner" and kinds[section + 1] == "subslide"
    long_code = next(c for c in deck.cells if c.source.startswith("y0 = 0"))
    assert long_code.metadata["transient"] == {"remove_source": True}
    with pytest.raises(SystemExit, match="no notebook starts with 77"):
        build_slides.select(["77"])
    assert [p.name[:2] for p in build_slides.select(["04"])] == ["04"]


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> Path:
    """Every notebook's deck, built once for this module; returns the folder."""
    require_build_tools()
    out = tmp_path_factory.mktemp("slides")
    build_slides.build(NOTEBOOKS, out)
    return out


def test_every_notebook_has_a_deck_that_loads_nothing_from_the_network(decks):
    assert sorted(p.name for p in decks.glob("*.slides.html")) == [f"{p.stem}.slides.html" for p in NOTEBOOKS]
    remote = re.compile(r"<(?:script|img|iframe)\b[^>]*\bsrc=\"https?://|<link\b[^>]*\bhref=\"https?://|"
                        r"import [^;]*from ['\"]https?://")
    for deck in decks.glob("*.slides.html"):
        html = deck.read_text(encoding="utf-8")
        assert not remote.findall(html), deck.name
        assert 'src="reveal.js/dist/reveal.js"' in html and 'src="mathjax/tex-chtml.js"' in html
    assert (decks / "reveal.js" / "dist" / "reveal.js").exists() and (decks / "mathjax" / "tex-chtml.js").exists()


def test_a_deck_steps_through_slides_and_shows_a_figure_and_math_offline(decks):
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

    deck = decks / f"{build_slides.select(['04'])[0].stem}.slides.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", guard)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(deck.as_uri())
        page.wait_for_function("window.Reveal !== undefined && Reveal.isReady()", timeout=30_000)
        assert page.locator(".reveal section.present h1").first.inner_text().lower().startswith("04")
        seen = [page.evaluate("JSON.stringify(Reveal.getIndices())")]
        for _ in range(3):
            page.keyboard.press("ArrowRight")   # the next slide of the horizontal row
            # wait for Reveal to move (a fixed pause was too short on a loaded CI machine)
            page.wait_for_function("(before) => JSON.stringify(Reveal.getIndices()) !== before", arg=seen[-1],
                                   timeout=10_000)
            seen.append(page.evaluate("JSON.stringify(Reveal.getIndices())"))
        assert len(set(seen)) == 4, seen
        total = page.evaluate("Reveal.getTotalSlides()")
        for _ in range(total):                  # walk on until a slide shows a figure
            if page.locator(".reveal section.present img").count():
                break
            page.evaluate("Reveal.next()")
        figure = page.locator(".reveal section.present img").first
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 100", arg=figure.element_handle(),
                               timeout=10_000)
        page.wait_for_selector("mjx-container", state="attached", timeout=30_000)   # MathJax typeset the math
        browser.close()
    assert total >= 10
    assert not remote, f"the deck asked the network for: {remote}"
    assert not errors, errors
