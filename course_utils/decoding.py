"""Decoding from a causal LM's logits, and k-shot prompting scored with a shared-prefix KV cache.

Notebook 06 explains each piece. Two halves:

* **decoding** — turn next-token logits into a choice: greedy (argmax), beam search, and sampling shaped
  by temperature, top-k and top-p (nucleus). ``next_token_probs`` applies the three knobs in the order
  ``transformers`` does (temperature, then top-k, then top-p); ``greedy_decode`` / ``sample_decode`` /
  ``beam_search`` run a model token by token with its key/value cache.
* **in-context learning** — ``k_shot_prompt`` writes the GPT-3 format (a task description, ``x => y``
  lines, then ``query =>``); ``PrefixScorer`` runs the shared prefix (description + shots) once, keeps its
  key/value cache, and scores every (query, candidate answer) pair on top of it in one batch.
"""

from __future__ import annotations

import copy
import inspect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


class PrefixScorer:
    """Score candidate answers after a shared prefix, running the prefix through the model only once.

    ``PrefixScorer(model, tokenizer, prefix)`` keeps the key/value cache of ``prefix`` (the description and
    the shots). ``logprobs(queries, candidates)`` then runs every row ``query + candidate`` as one batch on
    top of a copy of that cache and returns, for each query, the total log-probability of each candidate's
    tokens. The result equals scoring each full prompt from scratch (tested), at a fraction of the cost.
    """

    def __init__(self, model: Any, tokenizer: Any, prefix: str, *, add_bos: bool = False) -> None:
        self.model, self.tokenizer = model, tokenizer
        ids = tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        if add_bos:
            ids = [tokenizer.bos_token_id] + ids
        if not ids:
            raise CourseError("the prefix is empty: give a description or shots, or add_bos=True")
        self.prefix_ids = ids
        with torch.no_grad():
            logits, self.cache = forward_with_cache(model, torch.tensor([ids]))   # (1, P, V), the cache
        self.last_logits = logits[0, -1]                                  # (V,) predicts the first query token

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    @torch.no_grad()
    def logprobs(self, queries: Sequence[str], candidates: Sequence[Sequence[str]]) -> list[list[float]]:
        """For query i and each of its candidate answers: log P(answer tokens | prefix + query)."""
        if len(queries) != len(candidates):
            raise CourseError(f"one candidate list per query: {len(queries)} queries, {len(candidates)} lists")
        encoded = [[self._encode(require_text(c, "a candidate answer")) for c in cands] for cands in candidates]
        if all(len(c) == 1 for cands in encoded for c in cands):
            return self._single_token_logprobs(queries, encoded)
        rows, spans = [], []          # spans: (row, start, end) of the answer tokens within each row
        for query, cands in zip(queries, candidates, strict=True):
            q = self._encode(require_text(query, "a query"))
            for cand in cands:
                c = self._encode(require_text(cand, "a candidate answer"))
                rows.append(q + c)
                spans.append((len(q), len(q) + len(c)))
        # causal attention: padding at the end never affects earlier positions, so no mask is needed
        batch, logp = self._run(rows)
        first = torch.log_softmax(self.last_logits.float(), dim=-1)        # (V,) for a row's first token
        scores = []
        for r, (start, end) in enumerate(spans):
            total = 0.0
            for pos in range(start, end):
                prev = logp[r, pos - 1] if pos > 0 else first
                total += float(prev[batch[r, pos]])
            scores.append(total)
        out, i = [], 0
        for cands in candidates:
            out.append(scores[i:i + len(cands)])
            i += len(cands)
        return out

    def _run(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities (R, W, V) of right-padded ``rows`` run on a copy of the prefix cache."""
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        batch = torch.tensor([r + [pad] * (width - len(r)) for r in rows])   # (R, W); right padding
        cache = copy.deepcopy(self.cache)
        cache.batch_repeat_interleave(len(rows))
        logits, _ = forward_with_cache(self.model, batch, cache)                     # (R, W, V)
        return batch, torch.log_softmax(logits.float(), dim=-1)

    def _single_token_logprobs(self, queries: Sequence[str], encoded: list[list[list[int]]]) -> list[list[float]]:
        """Fast path when every answer is one token: one row per query, read at its last position."""
        rows = [self._encode(require_text(q, "a query")) for q in queries]
        _, logp = self._run(rows)
        return [[float(logp[i, len(rows[i]) - 1, c[0]]) for c in cands] for i, cands in enumerate(encoded)]

    def predict(self, queries: Sequence[str], candidates: Sequence[Sequence[str]]) -> list[str]:
        """The most likely candidate for each query."""
        return [cands[max(range(len(cands)), key=s.__getitem__)]
                for cands, s in zip(candidates, self.logprobs(queries, candidates), strict=True)]


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


@dataclass
class ShotResult:
    k: int
    accuracies: list[float]   # one per draw of the shots

    @property
    def mean(self) -> float:
        return sum(self.accuracies) / len(self.accuracies)

    @property
    def std(self) -> float:
        m = self.mean
        return (sum((a - m) ** 2 for a in self.accuracies) / len(self.accuracies)) ** 0.5


def accuracy_vs_shots(model: Any, tokenizer: Any, *, description: str, pool: Sequence[tuple[str, str]],
                      test: Sequence[tuple[str, str]], candidates: Sequence[str] | dict[str, Sequence[str]],
                      shots: Sequence[int],
                      draws: int = 3, arrow: str = " => ", answer_prefix: str = " ",
                      add_bos: bool = False, progress: Any = None) -> list[ShotResult]:
    """Accuracy on ``test`` for each number of shots, over ``draws`` seeded draws of the shots from
    ``pool``. An item is right when its answer is the most likely of ``candidates`` (each scored as
    ``answer_prefix + candidate`` after ``query =>``); ``candidates`` is one list for every query, or a
    dict from each query to its own list. With 0 shots every draw is the same prompt."""
    if draws < 1:
        raise CourseError(f"draws must be ≥ 1, got {draws}")
    queries = [f"{x}{arrow.rstrip()}" for x, _ in test]
    per_query = [candidates[x] if isinstance(candidates, dict) else candidates for x, _ in test]
    cands = [[answer_prefix + c for c in cs] for cs in per_query]
    results = []
    for k in shots:
        accs = []
        for draw in range(draws if k else 1):
            scorer = PrefixScorer(model, tokenizer, k_shot_prefix(description, draw_shots(pool, k, seed=draw),
                                                                  arrow=arrow), add_bos=add_bos)
            predicted = scorer.predict(queries, cands)
            accs.append(sum(p == answer_prefix + y for p, (_, y) in zip(predicted, test, strict=True)) / len(test))
            if progress is not None:
                progress.update(1)
        results.append(ShotResult(k, accs * (draws if not k else 1)))
    return results


def novel_mapping_accuracy(model: Any, tokenizer: Any, inputs: Sequence[str], outputs: Sequence[str],
                           shots: Sequence[int], *, trials: int = 40, seed: int = 0, add_bos: bool = False,
                           arrow: str = " => ") -> list[tuple[float, float]]:
    """In-context learning of a mapping that exists only in the prompt.

    Each trial pairs ``k`` random ``inputs`` with ``k`` random ``outputs`` (pairs a model cannot have
    learned: the caller picks two word lists that training never pairs), writes them as ``x => y``
    lines, then asks for the input of one of those lines again. The trial is right when that line's
    answer is the most likely of the trial's answers (with one shot, one unseen output joins as a
    distractor). Returns (accuracy, chance = 1 / number of candidates) for each ``k`` in ``shots``.
    """
    if trials < 1:
        raise CourseError(f"trials must be ≥ 1, got {trials}")
    results = []
    for k in shots:
        if not isinstance(k, int) or k < 1:
            raise CourseError(f"each number of shots must be a whole number ≥ 1, got {k!r}")
        if k > len(inputs) or max(k, 2) > len(outputs):
            raise CourseError(f"{k} shots need {k} distinct inputs and {max(k, 2)} distinct outputs; "
                              f"got {len(inputs)} and {len(outputs)}")
        rng = random.Random(seed * 1000 + k)
        right = 0
        for _ in range(trials):
            xs, ys = rng.sample(list(inputs), k), rng.sample(list(outputs), max(k, 2))
            asked = rng.randrange(k)
            scorer = PrefixScorer(model, tokenizer, k_shot_prefix("", list(zip(xs, ys[:k], strict=True)), arrow=arrow),
                                  add_bos=add_bos)
            best = scorer.predict([f"{xs[asked]}{arrow.rstrip()}"], [[f" {y}" for y in ys]])[0]
            right += best == f" {ys[asked]}"
        results.append((right / trials, 1 / max(k, 2)))
    return results
