"""Notebook 09: soft targets, the distillation losses, students built from a teacher, the training loops,
the measurement helpers, the temperature widget and the exercise checkers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course_utils import checks, models, widgets
from course_utils import distill as D
from course_utils.errors import CourseError


def tiny_teacher(layers: int = 4, hidden: int = 24, seed: int = 0) -> D.SentenceClassifier:
    """A small random BERT classifier (12 heads like MiniLM) standing in for a teacher in fast tests."""
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=50, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=12,
                        intermediate_size=2 * hidden, max_position_embeddings=32, attn_implementation="eager")
    torch.manual_seed(seed)
    return D.SentenceClassifier(BertModel(config, add_pooling_layer=False), num_labels=2).eval()


def toy_batch(seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 50, (3, 7), generator=generator)
    mask = torch.ones(3, 7, dtype=torch.long)
    mask[1, 5:] = 0                                    # one padded sentence
    return {"input_ids": ids * mask, "attention_mask": mask}


# ----------------------------------------------------------------------------------------------
# soft targets
# ----------------------------------------------------------------------------------------------
def test_softmax_with_temperature_by_hand():
    z = [2.0, 1.0, 0.0]
    expected = np.exp(np.array(z) / 2) / np.exp(np.array(z) / 2).sum()
    assert D.softmax_with_temperature(torch.tensor(z), 2.0).numpy() == pytest.approx(expected, abs=1e-6)
    assert D.softmax_with_temperature(torch.tensor(z), 1.0).numpy() == pytest.approx(
        torch.softmax(torch.tensor(z), -1).numpy(), abs=1e-7)


def test_kl_at_temperature_equals_the_hand_computed_value():
    student, teacher, T = [1.0, 0.0, -1.0], [3.0, 0.0, 0.5], 2.0

    def softmax(z):
        e = [math.exp(x / T) for x in z]
        return [x / sum(e) for x in e]

    p_t, p_s = softmax(teacher), softmax(student)
    kl = sum(a * math.log(a / b) for a, b in zip(p_t, p_s, strict=True))
    loss = D.soft_target_loss(torch.tensor([student]), torch.tensor([teacher]), T)
    assert loss.item() == pytest.approx(kl * T ** 2, rel=1e-5)
    # two rows: the mean over the batch ("batchmean")
    both = D.soft_target_loss(torch.tensor([student, teacher]), torch.tensor([teacher, teacher]), T)
    assert both.item() == pytest.approx(kl * T ** 2 / 2, rel=1e-5)


@given(st.floats(0.5, 8.0))
def test_loss_is_kl_times_t_squared(T):
    s, t = torch.tensor([[0.3, -1.2, 2.0]]), torch.tensor([[1.0, 0.5, -0.5]])
    kl = F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction="batchmean")
    assert D.soft_target_loss(s, t, T).item() == pytest.approx(kl.item() * T ** 2, rel=1e-5)


def test_t_squared_keeps_the_gradient_size_at_high_temperature():
    """Hinton et al. §2.1: for large T the gradient of KL × T² tends to (z_s − z_t) / N (zero-mean logits)."""
    z_t = torch.tensor([[1.0, -0.5, -0.5]])
    z_s = torch.tensor([[-0.4, 0.6, -0.2]], requires_grad=True)
    D.soft_target_loss(z_s, z_t, 50.0).backward()
    assert z_s.grad[0].numpy() == pytest.approx(((z_s - z_t)[0] / 3).detach().numpy(), abs=2e-3)


@pytest.mark.parametrize("T", [0, -1.0, float("nan"), float("inf"), "2", True, None])
def test_bad_temperature_raises_course_error(T):
    with pytest.raises(CourseError, match="temperature"):
        D.softmax_with_temperature(torch.zeros(3), T)
    with pytest.raises(CourseError):
        D.soft_target_loss(torch.zeros(1, 3), torch.zeros(1, 3), T)


def test_bad_weights_and_shapes_raise_course_error():
    with pytest.raises(CourseError):
        D.LossWeights(temperature=0)
    with pytest.raises(CourseError):
        D.LossWeights(ce=-1)
    with pytest.raises(CourseError):
        D.LossWeights(ce=0, task=0, cos=0)
    with pytest.raises(CourseError):
        D.LossWeights().without("mlm")
    with pytest.raises(CourseError, match="same shape"):
        D.soft_target_loss(torch.zeros(2, 3), torch.zeros(2, 2))


# ----------------------------------------------------------------------------------------------
# intermediate losses
# ----------------------------------------------------------------------------------------------
def test_hidden_cosine_loss():
    h = torch.randn(2, 4, 6)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    assert D.hidden_cosine_loss(h, h, mask).item() == pytest.approx(0.0, abs=1e-6)
    assert D.hidden_cosine_loss(h, -h, mask).item() == pytest.approx(2.0, abs=1e-6)
    changed = h.clone()
    changed[1, 2:] = torch.randn(2, 6)                 # only padded positions change
    assert D.hidden_cosine_loss(changed, h, mask).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(CourseError, match="projection"):
        D.hidden_cosine_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 8))


def test_projection_mse_shapes_and_mask():
    projection = D.HiddenProjection(8, 16)
    student, teacher = torch.randn(2, 5, 8), torch.randn(2, 5, 16)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    loss = D.hidden_mse_loss(student, teacher, projection, mask)
    assert loss.shape == () and loss.item() > 0
    expected = ((projection(student) - teacher) ** 2)[mask.bool()].mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert projection(student).shape == (2, 5, 16)
    with pytest.raises(CourseError, match="W_h"):
        D.hidden_mse_loss(student, torch.randn(2, 5, 12), projection, mask)
    with pytest.raises(RuntimeError):                  # a student of the wrong width does not fit W_h at all
        D.hidden_mse_loss(torch.randn(2, 5, 6), teacher, projection, mask)


def test_attention_mse():
    a = torch.softmax(torch.randn(2, 12, 5, 5), -1)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    assert D.attention_mse_loss(a, a, mask).item() == 0.0
    b = a.clone()
    b[1, :, 3:, :] = 0.0                               # padded query rows of sentence 2: ignored
    assert D.attention_mse_loss(b, a, mask).item() == 0.0
    assert D.attention_mse_loss(torch.zeros_like(a), a, mask).item() > 0
    full = torch.ones(2, 5, dtype=torch.long)
    assert D.attention_mse_loss(b, a).item() == D.attention_mse_loss(b, a, full).item() > 0   # no mask: all tokens
    with pytest.raises(CourseError, match="heads"):
        D.attention_mse_loss(a[:, :6], a, mask)


def test_distillation_loss_terms_and_unlabelled_rows():
    s = torch.tensor([[1.0, -0.5], [0.2, 0.4]])
    t = torch.tensor([[2.5, -1.0], [-0.5, 1.5]])
    labels = torch.tensor([0, -100])
    w = D.LossWeights(ce=5, task=2, cos=0, temperature=2)
    terms = D.distillation_loss(s, t, labels, w)
    assert terms["task"].item() == pytest.approx(F.cross_entropy(s[:1], labels[:1]).item())
    assert terms["ce"].item() == pytest.approx(D.soft_target_loss(s, t, 2).item())
    assert terms["loss"].item() == pytest.approx(5 * terms["ce"].item() + 2 * terms["task"].item())
    no_ce = D.distillation_loss(s, t, labels, w.without("ce"))
    assert no_ce["ce"].item() == 0 and no_ce["loss"].item() == pytest.approx(2 * terms["task"].item())
    with pytest.raises(CourseError, match="hidden"):
        D.distillation_loss(s, t, labels, D.LossWeights())


def test_gradients_reach_only_the_student():
    teacher, student = tiny_teacher(seed=0), tiny_teacher(layers=2, seed=1)
    batch = toy_batch()
    t_out = teacher(**batch, output_hidden_states=True, output_attentions=True)   # no torch.no_grad on purpose
    s_out = student(**batch, output_hidden_states=True, output_attentions=True)
    projection = D.HiddenProjection(24, 24)
    terms = D.distillation_loss(s_out.logits, t_out.logits, torch.tensor([0, 1, -100]), D.LossWeights(),
                                student_hidden=s_out.hidden_states[-1], teacher_hidden=t_out.hidden_states[-1],
                                attention_mask=batch["attention_mask"])
    loss = terms["loss"] + D.hidden_mse_loss(s_out.hidden_states[1], t_out.hidden_states[2], projection,
                                             batch["attention_mask"]) \
        + D.attention_mse_loss(s_out.attentions[1], t_out.attentions[3], batch["attention_mask"])
    loss.backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(p.grad is not None for p in student.parameters() if p.requires_grad)
    assert projection.linear.weight.grad is not None
    assert sum(p.grad.abs().sum() for p in student.parameters()) > 0
    D.freeze(teacher)
    assert not any(p.requires_grad for p in teacher.parameters()) and not teacher.training


# ----------------------------------------------------------------------------------------------
# students
# ----------------------------------------------------------------------------------------------
def test_half_depth_student_copies_every_other_teacher_layer(minilm):
    _, encoder = minilm
    teacher = D.SentenceClassifier(encoder, num_labels=2)
    student = D.half_depth_student(teacher)
    assert student.config.num_hidden_layers == 3 and teacher.config.num_hidden_layers == 6
    t_state, s_state = teacher.state_dict(), student.state_dict()
    for i, j in enumerate([0, 2, 4]):
        for name, value in s_state.items():
            if name.startswith(f"bert.encoder.layer.{i}."):
                assert torch.equal(value, t_state[name.replace(f"layer.{i}.", f"layer.{j}.")]), name
    for name, value in s_state.items():
        if not name.startswith("bert.encoder.layer."):
            assert torch.equal(value, t_state[name]), name     # embeddings, pooler, classifier
    assert D.count_params(teacher) - D.count_params(student) == 3 * D.count_params(encoder.encoder.layer[0])


def test_half_depth_student_custom_layers_and_errors():
    teacher = tiny_teacher(layers=4)
    student = D.half_depth_student(teacher, keep=[1, 3])
    assert torch.equal(student.bert.encoder.layer[1].output.dense.weight, teacher.bert.encoder.layer[3].output.dense.weight)
    for keep in ([], [0, 0], [5]):
        with pytest.raises(CourseError):
            D.half_depth_student(teacher, keep=keep)


def test_narrow_student_and_svd_embeddings():
    teacher = tiny_teacher(hidden=48)
    student = D.narrow_student(teacher.config, hidden_size=24, num_layers=2)
    assert student.config.hidden_size == 24 and student.config.num_attention_heads == 12
    assert student.config.intermediate_size == 96 and student.config.vocab_size == 50
    with pytest.raises(CourseError, match="divisible"):
        D.narrow_student(teacher.config, hidden_size=20, num_layers=2)
    basis = D.init_embeddings_by_svd(student, teacher)
    assert basis.shape == (48, 24)
    assert torch.allclose(basis.T @ basis, torch.eye(24), atol=1e-5)
    table = teacher.bert.embeddings.word_embeddings.weight
    reconstructed = student.bert.embeddings.word_embeddings.weight @ basis.T
    error = ((reconstructed - table) ** 2).sum().item()
    singular = torch.linalg.svdvals(table)
    assert error == pytest.approx((singular[24:] ** 2).sum().item(), rel=1e-3)   # Eckart–Young optimum
    q, _ = torch.linalg.qr(torch.randn(48, 24, generator=torch.Generator().manual_seed(0)))
    assert error < (((table @ q) @ q.T - table) ** 2).sum().item()              # beats a random basis


def test_sentence_classifier_mean_pools_real_tokens_and_round_trips(tmp_path):
    model = tiny_teacher()
    batch = toy_batch()
    out = model(**batch)
    padded = dict(batch)
    padded["input_ids"] = batch["input_ids"].clone()
    padded["input_ids"][1, 5:] = 7                       # padding content does not matter
    assert torch.allclose(model(**padded).logits, out.logits, atol=1e-5)
    model.save_pretrained(tmp_path)
    again = D.SentenceClassifier.from_pretrained(tmp_path)
    assert torch.allclose(again(**batch).logits, out.logits, atol=1e-6)
    # float32 weights plus the safetensors headers (a few kB)
    assert 0 <= D.file_size_mib(model) * 2 ** 20 - 4 * D.count_params(model) < 16 * 1024


# ----------------------------------------------------------------------------------------------
# data, training loops and measurements
# ----------------------------------------------------------------------------------------------
def test_encode_and_batches(minilm):
    tok, _ = minilm
    data = D.encode(tok, ["a good film.", "not a good film at all, sadly."], [1, 0])
    batch = data.batch([0, 1])
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    assert batch["attention_mask"].sum(1).tolist() == [len(i) for i in data.ids]
    assert batch["input_ids"][0, 0].item() == tok.cls_token_id
    unlabelled = D.encode(tok, ["fine."])
    assert (data + unlabelled).labels.tolist() == [1, 0, -100]
    with pytest.raises(CourseError):
        D.encode(tok, ["one"], [1, 0])
    with pytest.raises(CourseError):
        D.fine_tune(tiny_teacher(), data + unlabelled, steps=1)


def test_batches_group_similar_lengths_and_cover_each_sentence_once_per_epoch():
    lengths = [int(x) for x in torch.randint(3, 30, (100,), generator=torch.Generator().manual_seed(0))]
    batches = D._shuffled_batches(lengths, 16, seed=0)
    epoch = [next(batches) for _ in range(6)]            # 100 // 16 = 6 full batches; the remainder of 4 is skipped
    seen = [i for b in epoch for i in b]
    assert len(seen) == len(set(seen)) == 96
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in epoch])
    assert spread < 0.5 * (max(lengths) - min(lengths))
    again = D._shuffled_batches(lengths, 16, seed=0)
    assert [next(again) for _ in range(6)] == epoch       # seeded


def toy_task(n: int = 64) -> D.EncodedSet:
    generator = torch.Generator().manual_seed(0)
    ids = [[1] + torch.randint(2, 50, (int(k),), generator=generator).tolist() + [1]
           for k in torch.randint(3, 9, (n,), generator=generator)]
    return D.EncodedSet([""] * n, ids, torch.tensor([i % 2 for i in range(n)]))


def test_distil_and_layer_distillation_learn_from_cached_targets():
    torch.set_num_threads(1)
    teacher, data = tiny_teacher(), toy_task()
    D.fine_tune(teacher, data, steps=40, lr=3e-3, batch_size=16)   # a confident teacher (it memorises the toy set)
    targets = D.teacher_targets(teacher, data, hidden_layers=[0, 2, 4], attention_layers=[2, 4], progress=False)
    assert targets.logits.shape == (64, 2) and targets.hidden[2][0].shape == (len(data.ids[0]), 24)
    assert targets.attentions[4][0].shape == (12, len(data.ids[0]), len(data.ids[0]))
    student = D.narrow_student(teacher.config, hidden_size=12, num_layers=2, seed=1)
    before = D.soft_target_loss(D.predict(student, data), targets.logits, 2.0).item()
    history = D.distil(student, data, targets, weights=D.LossWeights(ce=1, task=1, cos=0), steps=60, lr=3e-3,
                       batch_size=16)
    after = D.soft_target_loss(D.predict(student, data), targets.logits, 2.0).item()
    assert after < 0.5 * before, (before, after)
    assert set(history.extras) == {"ce", "task", "cos"}
    half = D.half_depth_student(teacher)
    cos = D.distil(half, data, targets, weights=D.LossWeights(), steps=2, batch_size=16)
    assert cos.extras["cos"][0] > 0
    narrow = D.narrow_student(teacher.config, hidden_size=12, num_layers=2)
    projection = D.HiddenProjection(12, 24)
    layer_map = {0: 0, 1: 2, 2: 4}
    before = D.layer_distances(narrow, projection, data, targets, layer_map=layer_map)
    layers = D.distil_intermediate(narrow, projection, data, targets, layer_map=layer_map, steps=40,
                                   lr=3e-3, batch_size=16)
    assert np.mean(layers.losses[-5:]) < 0.7 * np.mean(layers.losses[:5])
    after = D.layer_distances(narrow, projection, data, targets, layer_map=layer_map)
    assert after["hidden"] < before["hidden"] and after["attention"] < before["attention"], (before, after)
    with pytest.raises(CourseError, match="lack"):
        D.distil_intermediate(narrow, projection, data, targets, layer_map={1: 3}, steps=1)
    with pytest.raises(CourseError, match="hidden"):
        D.distil(student, data, D.TeacherTargets(targets.logits), weights=D.LossWeights(), steps=1)


def test_accuracy_and_speed_helpers():
    model, data = tiny_teacher(), toy_task(40)
    acc = D.accuracy(model, data)
    predicted = D.predict(model, data).argmax(-1)
    assert acc == pytest.approx((predicted == data.labels).float().mean().item())
    assert D.latency_ms(model, data, sentences=5) > 0
    assert D.throughput(model, data, batch_size=8, batches=2, repeats=1) > 0
    with pytest.raises(CourseError):
        D.accuracy(model, D.EncodedSet([""], [[1, 2]], torch.tensor([-100])))


# ----------------------------------------------------------------------------------------------
# widget, checkers, recipes
# ----------------------------------------------------------------------------------------------
def test_temperature_payload():
    ex = widgets.GO_EXAMPLE
    payload = widgets.temperature_payload(ex["probs"], ex["words"], [1.0, 2.0, 5.0, 0.5])
    assert payload["rows"][0]["probs"] == pytest.approx(ex["probs"], abs=1e-6)
    entropies = [r["entropy_bits"] for r in payload["rows"]]
    assert entropies[3] < entropies[0] < entropies[1] < entropies[2] < payload["max_entropy_bits"]
    ratios = [r["second_to_last"] for r in payload["rows"]]
    assert ratios[0] == pytest.approx(0.15 / 0.02, rel=1e-5) and ratios[2] < ratios[1] < ratios[0]
    with pytest.raises(CourseError):
        widgets.temperature_payload([0.5, 0.6], ["a", "b"], [1.0])
    with pytest.raises(CourseError):
        widgets.temperature_payload(ex["probs"], ex["words"], [0.0])
    with pytest.raises(CourseError):
        widgets.temperature_payload(ex["probs"], ex["words"][:3], [1.0])


def test_temperature_explorer_renders_without_kernel():
    import matplotlib.pyplot as plt

    ex = widgets.GO_EXAMPLE
    fig = widgets.draw_temperature(widgets.temperature_payload(ex["probs"], ex["words"], [1, 2, 5]))
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel() and fig.axes[0].get_title()
    plt.close(fig)
    box = widgets.temperature_explorer()
    slider, out = box.children
    assert len(out.outputs) == 1
    slider.value = 5.0
    assert len(out.outputs) == 1


def test_exercise_checkers(capsys):
    e = checks.EXERCISE_TEMPERATURE
    checks.exercise_softmax_temperature(torch.softmax(torch.tensor(e["logits"]) / e["T"], -1))
    checks.exercise_softmax_temperature(torch.softmax(torch.tensor(e["logits"]), -1))
    checks.exercise_softmax_temperature(...)
    d = checks.EXERCISE_DISTILLATION
    s, t = torch.tensor(d["student_logits"]), torch.tensor(d["teacher_logits"])
    T = d["T"]
    kl = F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction="batchmean") * T ** 2
    ce = F.cross_entropy(s[:1], torch.tensor(d["labels"][:1]))
    checks.exercise_distillation_loss(d["alpha_ce"] * kl + d["alpha_task"] * ce)
    checks.exercise_distillation_loss(d["alpha_ce"] * kl / T ** 2 + d["alpha_task"] * ce)   # forgot T²
    checks.exercise_distillation_loss("a string")
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1] and "not answered" in out[2]
    assert out[3].endswith("correct") and "not quite" in out[4] and "not quite" in out[5]


def test_distillation_recipes_registered_within_budget():
    models.load_recipes()
    names = ("course/distil-teacher", "course/distil-student", "course/tiny-student")
    for name in names:
        assert name in models.RECIPES
        assert "sequence-classification" in models.REGISTRY[name].tasks
        assert models.RECIPES[name].data_files == ("sentiment_natural.tsv",)   # a corrected label rebuilds them
    assert sum(models.RECIPES[n].budget_s for n in names) <= 150


def test_scratch_baseline_has_the_tiny_students_shape_and_no_teacher():
    from course_utils.recipes import distil as recipe

    scratch, history = recipe.train_scratch_student(steps=2, desc="test")
    assert len(history.losses) == 2 and all(math.isfinite(x) for x in history.losses)
    cfg = scratch.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads) == (recipe.TINY_HIDDEN, recipe.TINY_LAYERS, 12)
    assert D.count_params(scratch) == 7_294_274    # the tiny student's count (nbval checks it in notebook 09)


def test_augmented_set_begins_with_the_transfer_set():
    from course_utils.recipes import distil as recipe

    sets = recipe.task_sets()
    n = len(sets.transfer)
    assert sets.augmented.ids[:n] == sets.transfer.ids and bool((sets.augmented.labels[n:] == -100).all())
    from course_utils import data

    assert len(sets.augmented) - n == recipe.N_AUGMENTED * len(data.natural_sentiment("train"))


def _toy_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=2)
    words = ["good", "great", "fine", "bad", "awful", "film", "movie", "rare"]
    vecs = np.array([[1, 0.1], [1, 0.2], [1, 0.15], [-1, 0.1], [-1, 0.2], [0.1, 1], [0.15, 1], [0.5, 0.5]], dtype=np.float32)
    kv.add_vectors(words, vecs)
    return kv


def test_augment_replaces_words_by_their_neighbours():
    kv = _toy_vectors()
    texts = ["A good film!", "Bad, bad movie."]
    assert D.augment(texts, kv, copies=2, p=0.0) == [texts[0]] * 2 + [texts[1]] * 2   # p = 0: unchanged copies
    out = D.augment(texts, kv, copies=3, p=1.0, k=1, seed=0)
    # p = 1, k = 1: every word with a vector becomes its nearest neighbour; "A" (no vector) and punctuation stay
    assert out[:3] == ["A fine movie!"] * 3 and out[3:] == ["Awful, awful film."] * 3
    assert D.augment(texts, kv, copies=4, seed=3) == D.augment(texts, kv, copies=4, seed=3)   # seeded
    varied = D.augment(["good good good good good good"], kv, copies=20, p=0.4, k=2, seed=0)
    changed = sum(w != "good" for s in varied for w in s.split()) / 120
    assert 0.25 < changed < 0.55                                                  # about p of the words
    assert {w for s in varied for w in s.split()} <= {"good", "great", "fine"}
    # words ranked beyond restrict_vocab are never replaced
    assert D.augment(["rare film"], kv, copies=1, p=1.0, k=1, restrict_vocab=7) == ["rare movie"]


@pytest.mark.parametrize("kwargs", [dict(copies=0), dict(copies=1.5), dict(copies=2, p=1.5), dict(copies=2, k=0)])
def test_augment_bad_input_raises_course_error(kwargs):
    with pytest.raises(CourseError):
        D.augment(["a good film"], _toy_vectors(), **kwargs)
    with pytest.raises(CourseError, match="at least one sentence"):
        D.augment([], _toy_vectors(), copies=1)


def test_token_soft_target_loss_checker(capsys):
    from course_utils.checks import nb09

    def by_selection(student, teacher, mask, T):          # a correct alternative: the real tokens as (N, C) rows
        real = mask.bool()
        return D.soft_target_loss(student[real], teacher[real], T)

    def padding_counts(student, teacher, mask, T):        # wrong: every position, padding included
        return D.soft_target_loss(student.flatten(0, 1), teacher.flatten(0, 1), T)

    def stub(student, teacher, mask, T):
        raise NotImplementedError

    checks.reset_hints("token-level soft-target loss")
    checks.exercise_token_soft_target_loss(nb09._reference_token_soft_target_loss)
    checks.exercise_token_soft_target_loss(by_selection)
    checks.exercise_token_soft_target_loss(padding_counts)
    checks.exercise_token_soft_target_loss(...)
    checks.exercise_token_soft_target_loss(stub)
    out = capsys.readouterr().out.splitlines()
    assert "correct (6 cases" in out[0] and "correct (6 cases" in out[1]
    assert "case 1 of 6" in out[2] and "(hint 1 of 3)" in out[3]
    assert "not written yet" in out[4] and "(hint 1 of 3)" in out[4]
    assert "not written yet" in out[5] and "(hint 1 of 3)" in out[5]
    cases = nb09._token_soft_target_cases()
    assert nb09._reference_token_soft_target_loss(*cases[2]).item() == pytest.approx(0.0, abs=1e-12)   # equal logits
    assert not any(ch in " ".join(out) for ch in ("log_softmax(", "kl_div(", ".sum("))                  # no code in hints


def test_sentence_cosine_loss_checker(capsys):
    from course_utils.checks import nb09

    def loop(student, teacher, mask):                     # a correct alternative: one sentence at a time
        losses = []
        for s, t, m in zip(student, teacher, mask.bool(), strict=True):
            losses.append((1 - F.cosine_similarity(s[m], t[m], dim=-1)).mean())
        return torch.stack(losses).mean()

    def stub(student, teacher, mask):
        raise NotImplementedError

    checks.reset_hints("per-sentence cosine loss")
    checks.exercise_sentence_cosine_loss(nb09._reference_sentence_cosine_loss)
    checks.exercise_sentence_cosine_loss(loop)
    checks.exercise_sentence_cosine_loss(D.hidden_cosine_loss)   # wrong: the token mean of the batch
    checks.exercise_sentence_cosine_loss(...)
    checks.exercise_sentence_cosine_loss(stub)
    out = capsys.readouterr().out.splitlines()
    assert "correct (6 cases" in out[0] and "correct (6 cases" in out[1]
    assert "case 1 of 6" in out[2] and "(hint 1 of 3)" in out[3]
    assert "not written yet" in out[4] and "not written yet" in out[5]
    cases = nb09._sentence_cosine_cases()
    assert nb09._reference_sentence_cosine_loss(*cases[2]).item() == pytest.approx(2.0)    # opposite directions
    assert nb09._reference_sentence_cosine_loss(*cases[3]).item() == pytest.approx(0.0, abs=1e-12)   # scale ignored


def test_temperature_payload_uses_the_given_softmax():
    go = widgets.GO_EXAMPLE
    calls = []

    def mine(logits, T):
        calls.append(T)
        return D.softmax_with_temperature(logits, T)

    assert widgets.temperature_payload(go["probs"], go["words"], [1, 2], softmax=mine) == \
        widgets.temperature_payload(go["probs"], go["words"], [1, 2])
    assert calls == [1.0, 2.0]
