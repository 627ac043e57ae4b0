"""Notebook 01's helpers: one-hot, co-occurrence, PPMI, SVD, word vectors, evaluation, n-grams, the
embedding explorer's payloads and widget, and the exercise checkers."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from course_utils import CourseError, checks, data, embeddings, widgets  # noqa: E402


# ----------------------------------------------------------------------------------------------
# one-hot and vocabularies
# ----------------------------------------------------------------------------------------------
def test_one_hot_pairs_are_sqrt2_apart_and_orthogonal():
    words = ["커피", "최소", "3", "잔"]
    onehot = embeddings.one_hot(words, words)
    assert onehot.tolist() == np.eye(4, dtype=int).tolist()
    for i in range(4):
        for j in range(i + 1, 4):
            assert float(np.linalg.norm(onehot[i] - onehot[j])) == math.sqrt(2) == 1.4142135623730951
            assert embeddings.cosine(onehot[i], onehot[j]) == 0.0


def test_one_hot_unknown_word_is_a_clear_error():
    with pytest.raises(CourseError, match="not in the vocabulary: \\['차'\\]"):
        embeddings.one_hot(["커피", "차"], ["커피", "잔"])


def test_vocabulary_orders_and_min_count():
    sents = [["b", "a", "b"], ["c", "a", "b"]]
    assert embeddings.vocabulary(sents) == ["b", "a", "c"]
    assert embeddings.vocabulary(sents, by_frequency=True) == ["b", "a", "c"]
    assert embeddings.vocabulary([["x", "y", "y"]], by_frequency=True) == ["y", "x"]
    assert embeddings.vocabulary(sents, min_count=2) == ["b", "a"]
    with pytest.raises(CourseError, match="list of words"):
        embeddings.vocabulary(["an untokenized sentence"])


def test_vocabulary_growth_ends_at_the_vocabulary_size():
    lee = data.lee_corpus()
    tokens, dims = embeddings.vocabulary_growth(lee, points=20)
    assert tokens[-1] == sum(map(len, lee)) and dims[-1] == len(embeddings.vocabulary(lee))
    assert (np.diff(dims) >= 0).all() and (np.diff(tokens) > 0).all()


# ----------------------------------------------------------------------------------------------
# co-occurrence, PPMI, SVD
# ----------------------------------------------------------------------------------------------
def test_the_notes_window_1_matrix_exactly():
    co = embeddings.cooccurrence([["모닝", "커피", "좋아"]], window=1)
    assert co.words == ("모닝", "커피", "좋아")
    assert co.matrix.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]


def test_window_and_harmonic_weighting():
    sent = [["a", "b", "c", "d"]]
    co2 = embeddings.cooccurrence(sent, window=2)
    assert co2.count("a", "c") == 1 and co2.count("a", "d") == 0 and co2.count("d", "b") == 1
    harmonic = embeddings.cooccurrence(sent, window=3, weighting="harmonic")
    assert harmonic.count("a", "b") == 1 and harmonic.count("a", "c") == 0.5
    assert harmonic.count("a", "d") == pytest.approx(1 / 3)
    assert np.allclose(co2.matrix, co2.matrix.T)
    # words outside the vocabulary keep their position but are not counted
    restricted = embeddings.cooccurrence(sent, window=1, vocab=["a", "c"])
    assert restricted.matrix.tolist() == [[0, 0], [0, 0]]


def test_cooccurrence_bad_input():
    with pytest.raises(CourseError, match="window"):
        embeddings.cooccurrence([["a", "b"]], window=0)
    with pytest.raises(CourseError, match="weighting"):
        embeddings.cooccurrence([["a", "b"]], window=1, weighting="log")
    co = embeddings.cooccurrence([["ice", "is", "cold"]], window=1)
    with pytest.raises(CourseError, match="'icee' is not in this co-occurrence vocabulary.*'ice'"):
        co.row("icee")


def test_glove_section_ratios_point_the_papers_way():
    sents = data.course_corpus().tokenized(["glove"])
    within = embeddings.cooccurrence(sents, window=10)
    assert within.count("ice", "gas") == 0  # why the notebook reads the section as running text
    co = embeddings.cooccurrence([[w for s in sents for w in s]], window=10, weighting="harmonic")
    ratio = {k: co.probability(k, "ice") / co.probability(k, "steam") for k in ("solid", "gas", "water", "fashion")}
    assert ratio["solid"] > 1.5 and ratio["gas"] < 0.75
    assert 0.8 < ratio["water"] < 1.25 and 0.8 < ratio["fashion"] < 1.25


def test_ppmi_matches_the_definition():
    counts = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 4.0], [1.0, 4.0, 0.0]])
    total = counts.sum()
    expected = np.zeros_like(counts)
    for i in range(3):
        for j in range(3):
            if counts[i, j]:
                pmi = math.log(counts[i, j] * total / (counts[i].sum() * counts[:, j].sum()))
                expected[i, j] = max(pmi, 0.0)
    assert np.allclose(embeddings.ppmi(counts), expected)
    assert (embeddings.ppmi(counts, context_alpha=0.75) >= 0).all()
    with pytest.raises(CourseError):
        embeddings.ppmi(np.zeros((2, 2)))


def test_truncated_svd_is_deterministic_and_reconstructs():
    rng = np.random.default_rng(0)
    m = rng.random((8, 8))
    full = embeddings.truncated_svd(m, 8)
    assert np.allclose(embeddings.truncated_svd(m, 8), full)
    # U S has the same Gram matrix as M: M Mᵀ = U S² Uᵀ
    assert np.allclose(full @ full.T, m @ m.T)
    assert embeddings.truncated_svd(m, 3).shape == (8, 3)
    with pytest.raises(CourseError, match="dim"):
        embeddings.truncated_svd(m, 9)


def test_ppmi_beats_counts_on_the_toy_analogies():
    corpus = data.course_corpus()
    co = embeddings.cooccurrence(corpus.tokenized(), window=5)
    counts = embeddings.analogy_accuracy(embeddings.WordVectors(co.words, co.matrix), corpus.analogies)
    ppmi = embeddings.analogy_accuracy(embeddings.WordVectors(co.words, embeddings.ppmi(co.matrix)),
                                       corpus.analogies)
    assert ppmi.accuracy > counts.accuracy + 0.1
    assert sum(ppmi.total.values()) == len(corpus.analogies) and ppmi.skipped == 0


# ----------------------------------------------------------------------------------------------
# word vectors and evaluation (real GloVe)
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def glove_wv(glove):
    return embeddings.as_word_vectors(glove, name="GloVe 6B 50-d")


def test_word_vectors_agree_with_gensim(glove, glove_wv):
    assert len(glove_wv) == 400_000 and glove_wv.dim == 50
    ours = glove_wv.analogy("man", "king", "woman", k=3)
    theirs = glove.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert [w for w, _ in glove_wv.nearest("frog", 5)] == [w for w, _ in glove.most_similar("frog", topn=5)]
    assert glove_wv.similarity("ice", "steam") == pytest.approx(float(glove.similarity("ice", "steam")), abs=1e-6)


def test_unknown_word_gets_suggestions(glove_wv):
    with pytest.raises(CourseError, match="'qeen'.*did you mean 'queen'"):
        glove_wv.vector("qeen")
    with pytest.raises(CourseError, match="non-empty string"):
        glove_wv.check("")


def test_google_analogies_top30k_match_gensim_and_assets_note(glove_wv):
    result = embeddings.analogy_accuracy(glove_wv.restrict(30_000), data.google_analogies())
    assert sum(result.total.values()) + result.skipped == 19_544
    assert round(result.accuracy, 3) == 0.497  # questions-words over the 30k most frequent words
    semantic = [c for c in result.total if embeddings.is_semantic_section(c)]
    assert len(semantic) == 5 and len(result.total) == 14


def test_analogy_without_excluding_the_inputs():
    # b − a + c lands nearest to c here: excluded, the answer is d; not excluded, it is c
    wv = embeddings.WordVectors(["a", "b", "c", "d", "e"], np.array(
        [[1.0, 0.0, 0.0], [1.0, 0.2, 0.0], [0.0, 0.0, 1.0], [0.0, 0.5, 1.0], [-1.0, 0.0, 0.0]]))
    question = [("a", "b", "c", "d", "toy")]
    assert embeddings.analogy_accuracy(wv, question).accuracy == 1.0
    kept = embeddings.analogy_accuracy(wv, question, exclude_inputs=False)
    assert kept.accuracy == 0.0 and kept.predictions[0][1] == "c"


def test_wordsim353_spearman(glove_wv):
    rho, used, skipped = embeddings.similarity_correlation(glove_wv, data.word_similarity("wordsim353"))
    assert round(rho, 3) == 0.503 and used == 353 and skipped == 0
    with pytest.raises(CourseError, match="too few"):
        embeddings.similarity_correlation(glove_wv, [("qqqx", "zzzq", 1.0)])


def test_as_word_vectors_sources():
    co = embeddings.cooccurrence([["a", "b", "c"]], window=1)
    wv = embeddings.as_word_vectors(co)
    assert wv.words == ["a", "b", "c"] and wv.nearest("a", 1)[0][0] == "c"  # a and c share context b
    assert embeddings.as_word_vectors((["x", "y"], np.eye(2)), name="toy").name == "toy"
    with pytest.raises(CourseError, match="cannot make word vectors"):
        embeddings.as_word_vectors("glove")
    with pytest.raises(CourseError, match="one vector per word"):
        embeddings.WordVectors(["x"], np.eye(2))


# ----------------------------------------------------------------------------------------------
# GloVe weighting and character n-grams
# ----------------------------------------------------------------------------------------------
def test_glove_weight():
    f = embeddings.glove_weight([0, 50, 100, 1000])
    assert f[0] == 0 and f[1] == pytest.approx(0.5**0.75) and f[2] == 1 and f[3] == 1


def test_char_ngrams_paper_and_notes_examples():
    assert embeddings.char_ngrams("where", 3, 3, include_word=True) == ["<wh", "whe", "her", "ere", "re>", "<where>"]
    assert embeddings.char_ngrams("artificial", 3, 3) == ["<ar", "art", "rti", "tif", "ifi", "fic", "ici", "cia",
                                                          "ial", "al>"]
    assert embeddings.char_ngrams("her", 5, 5, include_word=True) == ["<her>"]  # not duplicated
    with pytest.raises(CourseError, match="one word"):
        embeddings.char_ngrams("two words")
    with pytest.raises(CourseError, match="n_min"):
        embeddings.char_ngrams("word", 4, 3)


@settings(deadline=None, max_examples=50, derandomize=True)
@given(st.text(alphabet=st.characters(categories=("Ll", "Lo")), min_size=1, max_size=12))
def test_char_ngrams_match_gensim(word):
    from gensim.models.fasttext_inner import compute_ngrams

    assert embeddings.char_ngrams(word, 3, 6) == compute_ngrams(word, 3, 6)


def test_pca_2d_bad_input_and_determinism():
    x = np.random.default_rng(0).normal(size=(5, 4))
    coords, ratio = embeddings.pca_2d(x)
    again, _ = embeddings.pca_2d(x.copy())
    assert coords.shape == (5, 2) and np.allclose(coords, again) and 0 < ratio.sum() <= 1
    with pytest.raises(CourseError, match="at least 2"):
        embeddings.pca_2d(x[:1])


# ----------------------------------------------------------------------------------------------
# the embedding explorer: payloads, bad input, static frame, widget
# ----------------------------------------------------------------------------------------------
def test_parsers():
    assert widgets.parse_word_list("King, queen  man,king") == ["king", "queen", "man"]
    assert widgets.parse_analogy(" King - man + WOMAN ") == ("man", "king", "woman")
    with pytest.raises(CourseError, match="b - a \\+ c"):
        widgets.parse_analogy("king minus man")
    with pytest.raises(CourseError, match="empty"):
        widgets.parse_word_list("  ")


def test_scatter_payload(glove_wv):
    payload = widgets.scatter_payload(glove_wv, "king, queen, man, woman")
    assert payload["words"] == ["king", "queen", "man", "woman"]
    assert np.asarray(payload["xy"]).shape == (4, 2) and 0 < sum(payload["explained"]) <= 1


@pytest.mark.parametrize("bad, message", [
    ("king", "at least 2 different words"),
    ("king, king", "at least 2 different words"),
    ("king, qeen", "not in the vocabulary.*'qeen'.*did you mean 'queen'"),
    ("", "empty"),
])
def test_payload_bad_words_give_clear_errors(glove_wv, bad, message):
    with pytest.raises(CourseError, match=message):
        widgets.explorer_payload(glove_wv, bad)
    if bad.strip():
        with pytest.raises(CourseError, match=message):
            widgets.scatter_payload(glove_wv, bad)


def test_neighbours_and_analogy_payloads(glove_wv):
    assert widgets.neighbours_payload(glove_wv, " King ", 2)[0][0] == "prince"
    solved = widgets.analogy_payload(glove_wv, "king - man + woman", k=3)
    assert (solved["a"], solved["b"], solved["c"]) == ("man", "king", "woman")
    assert solved["answers"][0][0] == "queen"
    assert widgets.analogy_payload(glove_wv, ("france", "paris", "japan"))["answers"][0][0] == "tokyo"
    with pytest.raises(CourseError, match="xyzzyq"):
        widgets.neighbours_payload(glove_wv, "xyzzyq")


def test_explorer_payload_adds_the_analogy_words(glove_wv):
    payload = widgets.explorer_payload(glove_wv, "paris, france", analogy="king - man + woman", k=4)
    assert payload["chosen"] == ["paris", "france"]
    assert payload["scatter"]["words"] == ["paris", "france", "man", "king", "woman", "queen"]
    assert payload["neighbours_of"] == "paris" and len(payload["neighbours"]) == 4
    assert widgets.explorer_payload(glove_wv, "paris, france", analogy="")["analogy"] is None
    other = widgets.explorer_payload(glove_wv, "paris, france", neighbours_of="Tokyo", analogy=None)
    assert other["neighbours_of"] == "tokyo"


def test_static_frame_has_labelled_axes(glove_wv):
    fig = widgets.draw_explorer(widgets.explorer_payload(glove_wv, widgets.DEFAULT_EXPLORER_WORDS))
    ax_map, ax_nn = fig.axes
    assert "principal component 1" in ax_map.get_xlabel() and "principal component 2" in ax_map.get_ylabel()
    assert "king − man + woman ≈ queen" in ax_map.get_title()
    assert ax_nn.get_xlabel() == "cosine similarity" and "man" in ax_nn.get_title()
    labels = {t.get_text() for t in ax_map.texts}
    assert {"king", "queen", "man", "woman"} <= labels


def test_widget_rerenders_and_shows_messages_not_tracebacks(glove_wv):
    box = widgets.embedding_explorer(glove_wv, "king, queen, man, woman")
    words_box, controls, out = box.children
    query_box, analogy_box, k_slider = controls.children
    assert any("image/png" in o.get("data", {}) for o in out.outputs)
    words_box.value = "king"
    assert [o.get("text", "") for o in out.outputs] == [
        "choose at least 2 different words for the map (got 1): e.g. 'king, queen, man, woman'\n"]
    words_box.value = "king, qeen"
    assert "did you mean 'queen'" in out.outputs[0]["text"]
    words_box.value = "paris, france"
    query_box.value = "tokyo"
    assert any("image/png" in o.get("data", {}) for o in out.outputs)
    analogy_box.value = "paris minus france"
    assert "b - a + c" in out.outputs[0]["text"]
    analogy_box.value = ""
    k_slider.value = 3
    assert any("image/png" in o.get("data", {}) for o in out.outputs)


# ----------------------------------------------------------------------------------------------
# exercise checkers
# ----------------------------------------------------------------------------------------------
def test_exercise_checkers(capsys):
    co = embeddings.cooccurrence(data.course_corpus().tokenized(["glove"]), window=2)
    right = embeddings.cosine(co.row("ice"), co.row("steam"))
    checks.exercise_cooccurrence_cosine(right + 1e-6)
    checks.exercise_cooccurrence_cosine(right + 0.01)
    checks.exercise_cooccurrence_cosine(...)
    checks.exercise_char_ngrams(("<su", "sub", "ubw", "bwo", "wor", "ord", "rd>"))
    checks.exercise_char_ngrams(["<su", "sub"])
    checks.exercise_char_ngrams(...)
    checks.exercise_one_hot_dimension(len(embeddings.vocabulary(data.lee_corpus())))
    checks.exercise_one_hot_dimension("many")
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1] and "not answered" in out[2]
    assert out[3].endswith("correct") and "not quite" in out[4] and "not answered" in out[5]
    assert out[6].endswith("correct") and "not quite" in out[7]


def _loop_glove_loss(word, context, word_bias, context_bias, rows, cols, x, x_max=100.0, alpha=0.75):
    """A correct alternative to the reference: one cell at a time, in plain Python."""
    import torch

    total = torch.zeros((), dtype=word.dtype)
    for i, k, count in zip(rows.tolist(), cols.tolist(), x.tolist(), strict=True):
        f = (count / x_max) ** alpha if count < x_max else 1.0
        error = word[i] @ context[k] + word_bias[i] + context_bias[k] - math.log(count)
        total = total + f * error**2
    return total / max(len(x), 1)


def test_sparse_glove_loss_reference_equals_the_dense_loss():
    import torch

    from course_utils.checks.nb01 import _reference_sparse_glove_loss

    co = embeddings.cooccurrence([["ice", "is", "solid", "steam", "is", "gas", "ice", "melts"]], window=3,
                                 weighting="harmonic")
    counts = torch.tensor(co.matrix)                                            # (V, V)
    g = torch.Generator().manual_seed(1)
    V = len(co.words)
    w, wt = torch.randn(V, 4, generator=g, dtype=torch.float64), torch.randn(V, 4, generator=g, dtype=torch.float64)
    b, bt = torch.randn(V, generator=g, dtype=torch.float64), torch.randn(V, generator=g, dtype=torch.float64)
    observed = counts > 0
    log_x = torch.where(observed, counts.clamp(min=1e-12).log(), torch.zeros((), dtype=torch.float64))
    dense = (torch.tensor(embeddings.glove_weight(co.matrix)) * (w @ wt.T + b[:, None] + bt[None, :] - log_x) ** 2)
    rows, cols = observed.nonzero(as_tuple=True)
    sparse = _reference_sparse_glove_loss(w, wt, b, bt, rows, cols, counts[rows, cols])
    assert float(sparse) == pytest.approx(float(dense.sum() / observed.sum()), rel=1e-12)


def test_exercise_sparse_glove_loss(capsys):
    import torch

    from course_utils.checks.nb01 import _reference_sparse_glove_loss

    def unweighted(word, context, word_bias, context_bias, rows, cols, x, x_max=100.0, alpha=0.75):
        if len(x) == 0:
            return torch.zeros(())
        error = (word[rows] * context[cols]).sum(1) + word_bias[rows] + context_bias[cols] - x.log()
        return (error**2).mean()  # forgot f(x)

    def no_empty_guard(word, context, word_bias, context_bias, rows, cols, x, x_max=100.0, alpha=0.75):
        f = torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))
        error = (word[rows] * context[cols]).sum(1) + word_bias[rows] + context_bias[cols] - x.log()
        return (f * error**2).mean()  # nan for no cells

    def stub(*args, **kwargs):
        raise NotImplementedError("write the loss")

    for answer in (_reference_sparse_glove_loss, _loop_glove_loss, unweighted, no_empty_guard, ..., stub):
        assert checks.exercise_sparse_glove_loss(answer) is None  # prints, returns nothing to display
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "sparse GloVe loss: correct (5 cases, edge cases included)" and out[1] == out[0]
    assert out[2].startswith("sparse GloVe loss: case 1 of 5") and "Hint: (hint 1 of 3)" in out[3]
    assert out[4].startswith("sparse GloVe loss: case 5 of 5") and "Hint: (hint 2 of 3)" in out[5]
    assert out[6].startswith("sparse GloVe loss: not written yet. Hint: (hint 1 of 3)")
    assert out[7].startswith("sparse GloVe loss: not written yet. Hint: (hint 1 of 3)")
    for line in (line for line in out if "Hint:" in line):  # no hint spells out the code
        assert "torch." not in line and "sum(" not in line and ".mean" not in line


def test_exercise_cooccurrence_cosine_hints_step(capsys):
    checks.reset_hints("co-occurrence cosine")
    checks.exercise_cooccurrence_cosine(0.0)
    checks.exercise_cooccurrence_cosine(0.0)
    out = capsys.readouterr().out
    assert "(hint 1 of 3)" in out and "(hint 2 of 3)" in out and "np.linalg" not in out
