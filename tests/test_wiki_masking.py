"""The masking-ablation runs of notebook 05 (``course/bert-wiki-ablations``): the masking variants, static vs
dynamic masks, a run's determinism, the downstream measures and the NSP shortcut on real text."""

from __future__ import annotations

import random

import pytest
import torch

from course_utils import albert, bert
from course_utils.errors import CourseError
from course_utils.pretraining import KEPT, MASKED, RANDOM, nsp_pairs
from course_utils.recipes import wiki_masking as wm

SPECIALS = [0, 1, 2, 3, 4]   # [PAD] [UNK] [CLS] [SEP] [MASK]


@pytest.fixture(scope="module")
def tokenizer():
    from course_utils.pretraining import train_wordpiece

    sentences = [s for p in wm.paragraphs("heldout") for s in p][:400]
    return train_wordpiece(sentences, vocab_size=300)


@pytest.mark.parametrize("variant", ["80/10/10", "100/0/0", "80/0/20"])
def test_variant_shares_on_a_large_sample(variant):
    ids = torch.randint(5, 500, (2000, 64), generator=torch.Generator().manual_seed(0))   # 128,000 tokens
    ids[:, 0], ids[:, -1] = 2, 3
    masked = wm.variant_masking(ids, variant, mask_id=4, vocab_size=500, special_ids=SPECIALS,
                                generator=torch.Generator().manual_seed(1))
    shares = bert.masking_shares(masked.kinds, bert.maskable(ids, SPECIALS))
    mask, same, rnd = wm.variant_shares(variant)
    expected = {"chosen": 0.15, "[MASK]": 0.15 * mask, "random": 0.15 * rnd, "kept": 0.15 * same}
    assert all(abs(shares[k] - v) < 0.002 for k, v in expected.items()), (shares, expected)
    if same == 0:
        assert not (masked.kinds == KEPT).any()
    if rnd == 0:
        assert not (masked.kinds == RANDOM).any()
    chosen = masked.labels != -100
    assert (masked.input_ids[masked.kinds == MASKED] == 4).all() and (masked.labels[chosen] == ids[chosen]).all()
    assert not chosen[:, 0].any() and not chosen[:, -1].any()                               # specials never chosen


def test_variant_shares_parse_and_refuse():
    assert wm.variant_shares("80/10/10") == (0.8, 0.1, 0.1)
    assert wm.variant_shares("80/0/20") == (0.8, 0.0, 0.2)
    for bad in ("80/10", "80/10/20", "a/b/c", "80/-10/30"):
        with pytest.raises(CourseError):
            wm.variant_shares(bad)


def test_static_masks_repeat_and_dynamic_masks_change():
    ids = torch.randint(5, 300, (64, 20), generator=torch.Generator().manual_seed(0))
    kw = dict(mask_id=4, vocab_size=300, special_ids=SPECIALS)
    static = wm.variant_masking(ids, "80/10/10", generator=torch.Generator().manual_seed(0), **kw)
    rows = torch.tensor([3, 7, 11])
    gen = torch.Generator().manual_seed(5)
    first = wm.masked_rows(ids, rows, static, "80/10/10", generator=gen, **kw)
    second = wm.masked_rows(ids, rows, static, "80/10/10", generator=gen, **kw)
    assert torch.equal(first.input_ids, second.input_ids) and torch.equal(first.input_ids, static.input_ids[rows])
    dyn1 = wm.masked_rows(ids, rows, None, "80/10/10", generator=gen, **kw)
    dyn2 = wm.masked_rows(ids, rows, None, "80/10/10", generator=gen, **kw)
    assert not torch.equal(dyn1.labels, dyn2.labels)


def _tiny_settings():
    return {**wm.SETTINGS, "hidden": 16, "ffn": 32, "layers": 1, "batch": 16, "epochs": 2, "warmup": 2, "max_len": 16}


def test_a_run_is_deterministic_and_the_seed_matters(tokenizer):
    settings = _tiny_settings()
    pairs = nsp_pairs(wm.paragraphs("heldout"), random.Random(0))[:64]
    data = wm.encode_pairs(tokenizer, pairs, settings["max_len"])
    assert data["input_ids"].shape == (64, 16)
    runs = [wm.pretrain_run(tokenizer, data, "80/10/10", dynamic, True, seed, settings)
            for dynamic, seed in ((True, 0), (True, 0), (True, 1), (False, 0))]
    (m0, l0), (m1, l1), (_, l2), (_, l3) = runs
    assert len(l0) == 2 * (64 // 16) and l0 == l1
    assert all(torch.equal(a, b) for a, b in zip(m0.state_dict().values(), m1.state_dict().values(), strict=True))
    assert l0 != l2 and l0 != l3                               # another seed, or static masks: another run


def test_article_task_is_held_out_and_split_fairly():
    task = wm.article_task()
    assert len(task.titles) >= 5 and len(task.test_texts) >= 100
    assert not set(task.train_texts) & set(task.test_texts)
    from course_utils.data import wiki_split

    heldout = {s for a in wiki_split("heldout") for s in a.sentences}
    trained_on = {s for a, b, _ in wm.pretraining_pairs() for s in (a, b)}
    assert set(task.test_texts) <= heldout and not set(task.test_texts) & trained_on
    counts = torch.bincount(task.test_labels)
    assert len(counts) == len(task.titles) and counts.min() >= 20


def test_pooling_and_probe():
    hidden = torch.arange(24, dtype=torch.float).reshape(2, 3, 4)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert torch.equal(wm.pooled(hidden, mask, "cls"), hidden[:, 0])
    assert torch.allclose(wm.pooled(hidden, mask, "mean")[0], hidden[0, :2].mean(0))    # padding left out
    x = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] > 0).long()
    x[:, 0] += 2 * (2 * y - 1)                                                          # a clear margin
    assert wm.probe_accuracy(x[:100], y[:100], x[100:], y[100:]) >= 0.95
    noise = torch.randint(0, 2, (200,), generator=torch.Generator().manual_seed(1))      # labels unrelated to x
    assert wm.probe_accuracy(x[:100], noise[:100], x[100:], noise[100:]) <= 0.7


def test_measures_on_a_tiny_model(tokenizer):
    from transformers import BertForPreTraining

    settings = _tiny_settings()
    torch.manual_seed(0)
    model = BertForPreTraining(wm.config(len(tokenizer), settings)).eval()
    enc = dict(tokenizer([s for p in wm.paragraphs("heldout") for s in p][:50], truncation=True, max_length=16,
                         padding=True, return_tensors="pt"))
    guesses, answers = wm.masked_lm_guesses(model, enc, tokenizer)
    _, answers_again = wm.masked_lm_guesses(BertForPreTraining(wm.config(len(tokenizer), settings)).eval(), enc, tokenizer)
    assert guesses.shape == answers.shape and torch.equal(answers, answers_again) and len(answers) >= 50
    assert 0 <= wm.unmasked_token_accuracy(model, enc, tokenizer.all_special_ids) <= 1
    labels = torch.arange(50) % 3
    a = wm.fine_tune_accuracy(model.bert, enc, labels, enc, labels, epochs=1, batch=16, seed=0)
    assert a == wm.fine_tune_accuracy(model.bert, enc, labels, enc, labels, epochs=1, batch=16, seed=0)
    pairs = nsp_pairs(wm.paragraphs("heldout"), random.Random(1))[:40]
    encoded = wm.encode_pairs(tokenizer, pairs, 16)
    accuracy = wm.nsp_accuracy(model, encoded)
    predicted_next = (model(**{k: v for k, v in encoded.items() if k != "labels"}).seq_relationship_logits.argmax(-1) == 0)
    assert accuracy == pytest.approx(float((predicted_next == (encoded["labels"] == 0)).float().mean()))


def test_seed_interval():
    mean, low, high = wm.seed_interval([0.4, 0.5, 0.6])
    assert mean == pytest.approx(0.5) and high - mean == pytest.approx(4.303 * 0.1 / 3 ** 0.5)
    assert low == pytest.approx(2 * mean - high)
    with pytest.raises(CourseError):
        wm.seed_interval([0.5, 0.6])


def test_nsp_has_a_word_overlap_shortcut_on_real_text():
    """The shortcut the notebook compares NSP with: no network, and well above chance on held-out pairs."""
    table = albert.baseline_accuracies({"wiki": wm.pretraining_pairs()},
                                       {"wiki": nsp_pairs(wm.paragraphs("heldout"), random.Random(1))})
    right, total = table["word overlap (Jaccard + threshold)"]["wiki"]
    assert total >= 1000 and right / total >= 0.6, table


def test_merge_runs_joins_two_recipes_runs_and_refuses_mismatches(tokenizer):
    from course_utils.pretraining import train_wordpiece

    def runs(names, seeds=(0, 1, 2), tok=tokenizer):
        spec = {name: ("80/10/10", True, name != "MLM only") for name in names}
        return wm.AblationRuns(tok, {(n, s): f"model {n} {s}" for n in names for s in seeds},
                               {(n, s): [1.0] for n in names for s in seeds}, spec, seeds)

    merged = wm.merge_runs(runs(["80/10/10", "static"]), runs(["MLM only"]))
    assert list(merged.runs) == ["80/10/10", "static", "MLM only"] and merged.seeds == (0, 1, 2)
    assert merged.models["MLM only", 2] == "model MLM only 2" and len(merged.histories) == 9
    assert merged.runs["MLM only"][2] is False                      # no NSP loss
    with pytest.raises(CourseError, match="both sets hold"):
        wm.merge_runs(runs(["80/10/10"]), runs(["80/10/10"]))
    with pytest.raises(CourseError, match="vocabulary and seeds"):
        wm.merge_runs(runs(["80/10/10"]), runs(["MLM only"], seeds=(0, 1)))
    other = train_wordpiece(["a different text entirely"] * 20, vocab_size=50)
    with pytest.raises(CourseError, match="vocabulary and seeds"):
        wm.merge_runs(runs(["80/10/10"]), runs(["MLM only"], tok=other))


def test_the_mlm_only_recipe_is_the_baseline_without_nsp():
    assert wm.MLM_ONLY_RUNS["MLM only"][:2] == wm.RUNS["80/10/10"][:2]   # same masking, same dynamic masks
    assert wm.RUNS["80/10/10"][2] is True and wm.MLM_ONLY_RUNS["MLM only"][2] is False
