"""Notebook 02's helpers: training examples, the sampling tables, the hand-written gradients, a short
training run, and the exercise checkers."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import CourseError, checks, data, embeddings
from course_utils import word2vec as w2v

COFFEE = data.words(data.COFFEE_SENTENCE)


# ----------------------------------------------------------------------------------------------
# training examples
# ----------------------------------------------------------------------------------------------
def test_the_notes_pairs_for_3jan_exactly():
    pairs = w2v.skipgram_pairs(COFFEE, window=2)
    assert [c for t, c in pairs if t == "3잔은"] == ["커피", "최소", "마셔야", "살"]
    assert [e for e in w2v.cbow_examples(COFFEE, window=2) if e[1] == "3잔은"] == [(("커피", "최소", "마셔야", "살"), "3잔은")]
    assert len(pairs) == 26 and pairs[:2] == [("하루", "커피"), ("하루", "최소")]


def test_bad_input_is_a_clear_error():
    with pytest.raises(CourseError, match="list of words"):
        w2v.skipgram_pairs(data.COFFEE_SENTENCE)
    with pytest.raises(CourseError, match="window"):
        w2v.cbow_examples(COFFEE, window=0)
    with pytest.raises(CourseError, match="positive word counts"):
        w2v.noise_probabilities([3, 0])
    with pytest.raises(CourseError, match="threshold"):
        w2v.discard_probabilities([3, 1], t=0)
    with pytest.raises(CourseError, match="skip-gram only"):
        w2v.Word2VecConfig(model="cbow", objective="softmax").check()


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.lists(st.lists(st.sampled_from("abcde"), min_size=0, max_size=7), min_size=1, max_size=5),
       st.integers(1, 4))
def test_vectorised_pairs_equal_the_loop(sentences, window):
    sentences = [s for s in sentences if s] or [["a"]]
    vocab = w2v.Vocab.build(sentences)
    ids, sentence_of = vocab.encode(sentences)
    centers, contexts = w2v.window_pairs(ids, sentence_of, window)
    fast = sorted((vocab.words[c], vocab.words[o]) for c, o in zip(centers, contexts, strict=True))
    slow = sorted(p for s in sentences for p in w2v.skipgram_pairs(s, window))
    assert fast == slow
    windows, targets = w2v.cbow_windows(ids, sentence_of, window, pad=len(vocab))
    got = sorted((tuple(sorted(vocab.words[i] for i in row if i != len(vocab))), vocab.words[t])
                 for row, t in zip(windows, targets, strict=True))
    want = sorted((tuple(sorted(ctx)), t) for s in sentences for ctx, t in w2v.cbow_examples(s, window) if ctx)
    assert got == want


# ----------------------------------------------------------------------------------------------
# hierarchical softmax
# ----------------------------------------------------------------------------------------------
def test_huffman_tree_small_example_exactly():
    codes, paths = w2v.huffman_tree([5, 3, 2, 1])
    assert codes == [[0], [1, 0], [1, 1, 1], [1, 1, 0]]
    assert paths == [[2], [2, 1], [2, 1, 0], [2, 1, 0]]


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=60))
def test_huffman_codes_are_prefix_free_complete_and_optimal(counts):
    codes, paths = w2v.huffman_tree(counts)
    words = ["".join(map(str, c)) for c in codes]
    assert all(len(c) == len(p) >= 1 for c, p in zip(codes, paths, strict=True))
    assert all(p[0] == len(counts) - 2 for p in paths)                   # every path starts at the root
    assert not any(a != b and b.startswith(a) for a in words for b in words)  # prefix-free
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)      # a full binary tree (Kraft equality)
    # frequent words never get longer codes than rarer ones
    order = np.argsort(counts, kind="stable")
    lengths = np.array([len(c) for c in codes])[order]
    assert all(lengths[i] >= lengths[j] for i in range(len(order)) for j in range(i + 1, len(order))
               if counts[order[i]] < counts[order[j]])


def test_huffman_mean_code_length_equals_gensims():
    from gensim.models import Word2Vec

    sentences = data.course_corpus().tokenized()
    vocab = w2v.Vocab.build(sentences)
    codes, _ = w2v.huffman_tree(vocab.counts)
    model = Word2Vec(vector_size=4, hs=1, negative=0, min_count=1)
    model.build_vocab(sentences)
    ours = np.array([len(c) for c in codes])
    theirs = np.array([len(model.wv.get_vecattr(w, "code")) for w in vocab.words])
    # ties may be broken differently, but every Huffman tree has the same minimal mean length
    assert (ours * vocab.counts).sum() == (theirs * vocab.counts).sum()


def test_hs_probabilities_sum_to_one_and_bad_input():
    codes, paths = w2v.huffman_tree([40, 30, 10, 8, 5, 4, 2, 1])
    gen = torch.Generator().manual_seed(0)
    inner = torch.randn(7, 6, generator=gen, dtype=torch.float64)
    center = torch.randn(6, generator=gen, dtype=torch.float64)
    probabilities = [w2v.hs_probability(center, inner, c, p).item() for c, p in zip(codes, paths, strict=True)]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-12) and min(probabilities) > 0
    # a 0 turn at the root is σ(u_root·v), the first factor of every word that starts with 0
    assert w2v.hs_probability(center, inner, [0], [6]).item() == pytest.approx(torch.sigmoid(inner[6] @ center).item())
    with pytest.raises(CourseError, match="same length"):
        w2v.hs_probability(center, inner, [0, 1], [6])
    with pytest.raises(CourseError, match="at least 2 words"):
        w2v.huffman_tree([5])
    with pytest.raises(CourseError, match="positive word counts"):
        w2v.huffman_tree([3, 0])


def test_reduced_window_gives_a_subset_with_every_distance_1_pair():
    sentences = data.course_corpus().tokenized()[:200]
    vocab = w2v.Vocab.build(sentences)
    ids, sentence_of = vocab.encode(sentences)
    full = w2v.window_pairs(ids, sentence_of, 3)
    reduced = w2v.window_pairs(ids, sentence_of, 3, rng=np.random.default_rng(0))
    near = w2v.window_pairs(ids, sentence_of, 1)
    assert len(near[0]) < len(reduced[0]) < len(full[0])
    # a pair at distance d survives with P(b >= d) = (4 - d) / 3
    sizes = [0] + [len(w2v.window_pairs(ids, sentence_of, d)[0]) for d in (1, 2, 3)]
    expected = sum((sizes[d] - sizes[d - 1]) * (4 - d) / 3 for d in (1, 2, 3))
    assert abs(len(reduced[0]) / expected - 1) < 0.03


def test_vocab_orders_by_frequency_and_drops_unknown_words():
    vocab = w2v.Vocab.build([["b", "a", "b"], ["c", "b", "a"]], max_size=2)
    assert vocab.words == ("b", "a") and vocab.counts.tolist() == [3, 2]
    ids, sentence_of = vocab.encode([["b", "c", "a"], ["a"]])
    assert ids.tolist() == [0, 1, 1] and sentence_of.tolist() == [0, 0, 1]


# ----------------------------------------------------------------------------------------------
# the sampling tables
# ----------------------------------------------------------------------------------------------
def test_noise_table_follows_unigram_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1])
    p = w2v.noise_probabilities(counts)
    assert np.allclose(p, counts ** 0.75 / (counts ** 0.75).sum())
    table = w2v.noise_table(counts, size=100_000)
    share = np.bincount(table, minlength=4) / len(table)
    assert np.abs(share - p).max() < 1e-4 and share.min() > 0


def test_discard_probabilities_match_the_formula():
    counts = np.array([900, 90, 9, 1])
    discard = w2v.discard_probabilities(counts, t=0.05)
    f = counts / counts.sum()
    assert np.allclose(discard, np.maximum(0, 1 - np.sqrt(0.05 / f)))
    assert discard[0] > discard[1] > 0 and discard[2] == discard[3] == 0
    ids = np.repeat(np.arange(4), counts)
    kept = np.mean([w2v.subsample_mask(ids, discard, np.random.default_rng(s)).sum() for s in range(20)])
    assert abs(kept - ((1 - discard) * counts).sum()) < 10


# ----------------------------------------------------------------------------------------------
# hand-written gradients and training
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["skipgram", "cbow"])
def test_sgd_step_equals_autograd(kind):
    gen = torch.Generator().manual_seed(0)
    V, D, B, K = 30, 8, 16, 4
    cls = w2v.SkipGramNS if kind == "skipgram" else w2v.CBOWNS
    hand, auto = cls(V, D, gen), cls(V, D, gen)
    with torch.no_grad():
        hand.context.weight.normal_(0, 0.5, generator=gen)
    auto.load_state_dict(hand.state_dict())
    if kind == "skipgram":
        x = torch.randint(V, (B,), generator=gen)
    else:
        x = torch.randint(V, (B, 4), generator=gen)
        x[:, 3] = V  # one padded slot per window
    y = torch.randint(V, (B,), generator=gen)
    noise = torch.randint(V, (B, K), generator=gen)
    loss = auto(x, y, noise)
    loss.backward()
    with torch.no_grad():
        for p in auto.parameters():
            p -= 0.1 * p.grad.to_dense()
        auto.word.weight[V:] = 0  # the padding row (CBOW) never changes
    hand_loss = hand.sgd_step(x, y, noise, lr=0.1)
    assert abs(hand_loss - loss.item()) < 1e-4
    assert torch.allclose(hand.word.weight, auto.word.weight, atol=1e-6)
    assert torch.allclose(hand.context.weight, auto.context.weight, atol=1e-6)


def test_training_learns_analogies_and_is_deterministic():
    corpus = data.course_corpus()
    sentences = corpus.tokenized()
    config = w2v.Word2VecConfig(epochs=3)
    first = w2v.train_word2vec(sentences, config, progress=False)
    second = w2v.train_word2vec(sentences, config, progress=False)
    assert np.array_equal(first.vectors().vectors, second.vectors().vectors)
    assert np.mean(first.history.losses[-20:]) < 0.6 * np.mean(first.history.losses[:20])
    # 3 epochs is a short run (the notebook's 10 epochs reach about 0.59); chance is about 1/545
    assert embeddings.analogy_accuracy(first.vectors(), corpus.analogies).accuracy >= 0.1


def test_softmax_objective_trains():
    sentences = data.course_corpus().tokenized()
    run = w2v.train_word2vec(sentences, w2v.Word2VecConfig(objective="softmax", epochs=2), progress=False)
    assert run.history.losses[-1] < run.history.losses[0] - 1


# ----------------------------------------------------------------------------------------------
# exercise checkers
# ----------------------------------------------------------------------------------------------
def _verdicts(out: str) -> list[str]:
    return [line.split(":")[1].strip().split(".")[0].split(" (")[0] for line in out.splitlines()
            if not line.startswith("  ")]


def test_checkers_say_correct_and_hint(capsys):
    checks.reset_hints()
    checks.exercise_skipgram_pairs(w2v.skipgram_pairs(COFFEE, 1))
    checks.exercise_skipgram_pairs(w2v.skipgram_pairs(COFFEE, 2))
    checks.exercise_skipgram_pairs(...)
    v = {k: np.array(x) for k, x in checks.NS_EXERCISE_VECTORS.items()}
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    loss = -np.log(sig(v["u_o"] @ v["v_c"])) - np.log(sig(-(v["u_k"] @ v["v_c"]))).sum()
    checks.exercise_negative_sampling_loss(loss)
    checks.exercise_negative_sampling_loss(loss + 1)
    checks.exercise_negative_sampling_loss(...)
    out = capsys.readouterr().out
    assert _verdicts(out) == ["correct", "not quite", "not answered yet", "correct", "not quite",
                              "not answered yet"]
    assert "(hint 1 of 3)" in out


def _sgns_gradients(v_c, u_o, u_k):
    """A correct answer written differently from the reference: numpy, one noise word at a time."""
    v, u, n = (np.asarray(x, dtype=np.float64) for x in (v_c, u_o, u_k))
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    g_v = (sig(u @ v) - 1) * u
    g_n = []
    for row in n:
        g_v = g_v + sig(row @ v) * row
        g_n.append(sig(row @ v) * v)
    return torch.from_numpy(g_v), torch.from_numpy((sig(u @ v) - 1) * v), torch.from_numpy(np.array(g_n))


def _not_written(*args):
    raise NotImplementedError("write this part, then run the cell")


def test_sgns_gradient_checker(capsys):
    checks.reset_hints()
    assert checks.exercise_sgns_gradients(_sgns_gradients)
    assert checks.exercise_sgns_gradients(lambda v, u, n: checks.nb02._reference_sgns_gradients(v, u, n))
    # a classic slip: σ(x) instead of σ(x) − 1 for the true pair
    sig = torch.sigmoid
    assert not checks.exercise_sgns_gradients(
        lambda v, u, n: (sig(u @ v) * u + sig(n @ v) @ n, sig(u @ v) * v, sig(n @ v)[:, None] * v[None]))
    assert not checks.exercise_sgns_gradients(lambda v, u, n: (v, u))  # two results, not three
    assert not checks.exercise_sgns_gradients(...)
    assert not checks.exercise_sgns_gradients(_not_written)
    out = capsys.readouterr().out
    assert _verdicts(out) == ["correct", "correct", "case 1 of 5", "case 1 of 5", "not written yet",
                              "not written yet"]
    assert "(hint 1 of 3)" in out and "(hint 2 of 3)" in out
    assert "torch.sigmoid" not in out and "@" not in out  # hints describe, they do not spell out code


def test_sgns_gradient_reference_matches_the_trainers_step():
    # the checker's autograd reference and the hand-written batch update agree on one example
    gen = torch.Generator().manual_seed(0)
    model = w2v.SkipGramNS(10, 4, gen)
    with torch.no_grad():
        model.context.weight.normal_(0, 0.5, generator=gen)
    C = model.context.weight.detach().clone()
    v = model.word.weight.detach()[3].clone()
    grad_v, _ = w2v._negative_sampling_update(v[None], C.clone(), torch.tensor([5]), torch.tensor([[1, 7]]), 0.0)
    ref_v, ref_u, ref_n = checks.nb02._reference_sgns_gradients(v, C[5], C[[1, 7]])
    assert torch.allclose(grad_v[0], ref_v, atol=1e-6)
    assert ref_u.shape == (4,) and ref_n.shape == (2, 4)


def _keep(counts, t=1e-3):
    """A correct answer written differently: a loop over words."""
    total = sum(counts)
    return np.array([min(1.0, ((c / total / t) ** 0.5 + 1) * t / (c / total)) for c in counts])


def test_keep_probability_checker(capsys):
    checks.reset_hints()
    assert checks.exercise_word2vec_c_keep_probabilities(_keep)
    ref = checks.nb02._reference_word2vec_c_keep_probabilities
    assert ref([5, 5, 5, 5], 0.25).tolist() == [1.0] * 4 and ref([7]).shape == (1,)
    assert np.all(ref([15853, 4556, 4161, 304, 15]) >= 1 - w2v.discard_probabilities([15853, 4556, 4161, 304, 15]))
    # wrong: the uncapped formula (rare words get probabilities above 1), then our own √(t/f)
    assert not checks.exercise_word2vec_c_keep_probabilities(
        lambda c, t=1e-3: (np.sqrt(np.divide(c, sum(c)) / t) + 1) * t / np.divide(c, sum(c)))
    assert not checks.exercise_word2vec_c_keep_probabilities(lambda c, t=1e-3: 1 - w2v.discard_probabilities(c, t))
    assert not checks.exercise_word2vec_c_keep_probabilities(...)
    assert not checks.exercise_word2vec_c_keep_probabilities(_not_written)
    out = capsys.readouterr().out
    assert _verdicts(out) == ["correct", "case 1 of 5", "case 1 of 5", "not written yet", "not written yet"]
    assert "np.minimum" not in out and "np.sqrt" not in out
