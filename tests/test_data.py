"""The course corpus: deterministic, independently seeded sections, honest held-out splits."""

from collections import Counter

import pytest

from course_utils import data, world

# Changing a section on purpose? Bump its version in course_utils/data.py and update its hash here.
PINNED = {
    "facts": "93800e1579397ac1f779166e74582d2f4b7c2a4936a1c6cc8d8e1f210cfde0bf",
    "analogies": "a242c52a1e28dd8ea2cbcabfd2a9c428b9031ae7b181d912e474dbb721bd72fd",
    "stories": "6779d2295beb5a30005dc4f15e7e197158ab0be2c98e2d9bcc080cbfc2a2bf3c",
    "in_context": "225bd288d9310fcf17477538a494228566fcb576843c210b82dcd096b0c39744",
    "glove": "065f59ffc10193be464fbda2429236fc6367f91a97898419d55fdfe9870a6dec",
    "sentiment": "3809011c6ba3ae66955980c6ce3c99b2907e5a7e45cd5522aeedfd3fad251fc9",
    "korean": "3af60531ad0dcf9896bc1bec42823e686407da9f4a12a4cabc81c22b3546aee1",
}


@pytest.fixture(scope="module")
def corpus():
    return data.course_corpus()


def test_each_section_hash_is_pinned(corpus):
    assert corpus.hashes() == PINNED


def test_rebuilding_gives_the_same_corpus(corpus):
    data.course_corpus.cache_clear()
    again = data.course_corpus()
    assert again is not corpus
    assert again.hashes() == corpus.hashes()
    assert again.sentiment_test == corpus.sentiment_test


def test_changing_one_section_leaves_the_others_unchanged(monkeypatch, corpus):
    monkeypatch.setattr(data, "GLOVE_TEMPLATES", data.GLOVE_TEMPLATES + ("Ice floats on water.",))
    data.course_corpus.cache_clear()
    try:
        changed = data.course_corpus().hashes()
    finally:
        data.course_corpus.cache_clear()
    assert changed["glove"] != PINNED["glove"]
    assert {k: v for k, v in changed.items() if k != "glove"} == {k: v for k, v in PINNED.items() if k != "glove"}


def test_heldout_fact_forms_are_never_used_for_that_fact_in_training(corpus):
    training = set(corpus.sections["facts"].sentences)
    seen_facts = {item.fact for item in corpus.fill_mask_seen}
    assert len(corpus.fill_mask_heldout) == len(corpus.facts)
    for item in corpus.fill_mask_heldout:
        assert item.sentence not in training
        assert item.fact in seen_facts  # the fact itself is stated in training
        assert item.masked("<mask>").count("<mask>") == 1
        assert item.masked("<mask>").replace("<mask>", item.answer) == item.sentence
    # every sentence form is still seen in training (for other facts)
    for item in corpus.fill_mask_heldout:
        prefix_shape = item.prefix.replace(item.fact.subject, "{s}")
        assert any(s.fact.relation == item.fact.relation and s.prefix.replace(s.fact.subject, "{s}") == prefix_shape
                   for s in corpus.fill_mask_seen)


def test_analogies_cover_four_categories_and_their_words_occur(corpus):
    categories = Counter(q.category for q in corpus.analogies)
    n = {"gender": len(world.GENDER_PAIRS), "capital": len(world.COUNTRIES),
         "plural": len(world.PLURAL_PAIRS), "past": len(world.PAST_PAIRS)}
    assert categories == {k: v * (v - 1) for k, v in n.items()}
    vocab = corpus.vocabulary()
    for q in corpus.analogies:
        assert all(vocab[w] >= 20 for w in (q.a, q.b, q.c, q.d)), q


def test_stories_are_ordered_and_split(corpus):
    assert len(corpus.stories_train) == 1200 and len(corpus.stories_test) == 300
    for title, sentences in corpus.stories_train[:50]:
        assert sentences[0].split()[0] in {p.name for p in world.PEOPLE} | {"One"}
        assert len(sentences) == len(data.STORY_SCRIPTS[title])
    train_text = set(corpus.sections["stories"].sentences)
    assert all(" ".join(s) in train_text for _, s in corpus.stories_train)


def test_sentiment_labels_need_context_not_keywords(corpus):
    items = corpus.sentiment_train + corpus.sentiment_test
    assert abs(sum(x.label for x in items) / len(items) - 0.5) < 0.01
    # a keyword rule (more positive than negative words -> positive) is far from solving the task
    def keyword_rule(text):
        ws = data.words(text)
        return int(sum(w in world.POSITIVE_WORDS for w in ws) > sum(w in world.NEGATIVE_WORDS for w in ws))
    acc = sum(keyword_rule(x.text) == x.label for x in items) / len(items)
    assert acc < 0.7, acc
    assert any(" not " in x.text for x in items) and any(", but " in x.text for x in items)
    assert not set(x.text for x in corpus.sentiment_test) & set(corpus.sections["sentiment"].sentences) - {
        x.text for x in corpus.sentiment_train}


def test_in_context_prompt_format():
    prompt = data.in_context_prompt("capital", [("France", "Paris"), ("Japan", "Tokyo")], "Korea")
    assert prompt == "Give the capital of each country:\nFrance => Paris\nJapan => Tokyo\nKorea =>"
    with pytest.raises(ValueError, match="unknown in-context task"):
        data.in_context_prompt("weather", [], "x")


def test_korean_section_and_particles(corpus):
    assert data.has_final_consonant("서울") and not data.has_final_consonant("파리")
    assert data.josa("서울", "은", "는") == "서울은" and data.josa("파리", "은", "는") == "파리는"
    korean = corpus.sections["korean"].sentences
    assert data.COFFEE_SENTENCE in korean
    assert "서울은 한국의 수도입니다." in korean
    assert data.words(data.COFFEE_SENTENCE) == ["하루", "커피", "최소", "3잔은", "마셔야", "살", "수", "있어"]


def test_unknown_section_is_a_clear_error(corpus):
    with pytest.raises(ValueError, match="unknown corpus section"):
        corpus.sentences(["poems"])
    assert "korean" not in {s for s in corpus.tokenized() for s in s if s == "서울은"}


def test_lee_corpus():
    docs = data.lee_corpus()
    n_words = sum(map(len, docs))
    assert len(docs) == 300 and n_words == 60_533
    assert len({w for d in docs for w in d}) == 7_413


def test_pang_lee_polarity_is_read_as_latin1():
    items = data.pang_lee_polarity()
    assert len(items) == 200 and {x.label for x in items} == {0, 1}
    assert any("\u2014" in x.text or "\x97" in x.text for x in items)


def test_google_analogies_and_similarity_sets():
    assert len(data.google_analogies()) == 19_544
    capitals = data.google_analogies("capital-common-countries")
    assert capitals[0] == data.Analogy("athens", "greece", "baghdad", "iraq", "capital-common-countries")
    assert len(data.word_similarity("wordsim353")) == 353
    assert len(data.word_similarity("simlex999")) == 999
    with pytest.raises(ValueError, match="unknown similarity set"):
        data.word_similarity("men")
