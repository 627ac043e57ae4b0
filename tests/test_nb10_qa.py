"""Notebook 10, section 7: the span-extraction QA head (course_utils.qa): the data (subject split,
contexts, gold spans), span decoding, the loss against transformers' BertForQuestionAnswering, a short
fine-tuning run, the baselines and SQuAD's answer normalisation."""

from __future__ import annotations

import itertools
import re

import pytest
import torch
import torch.nn.functional as F
from transformers import BertConfig, BertForQuestionAnswering, BertModel, BertTokenizer

from course_utils import data
from course_utils import qa as spanqa
from course_utils.errors import CourseError

FACTS = data.all_facts()


@pytest.fixture(scope="module")
def tokenizer():
    """A small uncased WordPiece tokenizer over the course world's words (no course model needed)."""
    words = set()
    for text in itertools.chain(spanqa.QUESTION_FORMS.values(), *data.FACT_TEMPLATES.values()):
        words.update(re.findall(r"[a-z]+", text.lower()))
    for f in FACTS:
        words.update(re.findall(r"[a-z]+", f"{f.subject} {f.answer}".lower()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "?", *sorted(words)]
    return BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)


def tiny_encoder(seed: int = 0, vocab_size: int = 400) -> BertModel:
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    return BertModel(config, add_pooling_layer=False)


# ----------------------------------------------------------------------------------------------
# the data
# ----------------------------------------------------------------------------------------------
def test_subject_split_is_disjoint_and_covers_every_subject():
    train, test = spanqa.split_subjects(FACTS)
    assert not train & test
    assert train | test == {f.subject for f in FACTS}
    assert abs(len(train) - len(test)) <= 1


def test_fact_sentence_marks_the_answer_phrase():
    fact = data.Fact("job", "Anna", "teacher")
    sentence, start, end = spanqa.fact_sentence("{s} works as a {a}.", fact)
    assert sentence == "Anna works as a teacher." and sentence[start:end] == "a teacher"
    fact = data.Fact("capital", "France", "Paris")
    sentence, start, end = spanqa.fact_sentence("The capital of {s} is {a}.", fact)
    assert sentence[start:end] == "Paris"
    sentence, start, end = spanqa.fact_sentence("{a} is the capital of {s}.", fact)
    assert (start, end) == (0, 5)


@pytest.mark.parametrize("counterfactual", [False, True])
def test_contexts_hold_the_answer_and_one_same_relation_distractor(counterfactual):
    train, _ = spanqa.split_subjects(FACTS)
    examples = spanqa.qa_examples(FACTS, data.FACT_TEMPLATES, train, per_fact=3, seed=0,
                                  counterfactual=counterfactual)
    assert len(examples) == 3 * sum(f.subject in train for f in FACTS)
    true_answer = {(f.relation, f.subject): f.answer for f in FACTS}
    changed = 0
    for e in examples:
        assert e.subject in train and e.question == spanqa.QUESTION_FORMS[e.relation].format(s=e.subject)
        assert e.context[e.answer_start:e.answer_start + len(e.answer)] == e.answer
        assert e.context.count(". ") == 3 and e.context.endswith(".")          # four sentences
        word = e.answer.split()[-1]
        assert e.distractor and e.distractor != word
        if not counterfactual:
            assert word == true_answer[e.relation, e.subject]
        changed += word != true_answer[e.relation, e.subject]
        if e.relation in ("job", "pet"):
            assert e.answer.split()[0] in spanqa.ARTICLES
    assert (changed > len(examples) / 2) == counterfactual
    with pytest.raises(CourseError):
        spanqa.qa_examples(FACTS, data.FACT_TEMPLATES, train, per_fact=0, seed=0)


def test_encode_finds_the_gold_tokens_inside_the_context(tokenizer):
    _, test = spanqa.split_subjects(FACTS)
    examples = spanqa.qa_examples(FACTS, data.FACT_TEMPLATES, test, per_fact=2, seed=1)
    enc = spanqa.encode(tokenizer, examples)
    assert (enc["start"] <= enc["end"]).all()
    for n, e in enumerate(examples):
        start, end = int(enc["start"][n]), int(enc["end"][n])
        assert enc["context"][n, start:end + 1].all()
        assert enc["token_type_ids"][n, start] == 1
        assert tokenizer.decode(enc["input_ids"][n, start:end + 1]) == e.answer.lower()
        sep = (enc["input_ids"][n] == tokenizer.sep_token_id).nonzero().flatten()
        assert not enc["context"][n, sep].any() and not enc["context"][n, :sep[0]].any()
    assert ((enc["end"] - enc["start"]) == 1).any() and (enc["end"] == enc["start"]).any()
    with pytest.raises(CourseError, match="truncated"):
        spanqa.encode(tokenizer, examples[:4], max_length=12)


def test_retrieved_examples_and_missing_answers(tokenizer):
    facts = [data.Fact("capital", "France", "Paris"), data.Fact("capital", "Spain", "Madrid")]
    docs = {"France": ["The capital of France is Paris."], "Spain": ["The language of Spain is Spanish."]}
    examples = spanqa.retrieved_examples(lambda q: docs["France" if "France" in q else "Spain"], facts,
                                         {"France", "Spain"})
    assert [e.answer_start for e in examples] == [25, -1]
    enc = spanqa.encode(tokenizer, examples)
    assert enc["start"][1] == enc["end"][1] == 0          # no gold span: [CLS]


def test_type_baseline_takes_the_first_answer_of_the_asked_relation():
    def example(context, answer):
        return spanqa.QAExample("What is the job of Anna?", context, answer, context.index(answer), "job", "Anna")

    jobs = sorted({f.answer for f in FACTS if f.relation == "job"})
    right_first = example("Anna is a baker. Ben is a pilot.", "a baker")
    wrong_first = example("Ben is a pilot. Anna is a baker.", "a baker")
    assert spanqa.type_baseline(right_first, jobs) and not spanqa.type_baseline(wrong_first, jobs)
    assert spanqa.type_baseline_text(wrong_first, jobs) == "a pilot"
    assert spanqa.type_baseline_text(example("Anna is here. Anna is a baker.", "a baker"), ["pilot"]) == ""
    bakery = example("Anna likes the bakery. Anna is a baker.", "a baker")     # whole words only
    assert spanqa.type_baseline(bakery, jobs)


def test_normalize_answer_follows_squad():
    assert spanqa.normalize_answer("The  Dog!") == "dog"
    assert spanqa.normalize_answer("a teacher") == spanqa.normalize_answer("Teacher.") == "teacher"
    assert spanqa.normalize_answer("an apple pie") == "apple pie"


# ----------------------------------------------------------------------------------------------
# span decoding
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("max_length", [1, 2, 4])
def test_best_span_is_the_best_valid_pair(max_length):
    g = torch.Generator().manual_seed(max_length)
    start, end = torch.randn(20, 9, generator=g), torch.randn(20, 9, generator=g)
    context = torch.rand(20, 9, generator=g) < 0.6
    context[:, 3] = True                                     # at least one context token per row
    spans = spanqa.best_span(start, end, context, max_length=max_length)
    for b, (i, j) in enumerate(spans.tolist()):
        assert i <= j < i + max_length and context[b, i] and context[b, j]
        best = max(float(start[b, p] + end[b, q]) for p in range(9) for q in range(p, min(9, p + max_length))
                   if context[b, p] and context[b, q])
        assert float(start[b, i] + end[b, j]) == pytest.approx(best)


def test_best_span_never_ends_before_it_starts_and_ignores_the_question():
    start = torch.tensor([[100.0, 0.0, 1.0, 0.0, 5.0]])         # position 0 is outside the context
    end = torch.tensor([[100.0, 0.0, 4.0, 0.0, 0.0]])
    context = torch.tensor([[0, 1, 1, 1, 1]])
    assert spanqa.best_span(start, end, context).tolist() == [[2, 2]]   # not (4, 2), not position 0
    with pytest.raises(CourseError):
        spanqa.best_span(start, end, context, max_length=0)


# ----------------------------------------------------------------------------------------------
# the head and the loss
# ----------------------------------------------------------------------------------------------
def test_head_and_loss_match_bert_for_question_answering():
    model = spanqa.SpanQA(tiny_encoder()).eval()
    reference = BertForQuestionAnswering(model.encoder.config).eval()
    reference.bert.load_state_dict(model.encoder.state_dict())
    reference.qa_outputs.load_state_dict(model.qa_outputs.state_dict())
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, 400, (3, 10), generator=g)
    types = torch.tensor([[0] * 4 + [1] * 6] * 3)
    mask = torch.ones_like(ids)
    starts, ends = torch.tensor([4, 5, 6]), torch.tensor([4, 7, 9])
    with torch.no_grad():
        s, e = model(ids, types, mask, torch.ones_like(ids))
        out = reference(input_ids=ids, token_type_ids=types, attention_mask=mask, start_positions=starts,
                        end_positions=ends)
        assert torch.allclose(s, out.start_logits, atol=1e-5) and torch.allclose(e, out.end_logits, atol=1e-5)
        assert spanqa.span_loss(s, e, starts, ends) == pytest.approx(float(out.loss), abs=1e-5)
        s_ctx, e_ctx = model(ids, types, mask, types)           # the context mask: -inf on the question
        assert torch.isinf(s_ctx[:, :4]).all() and torch.isinf(e_ctx[:, :4]).all()
        assert torch.equal(s_ctx[:, 4:], s[:, 4:])
        assert torch.isfinite(spanqa.span_loss(s_ctx, e_ctx, starts, ends))


def test_span_loss_values():
    flat = torch.zeros(2, 5)
    assert float(spanqa.span_loss(flat, flat, torch.tensor([0, 1]), torch.tensor([2, 3]))) == pytest.approx(
        torch.log(torch.tensor(5.0)).item())
    sure = torch.full((1, 4), -50.0)
    sure[0, 2] = 50.0
    assert float(spanqa.span_loss(sure, sure, torch.tensor([2]), torch.tensor([2]))) < 1e-6
    s, e = torch.randn(3, 6), torch.randn(3, 6)
    y_s, y_e = torch.tensor([0, 2, 5]), torch.tensor([1, 2, 5])
    manual = (F.cross_entropy(s, y_s) + F.cross_entropy(e, y_e)) / 2
    assert float(spanqa.span_loss(s, e, y_s, y_e)) == pytest.approx(float(manual))


def test_fine_tune_learns_a_readable_span_and_exact_match_counts_both_boundaries():
    """The answer is the two tokens after the token 7 in the context: learnable in a few steps."""
    g = torch.Generator().manual_seed(0)
    n, length = 64, 12
    ids = torch.randint(10, 400, (n, length), generator=g)
    where = torch.randint(4, length - 3, (n,), generator=g)
    ids[torch.arange(n), where] = 7
    types = torch.zeros_like(ids)
    types[:, 3:] = 1
    dataset = {"input_ids": ids, "token_type_ids": types, "attention_mask": torch.ones_like(ids),
               "context": types.bool(), "start": where + 1, "end": where + 2}
    model = spanqa.SpanQA(tiny_encoder(vocab_size=400))
    before = sum(spanqa.exact_match(model, dataset)) / n
    losses = spanqa.fine_tune(model, dataset, steps=150, batch=16, lr=3e-3, seed=0)
    assert not model.training
    assert sum(losses[-10:]) / 10 < 0.3 * sum(losses[:10]) / 10
    hits = spanqa.exact_match(model, dataset)
    assert sum(hits) / n >= 0.8 > before
    shifted = dict(dataset, end=dataset["end"] + 1)             # the same starts, wrong ends: no exact match
    assert sum(spanqa.exact_match(model, shifted)) < sum(hits) / 4
