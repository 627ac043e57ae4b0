"""Notebook 04's decoder: cross-attention, the decoder layer, the encoder–decoder against torch.nn.Transformer,
greedy decoding with and without the hand-built KV cache, and rotary position embeddings."""

import math

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import CourseError
from course_utils import decoder as dec
from course_utils import transformer as tr


def _config(n_layers: int = 2) -> tr.EncoderConfig:
    return tr.EncoderConfig(vocab_size=12, max_positions=32, d_model=32, n_heads=4, n_layers=n_layers, d_ff=64,
                            layer_norm_eps=1e-5, dropout=0.0)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return dec.EncoderDecoder(_config()).eval()


def test_cross_attention_reads_the_source_and_ignores_its_padding():
    torch.manual_seed(0)
    attention = dec.CrossAttention(32, 4).eval()
    x, memory = torch.randn(2, 3, 32), torch.randn(2, 5, 32)                     # (B, T, C), (B, S, C)
    mask = tr.padding_mask(torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]))
    with torch.no_grad():
        y, weights = attention(x, memory, mask)
        same, _ = attention(x, x)
        self_attention, _ = tr.MultiHeadAttention.forward(attention, x)
    assert y.shape == (2, 3, 32) and weights.shape == (2, 4, 3, 5)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 3))
    assert float(weights[1, :, :, 2:].abs().max()) == 0.0
    # with the input itself as the "source", cross-attention is self-attention
    assert torch.allclose(same, self_attention, atol=1e-6)


def test_encoder_decoder_matches_torch_transformer_with_padding(model):
    reference = dec.to_torch_transformer(model)
    assert reference.encoder.norm is None and reference.decoder.norm is None
    torch.manual_seed(1)
    src, tgt = torch.randint(2, 12, (3, 9)), torch.randint(2, 12, (3, 6))
    src_mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4, [1] * 2 + [0] * 7])
    with torch.no_grad():
        mine = model(src, tgt, src_mask)
        hidden = reference(model.embed_tokens(src), model.embed_tokens(tgt), tgt_mask=~tr.causal_mask(6),
                           src_key_padding_mask=src_mask == 0, memory_key_padding_mask=src_mask == 0)
        logits_ref = model.lm_head(hidden)
        # and one decoder layer on its own
        x, memory = torch.randn(3, 6, 32), torch.randn(3, 9, 32)
        layer_mine, _ = model.decoder_layers[1](x, memory, tr.causal_mask(6), tr.padding_mask(src_mask))
        layer_ref = reference.decoder.layers[1](x, memory, tgt_mask=~tr.causal_mask(6),
                                                memory_key_padding_mask=src_mask == 0)
    assert float((mine - logits_ref).abs().max()) < 1e-5
    assert float((layer_mine - layer_ref).abs().max()) < 1e-5


def test_decode_is_causal(model):
    src, tgt = torch.randint(2, 12, (2, 7)), torch.randint(2, 12, (2, 5))
    edited = tgt.clone()
    edited[:, -1] = (edited[:, -1] - 2 + 1) % 10 + 2                             # another symbol at the end
    with torch.no_grad():
        before, after = model(src, tgt), model(src, edited)
    assert torch.allclose(before[:, :-1], after[:, :-1], atol=1e-6)


@settings(deadline=None, max_examples=10)
@given(B=st.integers(1, 4), S=st.integers(1, 9), n=st.integers(1, 8), seed=st.integers(0, 10_000))
def test_the_kv_cache_gives_the_same_tokens_and_logits(model, B, S, n, seed):
    src = torch.randint(2, 12, (B, S), generator=torch.Generator().manual_seed(seed))
    tokens, logits = dec.greedy_translate(model, src, n)
    tokens_cached, logits_cached = dec.greedy_translate_cached(model, src, n)
    assert tokens.shape == (B, n) and logits.shape == (B, n, 12)
    assert torch.equal(tokens, tokens_cached)
    assert float((logits - logits_cached).abs().max()) < 1e-4


def test_kv_cache_grows_by_one_position_per_step(model):
    src = torch.randint(2, 12, (2, 5))
    memory, cache = model.encode(src), dec.KVCache()
    token = torch.full((2, 1), dec.BOS)
    with torch.no_grad():
        for step in range(3):
            logits = dec.decode_step(model, token, memory, cache)
            token = logits.argmax(-1, keepdim=True)
            assert cache.length() == step + 1
            assert cache.self_keys[0].shape == (2, 4, step + 1, 8)
            assert cache.cross_keys[0].shape == (2, 4, 5, 8)                    # the source: computed once
    assert len(cache.self_values) == len(model.decoder_layers)


def test_reversal_batch_and_bad_input():
    src, tgt = dec.reversal_batch(5, 6, 10, torch.Generator().manual_seed(0))
    assert src.shape == tgt.shape == (5, 6)
    assert torch.equal(tgt, src.flip(1)) and int(src.min()) >= 2 and int(src.max()) <= 11
    with pytest.raises(CourseError, match="length"):
        dec.reversal_batch(5, 0, 10, torch.Generator())
    with pytest.raises(CourseError, match="positions"):
        dec.EncoderDecoder(_config()).embed_tokens(torch.zeros(1, 33, dtype=torch.long))


def test_rope_matches_transformers_llama():
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

    config = LlamaConfig(hidden_size=576, num_attention_heads=9, num_key_value_heads=3, head_dim=64,
                         rope_theta=100000.0, max_position_embeddings=8192)   # SmolLM2-135M's sizes
    theta = config.rope_parameters["rope_theta"]
    positions = torch.arange(300)[None]
    q, k = torch.randn(1, 9, 300, 64), torch.randn(1, 3, 300, 64)
    cos_ref, sin_ref = LlamaRotaryEmbedding(config)(q, positions)
    q_ref, k_ref = apply_rotary_pos_emb(q, k, cos_ref, sin_ref)
    cos, sin = tr.rope_cos_sin(positions, 64, theta)
    assert float((cos - cos_ref).abs().max()) < 1e-6 and float((sin - sin_ref).abs().max()) < 1e-6
    assert float((tr.apply_rope(q, cos[:, None], sin[:, None]) - q_ref).abs().max()) < 1e-5
    assert float((tr.apply_rope(k, cos[:, None], sin[:, None]) - k_ref).abs().max()) < 1e-5


def test_rope_scores_depend_on_relative_position_only_and_keep_lengths():
    q, k = torch.randn(32), torch.randn(32)
    cos, sin = tr.rope_cos_sin(torch.arange(200), 32, 10000.0)
    q_at, k_at = tr.apply_rope(q.expand(200, 32), cos, sin), tr.apply_rope(k.expand(200, 32), cos, sin)
    score = q_at @ k_at.T / math.sqrt(32)
    assert float((score[:100, :100] - score[77:177, 77:177]).abs().max()) < 1e-4
    assert torch.allclose(q_at.norm(dim=-1), q.norm().expand(200), atol=1e-4)   # a rotation keeps lengths
    assert torch.allclose(q_at[0], q)                                           # position 0: no rotation
    with pytest.raises(CourseError, match="even"):
        tr.rope_cos_sin(torch.arange(3), 5)


def test_torch_transformer_copy_is_a_real_copy(model):
    reference = dec.to_torch_transformer(model)
    with torch.no_grad():
        reference.decoder.layers[0].linear1.weight.add_(1.0)
    assert not torch.equal(reference.decoder.layers[0].linear1.weight, model.decoder_layers[0].ffn.up.weight)
    assert isinstance(reference, nn.Transformer)
