"""Span-extraction question answering, "retrieve, then read" (notebook 10, section 7).

BERT's SQuAD v1.1 head (Devlin et al. 2019, §4.2): a start vector S and an end vector E (together one
``Linear(H, 2)``) score every context token's final state T_i; P(start = i) is the softmax of S·T_i over the
context tokens, the same with E for the end; the loss is the cross-entropy of the true start plus that of
the true end; the prediction is the span (i, j) with the highest S·T_i + E·T_j, i ≤ j.

Notebook 10 teaches ``SpanQA``, ``span_loss``, ``best_span``, ``fine_tune`` and ``exact_match`` in twin cells
(``# twin: course_utils.qa``); the data helpers (``qa_examples``, ``encode``, ``type_baseline``) are
package-only: the notebook imports them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import CourseError

QUESTION_FORMS = {
    "capital": "What is the capital of {s}?", "language": "Which language do people speak in {s}?",
    "city": "In which city does {s} live?", "job": "What is the job of {s}?", "pet": "Which pet does {s} have?",
    "sound": "What sound does the {s} make?", "colour": "What colour is the {s}?",
}
ARTICLES = ("a", "the")


# ----------------------------------------------------------------------------------------------
# the data: a question, a context of fact sentences, the answer phrase's character span
# ----------------------------------------------------------------------------------------------
class QAExample(NamedTuple):
    question: str
    context: str
    answer: str          # the answer phrase as the context writes it ("a teacher", "Paris")
    answer_start: int    # its first character in ``context``
    relation: str
    subject: str
    distractor: str = ""   # the answer of the other sentence of the same relation


def fact_sentence(template: str, fact: Any) -> tuple[str, int, int]:
    """``template`` filled with ``fact``, and the character span [start, end) of its answer phrase.

    The phrase is the answer word with the article before it where the template has one ("works as a
    {a}" gives "a teacher"), so job and pet answers are two-word (two-token) spans."""
    before, after = template.split("{a}")
    prefix = before.format(s=fact.subject)
    sentence = prefix + fact.answer + after.format(s=fact.subject)
    start = len(prefix)
    for article in ARTICLES:
        if prefix.endswith(" " + article + " "):
            start -= len(article) + 1
            break
    return sentence, start, len(prefix) + len(fact.answer)


def split_subjects(facts: Sequence[Any]) -> tuple[set[str], set[str]]:
    """Subjects in order of first appearance, alternately to train and test: a test question is always
    about a subject that no training question mentions."""
    order = list(dict.fromkeys(f.subject for f in facts))
    return set(order[0::2]), set(order[1::2])


def qa_examples(facts: Sequence[Any], templates: dict[str, Sequence[str]], subjects: set[str],
                per_fact: int, seed: int, counterfactual: bool = False,
                question_forms: dict[str, str] = QUESTION_FORMS) -> list[QAExample]:
    """``per_fact`` questions about each fact whose subject is in ``subjects``. Each context has four
    shuffled fact sentences about those subjects: the answer's, one of the same relation (a different
    subject and answer) and two of other relations; each sentence in a random one of its forms.

    ``counterfactual=True`` gives every sentence a random answer of its relation instead of the true one
    (the two same-relation sentences still differ): the context is then the only way to the answer, so
    a model cannot score by recalling the fact."""
    if per_fact < 1:
        raise CourseError(f"per_fact must be at least 1, got {per_fact}")
    rng = random.Random(seed)
    pool = [f for f in facts if f.subject in subjects]
    answers = {r: sorted({f.answer for f in facts if f.relation == r}) for r in question_forms}
    examples = []
    for fact in pool:
        same = [g for g in pool if g.relation == fact.relation and g.subject != fact.subject and g.answer != fact.answer]
        other = [g for g in pool if g.relation != fact.relation and g.subject != fact.subject and g.answer != fact.answer]
        for _ in range(per_fact):
            chosen = [fact] + rng.sample(same, 1) + rng.sample(other, 2)
            if counterfactual:
                first, second = rng.sample(answers[fact.relation], 2)
                chosen = [g._replace(answer=a) for g, a in zip(chosen, [first, second], strict=False)] + \
                         [g._replace(answer=rng.choice(answers[g.relation])) for g in chosen[2:]]
                fact = chosen[0]
            rng.shuffle(chosen)
            parts, start, end = [], 0, 0
            for g in chosen:
                sentence, a, b = fact_sentence(rng.choice(templates[g.relation]), g)
                offset = sum(len(p) + 1 for p in parts)
                if g is fact:
                    start, end = offset + a, offset + b
                parts.append(sentence)
            context = " ".join(parts)
            examples.append(QAExample(question_forms[fact.relation].format(s=fact.subject), context,
                                      context[start:end], start, fact.relation, fact.subject,
                                      next(g.answer for g in chosen if g.relation == fact.relation and g is not fact)))
    return examples


def encode(tokenizer: Any, examples: Sequence[QAExample], max_length: int = 64) -> dict[str, torch.Tensor]:
    """[CLS] question [SEP] context [SEP] as padded (N, T) tensors, with ``context`` (N, T) marking the
    context's word pieces and ``start`` / ``end`` (N,) the answer phrase's first and last token."""
    enc = tokenizer([e.question for e in examples], [e.context for e in examples], truncation="only_second",
                    max_length=max_length, padding=True, return_offsets_mapping=True, return_tensors="pt")
    offsets = enc["offset_mapping"]                                            # (N, T, 2)
    context = (enc["token_type_ids"] == 1) & (offsets[..., 1] > 0)              # (N, T) no [SEP], no padding
    starts, ends = [], []
    for n, e in enumerate(examples):
        if e.answer_start < 0:             # no gold span (a retrieved context without the answer): [CLS]
            starts.append(0)
            ends.append(0)
            continue
        first, last = e.answer_start, e.answer_start + len(e.answer)
        inside = [t for t in range(offsets.shape[1]) if context[n, t] and offsets[n, t, 0] >= first
                  and offsets[n, t, 1] <= last]
        if not inside:
            raise CourseError(f"the answer {e.answer!r} of example {n} was truncated: raise max_length")
        starts.append(inside[0])
        ends.append(inside[-1])
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
            "attention_mask": enc["attention_mask"], "context": context,
            "start": torch.tensor(starts), "end": torch.tensor(ends)}


def retrieved_examples(retrieve: Any, facts: Sequence[Any], subjects: set[str],
                       question_forms: dict[str, str] = QUESTION_FORMS) -> list[QAExample]:
    """One question per fact about ``subjects``, its context the sentences ``retrieve(question)`` returns;
    the gold span is the answer word's first occurrence (``answer_start`` -1 where it is missing)."""
    examples = []
    for fact in facts:
        if fact.subject not in subjects:
            continue
        question = question_forms[fact.relation].format(s=fact.subject)
        context = " ".join(retrieve(question))
        start = _find_word(context, fact.answer)
        examples.append(QAExample(question, context, fact.answer, start, fact.relation, fact.subject))
    return examples


def _find_word(text: str, word: str) -> int:
    """The first whole-word, case-insensitive occurrence of ``word`` in ``text``, or -1."""
    lowered, w = text.lower(), word.lower()
    i = lowered.find(w)
    while i >= 0:
        if (i == 0 or not lowered[i - 1].isalnum()) and (i + len(w) == len(lowered) or not lowered[i + len(w)].isalnum()):
            return i
        i = lowered.find(w, i + 1)
    return -1


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalisation before exact match: lower case, no punctuation, no articles (a, an,
    the), single spaces."""
    text = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def span_texts(tokenizer: Any, data: dict[str, torch.Tensor], spans: torch.Tensor) -> list[str]:
    """The text of each predicted (start, end) token span."""
    return [tokenizer.decode(ids[int(i): int(j) + 1]) for ids, (i, j) in zip(data["input_ids"], spans, strict=True)]


def _type_span(example: QAExample, candidates: Sequence[str]) -> tuple[int, int] | None:
    found = [(i, i + len(word)) for word in candidates if (i := _find_word(example.context, word)) >= 0]
    if not found:
        return None
    start, end = min(found)
    for article in ARTICLES:
        if example.context[:start].endswith(" " + article + " "):
            start -= len(article) + 1
            break
    return start, end


def type_baseline(example: QAExample, candidates: Sequence[str]) -> bool:
    """No network: answer with the first candidate word of the asked relation in the context (the article
    before it included, as in the gold phrases); True when that is exactly the gold span."""
    return _type_span(example, candidates) == (example.answer_start, example.answer_start + len(example.answer))


def type_baseline_text(example: QAExample, candidates: Sequence[str]) -> str:
    """The type baseline's answer as text ("" when no candidate occurs), for text-level exact match."""
    span = _type_span(example, candidates)
    return example.context[span[0]:span[1]] if span else ""


# ----------------------------------------------------------------------------------------------
# the head, the loss, the span decoding (twins of notebook 10's cells)
# ----------------------------------------------------------------------------------------------
class SpanQA(nn.Module):
    """A BERT encoder with BERT's SQuAD head: one Linear(H, 2) whose rows are the start vector S and the
    end vector E. Returns start and end logits over the tokens, -inf outside the context."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.qa_outputs = nn.Linear(encoder.config.hidden_size, 2)   # the name BertForQuestionAnswering uses

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor,
                context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        states = self.encoder(input_ids=input_ids, token_type_ids=token_type_ids,
                              attention_mask=attention_mask).last_hidden_state       # (B, T, H)
        start, end = self.qa_outputs(states).unbind(-1)                              # (B, T) each: S·T_i, E·T_i
        outside = ~context.bool()
        return start.masked_fill(outside, float("-inf")), end.masked_fill(outside, float("-inf"))


def span_loss(start_logits: torch.Tensor, end_logits: torch.Tensor, start: torch.Tensor,
              end: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the true start plus that of the true end, halved (BERT sums the two
    log-likelihoods; transformers' BertForQuestionAnswering averages them, as here)."""
    return (F.cross_entropy(start_logits, start) + F.cross_entropy(end_logits, end)) / 2


def best_span(start_logits: torch.Tensor, end_logits: torch.Tensor, context: torch.Tensor,
              max_length: int = 4) -> torch.Tensor:
    """(B, 2) the span (i, j) with the highest start_i + end_j among context tokens, i ≤ j < i + max_length."""
    if max_length < 1:
        raise CourseError(f"max_length must be at least 1, got {max_length}")
    n = start_logits.shape[1]
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    allowed = (j >= i) & (j - i < max_length)                                          # (T, T)
    allowed = allowed & context.bool()[:, :, None] & context.bool()[:, None, :]        # (B, T, T)
    scores = start_logits[:, :, None] + end_logits[:, None, :]                         # (B, T, T)
    flat = scores.masked_fill(~allowed, float("-inf")).flatten(1).argmax(dim=1)        # (B,)
    return torch.stack([flat // n, flat % n], dim=1)


def fine_tune(model: SpanQA, data: dict[str, torch.Tensor], steps: int, batch: int, lr: float,
              seed: int) -> list[float]:
    """AdamW on ``span_loss`` over random batches of ``data`` (every parameter, the encoder's included);
    the learning rate decays linearly to 0. Returns the loss of each step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    inputs = ("input_ids", "token_type_ids", "attention_mask", "context")
    model.train()
    losses = []
    for _ in range(steps):
        rows = torch.randint(len(data["start"]), (batch,), generator=generator)
        start_logits, end_logits = model(*(data[k][rows] for k in inputs))
        loss = span_loss(start_logits, end_logits, data["start"][rows], data["end"][rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


def exact_match(model: SpanQA, data: dict[str, torch.Tensor], max_length: int = 4) -> list[bool]:
    """For each item, whether the predicted span is exactly the gold one (both boundaries)."""
    inputs = ("input_ids", "token_type_ids", "attention_mask", "context")
    model.eval()
    with torch.no_grad():
        start_logits, end_logits = model(*(data[k] for k in inputs))
    spans = best_span(start_logits, end_logits, data["context"], max_length)
    return ((spans[:, 0] == data["start"]) & (spans[:, 1] == data["end"])).tolist()
