"""Notebook 10: the triple builder and graph queries, TransE (distance, corruption, margin loss, training,
link prediction), entity alignment and the fusion layer, path search, the TF-IDF retriever, the exercise
checkers and the course/ernie-mini recipe's registration."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils import checks, data, models, world
from course_utils import knowledge as kn
from course_utils.errors import CourseError


@pytest.fixture(scope="module")
def kg() -> kn.KnowledgeGraph:
    return kn.KnowledgeGraph(kn.build_triples())


# ----------------------------------------------------------------------------------------------
# the triple builder and queries
# ----------------------------------------------------------------------------------------------
def test_triples_cover_the_world_tables():
    triples = kn.build_triples()
    n_countries, n_people = len(world.COUNTRIES), len(world.PEOPLE)
    expected = 5 * n_countries + 5 * n_people + 2 * len(world.ANIMALS) + len(world.OBJECT_COLOURS)
    assert len(triples) == expected == len(set(triples))
    assert kn.Triple("France", "capital", "Paris") in triples
    assert kn.Triple("Paris", "capital_of", "France") in triples
    assert kn.Triple("Anna", "lives_in", "Paris") in triples and kn.Triple("Paris", "home_of", "Anna") in triples
    assert triples == kn.build_triples()            # deterministic order


def test_one_hop_and_inverse_relations(kg):
    for c in world.COUNTRIES:
        assert kg.one_hop(c.country, "capital") == [c.capital]
        assert kg.one_hop(c.capital, "capital_of") == [c.country]
        assert kg.one_hop(c.language, "spoken_in") == [c.country]
    assert kg.one_hop("Anna", "capital") == []      # a known entity without that relation: no tails


def test_unknown_entity_or_relation_is_a_clear_error(kg):
    with pytest.raises(CourseError, match="unknown entity 'Atlantis'"):
        kg.one_hop("Atlantis", "capital")
    with pytest.raises(CourseError, match="unknown relation 'currency'.*capital"):
        kg.one_hop("France", "currency")
    with pytest.raises(CourseError, match="unknown entity"):
        kg.ids([kn.Triple("France", "capital", "Atlantis")])
    with pytest.raises(CourseError, match="at least one triple"):
        kn.KnowledgeGraph([])


def test_split_keeps_every_entity_in_training(kg):
    train, test = kn.split_triples(kg.triples, test_fraction=0.15, seed=0)
    assert sorted(train + test) == sorted(kg.triples)
    seen = {t.head for t in train} | {t.tail for t in train}
    assert all(t.head in seen and t.tail in seen for t in test)
    assert len(test) == round(0.15 * len(kg.triples))
    with pytest.raises(CourseError):
        kn.split_triples(kg.triples, test_fraction=1.5)


# ----------------------------------------------------------------------------------------------
# TransE
# ----------------------------------------------------------------------------------------------
def test_transe_distance_is_the_translation_norm():
    model = kn.TransE(4, 2, dim=3)
    with torch.no_grad():
        model.entity.weight.copy_(torch.tensor([[0., 0, 0], [1, 0, 0], [0, 1, 0], [3, 4, 0]]))
        model.relation.weight.copy_(torch.tensor([[1., 0, 0], [0, 0, 0]]))
    d = model.distance(torch.tensor([[0, 0, 1], [0, 1, 3], [1, 1, 1]]))
    assert torch.allclose(d, torch.tensor([0.0, 5.0, 0.0]))


def test_transe_loss_is_the_margin_hinge():
    torch.manual_seed(0)
    model = kn.TransE(6, 2, dim=4)
    pos = torch.tensor([[0, 0, 1], [2, 1, 3]])
    neg = torch.tensor([[0, 0, 5], [4, 1, 3]])
    expected = (1.0 + model.distance(pos) - model.distance(neg)).clamp(min=0).mean()
    assert torch.allclose(kn.transe_loss(model, pos, neg, margin=1.0), expected)
    assert kn.transe_loss(model, pos, pos, margin=0.0).item() == 0.0   # d_pos == d_neg and no margin: 0
    assert torch.allclose(kn.transe_loss(model, pos, neg, margin=0.5),
                          F.relu(0.5 + model.distance(pos) - model.distance(neg)).mean())


def test_corrupt_changes_exactly_one_end():
    triples = torch.tensor([[0, 0, 1]] * 200)
    neg = kn.corrupt(triples, 50, torch.Generator().manual_seed(0))
    assert torch.equal(neg[:, 1], triples[:, 1])
    head_changed, tail_changed = neg[:, 0] != 0, neg[:, 2] != 1
    assert not (head_changed & tail_changed).any()
    assert 50 < int(head_changed.sum()) < 150 and 50 < int(tail_changed.sum()) < 150
    assert torch.equal(neg, kn.corrupt(triples, 50, torch.Generator().manual_seed(0)))   # seeded


def test_transe_beats_the_frequency_baseline(kg):
    train, test = kn.split_triples(kg.triples, seed=0)
    model = kn.train_transe(kg, train, steps=300)
    ours = kn.ranking_metrics(kn.tail_ranks(model, kg, test, kg.triples))
    base = kn.ranking_metrics(kn.frequency_ranks(kg, train, test, kg.triples))
    assert ours["MRR"] > base["MRR"] + 0.2, (ours, base)


def test_ranking_metrics():
    m = kn.ranking_metrics([1, 2, 10, 20])
    assert m["MRR"] == pytest.approx((1 + 0.5 + 0.1 + 0.05) / 4)
    assert m["Hits@1"] == 0.25 and m["Hits@10"] == 0.75
    with pytest.raises(CourseError):
        kn.ranking_metrics([])


# ----------------------------------------------------------------------------------------------
# ERNIE in miniature
# ----------------------------------------------------------------------------------------------
def test_entity_alignment(kg):
    sentence = data.words("The capital of France is [MASK].")
    ids = kn.align_entities(sentence, kg, skip=[sentence.index("mask")])
    assert ids == [-1, -1, -1, kg.entity_id["France"], -1, -1]
    assert kn.align_entities(["paris", "PARIS", "Atlantis"], kg) == [kg.entity_id["Paris"]] * 2 + [-1]
    assert kn.align_entities(["Paris"], kg, skip=[0]) == [-1]     # the masked answer is never aligned
    assert kn.align_entities([], kg) == []


def test_fusion_layer_uses_entities_only_where_aligned():
    torch.manual_seed(0)
    layer = kn.FusionLayer(hidden=8, entity_dim=4)
    tokens = torch.randn(1, 3, 8)
    aligned = torch.tensor([[1.0, 0.0, 0.0]])
    a = layer(tokens, torch.randn(1, 3, 4), aligned)
    b = layer(tokens, torch.randn(1, 3, 4), aligned)
    assert a.shape == (1, 3, 8)
    assert torch.allclose(a[:, 1:], b[:, 1:]) and not torch.allclose(a[:, 0], b[:, 0])


def test_fused_encoder_needs_the_vocabulary_entities():
    with pytest.raises(CourseError, match="vocab_entities"):
        kn.KnowledgeEncoder(10, hidden=8, heads=2, ffn=16, entity_vectors=torch.randn(5, 4))


def test_fusion_data_holds_out_whole_facts(kg):
    corpus = data.course_corpus()
    fd = kn.fusion_data(kg, corpus.facts, data.FACT_TEMPLATES, heldout_every=3)
    assert len(fd.train) + len(fd.test) == sum(len(data.FACT_TEMPLATES[f.relation]) for f in corpus.facts)
    train_pairs = {(tuple(i for i, e in zip(ids, ents, strict=True) if e >= 0), a) for ids, ents, _, a in fd.train}
    test_pairs = {(tuple(i for i, e in zip(ids, ents, strict=True) if e >= 0), a) for ids, ents, _, a in fd.test}
    assert not train_pairs & test_pairs              # no (subject, answer) of a test fact is stated in training
    for ids, ents, pos, _ in fd.test:
        assert fd.vocab[ids[pos]] == "[MASK]" and ents[pos] == -1
    ids, ents, pos, answers = kn.fusion_batch(fd.test[:5])
    model = kn.KnowledgeEncoder(len(fd.vocab), hidden=16, heads=2, ffn=32,
                                entity_vectors=torch.randn(len(kg.entities), 4), vocab_entities=fd.vocab_entities)
    assert model(ids, ents).shape == (5, ids.shape[1], len(fd.vocab))


# ----------------------------------------------------------------------------------------------
# paths and retrieval
# ----------------------------------------------------------------------------------------------
def test_paths_and_path_scores(kg):
    paths = kn.find_paths(kg, "Anna", "French", max_hops=3)
    assert [[t.relation for t in p] for p in paths] == [["lives_in", "capital_of", "language"]]
    assert kn.find_paths(kg, "Anna", "French", max_hops=2) == []
    scores = kn.path_scores(kg, ["Anna"], ["French", "German"])
    assert scores == {"French": pytest.approx(1 / 3), "German": 0}
    with pytest.raises(CourseError, match="unknown entity"):
        kn.find_paths(kg, "Anna", "Klingon")
    with pytest.raises(CourseError, match="max_hops"):
        kn.find_paths(kg, "Anna", "French", max_hops=0)


def test_retriever_finds_the_fact_sentence():
    docs = ["Anna has a cat.", "The capital of France is Paris.", "Ben works as a teacher."]
    retriever = kn.TfidfRetriever(docs)
    assert retriever.retrieve("Which pet does Anna have?") == ["Anna has a cat."]
    assert retriever.retrieve("What is the capital of France?", k=2)[0] == "The capital of France is Paris."
    assert len(retriever.retrieve("nothing matches here", k=3)) == 3


def test_retriever_bad_input():
    retriever = kn.TfidfRetriever(["one sentence."])
    with pytest.raises(CourseError, match="empty"):
        retriever.retrieve("   ")
    with pytest.raises(CourseError, match="k must be"):
        retriever.retrieve("one", k=2)
    with pytest.raises(CourseError, match="at least one document"):
        kn.TfidfRetriever([])


# ----------------------------------------------------------------------------------------------
# exercise checkers: right, wrong, unanswered, stub
# ----------------------------------------------------------------------------------------------
def _l1_right(h, r, t, h_neg, t_neg, margin):
    return (margin + (h + r - t).abs().sum(-1) - (h_neg + r - t_neg).abs().sum(-1)).clamp(min=0).mean()


def _l1_wrong(h, r, t, h_neg, t_neg, margin):     # L2 instead of L1
    return (margin + (h + r - t).norm(dim=-1) - (h_neg + r - t_neg).norm(dim=-1)).clamp(min=0).mean()


def _two_hop_right(triples, head, first, second):
    middles = {t for h, r, t in triples if h == head and r == first}
    return sorted({t for h, r, t in triples if h in middles and r == second})


def _two_hop_wrong(triples, head, first, second):  # keeps duplicates
    middles = [t for h, r, t in triples if h == head and r == first]
    return sorted(t for h, r, t in triples if h in middles and r == second)


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("checker, right, wrong", [
    (checks.exercise_transe_l1_loss, _l1_right, _l1_wrong),
    (checks.exercise_two_hop, _two_hop_right, _two_hop_wrong),
])
def test_checkers(checker, right, wrong, capsys):
    assert checker(right) is True
    assert "correct" in capsys.readouterr().out
    assert checker(wrong) is False
    assert "Hint" in capsys.readouterr().out
    assert checker(...) is False
    assert "not written yet" in capsys.readouterr().out
    assert checker(_stub) is False
    assert "not written yet" in capsys.readouterr().out


def test_ernie_mini_is_registered():
    models.load_recipes()
    recipe = models.RECIPES["course/ernie-mini"]
    assert recipe.budget_s <= 90
    assert "course/ernie-mini" in models.REGISTRY


def test_query_explorer_payload_follows_the_chain_and_stops_where_it_breaks(kg):
    from course_utils import widgets

    p = widgets.kg_query_payload(kg, "Paris", ["capital_of", "language", widgets.STOP])
    assert p["relations"] == ["capital_of", "language"]
    assert p["hops"] == [[("Paris", "capital_of", "France")], [("France", "language", "French")]]
    assert p["answers"] == ["French"]
    broken = widgets.kg_query_payload(kg, "Paris", ["home_of", "lives_in", "language"])
    assert broken["frontiers"][-1] == [] and broken["answers"] == []
    for bad in (("Atlantis", ["capital"]), ("Paris", ["currency"]), ("Paris", [widgets.STOP]), ("Paris", "capital")):
        with pytest.raises(CourseError):
            widgets.kg_query_payload(kg, *bad)
    fig = widgets.draw_kg_query(p)
    assert "Paris -> capital_of -> language: 1 answer (French)" in fig.axes[0].get_title()
    import matplotlib.pyplot as plt

    plt.close(fig)
