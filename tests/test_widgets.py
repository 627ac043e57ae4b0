"""Widget payloads are pure functions (tested here); the ipywidgets layer re-renders on input."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_utils import CourseError, models, widgets  # noqa: E402


@pytest.fixture(scope="module")
def tokenizers(gpt2_tok):
    return {"wordpiece": models.load("bert-base-uncased", task="tokenizer"), "bpe": gpt2_tok}


def test_tokens_payload_gives_real_tokens_and_ids(tokenizers):
    payload = widgets.tokens_payload("unbelievable tokenization", tokenizers)
    assert payload["wordpiece"] == [("unbelievable", 23653), ("token", 19204), ("##ization", 3989)]
    assert [t for t, _ in payload["bpe"]] == ["un", "bel", "iev", "able", "Ġtoken", "ization"]


def test_tokens_payload_korean_is_unk_for_wordpiece_but_bytes_for_bpe(tokenizers):
    payload = widgets.tokens_payload("킹받네", tokenizers)
    assert payload["wordpiece"] == [("[UNK]", 100)]
    assert len(payload["bpe"]) >= 3  # three syllables, nine UTF-8 bytes


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_text_is_a_clear_error(tokenizers, bad):
    with pytest.raises(CourseError, match="text to tokenize"):
        widgets.tokens_payload(bad, tokenizers)


def test_static_fallback_draws_one_row_per_tokenizer(tokenizers):
    fig = widgets.draw_tokens(widgets.tokens_payload("Hello world", tokenizers))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["wordpiece: 2 tokens", "bpe: 2 tokens"]


def test_explorer_rerenders_when_the_text_changes(tokenizers):
    box = widgets.tokenizer_explorer(tokenizers, text="Hello")
    text, out = box.children
    first = len(out.outputs)
    text.value = "A completely different sentence"
    assert len(out.outputs) >= 1 and first >= 1
    text.value = "  "
    assert any("type some text" in o.get("text", "") for o in out.outputs)
