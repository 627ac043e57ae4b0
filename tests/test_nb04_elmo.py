"""ELMo in miniature (notebook 04, section 11): the biLM's plumbing and directions, the probe data drawn
from the course world, the scalar-mix probe, and the scalar-mix exercise checker."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from course_utils import checks, data, elmo
from course_utils.errors import CourseError
from course_utils.world import PEOPLE

SENTENCES = [["the", "cat", "sat"], ["a", "dog", "ran", "home", "fast"], ["hi"]]


@pytest.fixture(scope="module")
def stoi():
    return elmo.build_vocab(SENTENCES)


def test_vocab_and_encoding(stoi):
    assert stoi[elmo.LM_PAD] == 0 and len(stoi) == 4 + 9
    ids, lengths = elmo.encode_sentences(SENTENCES + [["unseen", "cat"]], stoi)
    assert lengths.tolist() == [5, 7, 3, 4]
    assert ids.shape == (4, 7)
    assert ids[0, 0] == stoi[elmo.LM_BOS] and ids[0, 4] == stoi[elmo.LM_EOS] and ids[0, 5:].eq(0).all()
    assert ids[3, 1] == stoi[elmo.LM_UNK]
    with pytest.raises(CourseError):
        elmo.encode_sentences([], stoi)


def test_reverse_padded_reverses_within_length_and_is_its_own_inverse():
    x = torch.arange(2 * 5).view(2, 5, 1).float()
    lengths = torch.tensor([3, 5])
    r = elmo.reverse_padded(x, lengths)
    assert r[0, :, 0].tolist() == [2, 1, 0, 3, 4]       # padding (positions 3, 4) stays in place
    assert r[1, :, 0].tolist() == [9, 8, 7, 6, 5]
    assert torch.equal(elmo.reverse_padded(r, lengths), x)


def _layers(model, sentences, stoi):
    ids, lengths = elmo.encode_sentences(sentences, stoi)
    with torch.no_grad():
        return model.layers(ids, lengths)


def test_forward_states_ignore_the_future_and_backward_states_the_past(stoi):
    torch.manual_seed(0)
    model = elmo.BiLM(len(stoi), width=8).eval()
    C = 8
    a = _layers(model, [["a", "dog", "ran", "home", "fast"]], stoi)
    b = _layers(model, [["a", "dog", "ran", "cat", "sat"]], stoi)   # differs after position 3 (<s> is 0)
    c = _layers(model, [["the", "cat", "ran", "home", "fast"]], stoi)  # differs before position 3
    for j in (1, 2):
        assert torch.allclose(a[j, 0, :4, :C], b[j, 0, :4, :C])          # forward: positions 0..3 unchanged
        assert not torch.allclose(a[j, 0, 4:, :C], b[j, 0, 4:, :C])
        assert torch.allclose(a[j, 0, 3:, C:], c[j, 0, 3:, C:])          # backward: positions 3.. unchanged
        assert not torch.allclose(a[j, 0, :3, C:], c[j, 0, :3, C:])
    # layer 0 is the embedding twice, the same vector for a word whatever its sentence
    assert torch.equal(a[0, 0, :, :C], a[0, 0, :, C:])
    assert torch.equal(a[0, 0, 3], c[0, 0, 3])


def test_padding_changes_no_real_position(stoi):
    torch.manual_seed(0)
    model = elmo.BiLM(len(stoi), width=8).eval()
    alone = _layers(model, [["the", "cat", "sat"]], stoi)
    padded = _layers(model, [["the", "cat", "sat"], ["a", "dog", "ran", "home", "fast"]], stoi)
    assert torch.allclose(alone[:, 0], padded[:, 0, :5], atol=1e-6)


def test_training_lowers_both_losses(stoi):
    sentences = SENTENCES * 20
    torch.manual_seed(0)
    ids, lengths = elmo.encode_sentences(SENTENCES, stoi)
    with torch.no_grad():
        before = elmo.BiLM(len(stoi), width=16).losses(ids, lengths)
    model, history = elmo.train_bilm(sentences, stoi, width=16, epochs=10, batch_size=8, seed=0, progress=False)
    with torch.no_grad():
        after = model.losses(ids, lengths)
    assert len(history) == 10 * (len(sentences) // 8)
    # each direction's first word is a 1-in-3 guess (ln 3 of 4 or 5 predictions); the rest is learnable
    assert after[0] < before[0] / 2 and after[1] < before[1] / 2


def test_subject_items_are_balanced_per_name_and_point_at_the_name():
    items = elmo.subject_items()
    assert Counter(it.label for it in items) == {0: 192, 1: 192}
    for person in PEOPLE:
        mine = [it for it in items if it.tokens[it.position] == person.name.lower()]
        assert Counter(it.label for it in mine) == {0: 12, 1: 12}
    non_subject = {t for t, _ in elmo.NOT_SUBJECT_SLOTS}
    assert all(it.template in non_subject for it in items if it.label == 0)
    # a template outside that list only ever has the name as subject; one inside it may have a second name
    # that is the subject ("{name} wanted to cook {food} for {friend}.")
    assert all(it.label == 1 for it in items if it.template not in non_subject)
    both = [it for it in items if it.template == "{name} wanted to cook {food} for {friend}."]
    assert {(it.position, it.label) for it in both} == {(0, 1), (6, 0)}
    # every probed sentence is a sentence form of the course corpus
    corpus_words = set(data.course_corpus().vocabulary())
    assert all(set(it.tokens) - {"x"} <= corpus_words for it in items)


def test_relation_items_label_the_fact_and_the_probed_word_is_ambiguous():
    items = elmo.relation_items()
    facts = {(f.relation, f.answer.lower()) for f in data.all_facts()}
    assert len(items) == 523
    for it in items:
        assert (elmo.RELATIONS[it.label], it.tokens[it.position + 1]) in facts   # the answer follows the word
    relations_of_word: dict[str, set[int]] = {}
    for it in items:
        relations_of_word.setdefault(it.tokens[it.position], set()).add(it.label)
    ambiguous = sum(len(relations_of_word[it.tokens[it.position]]) > 1 for it in items)
    assert ambiguous / len(items) > 0.6


@pytest.mark.parametrize("make", [elmo.subject_items, elmo.relation_items])
def test_template_folds_keep_templates_apart_and_every_label_in_both(make):
    items = make()
    folds = elmo.template_folds(items)
    by_template: dict[str, set[int]] = {}
    for it, f in zip(items, folds, strict=True):
        by_template.setdefault(it.template, set()).add(f)
    assert all(len(f) == 1 for f in by_template.values())
    for f in (0, 1):
        assert {it.label for it, g in zip(items, folds, strict=True) if g == f} == {it.label for it in items}


def test_scalar_mix_probe_finds_the_informative_layer():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (400,), generator=g)
    x = torch.randn(400, 3, 6, generator=g)
    x[:, 2, 0] += 3 * (2 * y - 1)                      # only layer 2 carries the label
    train_x, test_x = elmo.standardise(x[:200], x[200:])
    mix = elmo.fit_probe(train_x, y[:200], 2)
    weights = mix.weights().detach()
    assert torch.isclose(weights.sum(), torch.tensor(1.0)) and weights.argmax() == 2
    only_0 = elmo.fit_probe(train_x, y[:200], 2, layer=0)
    assert only_0.weights().tolist() == [1.0, 0.0, 0.0]
    with torch.no_grad():
        acc_mix = (mix(test_x).argmax(-1) == y[200:]).float().mean()
        acc_0 = (only_0(test_x).argmax(-1) == y[200:]).float().mean()
    assert acc_mix > 0.95 and acc_0 < 0.7


def test_item_features_pick_the_probed_position(stoi):
    torch.manual_seed(0)
    model = elmo.BiLM(len(stoi), width=8).eval()
    items = [elmo.ProbeItem(["a", "dog", "ran"], 1, 0, "t"), elmo.ProbeItem(["the", "cat", "sat"], 2, 1, "t")]
    feats = elmo.item_features(model, items, stoi)
    layers = _layers(model, [it.tokens for it in items], stoi)
    assert feats.shape == (2, 3, 16)
    assert torch.equal(feats[0], layers[:, 0, 2]) and torch.equal(feats[1], layers[:, 1, 3])


def _mix_no_softmax(layers, w, gamma):
    return gamma * (w[None, :, None] * layers).sum(1)


def _mix_naive_exp(layers, w, gamma):
    s = torch.exp(w) / torch.exp(w).sum()
    return gamma * (s[None, :, None] * layers).sum(1)


def test_exercise_elmo_mix(capsys):
    checks.exercise_elmo_mix(checks.nb04._reference_elmo_mix)
    assert "correct (5 cases" in capsys.readouterr().out
    checks.exercise_elmo_mix(_mix_no_softmax)
    assert "case 1 of 5" in capsys.readouterr().out
    checks.exercise_elmo_mix(_mix_naive_exp)                # overflows on the raw weights of 1000
    assert "case 5 of 5" in capsys.readouterr().out
    checks.exercise_elmo_mix(...)
    assert "not written yet" in capsys.readouterr().out
