"""Decoding from a causal LM's logits, and k-shot prompting scored with a shared-prefix KV cache.

Notebook 06 explains each piece. Two halves:

* **decoding** — turn next-token logits into a choice: greedy (argmax), beam search, and sampling shaped
  by temperature, top-k and top-p (nucleus). ``next_token_probs`` applies the three knobs in the order
  ``transformers`` does (temperature, then top-k, then top-p); ``greedy_decode`` / ``sample_decode`` /
  ``beam_search`` run a model token by token with its key/value cache.
* **in-context learning** — ``k_shot_prompt`` writes the GPT-3 format (a task description, ``x => y``
  lines, then ``query =>``), ``chat_prompt_parts`` the same shots in a chat template;
  ``score_candidates`` runs the shared prefix (description + shots) once, keeps its key/value cache,
  and scores the candidate answers of many queries in padded, masked batches on top of it;
  ``shot_accuracy`` runs that over draws of the shots, and ``bootstrap_interval`` /
  ``wilson_interval`` give 95% intervals.
"""

from __future__ import annotations

import copy
import inspect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .errors import CourseError, require_text

# ----------------------------------------------------------------------------------------------
# filtering the next-token distribution
# ----------------------------------------------------------------------------------------------


def check_sampling_params(temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None) -> None:
    """Raise a ``CourseError`` naming the fix for a temperature < 0, a k < 1 or a p outside (0, 1]."""
    if not isinstance(temperature, (int, float)) or math.isnan(temperature) or temperature < 0:
        raise CourseError(f"temperature must be a number ≥ 0 (0 means greedy), got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise CourseError(f"top_k must be a whole number ≥ 1 (or None for no top-k), got {top_k!r}")
    if top_p is not None and (not isinstance(top_p, (int, float)) or math.isnan(top_p) or not 0 < top_p <= 1):
        raise CourseError(f"top_p must be in (0, 1] (1 keeps every token; None for no top-p), got {top_p!r}")


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep exactly the ``k`` largest logits of the last dimension; set the others to -inf.

    Ties at the k-th value are broken by ``torch.topk``'s order, so exactly k survive.
    """
    check_sampling_params(top_k=k)
    k = min(k, logits.shape[-1])
    keep = torch.topk(logits, k, dim=-1).indices                      # (..., k)
    mask = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, keep, True)  # (..., V), k True per row
    return logits.masked_fill(~mask, float("-inf"))                   # (..., V)


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most-likely tokens whose probability mass is ≥ ``p``.

    Sort the probabilities in decreasing order and keep a token if the mass *before* it is still < p;
    the token that first reaches p is kept, everything after it is dropped.
    """
    check_sampling_params(top_p=p)
    probs = torch.softmax(logits, dim=-1)                              # (..., V)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)   # (..., V)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs    # (..., V)
    keep_sorted = mass_before < p                                      # (..., V), in sorted order
    keep_sorted[..., 0] = True                                          # the top token always stays
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)  # (..., V), back in vocab order
    return logits.masked_fill(~keep, float("-inf"))                    # (..., V)


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None) -> torch.Tensor:
    """The distribution a sampler draws from: logits / temperature, then top-k, then top-p, then softmax.

    ``temperature == 0`` is the greedy limit: all mass on the argmax (the first one if tied).
    """
    check_sampling_params(temperature, top_k, top_p)
    logits = logits.float()
    if temperature == 0:
        return torch.zeros_like(logits).scatter(-1, logits.argmax(-1, keepdim=True), 1.0)  # (..., V) one-hot
    logits = logits / temperature                                       # (..., V)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)                                # (..., V), -inf → 0


# ----------------------------------------------------------------------------------------------
# running a model token by token (with its key/value cache)
# ----------------------------------------------------------------------------------------------


def _as_ids(input_ids: torch.Tensor | Sequence[int]) -> torch.Tensor:
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    if ids.dim() == 1:
        ids = ids.unsqueeze(0)                                            # (1, T)
    if ids.shape[0] != 1 or ids.shape[1] == 0:
        raise CourseError(f"give one non-empty prompt (shape (T,) or (1, T)), got shape {tuple(ids.shape)}")
    return ids


def forward_with_cache(model: Any, input_ids: torch.Tensor, cache: Any = None) -> tuple[torch.Tensor, Any]:
    """Run ``input_ids`` (B, T) on top of ``cache`` (the keys and values of everything before them; None
    for a fresh start) and return ``(logits (B, T, V), the extended cache)``. transformers renamed the
    cache argument and output from ``past_key_values`` to ``cache`` (the old name is deprecated, to be
    removed in 5.40); this passes whichever name the model's ``forward`` takes."""
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    extra = {name: cache} if cache is not None else {}
    out = model(input_ids=input_ids, use_cache=True, **extra)
    return out.logits, getattr(out, name)


def _check_max_new(max_new_tokens: int) -> None:
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise CourseError(f"max_new_tokens must be a whole number ≥ 1, got {max_new_tokens!r}")


@torch.no_grad()
def sample_decode(model: Any, input_ids: torch.Tensor | Sequence[int], max_new_tokens: int = 20, *,
                  temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                  seed: int = 0, eos_token_id: int | None = None) -> list[int]:
    """Generate up to ``max_new_tokens`` new token ids, one at a time, reusing the KV cache.

    Each step draws from ``next_token_probs`` (temperature 0 = greedy). Stops after ``eos_token_id``.
    """
    check_sampling_params(temperature, top_k, top_p)
    _check_max_new(max_new_tokens)
    ids = _as_ids(input_ids)                                              # (1, T)
    generator = torch.Generator().manual_seed(seed)
    logits, cache = forward_with_cache(model, ids)                        # (1, T, V): the prompt, once
    new: list[int] = []
    for _ in range(max_new_tokens):
        logits = logits[0, -1]                                            # (V,)
        if temperature == 0:
            token = int(logits.argmax())
        else:
            probs = next_token_probs(logits, temperature, top_k, top_p)  # (V,), sums to 1
            token = int(torch.multinomial(probs, 1, generator=generator))  # one draw
        new.append(token)
        if eos_token_id is not None and token == eos_token_id:
            break
        logits, cache = forward_with_cache(model, torch.tensor([[token]]), cache)   # (1, 1, V)
    return new


@torch.no_grad()
def greedy_decode(model: Any, input_ids: torch.Tensor | Sequence[int], max_new_tokens: int = 20, *,
                  eos_token_id: int | None = None) -> list[int]:
    """Greedy decoding: always the most likely next token, one token at a time, reusing the KV cache.

    The same tokens as ``sample_decode`` at temperature 0 and as ``model.generate(do_sample=False)``.
    Stops after ``eos_token_id``.
    """
    _check_max_new(max_new_tokens)
    ids = _as_ids(input_ids)                                              # (1, T)
    logits, cache = forward_with_cache(model, ids)                        # (1, T, V): the whole prompt, once
    new: list[int] = []
    for _ in range(max_new_tokens):
        token = int(logits[0, -1].argmax())                               # argmax of the (V,) logits
        new.append(token)
        if eos_token_id is not None and token == eos_token_id:
            break
        # only the new token runs: the cache holds the keys and values of everything before it
        logits, cache = forward_with_cache(model, torch.tensor([[token]]), cache)   # (1, 1, V)
    return new


@dataclass
class Beam:
    tokens: list[int]     # new tokens only
    logprob: float        # sum of the log-probabilities of the new tokens


@torch.no_grad()
def beam_search(model: Any, input_ids: torch.Tensor | Sequence[int], max_new_tokens: int = 10,
                num_beams: int = 3) -> list[Beam]:
    """Keep the ``num_beams`` most likely continuations at every step; return them, best first.

    The textbook version: no end-of-text handling, every beam has ``max_new_tokens`` tokens, so beams
    are ranked by their total log-probability (no length penalty needed). Each step runs all beams as
    one batch, without a cache (clear rather than fast: fine for the short continuations shown here).
    """
    _check_max_new(max_new_tokens)
    if not isinstance(num_beams, int) or num_beams < 1:
        raise CourseError(f"num_beams must be a whole number ≥ 1, got {num_beams!r}")
    prompt = _as_ids(input_ids)[0].tolist()
    beams = [Beam([], 0.0)]
    for _ in range(max_new_tokens):
        batch = torch.tensor([prompt + b.tokens for b in beams])                # (beams, T)
        logprobs = torch.log_softmax(model(input_ids=batch).logits[:, -1].float(), dim=-1)  # (beams, V)
        totals = torch.tensor([b.logprob for b in beams]).unsqueeze(1) + logprobs        # (beams, V)
        best = torch.topk(totals.flatten(), num_beams)                          # over beams × V pairs
        vocab = logprobs.shape[-1]
        # flat index i is (beam i // V, token i % V): extend that beam by that token
        beams = [Beam(beams[i // vocab].tokens + [i % vocab], float(s))
                 for s, i in zip(best.values.tolist(), best.indices.tolist(), strict=True)]
    return beams


def repetition_rate(tokens: Sequence[int], n: int = 3) -> float:
    """Share of the n-grams of ``tokens`` that already occurred earlier in it (0 = no repetition)."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    seen: set[tuple[int, ...]] = set()
    repeated = 0
    for g in grams:
        repeated += g in seen
        seen.add(g)
    return repeated / len(grams)


# ----------------------------------------------------------------------------------------------
# k-shot prompts (GPT-3 format) and candidate scoring with a shared-prefix cache
# ----------------------------------------------------------------------------------------------


def k_shot_prefix(description: str, shots: Sequence[tuple[str, str]], *, arrow: str = " => ") -> str:
    """The part of a k-shot prompt every query shares: the description line and one line per shot,
    each line ending with a newline (no description: just the shot lines)."""
    lines = [description] if description else []
    for x, y in shots:
        require_text(x, "a shot's input")
        require_text(y, "a shot's answer")
        lines.append(f"{x}{arrow}{y}")
    return "".join(line + "\n" for line in lines)


def k_shot_prompt(description: str, shots: Sequence[tuple[str, str]], query: str, *, arrow: str = " => ") -> str:
    """The GPT-3 prompt (Brown et al. 2020, Fig. 2.1): description, ``x => y`` lines, then ``query =>``.

    >>> k_shot_prompt("Translate English to French:", [("sea otter", "loutre de mer")], "cheese")
    'Translate English to French:\\nsea otter => loutre de mer\\ncheese =>'
    """
    require_text(query, "the query")
    return k_shot_prefix(description, shots, arrow=arrow) + f"{query}{arrow.rstrip()}"


def draw_shots(pool: Sequence[tuple[str, str]], k: int, seed: int) -> list[tuple[str, str]]:
    """``k`` examples drawn from ``pool`` without replacement, in a seeded random order."""
    if not isinstance(k, int) or k < 0:
        raise CourseError(f"the number of shots must be a whole number ≥ 0, got {k!r}")
    if k > len(pool):
        raise CourseError(f"cannot draw {k} shots from a pool of {len(pool)} examples")
    return random.Random(seed).sample(list(pool), k)


def full_prompt_logprob(model: Any, tokenizer: Any, prompt: str, answer: str, *, add_bos: bool = False) -> float:
    """log P(answer | prompt) from one plain forward pass of prompt + answer (the slow reference)."""
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    if add_bos:
        p = [tokenizer.bos_token_id] + p
    a = tokenizer(answer, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([p + a])).logits[0].float(), dim=-1)  # (T, V)
    # the answer's i-th token is predicted at the position just before it
    return float(sum(logp[len(p) + i - 1, t] for i, t in enumerate(a)))


def draw_balanced_shots(pool: Sequence[tuple[str, str]], k: int, seed: int) -> list[tuple[str, str]]:
    """``k`` examples from ``pool`` with the labels as equal in number as ``k`` allows, in a seeded random
    order (a small model copies the majority or the last label, so unbalanced shots measure that bias)."""
    if not isinstance(k, int) or k < 0:
        raise CourseError(f"the number of shots must be a whole number ≥ 0, got {k!r}")
    rng = random.Random(seed)
    by_label: dict[str, list[tuple[str, str]]] = {}
    for x, y in pool:
        by_label.setdefault(y, []).append((x, y))
    labels = sorted(by_label)
    rng.shuffle(labels)                                   # which labels get the extra shots when k % n > 0
    shots: list[tuple[str, str]] = []
    for i, label in enumerate(labels):
        n = k // len(labels) + (i < k % len(labels))
        if n > len(by_label[label]):
            raise CourseError(f"{k} balanced shots need {n} examples labelled {label!r}; the pool has "
                              f"{len(by_label[label])}")
        shots += rng.sample(by_label[label], n)
    rng.shuffle(shots)
    return shots


def chat_prompt_parts(tokenizer: Any, shots: Sequence[tuple[str, str]], queries: Sequence[str]) -> tuple[str, list[str]]:
    """The same k-shot task in the model's chat template: each shot a user turn (the input) and an assistant
    turn (the answer); each query a last user turn followed by the start of the assistant's reply. Returns
    (the prefix every query shares, one text per query)."""
    marker = "\x00QUERY\x00"
    messages = []
    for x, y in shots:
        messages += [{"role": "user", "content": x}, {"role": "assistant", "content": y}]
    text = tokenizer.apply_chat_template(messages + [{"role": "user", "content": marker}], tokenize=False,
                                         add_generation_prompt=True)
    prefix, after = text.split(marker)
    return prefix, [require_text(q, "a query") + after for q in queries]


def first_token_ids(tokenizer: Any, candidates: Sequence[str]) -> list[int]:
    """The first token id of each candidate answer; a ``CourseError`` when two candidates share it (then
    their first tokens cannot tell them apart)."""
    ids = []
    for c in candidates:
        tokens = tokenizer(require_text(c, "a candidate answer"), add_special_tokens=False)["input_ids"]
        ids.append(tokens[0])
    if len(set(ids)) != len(ids):
        raise CourseError(f"candidates {list(candidates)!r} share a first token; score_candidates compares first "
                          "tokens, so give candidates that differ in theirs")
    return ids


@torch.no_grad()
def score_candidates(model: Any, tokenizer: Any, prefix: str, queries: Sequence[str],
                     candidates: Sequence[str] | Sequence[Sequence[str]], *, add_bos: bool = False,
                     batch_size: int = 64) -> torch.Tensor:
    """log P(candidate's first token | prefix + query), normalised over the query's candidates: (N, C).

    Batched: ``prefix`` (description and shots, shared by every query) runs once and its key/value cache
    is reused; the queries are right-padded into batches of ``batch_size`` with an attention mask, one
    forward pass per batch; only each row's last real position is read, and only the candidates' rows
    of the output embedding are multiplied. ``candidates`` is one list for every query, or one list per
    query (all of the same length); the candidates of a query must differ in their first token.
    """
    if not queries:
        raise CourseError("give at least one query")
    per_query = candidates if candidates and not isinstance(candidates[0], str) else [candidates] * len(queries)
    if len(per_query) != len(queries) or len({len(c) for c in per_query}) != 1:
        raise CourseError("give one candidate list for every query, or one list per query, all of one length")
    cand_ids = torch.tensor([first_token_ids(tokenizer, c) for c in per_query])         # (N, C)
    base, out_emb = model.base_model, model.get_output_embeddings().weight              # (V, d)
    cache_name = "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"
    prefix_ids = ([tokenizer.bos_token_id] if add_bos else []) + (
        tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else [])
    prefix_cache = None
    if prefix_ids:
        out = base(input_ids=torch.tensor([prefix_ids]), use_cache=True)
        prefix_cache = getattr(out, cache_name)                                         # (1, P) keys/values
    rows = [tokenizer(require_text(q, "a query"), add_special_tokens=False)["input_ids"] for q in queries]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    scores = []
    for s in range(0, len(rows), batch_size):
        chunk = rows[s:s + batch_size]
        width = max(len(r) for r in chunk)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in chunk])                # (B, L) right-padded
        mask = torch.tensor([[1] * len(prefix_ids) + [1] * len(r) + [0] * (width - len(r)) for r in chunk])
        extra = {}
        if prefix_cache is not None:
            cache = copy.deepcopy(prefix_cache)
            cache.batch_repeat_interleave(len(chunk))                                   # (B, P) keys/values
            extra = {cache_name: cache, "use_cache": True}
        hidden = base(input_ids=ids, attention_mask=mask, **extra).last_hidden_state     # (B, L, d)
        last = hidden[torch.arange(len(chunk)), torch.tensor([len(r) - 1 for r in chunk])]  # (B, d)
        logits = torch.einsum("bd,bcd->bc", last, out_emb[cand_ids[s:s + len(chunk)]])  # (B, C) candidates only
        scores.append(torch.log_softmax(logits.float(), dim=-1))
    return torch.cat(scores)                                                            # (N, C)


def shot_accuracy(model: Any, tokenizer: Any, *, pool: Sequence[tuple[str, str]], test: Sequence[tuple[str, str]],
                  candidates: Callable[[str], Sequence[str]] | Sequence[str], shots: Sequence[int], draws: int,
                  chat: bool = False, balanced: bool = False, arrow: str = " => ",
                  progress: Any = None) -> dict[int, np.ndarray]:
    """For each number of shots k: a (draws, N) array of 0/1, whether each test item's answer was the most
    likely of its candidates, for each seeded draw of k shots from ``pool`` (0 shots: one draw).

    ``candidates`` is one list of answers for every item, or a function from an item's input to its list;
    each item's answer must be in it. ``balanced`` draws the shots with ``draw_balanced_shots``. The raw
    format is ``x => y`` lines with answers after a space; ``chat=True`` uses the chat template
    (``chat_prompt_parts``), where the answer starts the assistant's turn with no space.
    """
    if not isinstance(draws, int) or draws < 1:
        raise CourseError(f"draws must be a whole number ≥ 1, got {draws!r}")
    options = [list(candidates(x)) if callable(candidates) else list(candidates) for x, _ in test]
    for (x, y), opts in zip(test, options, strict=True):
        if y not in opts:
            raise CourseError(f"the answer {y!r} of {x!r} is not among its candidates {opts!r}")
    gold = np.array([opts.index(y) for (_, y), opts in zip(test, options, strict=True)])  # (N,)
    answers = options if chat else [[" " + c for c in opts] for opts in options]
    results = {}
    for k in shots:
        rows = []
        for draw in range(draws if k else 1):
            seed = 1000 * k + draw
            chosen = draw_balanced_shots(pool, k, seed) if balanced else draw_shots(pool, k, seed)
            if chat:
                prefix, queries = chat_prompt_parts(tokenizer, chosen, [x for x, _ in test])
            else:
                prefix = k_shot_prefix("", chosen, arrow=arrow)
                queries = [f"{x}{arrow.rstrip()}" for x, _ in test]
            # a raw prompt with no shots starts at the beginning-of-text token, so the query has a context
            scores = score_candidates(model, tokenizer, prefix, queries, answers, add_bos=not prefix)
            rows.append((scores.argmax(-1).numpy() == gold).astype(float))
            if progress is not None:
                progress.update(1)
        results[k] = np.stack(rows)                                                     # (draws, N)
    return results


def bootstrap_interval(correct: np.ndarray, *, level: float = 0.95, resamples: int = 2000,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval for the mean of a (draws, items) 0/1 array that resamples both the
    draws of the shots and the test items, so it covers both sources of variation."""
    correct = np.asarray(correct, dtype=float)
    if correct.ndim != 2 or correct.size == 0:
        raise CourseError(f"give a (draws, items) array, got shape {correct.shape}")
    rng = np.random.default_rng(seed)
    d, n = correct.shape
    means = np.empty(resamples)
    for b in range(resamples):
        rows = rng.integers(0, d, d)
        cols = rng.integers(0, n, n)
        means[b] = correct[np.ix_(rows, cols)].mean()
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def wilson_interval(successes: int, n: int, *, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``successes / n`` (95% for z = 1.96)."""
    if not isinstance(n, int) or n < 1 or not 0 <= successes <= n:
        raise CourseError(f"need 0 ≤ successes ≤ n and n ≥ 1, got {successes} of {n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
