"""The Wikipedia pre-training recipes of notebooks 07 and 08 (course_utils.recipes.wiki_pretraining)."""

from __future__ import annotations

import math
import random

import pytest
import torch

from course_utils import models
from course_utils.data import WikiArticle
from course_utils.errors import CourseError
from course_utils.recipes import wiki_pretraining as wp

ARTICLES = [
    WikiArticle("Apples", [["Apples grow on trees.", "They are red or green.", "People eat them."],
                           ["Orchards hold many trees.", "Farmers pick the fruit."]]),
    WikiArticle("Rivers", [["A river flows to the sea.", "It carries water and mud.", "Fish live in it."]]),
    WikiArticle("Stars", [["Stars shine at night.", "The sun is a star."], ["Some stars explode."]]),
]


def article_of(sentence):
    return next(i for i, art in enumerate(ARTICLES) if sentence in art.sentences)


@pytest.mark.parametrize("seed", range(5))
def test_nsp_and_sop_pairs_come_from_consecutive_sentences(seed):
    nsp = wp.wiki_pairs(ARTICLES, "NSP", random.Random(seed))
    sop = wp.wiki_pairs(ARTICLES, "SOP", random.Random(seed))
    pairs = [(a, b) for art in ARTICLES for p in art.paragraphs for a, b in zip(p, p[1:], strict=False)]
    assert len(nsp) == len(sop) == len(pairs) == 6     # every two consecutive sentences of a paragraph, once
    for (a, b), (na, nb, nlabel), (sa, sb, slabel) in zip(pairs, nsp, sop, strict=True):
        assert na == a                                    # the k-th pair starts from the k-th consecutive pair
        if nlabel == 0:
            assert nb == b
        else:
            assert article_of(nb) != article_of(a)       # NSP negative: another article (topic shortcut)
        assert (sa, sb) == ((a, b) if slabel == 0 else (b, a))   # SOP negative: the same two, swapped


def test_pairs_are_balanced_on_the_real_articles():
    from course_utils.data import wiki_split

    nsp = wp.wiki_pairs(wiki_split("train"), "NSP", random.Random(0))
    share = sum(label for *_, label in nsp) / len(nsp)
    assert 0.47 < share < 0.53 and len(nsp) > 9000


def test_pairs_reject_bad_input():
    with pytest.raises(CourseError):
        wp.wiki_pairs(ARTICLES, "MLM", random.Random(0))
    with pytest.raises(CourseError):
        wp.wiki_pairs(ARTICLES[:1], "NSP", random.Random(0))


def test_topic_task_splits_by_paragraph():
    train, test, titles = wp.topic_task()
    assert len(titles) >= 5 and len(test) >= 100
    assert not {s for s, _ in train} & {s for s, _ in test}
    assert {y for _, y in train} == {y for _, y in test} == set(range(len(titles)))
    counts = torch.bincount(torch.tensor([y for _, y in test]))
    assert int(counts.max()) <= 40


@pytest.fixture(scope="module")
def tiny_tokenizer():
    from course_utils.pretraining import train_wordpiece

    return train_wordpiece(wp.sentences("train")[:300], 300)


@pytest.fixture
def few_articles(monkeypatch):
    """wiki_split cut to a few articles per split, so that the recipes' data steps run in a moment."""
    from course_utils import data

    full = data.wiki_split
    monkeypatch.setattr(data, "wiki_split", lambda split="train": full(split)[:4])


TINY = dict(wp.SETTINGS, hidden=16, ffn=32, embedding=8, max_len=16, batch=8, steps=3, warmup=1)


def test_pair_pretraining_is_deterministic_per_seed(tiny_tokenizer, few_articles):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runs = {(variant, seed): wp.pretrain_pairs(variant, seed, tiny_tokenizer, settings=TINY)
                for variant, seed in (("bert-nsp", 0), ("bert-nsp", 1), ("albert-sop", 0))}
        again, _ = wp.pretrain_pairs("bert-nsp", 0, tiny_tokenizer, settings=TINY)
    finally:
        torch.set_num_threads(threads)
    model, history = runs["bert-nsp", 0]
    assert len(history.losses) == 3 and "nsp" in history.extras and "sop" in runs["albert-sop", 0][1].extras
    for (name, p), q in zip(model.named_parameters(), again.parameters(), strict=True):
        assert torch.equal(p, q), name
    other = runs["bert-nsp", 1][0]
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), other.parameters(), strict=True))
    # ALBERT's reductions: fewer parameters than the same BERT, all layers sharing one group
    albert = runs["albert-sop", 0][0]
    assert albert.config.num_hidden_groups == 1 and albert.config.embedding_size == TINY["embedding"]
    assert sum(p.numel() for p in albert.parameters()) < sum(p.numel() for p in model.parameters())


def test_pair_examples_hold_the_task_labels(tiny_tokenizer, few_articles):
    examples = wp.pair_examples(tiny_tokenizer, "SOP", 0, TINY)
    assert {x.nsp_label for x in examples} == {0, 1}
    assert all(len(x.input_ids) <= TINY["max_len"] and x.input_ids.count(tiny_tokenizer.sep_token_id) == 2
               for x in examples[:200])
    with pytest.raises(CourseError):
        wp.pretrain_pairs("gpt-nsp", 0, tiny_tokenizer, settings=TINY)


def test_masked_heldout_and_mlm_scores(tiny_tokenizer, few_articles):
    from transformers import BertForPreTraining

    ids, attention, labels = wp.masked_heldout(tiny_tokenizer, max_len=16)
    chosen = labels != -100
    share = chosen.sum() / (attention.sum() - 2 * attention.shape[0])     # of the non-special tokens
    assert 0.12 < float(share) < 0.18
    assert not bool((chosen & (attention == 0)).any())                   # never a padding position
    assert bool((ids[chosen] == tiny_tokenizer.mask_token_id).all())     # all [MASK]: no 80/10/10 here
    torch.manual_seed(0)
    model = BertForPreTraining(wp.bert_config(len(tiny_tokenizer), TINY))
    correct, total, loss = wp.mlm_scores(model, (ids, attention, labels), batch=16)
    assert total == int(chosen.sum()) and 0 <= correct <= total
    assert abs(loss - math.log(len(tiny_tokenizer))) < 1.0     # an untrained model: about uniform


def test_mlm_steps_match_the_flops():
    assert wp.mlm_steps({"electra": 1.1, "mlm": 1.0}) == round(1.1 * wp.ELECTRA_STEPS)
    assert wp.mlm_steps({"electra": 2.0, "mlm": 2.0}, electra_steps=10) == 10


def test_flops_per_step_counts_the_generator():
    from course_utils.electra import PretrainingData
    from course_utils.pretraining import train_wordpiece

    sentences = wp.sentences("heldout")[:200]
    tok = train_wordpiece(sentences, 300)
    flops = wp.flops_per_step(tok, PretrainingData(tok, sentences, batch_size=32, max_len=48, seed=0))
    assert flops["electra"] > flops["mlm"] > 0
    assert 1.0 < flops["electra"] / flops["mlm"] < 1.5       # a quarter-width generator and an all-token head


def test_recipes_registered_and_seeds_checked():
    models.load_recipes()
    for name in ("course/wiki-wordpiece", "course/wiki-bert-nsp", "course/wiki-bert-sop", "course/wiki-albert-sop",
                 "course/wiki-electra", "course/wiki-electra-mlm"):
        assert name in models.RECIPES and "tokenizer" in models.RECIPES[name].loaders
    names = [n for n in models.RECIPES if n.startswith("course/wiki-")]
    assert len(names) == 7 and all(models.RECIPES[n].budget_s <= 90 for n in names)
    assert sum(models.RECIPES[n].budget_s for n in names) <= 300    # issue 17: new builds add about 3 minutes
    with pytest.raises(CourseError):
        wp.load_seed("course/wiki-bert-nsp", 7)
    with pytest.raises(CourseError):
        wp.load_seed("course/wiki-bert-nsp", 0, task="encoder")


def test_electra_and_mlm_runs_spend_matched_steps(tiny_tokenizer, few_articles):
    flops = {"electra": 1.5, "mlm": 1.0}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        parts, history, steps = wp.pretrain_electra("electra", 0, tiny_tokenizer, flops, electra_steps=2)
        control, control_history, control_steps = wp.pretrain_electra("mlm", 0, tiny_tokenizer, flops, electra_steps=2)
        again, _, _ = wp.pretrain_electra("mlm", 0, tiny_tokenizer, flops, electra_steps=2)
    finally:
        torch.set_num_threads(threads)
    assert (steps, control_steps) == (2, 3) and len(control_history.losses) == 3    # 2 × 1.5 FLOPs ratio
    assert set(parts) == {"generator", "discriminator"} and "disc" in history.extras
    assert parts["discriminator"].config.hidden_size == control["mlm"].config.hidden_size == wp.SETTINGS["hidden"]
    for p, q in zip(control["mlm"].parameters(), again["mlm"].parameters(), strict=True):
        assert torch.equal(p, q)                                                    # deterministic per seed
    with pytest.raises(CourseError):
        wp.pretrain_electra("gan", 0, tiny_tokenizer, flops)
