"""Notebook 03: the Unigram tokenizer from scratch (``course_utils.unigram``) against brute force and against
SentencePiece: Viterbi with SentencePiece's scores gives SentencePiece's segmentation, the E-step gives the
exact expected counts, sampling draws from P^alpha, and training keeps what it promises."""

import io
import math
import random
import unicodedata
from collections import Counter

import pytest
import sentencepiece as spm

from course_utils import CourseError, data, unigram


def _segmentations(word, pieces):
    if not word:
        return [[]]
    return [[word[:end], *rest] for end in range(1, len(word) + 1) if word[:end] in pieces
            for rest in _segmentations(word[end:], pieces)]


@pytest.fixture(scope="module")
def korean_train():
    prose = data.korean_prose_lines()
    return [s for i, s in enumerate(prose) if i % 5 != 4] + data.kiwipiepy_doc_lines()


@pytest.fixture(scope="module")
def korean_sp(korean_train):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(korean_train), model_writer=model, vocab_size=1200,
                                   model_type="unigram", character_coverage=1.0, num_threads=1, minloglevel=2)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


@pytest.fixture(scope="module")
def sp_scores(korean_sp):
    return {korean_sp.id_to_piece(i): korean_sp.get_score(i) for i in range(korean_sp.get_piece_size())
            if not (korean_sp.is_control(i) or korean_sp.is_unknown(i))}


SMALL = {"▁": -3.0, "a": -2.0, "b": -2.5, "ab": -2.2, "▁a": -2.9, "ba": -3.1, "aba": -4.0, "▁ab": -5.5, "c": -6.0}


@pytest.mark.parametrize("word", ["▁abab", "▁aba", "▁ababa", "abcab", "▁a", "b"])
def test_viterbi_is_the_best_of_all_segmentations(word):
    pieces, score = unigram.viterbi(word, SMALL)
    best = max(_segmentations(word, SMALL), key=lambda seg: sum(SMALL[p] for p in seg))
    assert pieces == best
    assert score == pytest.approx(sum(SMALL[p] for p in best))


def test_viterbi_with_sentencepiece_scores_gives_sentencepiece_segmentation(korean_train, korean_sp, sp_scores):
    unk = min(sp_scores.values()) - 10
    for line in korean_train:
        words = unicodedata.normalize("NFKC", line).split()
        ours = [p for w in words for p in unigram.viterbi(unigram.SPACE + w, sp_scores, unk)[0]]
        assert ours == korean_sp.encode(line, out_type=str), line


def test_expected_counts_are_the_exact_marginals():
    words = {"▁abab": 3, "▁aba": 2, "abcab": 1}
    expected, log_likelihood = unigram.expected_counts(words, SMALL)
    brute, total_ll = Counter(), 0.0
    for word, count in words.items():
        segs = _segmentations(word, SMALL)
        probs = [math.exp(sum(SMALL[p] for p in seg)) for seg in segs]
        z = sum(probs)
        total_ll += count * math.log(z)
        for seg, p in zip(segs, probs, strict=True):
            for piece in seg:
                brute[piece] += count * p / z
    assert set(expected) == set(brute)
    for piece in brute:
        assert expected[piece] == pytest.approx(brute[piece], rel=1e-9)
    assert log_likelihood == pytest.approx(total_ll, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_sampling_draws_from_p_to_the_alpha(alpha):
    word, n = "▁ababa", 6000
    segs = _segmentations(word, SMALL)
    weights = [math.exp(alpha * sum(SMALL[p] for p in seg)) for seg in segs]
    exact = {tuple(seg): w / sum(weights) for seg, w in zip(segs, weights, strict=True)}
    rng = random.Random(0)
    drawn = Counter(tuple(unigram.sample_segmentation(word, SMALL, alpha, rng)) for _ in range(n))
    assert set(drawn) <= set(exact)
    distance = 0.5 * sum(abs(drawn[seg] / n - p) for seg, p in exact.items())
    assert distance < 0.03, distance


def test_sampling_agrees_with_sentencepiece(korean_sp, sp_scores):
    n, alpha = 3000, 0.5
    rng = random.Random(1)
    spm.set_random_generator_seed(1)
    ours = Counter(tuple(unigram.sample_segmentation("▁사람들이", sp_scores, alpha, rng)) for _ in range(n))
    theirs = Counter(tuple(korean_sp.encode("사람들이", out_type=str, enable_sampling=True, alpha=alpha,
                                            nbest_size=-1)) for _ in range(n))
    distance = 0.5 * sum(abs(ours[s] - theirs[s]) / n for s in set(ours) | set(theirs))
    assert distance < 0.05, distance


def test_training_keeps_every_character_and_reaches_the_size(korean_train):
    model = unigram.train_unigram(korean_train[:200], vocab_size=600)
    chars = {c for line in korean_train[:200] for c in unigram.SPACE + "".join(line.split())}
    assert len(model.log_probs) == 600
    assert chars <= set(model.log_probs)
    assert math.fsum(math.exp(s) for s in model.log_probs.values()) == pytest.approx(1.0)
    assert model.history[1][1] >= model.history[0][1]  # an EM step raises the likelihood
    for line in korean_train[200:240]:
        pieces = model.encode(line)
        assert "".join(pieces) == "".join(unigram.SPACE + w for w in line.split())


def test_training_prefers_frequent_whole_words():
    model = unigram.train_unigram(["low lower lowest", "new newer newest", "wide wider widest"] * 5,
                                  vocab_size=14)
    assert model.encode_word("▁lowest") == ["▁low", "e", "s", "t"]
    assert model.encode_word("▁slowest")[0] == "▁"  # an unseen word is spelled from pieces


def test_unigram_clear_errors():
    with pytest.raises(CourseError, match="iterable"):
        unigram.unigram_words("one string")
    with pytest.raises(CourseError, match="below"):
        unigram.train_unigram(["abc def"], vocab_size=3)
    with pytest.raises(CourseError, match="shrink"):
        unigram.train_unigram(["abc def"], vocab_size=30, shrink=1.5)
    with pytest.raises(CourseError, match="no words"):
        unigram.train_unigram(["", "  "], vocab_size=30)
    with pytest.raises(CourseError, match="cannot be segmented"):
        unigram.viterbi("▁xyz", SMALL)
    with pytest.raises(CourseError, match="cannot be segmented"):
        unigram.sample_segmentation("▁xyz", SMALL, 0.5, random.Random(0))
    with pytest.raises(CourseError):
        unigram.viterbi(3, SMALL)
    assert unigram.viterbi("▁xa", SMALL, unk_score=-20.0)[0] == ["▁", "x", "a"]


def test_training_is_deterministic(korean_train):
    a = unigram.train_unigram(korean_train[:100], vocab_size=700)
    b = unigram.train_unigram(korean_train[:100], vocab_size=700)
    assert a.log_probs == b.log_probs and a.history == b.history


def _best_segmentation(word, log_probs):
    best, back = [0.0] + [-math.inf] * len(word), [0] * (len(word) + 1)
    for end in range(1, len(word) + 1):
        for start in range(end):
            piece = word[start:end]
            if piece in log_probs and best[start] + log_probs[piece] > best[end]:
                best[end], back[end] = best[start] + log_probs[piece], start
    pieces, end = [], len(word)
    while end > 0:
        pieces.append(word[back[end]:end])
        end = back[end]
    return pieces[::-1]


def _greedy_longest_first(word, log_probs):
    pieces, start = [], 0
    while start < len(word):
        end = max(e for e in range(start + 1, len(word) + 1) if word[start:e] in log_probs)
        pieces.append(word[start:end])
        start = end
    return pieces


def test_exercise_unigram_viterbi(capsys):
    from course_utils import checks

    checks.exercise_unigram_viterbi(_best_segmentation)
    assert "Unigram Viterbi: correct" in capsys.readouterr().out
    checks.exercise_unigram_viterbi(_greedy_longest_first)
    out = capsys.readouterr().out
    assert "expected" in out and "Hint" in out and "correct" not in out

    def unfilled(word, log_probs):
        raise NotImplementedError

    checks.exercise_unigram_viterbi(unfilled)
    assert "not written yet" in capsys.readouterr().out
    checks.exercise_unigram_viterbi(...)
    assert "not written yet" in capsys.readouterr().out
