"""Notebook 05: BERT's input representation, parameter counts, masking statistics (ours and the collator's),
static vs dynamic masking, the masking explorer, contextual vectors, transfer, fill-mask generation and the
exercise checkers."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import BertConfig, BertForMaskedLM

from course_utils import bert, checks, data, models, pretraining, widgets
from course_utils.errors import CourseError


@pytest.fixture(scope="module")
def minilm():
    torch.set_num_threads(1)
    return models.load(models.MINILM, task="tokenizer"), models.load(models.MINILM, task="encoder")


@pytest.fixture(scope="module")
def tiny_mlm(minilm):
    """A randomly initialised, very small BertForMaskedLM over the bert-base-uncased vocabulary."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(minilm[0]), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    return BertForMaskedLM(config).eval()


# ----------------------------------------------------------------------------------------------
# input representation and size
# ----------------------------------------------------------------------------------------------
def test_input_breakdown_reproduces_the_embedding_module(minilm):
    tok, enc = minilm
    parts = bert.input_breakdown(enc, tok, "The cat sat on the mat.", "It was warm.")
    assert parts.tokens[0] == "[CLS]" and parts.tokens.count("[SEP]") == 2
    first_sep = parts.tokens.index("[SEP]")
    assert parts.token_type_ids[: first_sep + 1].eq(0).all() and parts.token_type_ids[first_sep + 1:].eq(1).all()
    assert parts.position_ids.tolist() == list(range(len(parts.tokens)))
    T = len(parts.tokens)
    for name in ("token", "segment", "position", "summed", "normalised", "module_output"):
        assert getattr(parts, name).shape == (T, 384)
    assert torch.allclose(parts.summed, parts.token + parts.segment + parts.position)
    assert torch.allclose(parts.normalised, parts.module_output, atol=1e-5)
    # the segment part is one of two rows
    assert torch.equal(parts.segment[0], parts.segment[first_sep]) and not torch.equal(parts.segment[0], parts.segment[-1])


def test_input_breakdown_bad_input(minilm):
    tok, enc = minilm
    with pytest.raises(CourseError, match="empty"):
        bert.input_breakdown(enc, tok, "   ")
    with pytest.raises(CourseError, match="BERT-style"):
        bert.input_breakdown(torch.nn.Linear(2, 2), tok, "hello")


def test_parameter_counts_formula_equals_built_model(minilm):
    base = BertConfig()
    formula = bert.bert_parameter_formula(base)
    assert formula["total"] == bert.count_bert_parameters(base) == 109_482_240
    assert formula["embeddings"] == 23_837_184 and formula["one layer"] == 7_087_872 and formula["pooler"] == 590_592
    assert bert.bert_parameter_formula(base, pooler=False)["total"] == bert.count_bert_parameters(base, pooler=False) \
        == 108_891_648
    large = BertConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
    assert bert.bert_parameter_formula(large)["total"] == bert.count_bert_parameters(large) == 335_141_888
    _, enc = minilm
    assert bert.bert_parameter_formula(enc.config)["total"] == sum(p.numel() for p in enc.parameters())
    with pytest.raises(CourseError, match="multiple"):
        bert.bert_parameter_formula(BertConfig(hidden_size=100, num_attention_heads=12))


# ----------------------------------------------------------------------------------------------
# masking statistics
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_ids(minilm):
    tok, _ = minilm
    sentences = data.course_corpus().sentences(english_only=True)[::3][:8000]
    return tok(sentences, padding=True, truncation=True, max_length=64, return_tensors="pt")["input_ids"], sentences


def test_masking_shares_match_bert_on_a_large_sample(minilm, corpus_ids):
    tok, _ = minilm
    ids, _ = corpus_ids
    candidates = bert.maskable(ids, tok.all_special_ids)
    assert candidates.sum() > 50_000
    out = pretraining.mask_tokens(ids, mask_id=tok.mask_token_id, vocab_size=len(tok), special_ids=tok.all_special_ids,
                                  generator=torch.Generator().manual_seed(5))
    shares = bert.masking_shares(out.kinds, candidates)
    assert shares["chosen"] == pytest.approx(0.15, abs=0.004)
    assert shares["[MASK]"] == pytest.approx(0.12, abs=0.004)
    assert shares["random"] == pytest.approx(0.015, abs=0.002)
    assert shares["kept"] == pytest.approx(0.015, abs=0.002)
    assert shares["chosen"] == pytest.approx(shares["[MASK]"] + shares["random"] + shares["kept"])


def test_collator_statistics_match_bert_and_skip_specials(minilm, corpus_ids):
    tok, _ = minilm
    _, sentences = corpus_ids
    kinds, candidates = bert.collator_masking(tok, sentences, seed=3)
    shares = bert.masking_shares(kinds, candidates)       # raises if a special or pad position was chosen
    assert shares["chosen"] == pytest.approx(0.15, abs=0.004)
    assert shares["[MASK]"] == pytest.approx(0.12, abs=0.004)
    assert shares["random"] == pytest.approx(0.015, abs=0.002)
    assert shares["kept"] == pytest.approx(0.015, abs=0.002)
    assert (kinds[~candidates] == pretraining.UNTOUCHED).all()
    again, _ = bert.collator_masking(tok, sentences, seed=3)
    assert torch.equal(kinds, again)                       # seeded: the same draw


def test_collator_kinds_by_hand():
    original = torch.tensor([[101, 10, 11, 12, 13, 102]])
    inputs = torch.tensor([[101, 103, 50, 12, 13, 102]])
    labels = torch.tensor([[-100, 10, 11, 12, -100, -100]])
    kinds = bert.collator_kinds(original, inputs, labels, mask_id=103)
    assert kinds.tolist() == [[pretraining.UNTOUCHED, pretraining.MASKED, pretraining.RANDOM, pretraining.KEPT,
                               pretraining.UNTOUCHED, pretraining.UNTOUCHED]]


def test_masking_shares_refuses_masked_specials_and_empty_input():
    kinds = torch.tensor([[pretraining.MASKED, pretraining.UNTOUCHED]])
    with pytest.raises(CourseError, match="special"):
        bert.masking_shares(kinds, torch.tensor([[False, True]]))
    with pytest.raises(CourseError, match="no maskable"):
        bert.masking_shares(torch.zeros(1, 2, dtype=torch.long), torch.tensor([[False, False]]))
    with pytest.raises(CourseError, match="shape"):
        bert.masking_shares(kinds, torch.tensor([True]))


def test_static_vs_dynamic_masking(minilm, corpus_ids):
    tok, _ = minilm
    ids, _ = corpus_ids
    ids = ids[:3000]
    candidates = bert.maskable(ids, tok.all_special_ids)
    kw = dict(mask_id=tok.mask_token_id, vocab_size=len(tok), special_ids=tok.all_special_ids, seed=0)
    static = bert.masking_over_epochs(ids, 6, dynamic=False, **kw)
    dynamic = bert.masking_over_epochs(ids, 6, dynamic=True, **kw)
    assert all(torch.equal(b.input_ids, static[0].input_ids) for b in static)
    assert torch.equal(dynamic[0].input_ids, static[0].input_ids)          # same seed, same first draw
    assert not torch.equal(dynamic[1].labels, dynamic[0].labels)
    static_cov, dynamic_cov = bert.ever_chosen_share(static, candidates), bert.ever_chosen_share(dynamic, candidates)
    assert len(set(static_cov)) == 1
    assert all(a < b for a, b in zip(dynamic_cov, dynamic_cov[1:], strict=False))
    assert dynamic_cov[-1] == pytest.approx(1 - 0.85 ** 6, abs=0.01)
    with pytest.raises(CourseError, match="epochs"):
        bert.masking_over_epochs(ids, 0, dynamic=True, **kw)


# ----------------------------------------------------------------------------------------------
# the masking explorer
# ----------------------------------------------------------------------------------------------
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."


@settings(deadline=None, max_examples=40)
@given(rate=st.floats(0.05, 1.0), seed=st.integers(0, 10_000))
def test_masking_payload_never_touches_special_tokens(minilm, rate, seed):
    tok, _ = minilm
    p = widgets.masking_payload(SENTENCE, tok, mlm_probability=rate, seed=seed)
    assert len(p["tokens"]) == len(p["shown"]) == len(p["kinds"])
    for token, shown, kind in zip(p["tokens"], p["shown"], p["kinds"], strict=True):
        if token in ("[CLS]", "[SEP]"):
            assert kind == "special" and shown == token
        elif kind in ("kept", "untouched"):
            assert shown == token
        elif kind == "[MASK]":
            assert shown == "[MASK]"
    assert sum(p["counts"].values()) == p["maskable"] == len(p["tokens"]) - 2
    assert widgets.masking_payload(SENTENCE, tok, mlm_probability=rate, seed=seed) == p   # seeded


def test_masking_payload_rate_one_chooses_every_token(minilm):
    tok, _ = minilm
    p = widgets.masking_payload(SENTENCE, tok, mlm_probability=1.0, seed=0)
    assert p["counts"]["untouched"] == 0
    assert p["counts"]["[MASK]"] > p["counts"]["random"] + p["counts"]["kept"]


def test_masking_payload_proportions_over_many_draws(minilm):
    tok, _ = minilm
    totals = {"[MASK]": 0, "random": 0, "kept": 0, "untouched": 0}
    for seed in range(600):
        for name, count in widgets.masking_payload(SENTENCE, tok, seed=seed)["counts"].items():
            totals[name] += count
    n = sum(totals.values())
    assert totals["[MASK]"] / n == pytest.approx(0.12, abs=0.015)
    assert (totals["random"] + totals["kept"]) / n == pytest.approx(0.03, abs=0.008)


@pytest.mark.parametrize("text,kwargs,match", [
    ("   ", {}, "empty"),
    (SENTENCE, {"mlm_probability": 0.0}, "mask rate"),
    (SENTENCE, {"mlm_probability": 1.5}, "mask rate"),
    (SENTENCE, {"mlm_probability": "high"}, "mask rate"),
])
def test_masking_payload_bad_input(minilm, text, kwargs, match):
    tok, _ = minilm
    with pytest.raises(CourseError, match=match):
        widgets.masking_payload(text, tok, **kwargs)


def test_masking_payload_needs_a_mask_token():
    gpt2_tok = models.load("gpt2", task="tokenizer")
    with pytest.raises(CourseError, match=r"\[MASK\]"):
        widgets.masking_payload(SENTENCE, gpt2_tok)


def test_masking_explorer_renders_without_kernel(minilm):
    import matplotlib.pyplot as plt

    tok, _ = minilm
    fig = widgets.draw_masking(widgets.masking_payload(SENTENCE, tok, mlm_probability=0.3, seed=3))
    assert len(fig.axes) == 2 and "chosen" in fig.axes[1].get_title(loc="left")
    plt.close(fig)
    box = widgets.masking_explorer(tok)
    text, (rate, button), out = box.children[0], box.children[1].children, box.children[2]
    assert len(out.outputs) == 1
    first = out.outputs[0]["data"]["image/png"]
    button.click()                                        # a new draw
    assert len(out.outputs) == 1
    rate.value = 0.9
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"] != first
    text.value = ""
    assert "type a sentence" in out.outputs[0]["text"]


# ----------------------------------------------------------------------------------------------
# contextual vs static vectors
# ----------------------------------------------------------------------------------------------
BANK = ["We sat on the grassy bank of the river.", "Fish hide under the steep bank of the stream.",
        "She opened an account at the bank.", "I need to withdraw cash from the bank."]


def test_contextual_vectors_separate_senses(minilm):
    tok, enc = minilm
    vectors = bert.contextual_vectors(enc, tok, BANK, "bank")
    assert vectors.shape == (4, 384)
    result = bert.sense_similarity(vectors, ["river", "river", "money", "money"])
    assert result["same"] > result["different"]
    assert result["matrix"].shape == (4, 4)
    static = bert.sense_similarity(torch.ones(4, 3), ["river", "river", "money", "money"])
    assert static["same"] == pytest.approx(1.0) and static["different"] == pytest.approx(1.0)
    # a word split into several WordPieces is averaged over its pieces
    assert bert.contextual_vectors(enc, tok, ["The jacaranda flowered."], "jacaranda").shape == (1, 384)


def test_contextual_vectors_bad_input(minilm):
    tok, enc = minilm
    with pytest.raises(CourseError, match="does not occur"):
        bert.contextual_vectors(enc, tok, ["A sentence without it."], "bank")
    with pytest.raises(CourseError, match="riverbank"):   # whole words only
        bert.contextual_vectors(enc, tok, ["The riverbank was muddy."], "bank")
    with pytest.raises(CourseError, match="two senses"):
        bert.sense_similarity(torch.ones(2, 3), ["a", "a"])
    with pytest.raises(CourseError, match="one vector per"):
        bert.sense_similarity(torch.ones(3, 3), ["a", "b"])


# ----------------------------------------------------------------------------------------------
# transfer
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plain_sentiment():
    rows = [data.Labelled(t, label) for t, label, p in data.natural_sentiment_rows("train") if p == "plain"]
    random.Random(0).shuffle(rows)
    return rows[:96], {"held-out plain": rows[96:160]}


def test_keyword_baseline_and_feature_extraction(minilm, plain_sentiment):
    tok, enc = minilm
    train, tests = plain_sentiment
    kw = bert.keyword_baseline(train, tests)
    assert 0 <= kw.accuracy["held-out plain"] <= 1 and kw.trainable > 0
    fe = bert.feature_extraction(enc, tok, train, tests, max_length=48)
    assert fe.trainable == 385 and fe.seconds > 0
    assert fe.accuracy["held-out plain"] >= 0.75, fe       # MiniLM's vectors carry plain sentiment


def test_length_bucketed_batches_cover_every_sentence_once():
    lengths = [random.Random(i).randint(4, 40) for i in range(203)]
    batches = bert.length_bucketed_batches(lengths, 16, torch.Generator().manual_seed(0))
    assert sorted(r for b in batches for r in b) == list(range(203))
    assert len(batches) == 13 and all(1 <= len(b) <= 16 for b in batches)
    padded = sum(len(b) * max(lengths[r] for r in b) for b in batches)
    plain = [list(range(i, min(i + 16, 203))) for i in range(0, 203, 16)]
    assert padded < 0.8 * sum(len(b) * max(lengths[r] for r in b) for b in plain)   # less padding
    again = bert.length_bucketed_batches(lengths, 16, torch.Generator().manual_seed(0))
    assert again == batches and bert.length_bucketed_batches(lengths, 16, torch.Generator().manual_seed(1)) != batches


def test_fine_tune_trains_a_copy(minilm, plain_sentiment):
    tok, enc = minilm
    train, tests = plain_sentiment
    before = enc.embeddings.word_embeddings.weight.clone()
    result = bert.fine_tune(enc, tok, train, tests, epochs=2, lr=1e-4, batch_size=16, max_length=48, seed=0)
    assert torch.equal(enc.embeddings.word_embeddings.weight, before)      # the caller's encoder is untouched
    pooler = sum(p.numel() for p in enc.pooler.parameters())
    assert result.trainable == sum(p.numel() for p in enc.parameters()) - pooler + 384 * 2 + 2
    assert len(result.losses) == 2 * 6
    assert result.accuracy["held-out plain"] >= 0.75, result


def test_transfer_bad_input(minilm):
    tok, enc = minilm
    with pytest.raises(CourseError, match="empty"):
        bert.keyword_baseline([], {})
    with pytest.raises(CourseError, match="Labelled"):
        bert.keyword_baseline(["just text"], {})
    with pytest.raises(CourseError, match="learning rate"):
        bert.fine_tune(enc, tok, [data.Labelled("good", 1)], {}, lr=0.5)
    with pytest.raises(CourseError, match="0 or 1"):
        bert.keyword_baseline([data.Labelled("good", 3)], {})
    with pytest.raises(CourseError, match="both labels"):
        bert.feature_extraction(enc, tok, [data.Labelled("good", 1), data.Labelled("fine", 1)], {})


# ----------------------------------------------------------------------------------------------
# masked-LM accuracy and generation
# ----------------------------------------------------------------------------------------------
def test_masked_token_accuracy(minilm, tiny_mlm):
    tok, enc = minilm
    sentences = data.course_corpus().sentences(["stories"])[:40]
    acc = bert.masked_token_accuracy(tiny_mlm, tok, sentences, seed=0)
    assert 0 <= acc < 0.05                                 # an untrained model guesses among 30,522 tokens
    assert bert.masked_token_accuracy(tiny_mlm, tok, sentences, seed=0) == acc        # seeded
    with pytest.raises(CourseError, match="masked-LM head"):
        bert.masked_token_accuracy(enc, tok, sentences)
    with pytest.raises(CourseError, match="no sentences"):
        bert.masked_token_accuracy(tiny_mlm, tok, [])


def test_generate_by_filling(minilm, tiny_mlm):
    tok, _ = minilm
    for mode in bert.GENERATION_MODES:
        new = bert.generate_by_filling(tiny_mlm, tok, "Anna went for a walk in", 5, mode=mode)
        assert len(new) == 5 and not set(new) & set(tok.all_special_tokens)
    # left to right, each step fills the mask that sits just before [SEP]
    first = bert.generate_by_filling(tiny_mlm, tok, "Anna went for a walk in", 1)
    assert bert.generate_by_filling(tiny_mlm, tok, "Anna went for a walk in", 3)[0] == first[0]
    with pytest.raises(CourseError, match="mode"):
        bert.generate_by_filling(tiny_mlm, tok, "Anna", 3, mode="right-to-left")
    with pytest.raises(CourseError, match="n_tokens"):
        bert.generate_by_filling(tiny_mlm, tok, "Anna", 0)


# ----------------------------------------------------------------------------------------------
# exercises
# ----------------------------------------------------------------------------------------------
def test_exercise_bert_masking(capsys):
    e = checks.EXERCISE_MASKING
    inputs = list(e["input_ids"])
    labels = [-100] * len(inputs)
    for i, (u, v) in enumerate(zip(e["u"], e["v"], strict=True)):
        if u < 0.15 and e["input_ids"][i] not in e["special_ids"]:
            labels[i] = e["input_ids"][i]
            inputs[i] = e["mask_id"] if v < 0.8 else e["random_ids"][i] if v < 0.9 else inputs[i]
    kinds = {("mask" if x == e["mask_id"] else "random" if x != o else "kept")
             for x, o, lab in zip(inputs, e["input_ids"], labels, strict=True) if lab != -100}
    assert kinds == {"mask", "random", "kept"}         # the exercise exercises every branch
    checks.exercise_bert_masking(inputs, labels)
    checks.exercise_bert_masking(torch.tensor(inputs), torch.tensor(labels))
    no_special_rule = list(inputs)
    no_special_rule[0] = e["mask_id"]                   # [CLS] has u < 0.15 but must stay
    checks.exercise_bert_masking(no_special_rule, labels)
    checks.exercise_bert_masking(..., ...)
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and out[1].endswith("correct")
    assert "not quite" in out[2] and "not answered" in out[3]


def test_exercise_segment_ids_agrees_with_the_bert_tokenizer(minilm, capsys):
    tok, _ = minilm
    p = checks.EXERCISE_PAIR
    enc = tok(" ".join(p["a"]), " ".join(p["b"]), padding="max_length", max_length=p["max_length"])
    tokens = tok.convert_ids_to_tokens(enc["input_ids"])
    checks.exercise_segment_ids(tokens, enc["token_type_ids"], enc["attention_mask"])
    wrong = list(enc["token_type_ids"])
    wrong[len(p["a"]) + 1] = 1                           # the first [SEP] belongs to sentence A
    checks.exercise_segment_ids(tokens, wrong, enc["attention_mask"])
    checks.exercise_segment_ids(tokens, ..., enc["attention_mask"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1] and "not answered" in out[2]


def test_mean_pooled_is_independent_of_batching_and_order(minilm):
    tok, enc = minilm
    texts = ["Short.", "A much longer sentence about the river bank and the boats on it.", "Medium length one."]
    together = bert.mean_pooled(enc, tok, texts, batch_size=3)
    one_by_one = torch.cat([bert.mean_pooled(enc, tok, [t]) for t in texts])
    assert torch.allclose(together, one_by_one, atol=1e-5)     # padding is masked; rows keep their order


def _whole_word_alternative(input_ids, word_ids, u, v, random_ids, mask_id, mlm_probability=0.15):
    """A correct answer written differently from the reference: decide per word first, then per token."""
    words = {w for w in word_ids if w is not None}
    chosen = {w for w in words if u[w] < mlm_probability}
    reads = {w: ("mask" if v[w] < 0.8 else "random" if v[w] < 0.9 else "keep") for w in chosen}
    masked = [mask_id if reads.get(w) == "mask" else random_ids[i] if reads.get(w) == "random" else t
              for i, (t, w) in enumerate(zip(input_ids, word_ids, strict=True))]
    labels = [t if w in chosen else -100 for t, w in zip(input_ids, word_ids, strict=True)]
    return torch.tensor(masked), torch.tensor(labels)


def test_exercise_whole_word_masking(minilm, capsys):
    e = checks.EXERCISE_WHOLE_WORD
    tok, _ = minilm
    enc = tok("The snowboarding instructor was unflappable.")
    assert enc["input_ids"] == e["input_ids"] and enc.word_ids() == e["word_ids"]    # the real tokenization
    assert tok.convert_ids_to_tokens(e["input_ids"]) == e["tokens"] and len(e["u"]) == len(e["v"]) == 6

    def per_piece(input_ids, word_ids, u, v, random_ids, mask_id, mlm_probability=0.15):
        """Wrong: BERT's original rule, one draw per token (indexed by the token's position)."""
        out = [(mask_id if v[min(i, len(v) - 1)] < 0.8 else t, t) if w is not None and u[min(i, len(u) - 1)] < mlm_probability
               else (t, -100) for i, (t, w) in enumerate(zip(input_ids, word_ids, strict=True))]
        return [a for a, _ in out], [b for _, b in out]

    def stub(*args, **kwargs):
        raise NotImplementedError("write the body")

    checks.exercise_whole_word_masking(checks.nb05._reference_whole_word_masking)
    checks.exercise_whole_word_masking(_whole_word_alternative)
    checks.exercise_whole_word_masking(per_piece)
    checks.exercise_whole_word_masking(...)
    checks.exercise_whole_word_masking(stub)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("whole-word masking")]
    assert lines[0].endswith("correct (6 cases, edge cases included)") and lines[1].endswith("edge cases included)")
    assert "case 1 of 6" in lines[2] and "not written yet" in lines[3] and "not written yet" in lines[4]
    assert "hint 1 of 3" in lines[3] and "hint 1 of 3" in lines[4]


def test_whole_word_cases_cover_every_branch():
    ref = checks.nb05._reference_whole_word_masking
    kinds = set()
    for case in checks.nb05._whole_word_cases():
        masked, labels = ref(**case)
        assert len(masked) == len(labels) == len(case["input_ids"])
        for m, lab, t in zip(masked, labels, case["input_ids"], strict=True):
            kinds.add("untouched" if lab == -100 else "mask" if m == case["mask_id"] else "random" if m != t else "kept")
        for i, w in enumerate(case["word_ids"]):     # all pieces of a word share its fate
            same_word = [j for j, x in enumerate(case["word_ids"]) if x == w and w is not None]
            assert all((labels[j] == -100) == (labels[i] == -100) for j in same_word)
    assert kinds == {"untouched", "mask", "random", "kept"}


def test_exercise_masked_lm_loss(capsys):
    import torch.nn.functional as F

    def with_ignore_index(logits, labels):                 # a correct alternative (PyTorch's own masking)
        if (labels == -100).all():
            return torch.tensor(0.0)
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)

    def over_every_position(logits, labels):               # wrong: -100 positions pulled in (as class 0)
        return F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten())

    def stub(logits, labels):
        raise NotImplementedError

    ref = checks.nb05._reference_masked_lm_loss
    for logits, labels in checks.nb05._masked_lm_cases():
        assert torch.isfinite(ref(logits, labels))
    checks.exercise_masked_lm_loss(ref)
    checks.exercise_masked_lm_loss(with_ignore_index)
    checks.exercise_masked_lm_loss(over_every_position)
    checks.exercise_masked_lm_loss(...)
    checks.exercise_masked_lm_loss(stub)
    lines = capsys.readouterr().out.splitlines()
    lines = [line for line in lines if line.startswith("masked-LM loss")]
    assert lines[0].endswith("correct (5 cases, edge cases included)") and lines[1].endswith("edge cases included)")
    assert "case 1 of 5" in lines[2]
    assert "not written yet" in lines[3] and "not written yet" in lines[4]


def test_exercise_hints_are_stepped_and_hold_no_code(capsys):
    from course_utils.checks import core

    core.reset_hints()
    checks.exercise_segment_ids(["[CLS]"], [0], [1])
    checks.exercise_segment_ids(["[CLS]"], [0], [1])
    checks.exercise_segment_ids(["[CLS]"], [0], [1])
    checks.exercise_bert_masking([0], [0])
    checks.exercise_whole_word_masking(lambda *a, **k: ([], []))
    checks.exercise_masked_lm_loss(lambda logits, labels: logits.sum())
    out = capsys.readouterr().out.splitlines()
    hints = [line.split("Hint: ", 1)[1] for line in out if "Hint: " in line]
    assert "hint 1 of 3" in hints[0] and "hint 2 of 3" in hints[1] and "hint 3 of 3" in hints[2]
    assert all("hint 1 of 3" in h for h in hints[3:]) and len(hints) == 6
    core.reset_hints()
    for hint in hints:                                      # ideas, shapes and edge cases; no code spelled out
        assert not any(code in hint for code in ("torch.", "F.", ".append", "range(", "log_softmax(", "gather"))


# ----------------------------------------------------------------------------------------------
# the mask-rate sweep (course/bert-mask-rates)
# ----------------------------------------------------------------------------------------------
def test_mask_rate_recipe_pieces(minilm, tiny_mlm):
    from course_utils.recipes import mask_rate

    tok, _ = minilm
    assert mask_rate.run_name(0.05, 0) == "rate05-seed0" and mask_rate.run_name(0.4, 1) == "rate40-seed1"
    assert "course/bert-mask-rates" in models.RECIPES and models.RECIPES["course/bert-mask-rates"].budget_s <= 90
    first = mask_rate.sentence_examples(tok, seed=0)
    again, other = mask_rate.sentence_examples(tok, seed=0), mask_rate.sentence_examples(tok, seed=1)
    assert first == again and first != other and sorted(first) == sorted(other)     # same data, other order
    assert all(x.nsp_label == -100 and x.token_type_ids == [0] * len(x.input_ids) for x in first[:50])
    sentences = data.course_corpus().sentences(["stories"])[:30]
    score = mask_rate.heldout_mlm(tiny_mlm, tok, sentences)
    assert score == mask_rate.heldout_mlm(tiny_mlm, tok, sentences)                  # the same positions every time
    assert 0 <= score["accuracy"] < 0.05 and score["loss"] > 5 and score["n"] > 0
    with pytest.raises(CourseError, match="no sentences"):
        mask_rate.heldout_mlm(tiny_mlm, tok, [])



# ----------------------------------------------------------------------------------------------
# NSP on the course stories against a shortcut without a neural network (notebook 05, section 5)
# ----------------------------------------------------------------------------------------------
def test_nsp_on_the_stories_is_solved_by_topic_alone():
    import random

    from course_utils import albert, data
    from course_utils.pretraining import nsp_pairs

    corpus = data.course_corpus()
    train = nsp_pairs([s for _, s in corpus.stories_train], random.Random(0))
    test = nsp_pairs([s for _, s in corpus.stories_test], random.Random(1))
    table = albert.baseline_accuracies({"stories": train}, {"stories": test})
    right, total = table["word co-occurrence (naive Bayes)"]["stories"]
    overlap, _ = table["word overlap (Jaccard + threshold)"]["stories"]
    assert total == len(test) >= 1000
    assert right / total >= 0.95 and overlap / total < right / total, table    # topic, not shared words, decides
