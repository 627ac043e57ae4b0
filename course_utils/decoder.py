"""The Transformer decoder and a small encoder–decoder (notebook 04), with a key/value cache built by hand.

Built from the encoder's pieces in ``course_utils.transformer``: ``CrossAttention`` is ``MultiHeadAttention``
whose keys and values come from the encoder's output; ``DecoderLayer`` is masked self-attention, cross-
attention and the FFN, each followed by add & norm (post-LN, as in Vaswani et al. 2017 and as
``torch.nn.TransformerDecoderLayer`` with ``norm_first=False``); ``EncoderDecoder`` stacks encoder and decoder
layers over shared token embeddings plus sinusoidal positions. ``to_torch_transformer`` copies its weights
into ``torch.nn.Transformer`` for the check; ``greedy_translate`` decodes without a cache (the whole prefix
every step) and ``greedy_translate_cached`` with the hand-built ``KVCache``.

Notebook 04 writes each of these in a twin cell (first line ``# twin: course_utils.decoder``).
Shapes in comments: B batch, S source tokens, T target tokens, C = d_model, nh heads, hs head size, V vocab.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from .errors import CourseError
from .transformer import (
    EncoderConfig,
    EncoderLayer,
    FeedForward,
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
)

__all__ = [
    "CrossAttention", "DecoderLayer", "EncoderDecoder", "to_torch_transformer", "reversal_batch",
    "greedy_translate", "KVCache", "decode_step", "greedy_translate_cached", "BOS",
]

BOS = 1  # the start symbol every target begins with; 0 is padding, 2.. are the task's symbols


class CrossAttention(MultiHeadAttention):
    """Multi-head attention whose queries come from the decoder and whose keys and values come from the
    encoder's output (``memory``). The weights are those of ``MultiHeadAttention``; only the inputs differ."""

    def forward(self, x: torch.Tensor, memory: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.shape                                             # (B, T, C): the decoder's tokens
        q = self.split_heads(self.query(x))                           # (B, nh, T, hs)
        k = self.split_heads(self.key(memory))                        # (B, nh, S, hs): the source's tokens
        v = self.split_heads(self.value(memory))                      # (B, nh, S, hs)
        y, weights = scaled_dot_product_attention(q, k, v, mask)      # (B, nh, T, hs), (B, nh, T, S)
        y = y.transpose(1, 2).contiguous().view(B, T, C)              # (B, T, C)
        return self.out(self.dropout(y)), weights


class DecoderLayer(nn.Module):
    """A post-LN decoder layer (Vaswani et al. 2017, §3.1): x = LN(x + MaskedSelfAttention(x));
    x = LN(x + CrossAttention(x, memory)); x = LN(x + FFN(x)). Sizes from the same ``EncoderConfig``."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.norm1 = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.cross_attention = CrossAttention(config.d_model, config.n_heads, config.dropout)
        self.norm2 = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.norm3 = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, self_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        a, _ = self.self_attention(x, self_mask)                      # (B, T, C): causal, among targets
        x = self.norm1(x + self.dropout(a))                           # (B, T, C)
        c, weights = self.cross_attention(x, memory, memory_mask)     # (B, T, C), (B, nh, T, S)
        x = self.norm2(x + self.dropout(c))                           # (B, T, C)
        x = self.norm3(x + self.ffn(x))                               # (B, T, C)
        return x, weights


class EncoderDecoder(nn.Module):
    """The original Transformer, small: shared token embeddings (scaled by √C) + sinusoidal positions,
    ``n_layers`` encoder layers, ``n_layers`` decoder layers and a linear layer to next-token logits."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)  # source and target share it (§3.4)
        self.register_buffer("positions", sinusoidal_positions(config.max_positions, config.d_model),
                             persistent=False)
        self.encoder_layers = nn.ModuleList([EncoderLayer(config) for _ in range(config.n_layers)])
        self.decoder_layers = nn.ModuleList([DecoderLayer(config) for _ in range(config.n_layers)])
        self.lm_head = nn.Linear(config.d_model, config.vocab_size)

    def embed_tokens(self, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Token embeddings × √C plus the positions ``start .. start + T - 1``: (B, T) -> (B, T, C)."""
        T = ids.shape[1]
        if start + T > self.config.max_positions:
            raise CourseError(f"position {start + T - 1} is past the model's {self.config.max_positions} positions")
        return self.embed(ids) * math.sqrt(self.config.d_model) + self.positions[start:start + T]

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The encoder's output ("memory") for source ids (B, S); ``src_mask`` is a (B, S) attention_mask."""
        mask = None if src_mask is None else padding_mask(src_mask)   # (B, 1, 1, S)
        x = self.embed_tokens(src)                                    # (B, S, C)
        for layer in self.encoder_layers:
            x, _ = layer(x, mask)                                     # (B, S, C)
        return x

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor,
               src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Next-token logits (B, T, V) for target ids (B, T), every position at once under a causal mask."""
        memory_mask = None if src_mask is None else padding_mask(src_mask)  # (B, 1, 1, S)
        self_mask = causal_mask(tgt.shape[1])                         # (T, T)
        x = self.embed_tokens(tgt)                                    # (B, T, C)
        for layer in self.decoder_layers:
            x, _ = layer(x, memory, self_mask, memory_mask)           # (B, T, C)
        return self.lm_head(x)                                        # (B, T, V)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(tgt, self.encode(src, src_mask), src_mask)  # (B, T, V)


def _copy_attention(theirs: nn.MultiheadAttention, ours: MultiHeadAttention) -> None:
    theirs.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))  # (3C, C)
    theirs.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))          # (3C,)
    theirs.out_proj.weight.copy_(ours.out.weight)
    theirs.out_proj.bias.copy_(ours.out.bias)


def _copy_linear_or_norm(theirs: nn.Module, ours: nn.Module) -> None:
    theirs.weight.copy_(ours.weight)
    theirs.bias.copy_(ours.bias)


@torch.no_grad()
def to_torch_transformer(model: EncoderDecoder) -> nn.Transformer:
    """A ``torch.nn.Transformer`` (post-LN, exact GELU, batch_first, no dropout) holding ``model``'s layer
    weights. torch's ``nn.Transformer`` adds a final LayerNorm after each stack, which the original post-LN
    model does not have, so its stacks are built without one."""
    c = model.config
    layer_args = dict(d_model=c.d_model, nhead=c.n_heads, dim_feedforward=c.d_ff, dropout=0.0,
                      activation="gelu", layer_norm_eps=c.layer_norm_eps, batch_first=True, norm_first=False)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer_args), c.n_layers, norm=None,
                                    enable_nested_tensor=False)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer_args), c.n_layers, norm=None)
    reference = nn.Transformer(d_model=c.d_model, nhead=c.n_heads, custom_encoder=encoder,
                               custom_decoder=decoder, batch_first=True)  # re-initialises: copy afterwards
    for theirs, ours in zip(reference.encoder.layers, model.encoder_layers, strict=True):
        _copy_attention(theirs.self_attn, ours.attention)
        for t, o in ((theirs.linear1, ours.ffn.up), (theirs.linear2, ours.ffn.down),
                     (theirs.norm1, ours.norm1), (theirs.norm2, ours.norm2)):
            _copy_linear_or_norm(t, o)
    for theirs, ours in zip(reference.decoder.layers, model.decoder_layers, strict=True):
        _copy_attention(theirs.self_attn, ours.self_attention)
        _copy_attention(theirs.multihead_attn, ours.cross_attention)
        for t, o in ((theirs.linear1, ours.ffn.up), (theirs.linear2, ours.ffn.down), (theirs.norm1, ours.norm1),
                     (theirs.norm2, ours.norm2), (theirs.norm3, ours.norm3)):
            _copy_linear_or_norm(t, o)
    return reference.eval()


def reversal_batch(n: int, length: int, n_symbols: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The toy task: ``n`` random sequences of ``length`` symbols (ids 2 .. n_symbols + 1) and their
    reversals. Returns ``(src, tgt)``, both (n, length)."""
    if length < 1 or n_symbols < 2:
        raise CourseError(f"need length >= 1 and at least 2 symbols, got length={length}, n_symbols={n_symbols}")
    src = torch.randint(2, n_symbols + 2, (n, length), generator=generator)  # (n, L)
    return src, src.flip(1)                                           # (n, L), (n, L)


@torch.no_grad()
def greedy_translate(model: EncoderDecoder, src: torch.Tensor, n_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding without a cache: every step reruns the decoder on the whole prefix.
    Returns ``(tokens (B, n_tokens), logits of each chosen step (B, n_tokens, V))``."""
    memory = model.encode(src)                                        # (B, S, C), once
    tgt = torch.full((src.shape[0], 1), BOS)                          # (B, 1)
    step_logits = []
    for _ in range(n_tokens):
        logits = model.decode(tgt, memory)[:, -1]                     # (B, V): only the last position is new
        step_logits.append(logits)
        tgt = torch.cat([tgt, logits.argmax(-1, keepdim=True)], dim=1)  # (B, t + 1)
    return tgt[:, 1:], torch.stack(step_logits, dim=1)


@dataclass
class KVCache:
    """What a decoder keeps between steps: per layer, the self-attention keys and values of every token so
    far (they grow by one position per step) and the cross-attention keys and values of the source
    (computed once). Each tensor is (B, nh, length, hs)."""

    self_keys: list[torch.Tensor] = field(default_factory=list)
    self_values: list[torch.Tensor] = field(default_factory=list)
    cross_keys: list[torch.Tensor] = field(default_factory=list)
    cross_values: list[torch.Tensor] = field(default_factory=list)

    def length(self) -> int:
        return 0 if not self.self_keys else self.self_keys[0].shape[2]


def decode_step(model: EncoderDecoder, token: torch.Tensor, memory: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """Run one new target token (B, 1) through the decoder, reading and extending ``cache``; returns its
    next-token logits (B, V). The new token attends to every cached position and itself, so no mask."""
    B = token.shape[0]
    first = cache.length() == 0
    x = model.embed_tokens(token, start=cache.length())               # (B, 1, C): its own position
    for i, layer in enumerate(model.decoder_layers):
        attn = layer.self_attention
        q = attn.split_heads(attn.query(x))                           # (B, nh, 1, hs)
        k = attn.split_heads(attn.key(x))                             # (B, nh, 1, hs): only the new token
        v = attn.split_heads(attn.value(x))                           # (B, nh, 1, hs)
        if first:
            cache.self_keys.append(k)
            cache.self_values.append(v)
        else:
            cache.self_keys[i] = torch.cat([cache.self_keys[i], k], dim=2)      # (B, nh, t + 1, hs)
            cache.self_values[i] = torch.cat([cache.self_values[i], v], dim=2)  # (B, nh, t + 1, hs)
        y, _ = scaled_dot_product_attention(q, cache.self_keys[i], cache.self_values[i])  # (B, nh, 1, hs)
        x = layer.norm1(x + attn.out(y.transpose(1, 2).reshape(B, 1, -1)))       # (B, 1, C)

        cross = layer.cross_attention
        if first:                                                     # the source never changes: once
            cache.cross_keys.append(cross.split_heads(cross.key(memory)))       # (B, nh, S, hs)
            cache.cross_values.append(cross.split_heads(cross.value(memory)))   # (B, nh, S, hs)
        q = cross.split_heads(cross.query(x))                         # (B, nh, 1, hs)
        y, _ = scaled_dot_product_attention(q, cache.cross_keys[i], cache.cross_values[i])  # (B, nh, 1, hs)
        x = layer.norm2(x + cross.out(y.transpose(1, 2).reshape(B, 1, -1)))      # (B, 1, C)
        x = layer.norm3(x + layer.ffn(x))                             # (B, 1, C)
    return model.lm_head(x)[:, -1]                                    # (B, V)


@torch.no_grad()
def greedy_translate_cached(model: EncoderDecoder, src: torch.Tensor,
                            n_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding with the hand-built ``KVCache``: each step runs only the newest token.
    Returns ``(tokens (B, n_tokens), logits of each step (B, n_tokens, V))``, as ``greedy_translate``."""
    memory = model.encode(src)                                        # (B, S, C)
    cache = KVCache()
    token = torch.full((src.shape[0], 1), BOS)                        # (B, 1)
    tokens, step_logits = [], []
    for _ in range(n_tokens):
        logits = decode_step(model, token, memory, cache)             # (B, V)
        step_logits.append(logits)
        token = logits.argmax(-1, keepdim=True)                       # (B, 1)
        tokens.append(token)
    return torch.cat(tokens, dim=1), torch.stack(step_logits, dim=1)
