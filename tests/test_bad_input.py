"""Every public entry point answers bad input — a wrong type, an empty value, an unknown name, an over-long
text — with a CourseError that names the fix, never a bare TypeError/KeyError from deep inside."""

from __future__ import annotations

import pytest

from course_utils import CourseError, data, models, runtimes

LONG = "x" * 100_000


class Opaque:
    """Not a string, not a number, not a container."""


# (entry point, call with the bad value, a word the message must contain)
LOAD_AND_DATA = [
    ("models.load name: None", lambda: models.load(None), "must be a string"),
    ("models.load name: a number", lambda: models.load(42), "must be a string"),
    ("models.load name: empty", lambda: models.load(""), "empty"),
    ("models.load name: unknown", lambda: models.load("bert-mini"), "Did you mean 'course/bert-mini'"),
    ("models.load name: over-long", lambda: models.load(LONG), "characters long"),
    ("models.load task: None", lambda: models.load("gpt2", task=None), "must be a string"),
    ("models.load task: empty", lambda: models.load("gpt2", task=""), "empty"),
    ("models.load task: unknown", lambda: models.load("gpt2", task="tokeniser"), "Did you mean 'tokenizer'"),
    ("models.load task: over-long", lambda: models.load("gpt2", task=LONG), "characters long"),
    ("natural_sentiment split: wrong type", lambda: data.natural_sentiment(1), "must be a string"),
    ("natural_sentiment split: empty", lambda: data.natural_sentiment(""), "empty"),
    ("natural_sentiment split: unknown", lambda: data.natural_sentiment("dev"), "choose one of"),
    ("natural_sentiment split: over-long", lambda: data.natural_sentiment(LONG), "characters long"),
    ("natural_sentiment_rows split: unknown", lambda: data.natural_sentiment_rows("tset"), "Did you mean 'test'"),
    ("google_analogies section: wrong type", lambda: data.google_analogies(3), "must be a string"),
    ("google_analogies section: empty", lambda: data.google_analogies(""), "empty"),
    ("google_analogies section: unknown", lambda: data.google_analogies("capitals"), "choose one of"),
    ("google_analogies section: over-long", lambda: data.google_analogies(LONG), "characters long"),
    ("word_similarity name: wrong type", lambda: data.word_similarity(Opaque()), "must be a string"),
    ("word_similarity name: empty", lambda: data.word_similarity(" "), "empty"),
    ("word_similarity name: unknown", lambda: data.word_similarity("simlex"), "Did you mean 'simlex999'"),
    ("word_similarity name: over-long", lambda: data.word_similarity(LONG), "characters long"),
    ("gensim_datapath name: wrong type", lambda: data.gensim_datapath(None), "must be a string"),
    ("gensim_datapath name: empty", lambda: data.gensim_datapath(""), "empty"),
    ("gensim_datapath name: unknown", lambda: data.gensim_datapath("nothing.txt"), "reinstall gensim"),
    ("gensim_datapath name: over-long", lambda: data.gensim_datapath(LONG), "characters long"),
    ("in_context_prompt task: unknown", lambda: data.in_context_prompt("capitals", [], "France"), "choose one of"),
    ("in_context_prompt task: wrong type", lambda: data.in_context_prompt(None, [], "France"), "must be a string"),
    ("in_context_prompt shots: wrong type", lambda: data.in_context_prompt("capital", "France => Paris", "Japan"),
     "(input, output) pairs"),
    ("in_context_prompt query: empty", lambda: data.in_context_prompt("capital", [], ""), "empty"),
    ("in_context_prompt query: over-long", lambda: data.in_context_prompt("capital", [], LONG), "characters long"),
    ("kiwipiepy_doc_lines min_hangul: wrong type", lambda: data.kiwipiepy_doc_lines("10"), "whole number"),
    ("kiwipiepy_doc_lines min_hangul: out of range", lambda: data.kiwipiepy_doc_lines(-1), "whole number"),
    ("runtimes.run_time notebook: None", lambda: runtimes.run_time(None), "must be a string"),
    ("runtimes.run_time notebook: empty", lambda: runtimes.run_time(""), "empty"),
    ("runtimes.run_time notebook: unknown", lambda: runtimes.run_time("99"), "no measured run time"),
    ("runtimes.run_time notebook: over-long", lambda: runtimes.run_time(LONG), "characters long"),
    ("runtimes.print_run_time notebook: a number", lambda: runtimes.print_run_time(6), "must be a string"),
    ("runtimes.builds notebook: unknown", lambda: runtimes.builds("99"), "no measured run time"),
    ("runtimes.builds notebook: None", lambda: runtimes.builds(None), "must be a string"),
    ("models.prepare names: one string", lambda: models.prepare("course/bert-mini"), "list of course-model names"),
    ("models.prepare names: None", lambda: models.prepare(None), "list of course-model names"),
    ("models.prepare name: a number", lambda: models.prepare([7]), "must be a string"),
    ("models.prepare name: empty", lambda: models.prepare([""]), "empty"),
    ("models.prepare name: unknown", lambda: models.prepare(["course/bert-mni"]), "Did you mean 'course/bert-mini'"),
    ("models.prepare name: over-long", lambda: models.prepare([LONG]), "characters long"),
]


@pytest.mark.parametrize("call,needle", [c[1:] for c in LOAD_AND_DATA], ids=[c[0] for c in LOAD_AND_DATA])
def test_models_and_data_loaders_answer_bad_input_with_a_course_error(call, needle):
    with pytest.raises(CourseError) as info:
        call()
    assert needle in str(info.value), str(info.value)


BAD_VALUES = {"None": None, "a number": 42, "an object": Opaque(), "empty text": "", "an empty list": [],
              "an over-long text": LONG}


def _payload_calls(minilm, glove):
    import torch

    from course_utils import knowledge, subword, widgets

    tok, enc = minilm
    bpe = subword.BPE.train(["low lower newest widest"] * 5, vocab_size=40)
    kg = knowledge.KnowledgeGraph(knowledge.build_triples())
    return {
        "tokens_payload text": lambda v: widgets.tokens_payload(v, {"WordPiece": tok}),
        "parameter_calculator_payload sharing": lambda v: widgets.parameter_calculator_payload(sharing=v),
        "attention_payload text": lambda v: widgets.attention_payload(v, tok, enc),
        "attention_mask_payload tokens": lambda v: widgets.attention_mask_payload(v),
        "attention_mask_payload kind": lambda v: widgets.attention_mask_payload(["a", "b"], kind=v),
        "bpe_step_payload word": lambda v: widgets.bpe_step_payload(bpe, v, 1),
        "decoding_payload tokens": lambda v: widgets.decoding_payload(torch.randn(5), v),
        "temperature_payload words": lambda v: widgets.temperature_payload([0.5, 0.5], v, [1.0]),
        "scatter_payload words": lambda v: widgets.scatter_payload(glove, v),
        "neighbours_payload word": lambda v: widgets.neighbours_payload(glove, v),
        "analogy_payload analogy": lambda v: widgets.analogy_payload(glove, v),
        "explorer_payload words": lambda v: widgets.explorer_payload(glove, v),
        "masking_payload text": lambda v: widgets.masking_payload(v, tok),
        "kg_query_payload start": lambda v: widgets.kg_query_payload(kg, v, ["capital_of"]),
        "kg_query_payload relations": lambda v: widgets.kg_query_payload(kg, "Paris", v),
    }


def test_every_widget_payload_answers_bad_input_with_a_course_error(minilm, glove):
    """The pure function behind each widget: every bad value for its main input is a CourseError."""
    from course_utils import widgets

    calls = _payload_calls(minilm, glove)
    payloads = {name for name in widgets.__all__ if name.endswith("_payload")}
    assert payloads == {call.split()[0] for call in calls}, "a new widget payload needs rows here"
    failures = []
    for name, call in calls.items():
        for label, value in BAD_VALUES.items():
            try:
                call(value)
                failures.append(f"{name} accepted {label}")
            except CourseError as exc:
                if not str(exc).strip():
                    failures.append(f"{name}: empty message for {label}")
            except Exception as exc:  # noqa: BLE001 - what the test is looking for
                failures.append(f"{name} raised {type(exc).__name__} for {label}: {exc}")
    assert not failures, "\n".join(failures)


def test_every_checker_answers_bad_input_with_a_hint_or_a_course_error(capsys):
    """An exercise checker never crashes on what a learner may pass: it prints a hint (the learner copy
    keeps running) or raises a CourseError that says what kind of answer it wants."""
    import inspect

    from course_utils import checks

    checkers = [name for name in checks.__all__ if name.startswith("exercise_")]
    assert len(checkers) >= 30
    failures = []
    for name in checkers:
        checker = getattr(checks, name)
        n_args = len(inspect.signature(checker).parameters)
        for label, value in {**BAD_VALUES, "...": ...}.items():
            capsys.readouterr()
            try:
                checker(*[value] * n_args)
                if "Hint" not in capsys.readouterr().out:
                    failures.append(f"{name} printed no hint for {label}")
            except CourseError:
                pass
            except Exception as exc:  # noqa: BLE001 - what the test is looking for
                failures.append(f"{name} raised {type(exc).__name__} for {label}: {exc}")
    assert not failures, "\n".join(failures)
