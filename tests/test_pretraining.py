"""BERT pre-training data: 80/10/10 masking, NSP pairs, a WordPiece vocabulary for the corpus."""

import random

import pytest
import torch

from course_utils import CourseError, data, pretraining


@pytest.fixture(scope="module")
def tokenizer():
    return pretraining.train_wordpiece(data.course_corpus().sentences(english_only=True), vocab_size=1200)


def test_wordpiece_vocabulary_of_the_corpus(tokenizer):
    assert len(tokenizer) <= 1200
    assert [tokenizer.convert_ids_to_tokens(i) for i in range(5)] == list(pretraining.SPECIAL_TOKENS)
    enc = tokenizer("Paris is the capital of France.", "People in France speak French.")
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2 and "paris" in tokens
    assert enc["token_type_ids"][-1] == 1 and enc["token_type_ids"][0] == 0
    # every fill-mask answer of the corpus is a single token, so top-1 accuracy is well defined
    answers = {item.answer.lower() for item in data.course_corpus().fill_mask_heldout}
    assert all(tokenizer.convert_tokens_to_ids(a) != tokenizer.unk_token_id for a in answers)
    assert tokenizer("[MASK] is the capital of France.")["input_ids"][1] == tokenizer.mask_token_id


def test_masking_proportions_match_bert(tokenizer):
    special = [0, 2, 3]
    ids = torch.randint(5, 1000, (400, 128))
    ids[:, 0], ids[:, -1] = 2, 3
    out = pretraining.mask_tokens(ids, mask_id=4, vocab_size=1000, special_ids=special,
                                  generator=torch.Generator().manual_seed(0))
    n = ids.numel() - 2 * ids.shape[0]  # non-special positions
    share = {k: (out.kinds == k).sum().item() / n for k in (pretraining.MASKED, pretraining.RANDOM, pretraining.KEPT)}
    assert abs(share[pretraining.MASKED] - 0.12) < 0.003
    assert abs(share[pretraining.RANDOM] - 0.015) < 0.002
    assert abs(share[pretraining.KEPT] - 0.015) < 0.002
    chosen = out.labels != -100
    assert torch.equal(out.labels[chosen], ids[chosen])
    assert (out.input_ids[out.kinds == pretraining.MASKED] == 4).all()
    assert torch.equal(out.input_ids[out.kinds == pretraining.KEPT], ids[out.kinds == pretraining.KEPT])
    assert (out.input_ids[out.kinds == pretraining.RANDOM] >= len(pretraining.SPECIAL_TOKENS)).all()


def test_special_tokens_are_never_masked():
    ids = torch.tensor([[2, 10, 11, 3, 0, 0]] * 500)
    out = pretraining.mask_tokens(ids, mask_id=4, vocab_size=100, special_ids=[0, 2, 3], mlm_probability=1.0)
    assert (out.labels[:, [0, 3, 4, 5]] == -100).all()
    assert torch.equal(out.input_ids[:, [0, 3, 4, 5]], ids[:, [0, 3, 4, 5]])
    assert (out.labels[:, 1:3] != -100).all()


@pytest.mark.parametrize("kwargs,match", [
    ({"mlm_probability": 0.0}, "mlm_probability"),
    ({"mlm_probability": 1.5}, "mlm_probability"),
    ({"mask_share": 0.9, "random_share": 0.2}, "mask_share"),
])
def test_bad_masking_parameters(kwargs, match):
    with pytest.raises(CourseError, match=match):
        pretraining.mask_tokens(torch.zeros(1, 4, dtype=torch.long), mask_id=4, vocab_size=10,
                                special_ids=[0], **kwargs)


def test_nsp_pairs_are_half_is_next_and_is_next_really_follows():
    stories = [s for _, s in data.course_corpus().stories_train]
    pairs = pretraining.nsp_pairs(stories, random.Random(0))
    assert len(pairs) == sum(len(s) - 1 for s in stories)
    assert abs(sum(label == 0 for *_, label in pairs) / len(pairs) - 0.5) < 0.02
    follows = {(s[i], s[i + 1]) for s in stories for i in range(len(s) - 1)}
    assert all((a, b) in follows for a, b, label in pairs if label == 0)
    nxt = {s[i]: s[i + 1] for s in stories for i in range(len(s) - 1)}
    assert not any(nxt.get(a) == b for a, b, label in pairs if label == 1)
    assert pretraining.nsp_pairs(stories, random.Random(0)) == pairs


# ----------------------------------------------------------------------------------------------
# course/bert-mini: the recipe's data and the trained model (built once, cached)
# ----------------------------------------------------------------------------------------------
def test_bert_mini_examples(tokenizer):
    from course_utils.recipes import bert_mini

    examples = bert_mini.pretraining_examples(tokenizer)
    pairs = [x for x in examples if x.nsp_label != -100]
    singles = [x for x in examples if x.nsp_label == -100]
    assert pairs and singles and {x.nsp_label for x in pairs} == {0, 1}
    assert abs(sum(x.nsp_label for x in pairs) / len(pairs) - 0.5) < 0.05
    assert all(1 in x.token_type_ids for x in pairs) and not any(1 in x.token_type_ids for x in singles)
    # every fact sentence knows where its answer is, and the token there is the answer
    assert all(x.answer_pos >= 0 for x in singles)
    seen_answers = {item.answer.lower() for item in data.course_corpus().fill_mask_seen}
    assert {tokenizer.convert_ids_to_tokens(x.input_ids[x.answer_pos]) for x in singles} == seen_answers
    assert examples == bert_mini.pretraining_examples(tokenizer)          # a fixed order


def test_bert_mini_pretrain_lowers_the_loss_and_guards_nsp(tokenizer):
    from transformers import BertForPreTraining

    from course_utils.recipes import bert_mini

    torch.manual_seed(0)
    model = BertForPreTraining(bert_mini.config(len(tokenizer)))
    singles = [x for x in bert_mini.pretraining_examples(tokenizer) if x.nsp_label == -100]
    history = bert_mini.pretrain(model, tokenizer, singles[:640], steps=10, settings=dict(bert_mini.SETTINGS, warmup=2))
    assert all(v == 0 for v in history.extras["nsp"])     # no pairs: the NSP term is 0, not NaN
    assert history.losses[-1] < history.losses[0]
    with pytest.raises(CourseError, match="no pre-training examples"):
        bert_mini.pretrain(model, tokenizer, [], steps=1)


@pytest.fixture(scope="module")
def bert_mini_models():
    from course_utils import models

    return (models.load("course/bert-mini", "tokenizer"), models.load("course/bert-mini", "masked-lm"),
            models.load("course/bert-mini", "pretraining"))


def test_bert_mini_knows_facts_in_unseen_sentence_forms(bert_mini_models):
    tok, mlm, _ = bert_mini_models
    corpus = data.course_corpus()
    held = pretraining.fill_mask_accuracy(mlm, tok, corpus.fill_mask_heldout)
    seen = pretraining.fill_mask_accuracy(mlm, tok, corpus.fill_mask_seen)
    assert held >= 0.3 and seen >= 0.6                      # measured 0.58 / 0.85; chance is < 0.01
    assert pretraining.fill_mask_accuracy(mlm, tok, corpus.fill_mask_heldout, k=5) >= held


def test_bert_mini_nsp_on_held_out_stories(bert_mini_models):
    tok, _, pre = bert_mini_models
    pairs = pretraining.nsp_pairs([s for _, s in data.course_corpus().stories_test], random.Random(1))
    assert pretraining.nsp_accuracy(pre, tok, pairs) >= 0.85   # measured 0.96


def test_fill_mask_bad_input(bert_mini_models):
    tok, mlm, _ = bert_mini_models
    items = data.course_corpus().fill_mask_heldout[:2]
    with pytest.raises(CourseError, match="k must be"):
        pretraining.fill_mask_predictions(mlm, tok, items, k=0)
    with pytest.raises(CourseError, match="no fill-mask items"):
        pretraining.fill_mask_accuracy(mlm, tok, [])
    with pytest.raises(CourseError, match="no sentence pairs"):
        pretraining.nsp_accuracy(mlm, tok, [])


def test_wordpiece_vocabulary_is_the_same_in_every_process():
    # tokenizers' own trainer broke merge ties in hash order: a new vocabulary (and new models) per process
    import subprocess
    import sys

    code = ("from course_utils import data, pretraining; "
            "t = pretraining.train_wordpiece(data.course_corpus().sentences(english_only=True)[:3000], 600); "
            "print(sorted(t.get_vocab().items(), key=lambda kv: kv[1]))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1


def test_train_wordpiece_rejects_no_sentences():
    with pytest.raises(CourseError, match="no sentences"):
        pretraining.train_wordpiece([])


# ----------------------------------------------------------------------------------------------
# the pieces of one pre-training step (notebook 05's twin cells) and the loop they make
# ----------------------------------------------------------------------------------------------
def test_pretraining_batch_pads_masks_and_marks_answers(tokenizer):
    from course_utils.recipes import bert_mini

    examples = bert_mini.pretraining_examples(tokenizer)[:32]
    special = [tokenizer.convert_tokens_to_ids(t) for t in tokenizer.all_special_tokens]
    settings = dict(bert_mini.SETTINGS, answer_mask=1.0)
    batch = pretraining.pretraining_batch(examples, tokenizer, settings, torch.Generator().manual_seed(0), special)
    width = max(len(x.input_ids) for x in examples)
    assert batch.ids.shape == batch.inputs.shape == batch.labels.shape == batch.attention_mask.shape == (32, width)
    assert batch.pair_labels.tolist() == [x.nsp_label for x in examples]
    assert batch.attention_mask.sum(1).tolist() == [len(x.input_ids) for x in examples]
    pad = batch.attention_mask == 0
    assert (batch.ids[pad] == tokenizer.pad_token_id).all() and (batch.labels[pad] == -100).all()
    for row, x in enumerate(examples):        # salient span masking: every fact's answer is masked and predicted
        if x.answer_pos >= 0:
            assert batch.inputs[row, x.answer_pos] == tokenizer.mask_token_id
            assert batch.labels[row, x.answer_pos] == x.input_ids[x.answer_pos]
    chosen = batch.labels != -100
    assert (batch.labels[chosen] == batch.ids[chosen]).all()
    again = pretraining.pretraining_batch(examples, tokenizer, settings, torch.Generator().manual_seed(0), special)
    assert torch.equal(again.inputs, batch.inputs)                                # seeded: the same batch


def test_mlm_nsp_loss_and_one_step(tokenizer):
    from transformers import BertForPreTraining

    from course_utils.recipes import bert_mini

    torch.manual_seed(0)
    model = BertForPreTraining(bert_mini.config(len(tokenizer))).eval()
    examples = bert_mini.pretraining_examples(tokenizer)
    special = [tokenizer.convert_tokens_to_ids(t) for t in tokenizer.all_special_tokens]
    batch = pretraining.pretraining_batch(examples[:16], tokenizer, bert_mini.SETTINGS, torch.Generator().manual_seed(0),
                                          special)
    with torch.no_grad():
        total, mlm, pair = pretraining.mlm_nsp_loss(*pretraining.bert_heads(model), batch)
        out = model(input_ids=batch.inputs, token_type_ids=batch.token_type_ids, attention_mask=batch.attention_mask,
                    labels=batch.labels, next_sentence_label=batch.pair_labels)
    assert torch.allclose(total, out.loss, atol=1e-5)            # the same as transformers' own pre-training loss
    assert torch.allclose(total, mlm + pair)
    singles = [x for x in examples if x.nsp_label == -100][:8]
    only_mlm = pretraining.pretraining_batch(singles, tokenizer, bert_mini.SETTINGS, torch.Generator(), special)
    assert pretraining.mlm_nsp_loss(*pretraining.bert_heads(model), only_mlm)[2].item() == 0   # not NaN
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    model.train()
    losses = pretraining.pretraining_step(model, pretraining.bert_heads, batch, optimizer, schedule)
    assert losses[0] == pytest.approx(losses[1] + losses[2], abs=1e-5)
    model.eval()
    with torch.no_grad():
        assert pretraining.mlm_nsp_loss(*pretraining.bert_heads(model), batch)[0] < total


def test_recipe_pretrain_is_the_pretraining_loop(tokenizer):
    from transformers import BertForPreTraining

    from course_utils.recipes import bert_mini

    examples = bert_mini.pretraining_examples(tokenizer)[:200]
    settings = dict(bert_mini.SETTINGS, batch=16, warmup=2)
    runs = []
    for run in (bert_mini.pretrain, pretraining.pretrain):
        torch.manual_seed(0)
        model = BertForPreTraining(bert_mini.config(len(tokenizer)))
        history = run(model, tokenizer, examples, 3, settings)
        runs.append((history.losses, history.extras, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2], strict=True))
