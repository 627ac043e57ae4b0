"""Notebook 08: ELECTRA — RTD labels, generator sampling, the joint loss, a pre-training step, the
discriminator figure, downstream helpers, the recipes' registration and the exercise checkers."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_utils import checks, models
from course_utils import electra as el
from course_utils.errors import CourseError

SPECIAL = [0, 1, 2, 3, 4]   # [PAD], [UNK], [CLS], [SEP], [MASK] as train_wordpiece numbers them


# ----------------------------------------------------------------------------------------------
# RTD labels
# ----------------------------------------------------------------------------------------------
def test_sampled_token_equal_to_original_is_labelled_original():
    original = torch.tensor([[2, 10, 11, 12, 13, 3]])
    corrupted = torch.tensor([[2, 10, 11, 40, 13, 3]])   # position 2 was masked and sampled back as 11
    labels = el.rtd_labels(original, corrupted, special_ids=SPECIAL)
    assert labels.tolist() == [[-100, 0, 0, 1, 0, -100]]


def test_special_and_padding_tokens_are_excluded():
    original = torch.tensor([[2, 10, 11, 3, 0, 0], [2, 10, 11, 12, 13, 3]])
    corrupted = torch.tensor([[2, 10, 50, 3, 0, 0], [2, 60, 11, 12, 13, 3]])
    attention = (original != 0).long()
    by_ids = el.rtd_labels(original, corrupted, special_ids=SPECIAL)
    assert by_ids.tolist() == [[-100, 0, 1, -100, -100, -100], [-100, 1, 0, 0, 0, -100]]
    # the attention mask alone excludes padding (but not [CLS]/[SEP]); both together equal the ids
    by_mask = el.rtd_labels(original, corrupted, attention_mask=attention)
    assert by_mask[0, 4:].tolist() == [-100, -100] and by_mask[0, 0] == 0
    both = el.rtd_labels(original, corrupted, special_ids=SPECIAL, attention_mask=attention)
    assert torch.equal(both, by_ids)
    # padding that is not a special id is still excluded by the attention mask
    padded = el.rtd_labels([[5, 6, 7]], [[5, 9, 8]], special_ids=[0], attention_mask=[[1, 1, 0]])
    assert padded.tolist() == [[0, 1, -100]]


@given(st.integers(1, 4), st.integers(1, 12), st.integers(0, 2**16))
def test_rtd_labels_property(batch, length, seed):
    g = torch.Generator().manual_seed(seed)
    original = torch.randint(0, 12, (batch, length), generator=g)
    corrupted = torch.where(torch.rand(batch, length, generator=g) < 0.3,
                            torch.randint(0, 12, (batch, length), generator=g), original)
    labels = el.rtd_labels(original, corrupted, special_ids=SPECIAL)
    special = torch.isin(original, torch.tensor(SPECIAL))
    assert set(labels.unique().tolist()) <= {-100, 0, 1}
    assert torch.equal(labels == -100, special)
    assert torch.equal(labels == 1, (original != corrupted) & ~special)


@pytest.mark.parametrize("call", [
    lambda: el.rtd_labels([[1, 2, 3]], [[1, 2]], special_ids=SPECIAL),                 # shapes differ
    lambda: el.rtd_labels([[1.0, 2.0]], [[1.0, 2.0]], special_ids=SPECIAL),            # float ids
    lambda: el.rtd_labels([[5, 6]], [[5, 7]]),                                          # nothing excluded
    lambda: el.rtd_labels([[5, 6]], [[5, 7]], attention_mask=[[1, 1, 1]]),              # mask shape
    lambda: el.sample_replacements(torch.zeros(5)),                                     # not (M, V)
    lambda: el.sample_replacements(torch.zeros(2, 5), temperature=0),
    lambda: el.corrupt(torch.zeros(1, 3, dtype=torch.long), torch.tensor([[True, False, True]]),
                       torch.tensor([7])),                                              # 2 positions, 1 sample
    lambda: el.discriminator_loss(torch.zeros(1, 3), torch.full((1, 3), -100)),         # nothing to score
    lambda: el.electra_loss(1.0, 0.5, disc_weight=-1),
])
def test_bad_input_raises_course_error(call):
    with pytest.raises(CourseError):
        call()


# ----------------------------------------------------------------------------------------------
# sampling, corruption and the losses
# ----------------------------------------------------------------------------------------------
def test_sampling_is_seeded_and_follows_the_distribution():
    logits = torch.tensor([[0.0, 50.0, 0.0], [50.0, 0.0, 0.0]])
    assert el.sample_replacements(logits).tolist() == [1, 0]                # (almost) one-hot
    wide = torch.zeros(500, 7)
    a = el.sample_replacements(wide, generator=torch.Generator().manual_seed(3))
    b = el.sample_replacements(wide, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and len(a.unique()) == 7                        # uniform: every token drawn
    logits.requires_grad_(True)
    assert not el.sample_replacements(logits).requires_grad                  # no gradient through the draw


def test_corrupt_fills_the_masked_positions_in_order():
    ids = torch.tensor([[2, 10, 11, 12, 3], [2, 20, 21, 3, 0]])
    positions = torch.tensor([[False, True, False, True, False], [False, False, True, False, False]])
    out = el.corrupt(ids, positions, torch.tensor([7, 8, 9]))
    assert out.tolist() == [[2, 7, 11, 8, 3], [2, 20, 9, 3, 0]]
    assert ids[0, 1] == 10                                                   # the input is not modified


def test_discriminator_and_joint_loss_by_hand():
    logits = torch.tensor([[0.0, 2.0, -1.0, 5.0]])
    labels = torch.tensor([[1, 0, 0, -100]])
    by_hand = (-math.log(0.5) - math.log(1 - 1 / (1 + math.exp(-2.0))) - math.log(1 - 1 / (1 + math.exp(1.0)))) / 3
    disc = el.discriminator_loss(logits, labels)
    assert disc.item() == pytest.approx(by_hand, abs=1e-6)
    assert el.electra_loss(2.0, 0.1) == pytest.approx(7.0)                   # 2 + 50 · 0.1
    assert el.electra_loss(2.0, 0.1, disc_weight=1.0) == pytest.approx(2.1)
    assert el.electra_loss(torch.tensor(2.0), disc).item() == pytest.approx(2.0 + 50 * by_hand, abs=1e-5)


def test_lambda_defaults_to_50():
    assert el.DISC_WEIGHT == 50
    assert inspect.signature(el.electra_loss).parameters["disc_weight"].default == 50
    assert inspect.signature(el.electra_step).parameters["disc_weight"].default == 50
    assert el.ElectraSettings().disc_weight == 50


# ----------------------------------------------------------------------------------------------
# the models and one pre-training step (a tiny tokenizer and tiny models)
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    """A whole-word vocabulary of three corpus sections (sorted, so the same ids on every run: the WordPiece
    trainer is not deterministic across processes), tiny models and their batches."""
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from transformers import BertTokenizerFast

    from course_utils import data
    from course_utils.pretraining import SPECIAL_TOKENS

    sentences = data.course_corpus().sentences(["facts", "sentiment", "glove"])
    words = sorted({w for s in sentences for w, _ in BertPreTokenizer().pre_tokenize_str(s.lower())})
    vocab = {token: i for i, token in enumerate([*SPECIAL_TOKENS, *words])}
    tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=True)
    settings = el.ElectraSettings(vocab_size=len(tokenizer), hidden=64, heads=1, embedding=64, batch=32,
                                  max_len=24, lr=1e-3, warmup=10)
    batches = el.PretrainingData(tokenizer, sentences, batch_size=settings.batch, max_len=settings.max_len)
    return tokenizer, settings, batches


def _kw(tokenizer):
    return dict(mask_id=tokenizer.mask_token_id, special_ids=sorted(set(tokenizer.all_special_ids)),
                vocab_size=len(tokenizer))


def test_generator_shares_embeddings_and_mlm_matches_discriminator(tiny):
    tokenizer, settings, _ = tiny
    generator, discriminator = el.build_electra(settings, len(tokenizer))
    assert generator.electra.embeddings is discriminator.electra.embeddings
    assert generator.generator_lm_head.weight is discriminator.electra.embeddings.word_embeddings.weight
    assert generator.config.hidden_size == settings.hidden // 4
    baseline = el.build_mlm(settings, len(tokenizer))
    shapes = {k: v.shape for k, v in baseline.electra.state_dict().items()}
    assert shapes == {k: v.shape for k, v in discriminator.electra.state_dict().items()}   # same encoder


def test_pretraining_data_is_fixed_and_bucketed(tiny):
    from course_utils import data

    tokenizer, settings, batches = tiny
    ids, attention = batches.batch(0)
    assert ids.shape[0] == settings.batch and torch.equal(attention, (ids != tokenizer.pad_token_id).long())
    assert torch.equal(batches.batch(len(batches))[0], ids)                # wraps around after one pass
    sentences = data.course_corpus().sentences(["facts", "sentiment", "glove"])
    again = el.PretrainingData(tokenizer, sentences, batch_size=settings.batch, max_len=settings.max_len)
    assert again.batches == batches.batches                                 # a fixed order for a fixed seed
    padding = np.mean([(batches.batch(i)[1] == 0).float().mean().item() for i in range(len(batches))])
    assert padding < 0.1, padding                                            # similar lengths share a batch
    with pytest.raises(CourseError):
        el.PretrainingData(tokenizer, ["too few"], batch_size=4, max_len=8)


def test_electra_step_labels_and_losses(tiny):
    tokenizer, settings, batches = tiny
    generator, discriminator = el.build_electra(settings, len(tokenizer))
    i = next(i for i in range(len(batches)) if (batches.batch(i)[1] == 0).any())   # a batch with padding
    ids, attention = batches.batch(i)
    out = el.electra_step(generator, discriminator, ids, attention, rng=torch.Generator().manual_seed(0),
                          **_kw(tokenizer))
    assert out.corrupted.shape == ids.shape == out.labels.shape == out.disc_logits.shape
    changed = out.corrupted != ids
    assert torch.equal(out.labels == 1, changed)                             # replaced = different id
    assert not (changed & (attention == 0)).any()                            # padding never corrupted
    assert (out.labels[attention == 0] == -100).all() and (out.labels[:, 0] == -100).all()   # pad, [CLS]
    assert out.loss.item() == pytest.approx(out.mlm.item() + 50 * out.disc.item(), rel=1e-5)
    assert out.mlm.item() == pytest.approx(math.log(len(tokenizer)), rel=0.25)   # untrained: near uniform
    mlm = el.mlm_step(el.build_mlm(settings, len(tokenizer)), ids, attention, **_kw(tokenizer))
    assert mlm.disc is None and mlm.loss is mlm.mlm


def test_no_gradient_flows_through_the_samples(tiny):
    """ELECTRA is not a GAN: the discriminator's loss reaches the generator only through the shared
    embeddings, never through its samples; the MLM loss reaches every own parameter of the generator."""
    tokenizer, settings, batches = tiny
    generator, discriminator = el.build_electra(settings, len(tokenizer))
    out = el.electra_step(generator, discriminator, *batches.batch(0), rng=torch.Generator().manual_seed(0),
                          **_kw(tokenizer))
    shared = {id(p) for p in discriminator.parameters()}
    own = [p for p in generator.parameters() if id(p) not in shared]
    assert own
    from_disc = torch.autograd.grad(out.disc, own, allow_unused=True, retain_graph=True)
    assert all(g is None for g in from_disc)
    from_mlm = torch.autograd.grad(out.mlm, own, allow_unused=True, retain_graph=True)
    assert all(g is not None and g.abs().sum() > 0 for g in from_mlm)
    table = discriminator.electra.embeddings.word_embeddings.weight
    assert torch.autograd.grad(out.disc, table)[0].abs().sum() > 0


def test_step_flops_counts_the_generator(tiny):
    tokenizer, settings, batches = tiny
    generator, discriminator = el.build_electra(settings, len(tokenizer))
    baseline = el.build_mlm(settings, len(tokenizer))
    ids, attention = batches.batch(2)
    rng = torch.Generator().manual_seed(0)
    electra_flops = el.step_flops(lambda: el.electra_step(generator, discriminator, ids, attention, rng=rng,
                                                          **_kw(tokenizer)))
    mlm_flops = el.step_flops(lambda: el.mlm_step(baseline, ids, attention, rng=rng, **_kw(tokenizer)))
    assert 0 < mlm_flops < electra_flops < 2 * mlm_flops


def test_short_seeded_training_lowers_the_discriminator_loss(tiny):
    torch.set_num_threads(1)
    tokenizer, settings, batches = tiny
    generator, discriminator = el.build_electra(settings, len(tokenizer))

    def step(ids, attention, rng):
        return el.electra_step(generator, discriminator, ids, attention, rng=rng, **_kw(tokenizer))

    saved = []
    history = el.pretrain([generator, discriminator], step, batches, 150, lr=settings.lr, warmup=settings.warmup,
                          checkpoint_at=[75, 150], on_checkpoint=saved.append)
    disc, mlm = history.extras["disc"], history.extras["mlm"]
    assert saved == [75, 150] and len(disc) == 150
    assert np.mean(disc[-20:]) < 0.75 * np.mean(disc[:5]), (disc[:5], disc[-20:])
    assert np.mean(mlm[-20:]) < np.mean(mlm[:5]) - 0.7, (mlm[:5], mlm[-20:])
    # the discriminator ranks replaced tokens above original ones better than chance (AUC > 0.6)
    from sklearn.metrics import roc_auc_score

    ids, attention = batches.batch(len(batches) - 1)
    with torch.no_grad():
        out = step(ids, attention, torch.Generator().manual_seed(1))
    keep = out.labels != -100
    auc = roc_auc_score(out.labels[keep].numpy(), out.disc_logits[keep].numpy())
    assert auc > 0.6, auc


def test_pretrain_rejects_checkpoints_outside_the_run(tiny):
    tokenizer, settings, batches = tiny
    baseline = el.build_mlm(settings, len(tokenizer))
    with pytest.raises(CourseError):
        el.pretrain([baseline], lambda *a: None, batches, 10, lr=1e-3, warmup=2, checkpoint_at=[20])


# ----------------------------------------------------------------------------------------------
# evaluation helpers and the figure
# ----------------------------------------------------------------------------------------------
def test_rtd_metrics_by_hand():
    probs = torch.tensor([[0.9, 0.2, 0.7, 0.1, 0.5]])
    labels = torch.tensor([[1, 0, 0, 1, -100]])
    m = el.rtd_metrics(probs, labels)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["accuracy"] == 0.5
    assert m["replaced_share"] == 0.5 and m["tokens"] == 4


def test_rtd_payload_and_figure(tiny):
    import matplotlib.pyplot as plt

    tokenizer, settings, _ = tiny
    _, discriminator = el.build_electra(settings, len(tokenizer))
    original = tokenizer("The movie was not fun.")["input_ids"]
    corrupted = list(original)
    corrupted[2] = tokenizer.convert_tokens_to_ids("room")
    payload = el.rtd_payload(discriminator, tokenizer, original, corrupted)
    n = len(original) - 2                                                    # [CLS] and [SEP] dropped
    assert len(payload["tokens"]) == len(payload["p_replaced"]) == len(payload["labels"]) == n
    assert payload["labels"].count(1) == 1
    assert payload["tokens"][1] == "room" and payload["originals"][1] == "movie"
    assert all(0 <= p <= 1 for p in payload["p_replaced"])
    fig = el.draw_rtd(payload, title="test")
    assert fig.axes[0].get_title(loc="left") == "test"
    plt.close(fig)
    with pytest.raises(CourseError):
        el.draw_rtd({"tokens": [], "originals": [], "p_replaced": [], "labels": []})


def test_linear_probe_and_finetune_helpers(tiny):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] > 0).astype(int)
    assert el.linear_probe(x[:150], y[:150], x[150:], y[150:]) >= 0.95
    with pytest.raises(CourseError):
        el.linear_probe(x, y[:10], x, y)
    tokenizer, settings, _ = tiny
    encoder = el.build_mlm(settings, len(tokenizer)).electra
    texts = ["The movie was good.", "The movie was not good.", "The book was bad."]
    feats = el.mean_pooled(encoder, tokenizer, texts)
    assert feats.shape == (3, settings.hidden)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    acc = el.finetune_classifier(encoder, tokenizer, list(zip(texts, [1, 0, 0], strict=True)),
                                 [(texts[0], 1)], steps=3, batch_size=2)
    assert 0 <= acc <= 1
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())   # the copy was trained


# ----------------------------------------------------------------------------------------------
# the recipes are registered (without building them here) and the Hub name points to them
# ----------------------------------------------------------------------------------------------
def test_recipes_registered_with_their_tasks():
    models.load_recipes()
    tasks = set(models.REGISTRY["course/electra-mini"].tasks)
    assert {"tokenizer", "pretraining", "encoder", "masked-lm"} <= tasks
    assert {"tokenizer", "encoder", "masked-lm"} <= set(models.REGISTRY["course/electra-mini-mlm"].tasks)
    assert sum(models.RECIPES[n].budget_s for n in ("course/electra-mini", "course/electra-mini-mlm")) <= 180
    with pytest.raises(CourseError, match="course/electra-mini"):
        models.load("google/electra-small-discriminator", task="pretraining")


def test_matched_steps_follow_the_flops_ratio():
    from course_utils.recipes import electra_mini

    assert electra_mini.mlm_steps({"electra": 1.1, "mlm": 1.0}) == round(1.1 * electra_mini.ELECTRA_STEPS)
    assert electra_mini.checkpoints(500) == [125, 250, 500]


# ----------------------------------------------------------------------------------------------
# exercise checkers
# ----------------------------------------------------------------------------------------------
def test_exercise_checkers(capsys):
    e = checks.EXERCISE_RTD
    checks.exercise_rtd_labels([-100, 0, 1, 0, 0, 1, 0, -100, -100, -100])
    checks.exercise_rtd_labels([-100, 0, 1, 1, 0, 1, 0, -100, -100, -100])   # the sampled-back token as replaced
    checks.exercise_rtd_labels(...)
    logits = torch.tensor(checks.EXERCISE_JOINT_LOSS["disc_logits"])
    labels = torch.tensor(checks.EXERCISE_JOINT_LOSS["labels"])
    keep = labels != -100
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits[keep], labels[keep].float())
    checks.exercise_joint_loss(3.2 + 50 * bce.item())
    checks.exercise_joint_loss(3.2 + bce.item())
    checks.exercise_joint_loss(None)
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1] and "not answered" in out[2]
    assert out[3].endswith("correct") and "not quite" in out[4] and "not answered" in out[5]
    assert e["original"][3] == e["corrupted"][3] and 3 in e["masked_positions"]


def _replaced_labels_alternative(input_ids, chosen, samples, attention_mask, special_ids):
    # a correct solution written differently: position by position, in row-major order
    labels = [[0] * input_ids.shape[1] for _ in range(input_ids.shape[0])]
    next_sample = iter(samples.tolist())
    for b in range(input_ids.shape[0]):
        for t in range(input_ids.shape[1]):
            if chosen[b, t]:
                labels[b][t] = int(next(next_sample) != int(input_ids[b, t]))
            if attention_mask[b, t] == 0 or int(input_ids[b, t]) in special_ids:
                labels[b][t] = -100
    return torch.tensor(labels)


def test_exercise_replaced_labels(capsys):
    from course_utils.checks.nb08 import _reference_replaced_labels, _replaced_label_cases

    first = _replaced_label_cases()[0]
    expected = _reference_replaced_labels(*first)
    assert expected.tolist() == [[-100, 0, 1, 0, 0, 1, 0, -100, -100, -100],
                                 [-100, 1, 0, 0, 0, 0, 0, 0, 0, -100]]
    checks.exercise_replaced_labels(_replaced_labels_alternative)
    assert "correct (5 cases" in capsys.readouterr().out

    def every_masked_is_replaced(input_ids, chosen, samples, attention_mask, special_ids):   # the edge case
        labels = chosen.long()
        labels[(attention_mask == 0) | torch.isin(input_ids, torch.tensor(special_ids))] = -100
        return labels

    checks.exercise_replaced_labels(every_masked_is_replaced)
    out = capsys.readouterr().out
    assert "case 1 of 5" in out and "Hint:" in out and "torch." not in out.split("Hint:")[1]

    def stub(input_ids, chosen, samples, attention_mask, special_ids):
        raise NotImplementedError("write replaced_labels")

    for unfilled in (..., stub):
        checks.reset_hints("replaced_labels")
        checks.exercise_replaced_labels(unfilled)
        out = capsys.readouterr().out
        assert "not written yet" in out and "only a masked position can be replaced" in out
