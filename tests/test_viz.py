import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import CourseError, viz  # noqa: E402


def test_korean_title_renders_without_missing_glyphs(tmp_path):
    family = viz.setup()
    assert family == viz.KOREAN_FONT
    fig, ax = plt.subplots()
    ax.set_title("하루 커피 최소 3잔")
    ax.set_xlabel("킹받네")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "korean.png")
    missing = [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not missing, [str(w.message) for w in missing]
    plt.close(fig)


def test_without_the_korean_font_hangul_would_be_missing(tmp_path):
    """The check above can fail: DejaVu Sans alone has no Hangul glyphs."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("하루 커피")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(tmp_path / "no_korean.png")
        plt.close(fig)
    assert any("missing from" in str(w.message) for w in caught)


def test_heatmap_labels_axes_and_checks_shapes():
    ax = viz.heatmap(np.eye(3), ["a", "b", "c"], ["x", "y", "z"], xlabel="key", ylabel="query", title="t")
    assert ax.get_xlabel() == "key" and ax.get_ylabel() == "query"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(CourseError, match="does not match"):
        viz.heatmap(np.eye(3), ["a", "b"], ["x", "y", "z"])
    plt.close("all")


def test_curves_and_token_row():
    ax = viz.curves({"train": [3, 2, 1], "test": [3, 2.5, 2]}, ylabel="loss")
    assert len(ax.lines) == 2 and ax.get_legend() is not None
    ax = viz.token_row(["token", "##izer"], ["red", "blue"])
    assert [t.get_text() for t in ax.texts] == ["token", "##izer"]
    with pytest.raises(CourseError, match="2 tokens but 1 colours"):
        viz.token_row(["a", "b"], ["red"])
    plt.close("all")


def test_log_scale_ticks_render_without_missing_glyphs(tmp_path):
    viz.setup()
    ax = viz.curves({"loss": [1.0, 0.1, 0.01, 0.001]}, logy=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.figure.savefig(tmp_path / "log.png")
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    plt.close("all")
