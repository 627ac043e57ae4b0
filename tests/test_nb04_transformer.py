"""Notebook 04's code: the from-scratch Transformer, its masks and positions, and the attention widgets."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from course_utils import CourseError, checks, widgets  # noqa: E402
from course_utils import transformer as tr  # noqa: E402

SENTENCES = ["The cat sat on the mat because it was tired.", "Attention is all you need.",
             "Anna called Ben because she needed help with the long report.", "Hi"]


@pytest.fixture(scope="module")
def ours(minilm):
    return tr.Encoder.from_bert(minilm[1])


# ----------------------------------------------------------------------------------------------
# attention, masks, positions
# ----------------------------------------------------------------------------------------------
@settings(deadline=None, max_examples=25)
@given(B=st.integers(1, 3), T=st.integers(1, 9), d=st.sampled_from([1, 4, 8, 16]), causal=st.booleans())
def test_attention_matches_torch_and_rows_sum_to_one(B, T, d, causal):
    g = torch.Generator().manual_seed(B * 100 + T * 10 + d)
    q, k, v = (torch.randn(B, 2, T, d, generator=g) for _ in range(3))
    mask = tr.causal_mask(T) if causal else None
    out, weights = tr.scaled_dot_product_attention(q, k, v, mask)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5)
    assert torch.allclose(weights.sum(-1), torch.ones(B, 2, T), atol=1e-6)
    if causal:
        assert torch.all(weights.triu(1) == 0)


def test_attention_rejects_mismatched_key_size():
    with pytest.raises(CourseError, match="same size d_k"):
        tr.scaled_dot_product_attention(torch.zeros(2, 4), torch.zeros(2, 3), torch.zeros(2, 3))


def test_masks():
    assert tr.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    mask = tr.padding_mask(torch.tensor([[1, 1, 0], [1, 1, 1]]))
    assert mask.shape == (2, 1, 1, 3) and mask[0, 0, 0].tolist() == [True, True, False]
    with pytest.raises(CourseError):
        tr.causal_mask(0)
    with pytest.raises(CourseError, match="batch, tokens"):
        tr.padding_mask(torch.ones(3))


def test_a_fully_masked_row_stays_finite():
    _, weights = tr.scaled_dot_product_attention(torch.ones(1, 2), torch.ones(3, 2), torch.ones(3, 2),
                                                 torch.zeros(1, 3, dtype=torch.bool))
    assert torch.isfinite(weights).all()


def test_sinusoidal_positions_formula_and_relative_offsets():
    pe = tr.sinusoidal_positions(50, 16)
    assert pe.shape == (50, 16)
    assert torch.isclose(pe[7, 4], torch.tensor(np.sin(7 / 10000 ** (4 / 16)), dtype=torch.float32))
    assert torch.isclose(pe[7, 5], torch.tensor(np.cos(7 / 10000 ** (4 / 16)), dtype=torch.float32))
    dots = (pe[:-5] * pe[5:]).sum(-1)  # PE(p)·PE(p+5) is the same for every p
    assert float(dots.max() - dots.min()) < 1e-4
    with pytest.raises(CourseError, match="even"):
        tr.sinusoidal_positions(4, 5)


def test_multi_head_attention_matches_torch_multihead_attention():
    torch.manual_seed(0)
    ours_mha = tr.MultiHeadAttention(32, 4).eval()
    ref = torch.nn.MultiheadAttention(32, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours_mha.query.weight, ours_mha.key.weight, ours_mha.value.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours_mha.query.bias, ours_mha.key.bias, ours_mha.value.bias]))
        ref.out_proj.weight.copy_(ours_mha.out.weight)
        ref.out_proj.bias.copy_(ours_mha.out.bias)
        x = torch.randn(2, 7, 32)
        y, w = ours_mha(x)
        y_ref, w_ref = ref(x, x, x, average_attn_weights=False)
    assert y.shape == (2, 7, 32) and w.shape == (2, 4, 7, 7)
    assert torch.allclose(y, y_ref, atol=1e-5) and torch.allclose(w, w_ref, atol=1e-6)


def test_config_rejects_indivisible_heads():
    with pytest.raises(CourseError, match="divisible"):
        tr.EncoderConfig(d_model=10, n_heads=3)


# ----------------------------------------------------------------------------------------------
# the encoder on real MiniLM weights
# ----------------------------------------------------------------------------------------------
def test_encoder_reproduces_bert_model_hidden_states_and_attentions(minilm, ours):
    tok, bert = minilm
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        ref = bert(**batch, output_hidden_states=True, output_attentions=True)
        mine = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    real = batch["attention_mask"].bool()  # padded positions carry no meaning
    assert len(mine.hidden_states) == len(ref.hidden_states) == 7
    for h_mine, h_ref in zip(mine.hidden_states, ref.hidden_states, strict=True):
        assert (h_mine - h_ref)[real].abs().max() <= 1e-4
    for a_mine, a_ref in zip(mine.attentions, ref.attentions, strict=True):
        assert (a_mine - a_ref).abs().max() <= 1e-5


def test_encoder_on_a_sentence_pair_uses_segment_ids(minilm, ours):
    tok, bert = minilm
    batch = tok("The cat sat on the mat.", "It was tired.", return_tensors="pt")
    assert batch["token_type_ids"].sum() > 0
    with torch.no_grad():
        ref = bert(**batch).last_hidden_state
        mine = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]).last_hidden_state
        no_segments = ours(batch["input_ids"], batch["attention_mask"]).last_hidden_state
    assert (mine - ref).abs().max() <= 1e-4
    assert (no_segments - ref).abs().max() > 1e-2  # the segment embedding matters


def test_padding_does_not_change_the_real_tokens(minilm, ours):
    tok, _ = minilm
    alone = tok(SENTENCES[1], return_tensors="pt")
    padded = tok([SENTENCES[1], SENTENCES[0]], padding=True, return_tensors="pt")
    with torch.no_grad():
        a = ours(**{k: alone[k] for k in ("input_ids", "attention_mask")}).last_hidden_state
        b = ours(**{k: padded[k] for k in ("input_ids", "attention_mask")}).last_hidden_state
    n = alone["input_ids"].shape[1]
    assert padded["attention_mask"][0, n:].sum() == 0 and padded["input_ids"].shape[1] > n
    assert (a[0] - b[0, :n]).abs().max() <= 1e-5


def test_from_bert_maps_every_weight_and_param_counts_agree(minilm, ours):
    _, bert = minilm
    pooler = sum(p.numel() for n, p in bert.named_parameters() if n.startswith("pooler."))
    assert tr.count_params(ours) + pooler == sum(p.numel() for p in bert.parameters())
    assert tr.count_params(ours.layers[0]) == tr.layer_param_formula(384, 1536) == 1_774_464
    assert tr.layer_param_formula(768, 3072) == 7_087_872  # one BERT-base layer (BertModel(BertConfig()) counts the same)
    big = tr.EncoderLayer(tr.EncoderConfig(d_model=768, n_heads=12, d_ff=3072))
    assert tr.count_params(big) == tr.layer_param_formula(768, 3072)


def test_encoder_rejects_too_many_tokens():
    enc = tr.Encoder(tr.EncoderConfig(vocab_size=10, max_positions=4, d_model=8, n_heads=2, n_layers=1, d_ff=8))
    with pytest.raises(CourseError, match="only 4 positions"):
        enc(torch.zeros(1, 5, dtype=torch.long))


# ----------------------------------------------------------------------------------------------
# attention widget payloads
# ----------------------------------------------------------------------------------------------
def test_attention_payload_shapes_rows_and_labels(minilm):
    tok, bert = minilm
    p = widgets.attention_payload(SENTENCES[0], tok, bert)
    assert p.tokens == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired",
                        ".", "[SEP]"]
    assert p.weights.shape == (6, 12, 13, 13) and (p.n_layers, p.n_heads) == (6, 12)
    assert np.allclose(p.weights.sum(-1), 1.0, atol=1e-5) and (p.weights >= 0).all()
    assert p.segments == [0] * 13
    assert p.labels()[5] == "5 · the" and len(set(p.labels())) == 13


def test_attention_payload_matches_the_models_own_attentions(minilm, ours):
    tok, bert = minilm
    p = widgets.attention_payload(SENTENCES[0], tok, bert)
    with torch.no_grad():
        att = bert(**tok(SENTENCES[0], return_tensors="pt"), output_attentions=True).attentions
    assert np.array_equal(p.weights[2, 3], att[2][0, 3].numpy())
    mine = widgets.attention_payload(SENTENCES[0], tok, ours)  # the from-scratch encoder works too
    assert np.abs(mine.weights - p.weights).max() <= 1e-5


def test_attention_payload_for_a_sentence_pair(minilm):
    tok, bert = minilm
    p = widgets.attention_payload("The cat sat.", tok, bert, text_pair="It was tired.")
    assert p.tokens == ["[CLS]", "the", "cat", "sat", ".", "[SEP]", "it", "was", "tired", ".", "[SEP]"]
    assert p.segments == [0] * 6 + [1] * 5
    assert p.weights.shape == (6, 12, 11, 11)


@pytest.mark.parametrize("text, pair, message", [
    ("", None, "sentence is empty"), ("   ", None, "sentence is empty"), (None, None, "must be a string"),
    ("A sentence.", " ", "second sentence is empty"),
    ("word " * 600, None, "reads at most 512"),
])
def test_attention_payload_bad_input_is_a_clear_error(minilm, text, pair, message):
    tok, bert = minilm
    with pytest.raises(CourseError, match=message):
        widgets.attention_payload(text, tok, bert, text_pair=pair)


def test_drawing_checks_indices_and_labels_axes(minilm):
    tok, bert = minilm
    p = widgets.attention_payload("The cat sat.", tok, bert)
    fig = widgets.draw_attention_head(p, 1, 3)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == p.tokens
    assert "layer 2 · head 4" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    fig = widgets.draw_attention_head(p, 0, 2, token=2)
    assert "where 'cat'" in fig.axes[0].get_title()
    fig = widgets.draw_attention_model_view(p, highlight=(0, 0))
    assert len(fig.axes) == 72 and fig.axes[0].get_title() == "head 1"
    for bad in [(6, 0, None), (0, 12, None), (0, 0, 6), (-1, 0, None)]:
        with pytest.raises(CourseError):
            widgets.draw_attention_head(p, *bad)
    plt.close("all")


def _png(out):
    return out.outputs[-1]["data"]["image/png"]


def test_attention_widget_redraws_and_two_widgets_do_not_interfere(minilm):
    tok, bert = minilm
    first = widgets.attention_widget(tok, bert, text="The cat sat on the mat.")
    second = widgets.attention_widget(tok, bert, text="The dog ran.", text_pair="It was fast.")
    out1, out2 = first.children[-1], second.children[-1]
    layer1, head1, token1 = first.children[2].children
    before1, before2 = _png(out1), _png(out2)
    head1.value = 7
    assert _png(out1) != before1 and _png(out2) == before2
    assert [label for label, _ in token1.options][:3] == ["all (heatmap)", "0 · [CLS]", "1 · the"]
    token1.value = 2
    after_token = _png(out1)
    first.children[3].value = "model view"
    assert _png(out1) != after_token and _png(out2) == before2
    assert second.children[2].children[2].options[-1] == ("10 · [SEP]", 10)  # the pair's tokens
    first.children[0].value = ""  # bad input: a message, not a traceback
    assert out1.outputs[-1]["text"].startswith("sentence is empty")
    first.children[0].value = "A new sentence here."
    assert "image/png" in out1.outputs[-1]["data"] and head1.value == 7


# ----------------------------------------------------------------------------------------------
# attention-mask widget payloads
# ----------------------------------------------------------------------------------------------
def test_mask_payload_bidirectional_causal_and_padding():
    p = widgets.attention_mask_payload(["the", "cat", "sat"], "bidirectional (BERT)", n_pad=2)
    assert p["tokens"] == ["the", "cat", "sat", "[PAD]", "[PAD]"]
    assert p["allowed"].shape == (5, 5) and p["allowed"][:, :3].all() and not p["allowed"][:, 3:].any()
    assert np.allclose(p["weights"].sum(-1), 1) and np.allclose(p["weights"][:, :3], 1 / 3)
    c = widgets.attention_mask_payload(["the", "cat", "sat"], "causal (GPT)")
    assert c["allowed"].tolist() == tr.causal_mask(3).tolist()
    assert np.allclose(c["weights"][1], [0.5, 0.5, 0]) and np.allclose(c["weights"].sum(-1), 1)


@pytest.mark.parametrize("tokens, kind, n_pad, message", [
    ([], "causal (GPT)", 0, "no tokens"), (["a"], "sideways", 0, "mask kind"), (["a"], "causal (GPT)", -1, "n_pad"),
])
def test_mask_payload_bad_input(tokens, kind, n_pad, message):
    with pytest.raises(CourseError, match=message):
        widgets.attention_mask_payload(tokens, kind, n_pad)


def test_mask_widget_redraws():
    box = widgets.attention_mask_widget(["the", "cat", "sat"])
    kind, pads = box.children[0].children
    out = box.children[1]
    first = _png(out)
    kind.value = "causal (GPT)"
    second = _png(out)
    pads.value = 2
    assert len({first, second, _png(out)}) == 3
    fig = widgets.draw_attention_mask(widgets.attention_mask_payload(["a", "b"], n_pad=1))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "[PAD]"]
    plt.close("all")


# ----------------------------------------------------------------------------------------------
# exercise checkers
# ----------------------------------------------------------------------------------------------
def test_exercise_checkers(capsys):
    q, k, v = (torch.tensor(checks.EXERCISE_QKV[n], dtype=torch.float32) for n in ("Q", "K", "V"))
    weights = torch.softmax(q @ k.T / 2, dim=-1)
    checks.exercise_attention_by_hand(weights @ v)
    checks.exercise_attention_by_hand(weights)  # the weights, not the output
    checks.exercise_attention_by_hand(...)
    checks.exercise_causal_mask_4_tokens(torch.tril(torch.ones(4, 4)).bool())
    checks.exercise_causal_mask_4_tokens(torch.triu(torch.ones(4, 4)).bool())
    checks.exercise_causal_mask_4_tokens(...)
    checks.exercise_encoder_layer_params(tr.layer_param_formula(512, 2048))
    checks.exercise_encoder_layer_params(4 * 512 * 512)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1].strip().split(".")[0] for line in lines] == [
        "correct", "not quite", "not answered yet", "correct", "not quite", "not answered yet",
        "correct", "not quite"]
    assert tr.layer_param_formula(512, 2048) == 3_152_384


def _mqa_via_multi_head(x, query, key, value, out, n_heads, mask=None):
    """A correct alternative: MultiHeadAttention whose key and value heads are all copies of the shared one."""
    mha = tr.MultiHeadAttention(x.shape[-1], n_heads)
    with torch.no_grad():
        mha.query.load_state_dict(query.state_dict())
        mha.out.load_state_dict(out.state_dict())
        for ours, shared in ((mha.key, key), (mha.value, value)):
            ours.weight.copy_(shared.weight.repeat(n_heads, 1))               # (C, C): nh copies of (hs, C)
            ours.bias.copy_(shared.bias.repeat(n_heads))                      # (C,)
    return mha(x, mask)[0]


def _mqa_without_mask(x, query, key, value, out, n_heads, mask=None):
    return checks.nb04._reference_multi_query_attention(x, query, key, value, out, n_heads)


def _not_written(*args, **kwargs):
    raise NotImplementedError("write this part, then run the cell")


def test_exercise_multi_query_attention(capsys):
    checks.reset_hints()
    checks.exercise_multi_query_attention(checks.nb04._reference_multi_query_attention)
    checks.exercise_multi_query_attention(_mqa_via_multi_head)
    assert capsys.readouterr().out.count("multi-query attention: correct (6 cases") == 2
    checks.exercise_multi_query_attention(_mqa_without_mask)        # right until the causal case
    out = capsys.readouterr().out
    assert "case 2 of 6" in out and "mask=Tensor of shape (6, 6)" in out and "(hint 1 of 3)" in out
    checks.exercise_multi_query_attention(lambda x, *args, **kwargs: x)  # a second wrong answer: next hint
    assert "case 1 of 6" in (out := capsys.readouterr().out) and "(hint 2 of 3)" in out
    checks.exercise_multi_query_attention(...)
    checks.exercise_multi_query_attention(_not_written)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("multi-query attention: not written yet. Hint: (hint 1 of 3)")
                                 for line in out)


def test_multi_query_cases_cover_the_edge_cases():
    cases = checks.nb04.multi_query_cases()
    assert any(c["x"].shape[1] == 1 for c in cases)                  # a single token
    assert any(c["n_heads"] == 1 for c in cases)                     # one head: plain attention
    assert any(c["n_heads"] == c["x"].shape[2] for c in cases)       # heads of size 1
    assert any(c["mask"] is not None and c["mask"].dim() == 4 for c in cases)  # a padding mask
    for c in cases:  # the shared key/value heads are (C -> hs)
        assert c["key"].out_features == c["value"].out_features == c["x"].shape[2] // c["n_heads"]


def _combined_mask_alternative(attention_mask, causal):
    """A correct alternative without the notebook's helpers: compare positions, and the pad flags."""
    B, T = attention_mask.shape
    allowed = torch.ones(B, 1, T, T, dtype=torch.bool)
    allowed &= attention_mask.bool()[:, None, None, :]
    if causal:
        position = torch.arange(T)
        allowed &= position[None, :] <= position[:, None]
    return allowed


def _combined_mask_not_expanded(attention_mask, causal):
    mask = tr.padding_mask(attention_mask)
    return mask & tr.causal_mask(attention_mask.shape[1]) if causal else mask


def test_exercise_combined_mask(capsys):
    checks.reset_hints()
    checks.exercise_combined_mask(checks.nb04._reference_combined_mask)
    checks.exercise_combined_mask(_combined_mask_alternative)
    assert capsys.readouterr().out.count("combined mask: correct (7 cases") == 2
    checks.exercise_combined_mask(_combined_mask_not_expanded)       # (B, 1, 1, T) when causal=False
    out = capsys.readouterr().out
    assert "case 2 of 7" in out and "(3, 1, 1, 6)" in out and "(3, 1, 6, 6)" in out
    checks.exercise_combined_mask(lambda m, causal: _combined_mask_alternative(m, causal).int())  # not boolean
    assert "case 1 of 7" in (out := capsys.readouterr().out) and "(hint 2 of 3)" in out
    checks.exercise_combined_mask(...)
    checks.exercise_combined_mask(_not_written)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("combined mask: not written yet. Hint: (hint 1 of 3)") for line in out)


def test_combined_mask_reference_on_a_fully_padded_row():
    mask = checks.nb04._reference_combined_mask(torch.tensor([[1, 1, 0], [0, 0, 0]]), causal=True)
    assert mask.shape == (2, 1, 3, 3) and mask.dtype == torch.bool
    assert mask[0, 0].tolist() == [[True, False, False], [True, True, False], [True, True, False]]
    assert not mask[1].any()  # attention still gives finite (uniform) weights on such a row
    _, weights = tr.scaled_dot_product_attention(torch.ones(2, 1, 3, 4), torch.ones(2, 1, 3, 4),
                                                 torch.ones(2, 1, 3, 4), mask)
    assert torch.isfinite(weights).all()


def test_value_exercise_hints_step_and_spell_out_no_code(capsys):
    checks.reset_hints()
    checks.exercise_causal_mask_4_tokens(torch.ones(4, 4).bool())
    checks.exercise_causal_mask_4_tokens(torch.tril(torch.ones(4, 4)))   # right pattern, not boolean
    out = capsys.readouterr().out
    assert "(hint 1 of 3)" in out and "(hint 2 of 3)" in out
    position = torch.arange(4)
    checks.exercise_causal_mask_4_tokens(position[:, None] >= position[None, :])
    assert capsys.readouterr().out.strip() == "causal mask: correct"
    nb04 = checks.nb04
    for hints in (nb04.ATTENTION_BY_HAND_HINTS, nb04.MULTI_QUERY_HINTS, nb04.CAUSAL_MASK_HINTS,
                  nb04.COMBINED_MASK_HINTS, nb04.ENCODER_LAYER_PARAMS_HINTS):
        assert 2 <= len(hints) <= 3
        for hint in hints:
            assert not any(code in hint for code in ("torch.", "tril", ".T ", "@", "softmax(", "dim=", ".bool()"))


# ----------------------------------------------------------------------------------------------
# the pieces notebook 04 teaches in cells of their own
# ----------------------------------------------------------------------------------------------
def test_bert_weight_names_cover_the_encoder(minilm, ours):
    _, bert = minilm
    names = tr.bert_weight_names(6)
    assert len(names) == 5 + 6 * 8 * 2 and set(names) == set(ours.state_dict())
    assert set(names.values()) == {k for k in bert.state_dict() if not k.startswith("pooler.")}
    assert names["layers.2.ffn.up.weight"] == "encoder.layer.2.intermediate.dense.weight"
    assert len(tr.bert_weight_names(1)) == 21


def test_attention_payload_accepts_a_copy_of_the_encoder_class(minilm, ours):
    """Notebook 04 defines its own ``Encoder`` (the same code, another class object): the widget runs it too."""
    tok, bert = minilm

    class NotebookEncoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner, self.config = inner, inner.config

        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            return self.inner(input_ids, attention_mask, token_type_ids)

    copy = widgets.attention_payload(SENTENCES[0], tok, NotebookEncoder(ours))
    assert np.abs(copy.weights - widgets.attention_payload(SENTENCES[0], tok, bert).weights).max() <= 1e-5
