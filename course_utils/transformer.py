"""The Transformer encoder from scratch (notebook 04), reused by later notebooks.

One class per idea, nanoGPT style: ``MultiHeadAttention``, ``FeedForward``, ``EncoderLayer`` (post-LN, as
in BERT), ``Embeddings`` and ``Encoder``; plus the functions they stand on: ``scaled_dot_product_attention``,
the masks (``padding_mask``, ``causal_mask``), ``sinusoidal_positions`` and rotary positions
(``rope_cos_sin``, ``apply_rope``, as Llama/SmolLM2 use them). ``Encoder.from_bert`` copies the
weights of a ``transformers`` ``BertModel`` (e.g. MiniLM) into these modules and checks that every weight
found a place, so the same code runs real pretrained weights.

Notebook 04 writes each of these in a twin cell (first line ``# twin: course_utils.transformer``) that holds
the same code: edit here, then ``python -m course_utils.twins write notebooks/04_attention_transformer.ipynb``.

Masks are boolean with ``True`` = "may attend" and broadcast against the scores ``(B, nh, T, T)``.
Shapes in comments: B batch, T tokens, C = d_model channels, nh heads, hs = C // nh head size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import CourseError

__all__ = [
    "scaled_dot_product_attention", "padding_mask", "causal_mask", "sinusoidal_positions", "rope_cos_sin",
    "apply_rope",
    "EncoderConfig", "MultiHeadAttention", "FeedForward", "EncoderLayer", "Embeddings", "Encoder",
    "EncoderOutput", "bert_weight_names", "layer_param_formula", "count_params",
]


# ----------------------------------------------------------------------------------------------
# attention and masks
# ----------------------------------------------------------------------------------------------
def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q Kᵀ / √d_k) V. Returns ``(output, weights)``; every row of ``weights`` sums to 1.

    ``q`` is ``(..., Tq, d_k)``, ``k`` is ``(..., Tk, d_k)``, ``v`` is ``(..., Tk, d_v)``; ``mask`` is boolean,
    broadcastable to ``(..., Tq, Tk)``, True where a query may attend to a key.
    """
    if q.shape[-1] != k.shape[-1]:
        raise CourseError(f"queries and keys need the same size d_k, got {q.shape[-1]} and {k.shape[-1]}")
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)                 # (..., Tq, Tk)
    if mask is not None:
        # the most negative float, not -inf: a row with every key masked stays finite (uniform)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=-1)                           # (..., Tq, Tk), rows sum to 1
    return weights @ v, weights                                       # (..., Tq, d_v), (..., Tq, Tk)


def padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """From a tokenizer's ``attention_mask`` (B, T) of 1 = token, 0 = padding: a boolean (B, 1, 1, T) mask
    under which no query attends to a padding key."""
    if attention_mask.dim() != 2:
        raise CourseError(f"attention_mask must be (batch, tokens), got shape {tuple(attention_mask.shape)}")
    return attention_mask.bool()[:, None, None, :]                    # (B, 1, 1, T)


def causal_mask(T: int) -> torch.Tensor:
    """GPT's mask: a boolean (T, T) lower triangle; token i may attend to positions 0..i only."""
    if T < 1:
        raise CourseError(f"a causal mask needs at least one token, got T={T}")
    return torch.tril(torch.ones(T, T, dtype=torch.bool))             # (T, T)


def sinusoidal_positions(T: int, d_model: int) -> torch.Tensor:
    """The fixed position encodings of "Attention Is All You Need" (§3.5), shape (T, d_model):
    PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    if d_model % 2:
        raise CourseError(f"d_model must be even for sin/cos pairs, got {d_model}")
    pos = torch.arange(T, dtype=torch.float64)[:, None]               # (T, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)          # (d/2,)
    angle = pos / 10000 ** (two_i / d_model)                          # (T, d/2)
    pe = torch.zeros(T, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()                                                 # (T, d_model)


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotary position embedding (Su et al. 2021): the cosines and sines of the angles m · θ^(-2i/d) for
    every position m in ``positions`` (..., T) and every pair i < d/2, each (..., T, head_dim). Channel i
    and channel i + d/2 form pair i (the "rotate half" layout of GPT-NeoX and Llama), so both halves repeat
    the same d/2 angles."""
    if head_dim % 2:
        raise CourseError(f"head_dim must be even for rotation pairs, got {head_dim}")
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim)  # (d/2,): fast to slow
    angles = positions.float()[..., None] * inv_freq                  # (..., T, d/2)
    angles = torch.cat([angles, angles], dim=-1)                      # (..., T, d)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate every pair (x_i, x_{i+d/2}) of ``x`` (..., T, d) by its position's angle:
    (x_i, x_{i+d/2}) -> (x_i cos − x_{i+d/2} sin, x_{i+d/2} cos + x_i sin)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]                             # (..., T, d/2) each
    rotated = torch.cat([-x2, x1], dim=-1)                            # (..., T, d)
    return x * cos + rotated * sin                                    # (..., T, d)


# ----------------------------------------------------------------------------------------------
# the encoder, one class per idea
# ----------------------------------------------------------------------------------------------
@dataclass
class EncoderConfig:
    """Sizes of a BERT-style encoder. The defaults are MiniLM-L6's (all-MiniLM-L6-v2)."""

    vocab_size: int = 30522
    max_positions: int = 512
    type_vocab_size: int = 2
    d_model: int = 384
    n_heads: int = 12
    n_layers: int = 6
    d_ff: int = 1536
    layer_norm_eps: float = 1e-12
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise CourseError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")

    @classmethod
    def from_bert_config(cls, config: Any) -> EncoderConfig:
        """The same sizes as a ``transformers`` ``BertConfig``."""
        return cls(vocab_size=config.vocab_size, max_positions=config.max_position_embeddings,
                   type_vocab_size=config.type_vocab_size, d_model=config.hidden_size,
                   n_heads=config.num_attention_heads, n_layers=config.num_hidden_layers,
                   d_ff=config.intermediate_size, layer_norm_eps=config.layer_norm_eps,
                   dropout=config.hidden_dropout_prob)


class MultiHeadAttention(nn.Module):
    """Split C channels into nh heads of hs, attend in each head, concatenate, project with W^O."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % n_heads:
            raise CourseError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.query = nn.Linear(d_model, d_model)   # W^Q of all heads side by side
        self.key = nn.Linear(d_model, d_model)     # W^K
        self.value = nn.Linear(d_model, d_model)   # W^V
        self.out = nn.Linear(d_model, d_model)     # W^O
        self.dropout = nn.Dropout(dropout)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        return x.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, nh, T, hs)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.shape                                             # (B, T, C)
        q = self.split_heads(self.query(x))                           # (B, nh, T, hs)
        k = self.split_heads(self.key(x))                             # (B, nh, T, hs)
        v = self.split_heads(self.value(x))                           # (B, nh, T, hs)
        y, weights = scaled_dot_product_attention(q, k, v, mask)      # (B, nh, T, hs), (B, nh, T, T)
        y = y.transpose(1, 2).contiguous().view(B, T, C)              # (B, T, C): heads concatenated
        return self.out(self.dropout(y)), weights                     # (B, T, C)


class FeedForward(nn.Module):
    """Position-wise feed-forward network: Linear(C → d_ff), GELU, Linear(d_ff → C)."""

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.up = nn.Linear(d_model, d_ff)
        self.down = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.up(x))                                        # (B, T, d_ff), exact (erf) GELU as BERT
        return self.dropout(self.down(h))                             # (B, T, C)


class EncoderLayer(nn.Module):
    """A post-LN encoder layer as in BERT: x = LN(x + Attention(x)); x = LN(x + FFN(x))."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(config.d_model, config.n_heads, config.dropout)
        self.norm1 = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config.d_model, config.d_ff, config.dropout)
        self.norm2 = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        a, weights = self.attention(x, mask)                          # (B, T, C), (B, nh, T, T)
        x = self.norm1(x + self.dropout(a))                           # (B, T, C): add & norm
        x = self.norm2(x + self.ffn(x))                               # (B, T, C): add & norm
        return x, weights


class Embeddings(nn.Module):
    """BERT's input: token + learned position + segment embeddings, then LayerNorm."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.token = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.max_positions, config.d_model)
        self.segment = nn.Embedding(config.type_vocab_size, config.d_model)
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        B, T = input_ids.shape
        if T > self.position.num_embeddings:
            raise CourseError(f"{T} tokens, but this encoder has only {self.position.num_embeddings} "
                              "positions: shorten the text")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(T, device=input_ids.device)          # (T,)
        x = self.token(input_ids) + self.position(positions) + self.segment(token_type_ids)  # (B, T, C)
        return self.dropout(self.norm(x))                             # (B, T, C)


@dataclass
class EncoderOutput:
    """``hidden_states``: the embeddings' output then every layer's, each (B, T, C), as ``transformers``
    returns them with ``output_hidden_states=True``; ``attentions``: every layer's (B, nh, T, T)."""

    last_hidden_state: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...]
    attentions: tuple[torch.Tensor, ...]


class Encoder(nn.Module):
    """Embeddings and a stack of ``n_layers`` post-LN encoder layers: BERT without its pooler."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.layers = nn.ModuleList([EncoderLayer(config) for _ in range(config.n_layers)])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> EncoderOutput:
        mask = None if attention_mask is None else padding_mask(attention_mask)  # (B, 1, 1, T)
        x = self.embeddings(input_ids, token_type_ids)                # (B, T, C)
        hidden, attentions = [x], []
        for layer in self.layers:
            x, weights = layer(x, mask)                               # (B, T, C), (B, nh, T, T)
            hidden.append(x)
            attentions.append(weights)
        return EncoderOutput(x, tuple(hidden), tuple(attentions))

    @classmethod
    def from_bert(cls, bert: Any) -> Encoder:
        """An ``Encoder`` holding the weights of a ``transformers`` ``BertModel`` (the pooler is not used).

        Every weight of our model receives exactly one BERT weight of the same shape, and every BERT
        weight except the pooler's is used; anything else raises, so a silent mismatch is impossible.
        """
        model = cls(EncoderConfig.from_bert_config(bert.config))
        theirs = {k: v for k, v in bert.state_dict().items() if not k.startswith("pooler.")}
        names = bert_weight_names(model.config.n_layers)              # ours -> BERT's
        mine = model.state_dict()
        if set(names) != set(mine):
            raise CourseError(f"weight map incomplete: {sorted(set(mine) ^ set(names))}")
        unused = set(theirs) - set(names.values())
        if unused:
            raise CourseError(f"BERT weights with no place in the encoder: {sorted(unused)}")
        with torch.no_grad():
            for ours, bert_name in names.items():
                if mine[ours].shape != theirs[bert_name].shape:
                    raise CourseError(f"{ours} {tuple(mine[ours].shape)} != {bert_name} "
                                      f"{tuple(theirs[bert_name].shape)}")
                mine[ours].copy_(theirs[bert_name])
        return model.eval()


def bert_weight_names(n_layers: int) -> dict[str, str]:
    """Where each weight of our ``Encoder`` lives in a ``transformers`` ``BertModel``: our state-dict name ->
    BERT's, for ``n_layers`` layers. The modules differ only in their names (``token`` is BERT's
    ``word_embeddings``, ``ffn.up`` its ``intermediate.dense``, ...), not in what they compute."""
    names = {
        "embeddings.token.weight": "embeddings.word_embeddings.weight",
        "embeddings.position.weight": "embeddings.position_embeddings.weight",
        "embeddings.segment.weight": "embeddings.token_type_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    }
    per_layer = {
        "attention.query": "attention.self.query", "attention.key": "attention.self.key",
        "attention.value": "attention.self.value", "attention.out": "attention.output.dense",
        "norm1": "attention.output.LayerNorm", "ffn.up": "intermediate.dense",
        "ffn.down": "output.dense", "norm2": "output.LayerNorm",
    }
    for i in range(n_layers):
        for ours, bert_name in per_layer.items():
            for p in ("weight", "bias"):
                names[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{bert_name}.{p}"
    return names


# ----------------------------------------------------------------------------------------------
# parameter counts
# ----------------------------------------------------------------------------------------------
def layer_param_formula(d_model: int, d_ff: int) -> int:
    """Parameters of one encoder layer: four C×C projections with biases, two LayerNorms (scale and
    shift), and the FFN's two matrices with biases: 4(C² + C) + 2·2C + (C·d_ff + d_ff) + (d_ff·C + C)."""
    C = d_model
    return 4 * (C * C + C) + 2 * 2 * C + (C * d_ff + d_ff) + (d_ff * C + C)


def count_params(module: nn.Module) -> int:
    """The number of parameters of a module, counted tensor by tensor."""
    return sum(p.numel() for p in module.parameters())
