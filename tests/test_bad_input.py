"""Every public entry point answers bad input — a wrong type, an empty value, an unknown name, an over-long
text — with a CourseError that names the fix, never a bare TypeError/KeyError from deep inside."""

from __future__ import annotations

import pytest

from course_utils import CourseError, data, models

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
]


@pytest.mark.parametrize("call,needle", [c[1:] for c in LOAD_AND_DATA], ids=[c[0] for c in LOAD_AND_DATA])
def test_models_and_data_loaders_answer_bad_input_with_a_course_error(call, needle):
    with pytest.raises(CourseError) as info:
        call()
    assert needle in str(info.value), str(info.value)
