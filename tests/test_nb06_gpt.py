"""Notebook 06: decoding (greedy, beam, temperature, top-k, top-p), k-shot prompts, batched prefix-cached scoring,
the decoding explorer and the exercise checkers."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_utils import checks, data, models, widgets
from course_utils import decoding as dec
from course_utils.errors import CourseError

logit_vectors = st.lists(st.floats(-20, 20, allow_nan=False), min_size=2, max_size=40).map(torch.tensor)


@given(logit_vectors, st.integers(1, 50))
def test_top_k_keeps_exactly_k(logits, k):
    probs = dec.next_token_probs(logits, top_k=k)
    assert int((probs > 0).sum()) == min(k, len(logits))
    kept = probs > 0
    assert logits[kept].min() >= logits[~kept].max() if (~kept).any() else True
    assert torch.isclose(probs.sum(), torch.tensor(1.0))


@given(logit_vectors, st.floats(0.01, 1.0))
def test_top_p_keeps_smallest_set_with_mass_at_least_p(logits, p):
    original = torch.softmax(logits.float(), dim=-1)
    kept = dec.next_token_probs(logits, top_p=p) > 0
    n = int(kept.sum())
    sorted_probs = torch.sort(original, descending=True).values
    assert original[kept].sum() >= p - 1e-5 or n == len(logits)       # mass ≥ p
    assert n == 1 or sorted_probs[: n - 1].sum() < p + 1e-6             # one fewer token would not do
    assert original[kept].min() >= original[~kept].max() - 1e-7 if (~kept).any() else True


def test_top_p_hand_example():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert (dec.next_token_probs(logits, top_p=0.8) > 0).tolist() == [True, True, False, False]
    assert (dec.next_token_probs(logits, top_p=0.81) > 0).tolist() == [True, True, True, False]
    assert (dec.next_token_probs(logits, top_p=1.0) > 0).all()


@given(logit_vectors)
def test_low_temperature_tends_to_greedy(logits):
    greedy = dec.next_token_probs(logits, temperature=0)
    assert greedy.sum() == 1 and greedy[logits.argmax()] == 1
    if torch.topk(logits, 2).values.diff().abs().item() > 0.1:        # a clear argmax
        assert dec.next_token_probs(logits, temperature=1e-3).argmax() == logits.argmax()
        assert dec.next_token_probs(logits, temperature=1e-3).max() > 0.99


@pytest.mark.parametrize("kwargs", [dict(top_p=0.0), dict(top_p=1.5), dict(top_p=-0.1), dict(top_k=0),
                                    dict(top_k=-3), dict(top_k=2.5), dict(temperature=-1.0),
                                    dict(temperature=float("nan"))])
def test_bad_parameters_raise_course_error(kwargs):
    with pytest.raises(CourseError):
        dec.next_token_probs(torch.zeros(5), **kwargs)


def test_bad_prompts_raise_course_error():
    with pytest.raises(CourseError, match="empty"):
        dec.k_shot_prompt("Task:", [], "  ")
    with pytest.raises(CourseError):
        dec.greedy_decode(None, [], 3)
    with pytest.raises(CourseError):
        dec.draw_shots([("a", "b")], 2, seed=0)


def test_k_shot_prompt_gpt3_format():
    shots = [("sea otter", "loutre de mer"), ("peppermint", "menthe poivrée")]
    assert dec.k_shot_prompt("Translate English to French:", shots, "cheese") == (
        "Translate English to French:\nsea otter => loutre de mer\npeppermint => menthe poivrée\ncheese =>")
    # the same format as the course corpus's in-context lines
    pairs = list(data.IN_CONTEXT_TASKS["capital"][1][:2])
    assert dec.k_shot_prompt(data.IN_CONTEXT_TASKS["capital"][0], pairs, "Spain") == \
        data.in_context_prompt("capital", pairs, "Spain")
    assert dec.draw_shots(pairs, 2, seed=1) == dec.draw_shots(pairs, 2, seed=1)


@pytest.fixture(scope="module")
def tiny_gpt():
    return models.load("course/gpt-tiny", task="tokenizer"), models.load("course/gpt-tiny", task="causal-lm")


def test_greedy_equals_generate(tiny_gpt):
    tok, lm = tiny_gpt
    ids = torch.tensor([[tok.bos_token_id] + tok("Give the capital of each country:\nFrance =>",
                                                 add_special_tokens=False)["input_ids"]])
    mine = dec.greedy_decode(lm, ids, max_new_tokens=12)
    ref = lm.generate(ids, do_sample=False, max_new_tokens=12, attention_mask=torch.ones_like(ids),
                      eos_token_id=None)[0, ids.shape[1]:].tolist()
    assert mine == ref
    assert dec.sample_decode(lm, ids, 12, temperature=0, seed=3) == mine


def test_beam_search_not_worse_than_greedy(tiny_gpt):
    tok, lm = tiny_gpt
    ids = torch.tensor([[tok.bos_token_id] + tok("The capital of", add_special_tokens=False)["input_ids"]])
    beams = dec.beam_search(lm, ids, max_new_tokens=4, num_beams=3)
    assert len(beams) == 3 and beams[0].logprob >= beams[-1].logprob
    greedy = dec.greedy_decode(lm, ids, 4)
    greedy_lp = dec.full_prompt_logprob(lm, tok, tok.decode(ids[0, 1:]), tok.decode(greedy), add_bos=True)
    assert beams[0].logprob >= greedy_lp - 1e-4
    assert dec.beam_search(lm, ids, 4, num_beams=1)[0].tokens == greedy


def test_score_candidates_equals_full_prompt(tiny_gpt):
    """Batched, prefix-cached, masked scoring == one plain forward pass per (prompt, candidate), normalised."""
    tok, lm = tiny_gpt
    prefix = dec.k_shot_prefix("Give the capital of each country:", [("France", "Paris"), ("Kenya", "Nairobi")])
    queries = ["Spain =>", "Italy => ,", "Peru =>"]               # different lengths: the batch is padded
    cands = [["Madrid", "Spanish"], ["Rome", "Italian"], ["Lima", "Spanish"]]
    for batch_size in (1, 2, 64):
        batched = dec.score_candidates(lm, tok, prefix, queries, cands, add_bos=True, batch_size=batch_size)
        assert batched.shape == (3, 2)
        for i, (q, cs) in enumerate(zip(queries, cands, strict=True)):
            plain = torch.tensor([dec.full_prompt_logprob(lm, tok, prefix + q, c, add_bos=True) for c in cs])
            assert torch.allclose(batched[i], torch.log_softmax(plain, -1), atol=1e-4)
    shared = dec.score_candidates(lm, tok, prefix, queries[:1], ["Madrid", "Spanish"], add_bos=True)
    assert torch.allclose(shared, dec.score_candidates(lm, tok, prefix, queries[:1], cands[:1], add_bos=True))
    no_prefix = dec.score_candidates(lm, tok, "", ["Spain =>"], ["Madrid", "Spanish"], add_bos=True)
    plain = torch.tensor([dec.full_prompt_logprob(lm, tok, "Spain =>", c, add_bos=True) for c in ("Madrid", "Spanish")])
    assert torch.allclose(no_prefix[0], torch.log_softmax(plain, -1), atol=1e-4)
    with pytest.raises(CourseError, match="first token"):
        dec.score_candidates(lm, tok, prefix, ["Spain =>"], ["Madrid", "Madrid"], add_bos=True)
    with pytest.raises(CourseError, match="one candidate list"):
        dec.score_candidates(lm, tok, prefix, ["Spain =>", "Peru =>"], [["Madrid", "x"]], add_bos=True)
    with pytest.raises(CourseError, match="at least one query"):
        dec.score_candidates(lm, tok, prefix, [], ["Madrid"], add_bos=True)


def test_draw_balanced_shots():
    pool = [(f"p{i}", "pos") for i in range(5)] + [(f"n{i}", "neg") for i in range(5)]
    for k in (0, 1, 4, 7, 10):
        shots = dec.draw_balanced_shots(pool, k, seed=k)
        counts = [sum(y == label for _, y in shots) for label in ("pos", "neg")]
        assert len(shots) == k and len(set(shots)) == k and max(counts) - min(counts) <= 1
    assert dec.draw_balanced_shots(pool, 4, seed=1) == dec.draw_balanced_shots(pool, 4, seed=1)
    with pytest.raises(CourseError, match="balanced shots"):
        dec.draw_balanced_shots(pool, 12, seed=0)
    with pytest.raises(CourseError, match="whole number"):
        dec.draw_balanced_shots(pool, -1, seed=0)


def test_chat_prompt_parts(tiny_gpt):
    tok = copy.deepcopy(tiny_gpt[0])
    tok.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</{{ m['role'] }}>{% endfor %}"
                         "{% if add_generation_prompt %}<assistant>{% endif %}")
    prefix, queries = dec.chat_prompt_parts(tok, [("owl", "OWL")], ["cat", "dog"])
    assert prefix == "<user>owl</user><assistant>OWL</assistant><user>"
    assert queries == ["cat</user><assistant>", "dog</user><assistant>"]


def test_shot_accuracy_shapes(tiny_gpt):
    tok, lm = tiny_gpt
    pairs = list(data.IN_CONTEXT_TASKS["capital"][1])
    capitals = [c for _, c in pairs]
    language_of = dict(data.IN_CONTEXT_TASKS["language"][1])
    res = dec.shot_accuracy(lm, tok, pool=pairs[:4], test=pairs[4:9],
                            candidates=lambda x: [dict(pairs)[x], language_of[x]], shots=[0, 2], draws=2)
    assert list(res) == [0, 2] and res[0].shape == (1, 5) and res[2].shape == (2, 5)
    assert set(np.unique(np.concatenate([r.ravel() for r in res.values()]))) <= {0.0, 1.0}
    with pytest.raises(CourseError, match="not among its candidates"):
        dec.shot_accuracy(lm, tok, pool=pairs[:4], test=pairs[4:6], candidates=["Paris", "Rome"], shots=[0], draws=1)
    with pytest.raises(CourseError, match="draws"):
        dec.shot_accuracy(lm, tok, pool=pairs[:4], test=pairs[4:6], candidates=capitals, shots=[0], draws=0)


def test_intervals():
    perfect = np.ones((3, 50))
    assert dec.bootstrap_interval(perfect) == (1.0, 1.0)
    mixed = np.tile(np.array([1.0, 0.0] * 50), (3, 1))
    low, high = dec.bootstrap_interval(mixed)
    assert low < 0.5 < high and high - low < 0.35
    draws_disagree = np.stack([np.ones(100), np.zeros(100), np.ones(100)])
    assert dec.bootstrap_interval(draws_disagree)[1] - dec.bootstrap_interval(draws_disagree)[0] > 0.5  # draws count
    with pytest.raises(CourseError):
        dec.bootstrap_interval(np.ones(5))
    low, high = dec.wilson_interval(86, 100)
    assert 0.77 < low < 0.79 and 0.91 < high < 0.92      # Wilson 95% for 86/100: [0.778, 0.915]
    assert dec.wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(CourseError):
        dec.wilson_interval(5, 0)


def test_prompt_tasks():
    from course_utils import prompt_tasks as pt

    assert pt.case_forms("otter") == ["otter", "Otter", "OTTER"] and pt.CASE_FORMS == ("lower", "Title", "UPPER")
    words = pt.all_words()
    assert len(words) == len(set(words)) >= 250
    pool, test = pt.labelled_split([("foo", pt.POSITIVE_WORDS), ("bar", pt.NEGATIVE_WORDS)], 20)
    assert len(pool) == 40 and len(test) == len(pt.POSITIVE_WORDS) + len(pt.NEGATIVE_WORDS) - 40
    assert not {x for x, _ in pool} & {x for x, _ in test}
    assert pt.labelled_split([("a", pt.ANIMAL_WORDS)], 5) == pt.labelled_split([("a", pt.ANIMAL_WORDS)], 5)
    with pytest.raises(CourseError):
        pt.labelled_split([("a", ["x", "y"])], 2)


def test_repetition_rate():
    assert dec.repetition_rate([1, 2, 3, 4]) == 0
    assert dec.repetition_rate([1, 2, 3, 1, 2, 3]) == pytest.approx(0.25)   # 1 of 4 trigrams repeats


def test_decoding_payload():
    tokens = ["a", "b", "c", "d", "e"]
    logits = torch.tensor([3.0, 2.0, 1.0, 0.0, -1.0])
    p = widgets.decoding_payload(logits, tokens, top_k=2, show=4, seed=0)
    assert p["tokens"] == ["a", "b", "c", "d"] and p["kept"] == 2 and p["vocab"] == 5
    assert p["adjusted"][2:] == [0.0, 0.0] and p["sample"] in ("a", "b")
    assert sum(p["original"]) < 1 and p["shown_mass"] == pytest.approx(1.0)
    assert widgets.decoding_payload(logits, tokens, temperature=0)["kept"] == 1
    with pytest.raises(CourseError):
        widgets.decoding_payload(logits, tokens, top_p=2.0)
    with pytest.raises(ValueError):
        widgets.decoding_payload(logits, tokens[:3])


def test_decoding_explorer_renders_without_kernel():
    import matplotlib.pyplot as plt

    logits = torch.linspace(2, -2, 20)
    fig = widgets.draw_decoding(widgets.decoding_payload(logits, [f"t{i}" for i in range(20)], seed=1))
    assert fig.axes[0].get_xlabel()
    plt.close(fig)
    box = widgets.decoding_explorer(logits, [f"t{i}" for i in range(20)])
    sliders, button, out = box.children
    assert len(out.outputs) == 1
    assert all(s.style.description_width == "7em" for s in sliders.children)   # "temperature" is not cut off
    sliders.children[1].value = 3                       # top-k slider
    assert len(out.outputs) == 1
    button.click()
    assert len(out.outputs) == 1


def test_exercise_checkers(capsys):
    s = checks.EXERCISE_SHOTS
    checks.exercise_k_shot_prompt(dec.k_shot_prompt(s["description"], s["shots"], s["query"]))
    checks.exercise_k_shot_prompt(dec.k_shot_prompt(s["description"], s["shots"], s["query"]) + " ")
    checks.exercise_top_k_probs(dec.next_token_probs(torch.tensor(checks.EXERCISE_LOGITS), top_k=3))
    checks.exercise_top_k_probs(torch.softmax(torch.tensor(checks.EXERCISE_LOGITS), -1))
    checks.exercise_top_k_probs(...)
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1]
    assert out[2].endswith("correct") and "not quite" in out[3] and "not answered" in out[4]


def test_course_gpt_recipes_registered():
    models.load_recipes()
    for name in ("course/gpt-tiny", "course/gpt-small", "course/gpt-medium"):
        assert name in models.RECIPES
    assert sum(models.RECIPES[n].budget_s for n in models.RECIPES if n.startswith("course/gpt-")) <= 180


def _min_p_alternative(logits, min_p):
    """A correct solution written differently: in log space, logit - max logit >= log(min_p)."""
    import math

    gap = logits - logits.max(dim=-1, keepdim=True).values             # (..., V), 0 at the top
    return torch.where(gap >= math.log(min_p), logits, torch.full_like(logits, float("-inf")))


def _min_p_wrong(logits, min_p):
    """A common mistake: an absolute threshold (probability >= min_p), not one relative to the top token."""
    probs = torch.softmax(logits, dim=-1)
    return logits.masked_fill(probs < min_p, float("-inf"))


def _not_written(*args):
    raise NotImplementedError("write this function")


def test_exercise_min_p_filter(capsys):
    from course_utils.checks import nb06

    checks.reset_hints()
    checks.exercise_min_p_filter(nb06._reference_min_p_filter)
    checks.exercise_min_p_filter(_min_p_alternative)
    checks.exercise_min_p_filter(_min_p_wrong)
    checks.exercise_min_p_filter(_min_p_wrong)
    checks.exercise_min_p_filter(...)
    checks.exercise_min_p_filter(_not_written)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("min-p filter")]
    assert lines[0].startswith("min-p filter: correct (7 cases") and lines[1].startswith("min-p filter: correct")
    assert "case 1 of 7" in lines[2] and "case 1 of 7" in lines[3]     # an absolute cut fails at once
    assert "(hint 1 of 3)" in out.split("case 1 of 7")[1] and "(hint 2 of 3)" in out.split("case 1 of 7")[2]
    assert "not written yet" in lines[4] and "(hint 1 of 3)" in lines[4]
    assert "not written yet" in lines[5] and "(hint 1 of 3)" in lines[5]
    # the reference itself: relative threshold, ties at the top kept, rows independent
    kept = nb06._reference_min_p_filter(torch.tensor([1.0, 3.0, 3.0, 0.0]), 1.0) > float("-inf")
    assert kept.tolist() == [False, True, True, False]
    batch = torch.tensor([[8.0, 1.0, 0.0], [0.1, 0.0, 0.05]])
    assert (nb06._reference_min_p_filter(batch, 0.1) > float("-inf")).sum(-1).tolist() == [1, 3]


def _penalty_alternative(logits, previous, penalty):
    """A correct solution written differently: a loop over the distinct tokens."""
    out = logits.clone()
    for token in set(previous):
        value = float(out[token])
        out[token] = value * penalty if value < 0 else value / penalty
    return out


def _penalty_every_occurrence(logits, previous, penalty):
    """A common mistake: penalising a token once per occurrence."""
    out = logits.clone()
    for token in previous:
        value = float(out[token])
        out[token] = value * penalty if value < 0 else value / penalty
    return out


def _penalty_divide_all(logits, previous, penalty):
    """Another: dividing negative logits too, which makes them *more* likely."""
    out = logits.clone()
    for token in set(previous):
        out[token] = out[token] / penalty
    return out


def test_exercise_repetition_penalty(capsys):
    from course_utils.checks import nb06

    checks.reset_hints()
    checks.exercise_repetition_penalty(nb06._reference_repetition_penalty)
    checks.exercise_repetition_penalty(_penalty_alternative)
    checks.exercise_repetition_penalty(_penalty_divide_all)
    checks.exercise_repetition_penalty(_penalty_every_occurrence)
    checks.exercise_repetition_penalty(...)
    checks.exercise_repetition_penalty(_not_written)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("repetition penalty")]
    assert lines[0].startswith("repetition penalty: correct (7 cases") and lines[1].endswith("included)")
    assert "case 1 of 7" in lines[2] and "case 2 of 7" in lines[3]
    assert "(hint 2 of 3)" in out.split("case 2 of 7")[1]
    assert "not written yet" in lines[4] and "not written yet" in lines[5]
    penalised = nb06._reference_repetition_penalty(torch.tensor([2.0, -1.0, 0.0, 3.0]), [0, 1, 1, 2], 2.0)
    assert penalised.tolist() == [1.0, -2.0, 0.0, 3.0]


def test_notebook_greedy_is_its_own_loop(tiny_gpt):
    """greedy_decode is written as its own argmax loop (notebook 06 teaches it before sampling): the same
    tokens as sample_decode at temperature 0, with and without an end-of-text token."""
    tok, lm = tiny_gpt
    ids = [tok.bos_token_id] + tok("The capital of", add_special_tokens=False)["input_ids"]
    for eos in (None, tok.eos_token_id, dec.greedy_decode(lm, ids, 3)[1]):
        assert dec.greedy_decode(lm, ids, 8, eos_token_id=eos) == \
            dec.sample_decode(lm, ids, 8, temperature=0, eos_token_id=eos)
    with pytest.raises(CourseError, match="max_new_tokens"):
        dec.greedy_decode(lm, ids, 0)
