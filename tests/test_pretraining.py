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
