"""Notebook 03: the from-scratch tokenizers in ``course_utils.subword`` against the real ones, the BPE merge
stepper's payload and widget, the exercise checkers, and the Korean text the course ships."""

import json
import os

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers  # noqa: E402
from tokenizers import models as tok_models  # noqa: E402

from course_utils import CourseError, checks, data, models, subword, widgets  # noqa: E402

PROPERTY = settings(deadline=None, derandomize=bool(os.environ.get("CI")), max_examples=150)
# text that mixes what breaks naive tokenizers: Hangul, emoji (with modifiers), runs of whitespace, ASCII
MIXED = st.text(alphabet=st.sampled_from(list("킹받네가힣ㄱㅏ 한국어\n\t\r  😀🎉👍🏽‍️ab Z.,'!?0123")), max_size=60)
ANY_TEXT = st.one_of(st.text(max_size=60), MIXED)


@pytest.fixture(scope="module")
def lee_lines():
    text = data.gensim_datapath("lee_background.cor").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def lee_bpe(lee_lines):
    return subword.BPE.train(subword.count_words(lee_lines[:250]), vocab_size=1000)


@pytest.fixture(scope="module")
def gpt2_ours():
    return subword.ByteBPE.from_gpt2(*models.gpt2_tokenizer_files())


@pytest.fixture(scope="module")
def korean_byte_bpe():
    return subword.ByteBPE.train(data.korean_prose_lines(), vocab_size=256 + 400)


@pytest.fixture(scope="module")
def bert_tok():
    return models.load("bert-base-uncased", task="tokenizer")


def hf_bpe(lines, vocab_size):
    """tokenizers' BpeTrainer with the Whitespace pre-tokenizer (+1 for the [UNK] it keeps in its vocabulary)."""
    tok = Tokenizer(tok_models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=vocab_size + 1, special_tokens=["[UNK]"],
                                                       show_progress=False))
    return tok


def hf_merges(tok):
    return [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]


# ----------------------------------------------------------------------------------------------
# character-level BPE
# ----------------------------------------------------------------------------------------------
def test_pretokenize_is_the_whitespace_pre_tokenizer(lee_lines):
    reference = pre_tokenizers.Whitespace()
    for line in lee_lines[:100] + data.korean_prose_lines()[:100] + ["It's 3.5 km... 킹받네?!"]:
        assert subword.pretokenize(line) == [w for w, _ in reference.pre_tokenize_str(line)]


def test_bpe_learns_bpetrainer_merges_and_tokens_on_lee(lee_lines, lee_bpe):
    hf = hf_bpe(lee_lines[:250], 1000)
    assert len(lee_bpe.merges) == 921 and len(lee_bpe.vocab) == 1000
    assert lee_bpe.merges == hf_merges(hf)
    text = " ".join(lee_lines[250:]) + " naïve café 킹받네 🎉"  # unseen characters become [UNK] in both
    assert lee_bpe.encode(text) == hf.encode(text).tokens
    assert "[UNK]" in lee_bpe.encode(text)


@pytest.mark.parametrize("vocab_size", [400, 1500])
def test_bpe_learns_bpetrainer_merges_on_korean(vocab_size):
    lines = data.korean_prose_lines()
    ours = subword.BPE.train(lines, vocab_size=vocab_size)
    assert ours.merges == hf_merges(hf_bpe(lines, vocab_size))


def test_bpe_textbook_example_breaks_ties_like_tokenizers():
    toy = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    ours = subword.BPE.train(toy, num_merges=6)
    assert ours.merges == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("n", "ew")]
    assert [m.count for m in ours.trace] == [9, 9, 7, 7, 6, 6]
    lines = [" ".join([w] * n) for w, n in toy.items()]
    assert ours.merges == hf_merges(hf_bpe(lines, 100))[:6]


def test_bpe_counts_never_increase_and_prefixes_encode_step_by_step(lee_bpe):
    counts = [m.count for m in lee_bpe.trace]
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))
    word = "negotiations"
    lengths = [len(lee_bpe.encode_word(word, num_merges=k)) for k in range(len(lee_bpe.merges) + 1)]
    assert lengths[0] == len(word) and lengths == sorted(lengths, reverse=True)
    assert lee_bpe.encode_word(word) == lee_bpe.encode_word(word, num_merges=len(lee_bpe.merges))
    assert "".join(lee_bpe.encode_word(word)) == word
    assert lee_bpe.vocab_size_after(0) == len(lee_bpe.alphabet) == 79
    assert lee_bpe.vocab_size_after(len(lee_bpe.merges)) == len(lee_bpe.vocab)


def test_bpe_clear_errors():
    with pytest.raises(CourseError, match="no words"):
        subword.BPE.train({})
    with pytest.raises(CourseError, match="vocab_size"):
        subword.BPE.train({"ab": 1})
    with pytest.raises(CourseError, match="not one string"):
        subword.count_words("a whole text")
    with pytest.raises(CourseError, match="word"):
        subword.BPE.train({"ab": 3}, num_merges=1).encode_word("")


# ----------------------------------------------------------------------------------------------
# byte-level BPE
# ----------------------------------------------------------------------------------------------
GPT2_TEXTS = [
    "Hello world!  It's 3.14159 and 1,000,000 — they'll see.",
    "def f(x):\n    return x ** 2  # square\n\n\n",
    "🎉👍🏽 emoji 😂 and a ZWJ family 👨‍👩‍👧",
    data.COFFEE_SENTENCE, data.NEOLOGISM, "   leading\t\ttabs\r\n and trailing   ",
    "Ünïcödé naïve café — “quotes” and ½ ² ⅷ", "日本語のテキストと中文",
]


def test_byte_bpe_with_gpt2_files_gives_gpt2_ids(gpt2_ours, gpt2_tok, lee_lines):
    assert len(gpt2_ours.merges) == 50_000 and len(gpt2_ours.vocab) == 50_256  # + <|endoftext|> = 50,257
    for text in [*GPT2_TEXTS, " ".join(lee_lines[:20])]:
        assert gpt2_ours.encode(text) == gpt2_tok(text)["input_ids"], text
        assert gpt2_ours.decode(gpt2_ours.encode(text)) == text


@PROPERTY
@given(text=MIXED)
def test_byte_bpe_with_gpt2_files_matches_gpt2_on_mixed_text(gpt2_ours, gpt2_tok, text):
    assert gpt2_ours.encode(text) == gpt2_tok(text)["input_ids"]


@PROPERTY
@given(text=st.one_of(MIXED, st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=60)))
def test_gpt2_split_pattern_is_tokenizers_byte_level_pre_tokenizer(gpt2_tok, text):
    """Notebook 03 shows GPT-2's regex split next to tokenizers' ByteLevel pre-tokenizer: the same chunks.
    (Characters unassigned in Python's Unicode database are left out: ``regex`` and the Rust library may
    know newer Unicode versions than each other, and classify a newly assigned letter differently.)"""
    import regex

    to_byte = {c: b for b, c in subword.bytes_to_unicode().items()}
    chunks = gpt2_tok.backend_tokenizer.pre_tokenizer.pre_tokenize_str(text)
    theirs = [bytes(to_byte[c] for c in chunk).decode("utf-8") for chunk, _ in chunks]
    assert regex.findall(subword.GPT2_SPLIT_PATTERN, text) == theirs


@PROPERTY
@given(text=ANY_TEXT)
def test_gpt2_byte_bpe_round_trips_any_text(gpt2_ours, text):
    ids = gpt2_ours.encode(text)
    assert gpt2_ours.decode(ids) == text
    assert len(ids) <= len(text.encode("utf-8"))


@PROPERTY
@given(text=ANY_TEXT)
def test_trained_byte_bpe_round_trips_any_text(korean_byte_bpe, text):
    ids = korean_byte_bpe.encode(text)
    assert korean_byte_bpe.decode(ids) == text
    assert all(0 <= i < len(korean_byte_bpe.vocab) for i in ids)
    assert len(ids) <= len(text.encode("utf-8"))


def test_byte_bpe_training_compresses_korean(korean_byte_bpe):
    assert len(korean_byte_bpe.vocab) == 256 + 400 and len(korean_byte_bpe.merges) >= 400
    counts = [m.count for m in korean_byte_bpe.trace]
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))
    sentence = data.korean_prose_lines()[0]
    assert len(korean_byte_bpe.encode(sentence)) < len(sentence.encode("utf-8")) / 2
    assert korean_byte_bpe.piece(0xED) == "<ed>"  # the first byte of 킹 alone is not a character
    assert korean_byte_bpe.piece(korean_byte_bpe.vocab[b"a"]) == "a"


def test_byte_bpe_clear_errors(korean_byte_bpe):
    with pytest.raises(CourseError, match="at least 256"):
        subword.ByteBPE.train("abc", vocab_size=100)
    with pytest.raises(CourseError, match="not in this vocabulary"):
        korean_byte_bpe.decode([10**6])
    with pytest.raises(CourseError, match="surrogate"):
        korean_byte_bpe.encode("a\ud800b")
    with pytest.raises(CourseError, match="256 single bytes"):
        subword.ByteBPE([], vocab={b"a": 0})


def test_bytes_to_unicode_is_gpt2s_printable_byte_map():
    mapping = subword.bytes_to_unicode()
    assert len(set(mapping.values())) == 256
    assert mapping[ord(" ")] == "Ġ" and mapping[ord("A")] == "A" and mapping[ord("\n")] == "Ċ"


# ----------------------------------------------------------------------------------------------
# WordPiece
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wordpiece():
    return subword.WordPiece.from_file(models.minilm_path() / "vocab.txt")


def test_wordpiece_matches_bert_tokenizer_on_an_english_corpus(wordpiece, bert_tok, lee_lines):
    corpus = lee_lines + [item.text for item in data.pang_lee_polarity()]
    for line in corpus:
        assert wordpiece.tokenize(line) == bert_tok.tokenize(line), line
    sample = " ".join(corpus[:30])
    assert wordpiece.encode(sample) == bert_tok(sample, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("text", ["fearless", "unbelievable", "tokenization", "unbelievably", "Café naïve résumé",
                                  "北京 你好", "don't stop—ever!", "킹받네", data.COFFEE_SENTENCE, "a" * 101])
def test_wordpiece_examples_match_bert(wordpiece, bert_tok, text):
    assert wordpiece.tokenize(text) == bert_tok.tokenize(text)


def test_wordpiece_greedy_longest_match_and_unknowns(wordpiece):
    assert wordpiece.tokenize("tokenization") == ["token", "##ization"]
    assert wordpiece.tokenize("킹받네") == ["[UNK]"]
    greedy = subword.WordPiece(checks.WORDPIECE_EXERCISE_VOCAB)
    assert greedy.encode_word("unaffable") == ["una", "##f", "##fable"]  # not un + ##aff + ##able
    assert greedy.encode_word("unx") == ["[UNK]"]
    assert list(subword.bert_pretokenize("킹")[0]) == ["ᄏ", "ᅵ", "ᆼ"]  # NFD turns a syllable into jamo


def test_wordpiece_clear_errors():
    with pytest.raises(CourseError, match="unknown token"):
        subword.WordPiece(["a", "##b"])
    with pytest.raises(CourseError, match="not one string"):
        subword.WordPiece.train("one text", vocab_size=10)
    with pytest.raises(CourseError, match="must include the unknown token"):
        subword.WordPiece.train(["some text"], vocab_size=10, special_tokens=["[PAD]"])
    with pytest.raises(CourseError, match="word"):
        subword.WordPiece(["[UNK]"]).encode_word("  ")


def test_wordpiece_training_splits_the_neologism_into_syllables():
    lines = data.korean_prose_lines() + data.kiwipiepy_doc_lines()
    korean = subword.WordPiece.train(lines, vocab_size=3000, special_tokens=["[UNK]"], lowercase=False)
    assert len(korean.vocab) == 3000 and korean.vocab["[UNK]"] == 0
    assert korean.encode_word(data.NEOLOGISM) == ["킹", "##받", "##네"]
    again = subword.WordPiece.train(lines, vocab_size=3000, special_tokens=["[UNK]"], lowercase=False)
    assert again.vocab == korean.vocab  # deterministic


def test_wordpiece_training_agrees_with_wordpiecetrainer(lee_lines):
    ours = subword.WordPiece.train(lee_lines, vocab_size=3000)
    hf = Tokenizer(tok_models.WordPiece(unk_token="[UNK]"))
    hf.normalizer = normalizers.BertNormalizer(lowercase=True)
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    hf.train_from_iterator(lee_lines, trainers.WordPieceTrainer(
        vocab_size=3000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False))
    # tokenizers breaks ties between equally frequent pairs in hash order, so only tied merges may differ
    assert len(set(ours.vocab) & set(hf.get_vocab())) >= 0.98 * 3000
    assert [ours.vocab[t] for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]] == [0, 1, 2, 3, 4]


# ----------------------------------------------------------------------------------------------
# the Korean text
# ----------------------------------------------------------------------------------------------
def test_korean_prose_is_varied_original_text_without_the_neologism():
    lines = data.korean_prose_lines()
    raw = (data.DATA_DIR / "korean_prose.txt").read_text(encoding="utf-8")
    assert len(lines) >= 500 and len(set(lines)) == len(lines)
    assert data.NEOLOGISM not in raw
    assert len({w for line in lines for w in line.split()}) >= 2000
    hangul = sum("가" <= c <= "힣" for c in raw)
    assert hangul / len(raw.replace(" ", "").replace("\n", "")) > 0.9
    docs = data.kiwipiepy_doc_lines()
    assert len(docs) >= 200 and not any(data.NEOLOGISM in line for line in docs)


# ----------------------------------------------------------------------------------------------
# the merge stepper
# ----------------------------------------------------------------------------------------------
def test_bpe_step_payload_replays_the_merges(lee_bpe):
    start = widgets.bpe_step_payload(lee_bpe, "negotiations", 0)
    assert start["tokens"] == list("negotiations") and start["recent"] == [] and not start["changed"]
    assert start["vocab_size"] == 79 and start["total_steps"] == 921
    end = widgets.bpe_step_payload(lee_bpe, "negotiations", 921, recent=3)
    assert end["tokens"] == lee_bpe.encode_word("negotiations") and end["vocab_size"] == 1000
    number, a, b, new, count = end["recent"][-1]
    assert (number, (a, b), new, count) == (921, lee_bpe.merges[-1], a + b, lee_bpe.trace[-1].count)
    assert len(end["recent"]) == 3
    first = widgets.bpe_step_payload(lee_bpe, "the", 1)
    assert first["recent"] == [(1, "t", "h", "th", lee_bpe.trace[0].count)]
    assert first["tokens"] == ["th", "e"] and first["changed"]


@pytest.mark.parametrize("step", [-1, 922, 1.5, "3"])
def test_bpe_step_payload_rejects_bad_steps(lee_bpe, step):
    with pytest.raises(CourseError, match="step must be"):
        widgets.bpe_step_payload(lee_bpe, "word", step)


def test_bpe_step_payload_rejects_bad_input(lee_bpe):
    with pytest.raises(CourseError, match="word"):
        widgets.bpe_step_payload(lee_bpe, "", 3)
    with pytest.raises(CourseError, match="trained subword.BPE"):
        widgets.bpe_step_payload("not a bpe", "word", 0)


def test_static_frames_are_labelled(lee_bpe):
    fig = widgets.draw_bpe_step(widgets.bpe_step_payload(lee_bpe, "negotiations", 40))
    assert "'negotiations' after 40 of 921 merges" in fig.axes[0].get_title(loc="left")
    fig = widgets.draw_bpe_progress(lee_bpe, "negotiations", [0, 40, 921])
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles[0] == "after 0 merges (vocabulary 79): 12 tokens" and len(titles) == 3
    with pytest.raises(CourseError, match="at least one step"):
        widgets.draw_bpe_progress(lee_bpe, "negotiations", [])


def test_bpe_stepper_rerenders_on_slider_and_word(lee_bpe):
    box = widgets.bpe_stepper(lee_bpe, word="negotiations", step=5)
    (word_row, slider, out) = box.children
    text = word_row.children[0]
    assert slider.max == 921 and len(out.outputs) == 1
    slider.value = 200
    assert len(out.outputs) == 1 and "image/png" in out.outputs[0]["data"]
    text.value = " "
    assert any("type a word" in o.get("text", "") for o in out.outputs)
    text.value = "unbelievable"
    assert "image/png" in out.outputs[0]["data"]


# ----------------------------------------------------------------------------------------------
# exercises
# ----------------------------------------------------------------------------------------------
def test_exercise_checkers(capsys):
    checks.exercise_bpe_merge(("u", "g"))
    checks.exercise_bpe_merge(["u", "n"])
    checks.exercise_bpe_merge(...)
    checks.exercise_wordpiece(["una", "##f", "##fable"])
    checks.exercise_wordpiece(["un", "##aff", "##able"])
    checks.exercise_wordpiece(["una"])
    checks.exercise_utf8_bytes(len(checks.BYTES_EXERCISE_TEXT.encode("utf-8")))
    checks.exercise_utf8_bytes(len(checks.BYTES_EXERCISE_TEXT))
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "Hint" in out[1] and "not answered yet" in out[2]
    assert out[3].endswith("correct") and "Hint" in out[4] and "Hint" in out[5]
    assert out[6].endswith("correct") and "Hint" in out[7]


def _bpe_merge_step_alternative(words):
    """A correct solution written differently from the reference (sorting instead of min over ties)."""
    counts = {}
    for symbols, count in words.items():
        for i in range(len(symbols) - 1):
            counts[symbols[i], symbols[i + 1]] = counts.get((symbols[i], symbols[i + 1]), 0) + count
    if not counts:
        return None, dict(words)
    pair = sorted(counts, key=lambda p: (-counts[p], p))[0]
    merged = {}
    for symbols, count in words.items():
        out, i = [], 0
        while i < len(symbols):
            if tuple(symbols[i:i + 2]) == pair:
                out.append(pair[0] + pair[1])
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        merged[tuple(out)] = merged.get(tuple(out), 0) + count
    return pair, merged


def test_exercise_bpe_merge_step(capsys):
    from course_utils.checks import nb03

    checks.reset_hints()
    checks.exercise_bpe_merge_step(_bpe_merge_step_alternative)
    checks.exercise_bpe_merge_step(nb03._reference_bpe_merge_step)

    def most_common_first(words):  # wrong on ties: Counter.most_common keeps the first pair seen
        return nb03._reference_bpe_merge_step(words) if len(words) != 2 or ("b", "a") not in words else \
            (("b", "a"), {("ba",): 2, ("a", "b"): 2})

    def no_count_merge(words):  # forgets that two words can become one
        pair, _ = nb03._reference_bpe_merge_step(words)
        if pair is None:
            return None, dict(words)
        from course_utils.subword import _merge_symbols
        return pair, {tuple(_merge_symbols(list(w), pair, pair[0] + pair[1])): n for w, n in words.items()}

    def stub(words):
        raise NotImplementedError

    checks.exercise_bpe_merge_step(most_common_first)
    checks.exercise_bpe_merge_step(no_count_merge)
    checks.exercise_bpe_merge_step(...)
    checks.exercise_bpe_merge_step(stub)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1] == "BPE merge step: correct (8 cases, edge cases included)"
    assert "case 3 of 8" in out[2] and "(hint 1 of 3)" in out[3]
    assert "case 6 of 8" in out[4] and "(hint 2 of 3)" in out[5] and "add their counts" not in out[5]
    assert "not written yet" in out[6] and "(hint 1 of 3)" in out[6]
    assert "not written yet" in out[7] and "(hint 1 of 3)" in out[7]


def test_exercise_gpt2_tokens_to_text(capsys, gpt2_tok):
    from course_utils.checks import nb03

    checks.reset_hints()
    to_byte = {c: b for b, c in subword.bytes_to_unicode().items()}

    def alternative(tokens):
        return b"".join(bytes(to_byte[c] for c in t) for t in tokens).decode("utf-8", errors="replace")

    def per_token(tokens):  # decodes each token alone: a syllable split over tokens breaks
        return "".join(bytes(to_byte[c] for c in t).decode("utf-8", errors="replace") for t in tokens)

    def ignore_errors(tokens):  # drops a cut character instead of replacing it
        return b"".join(bytes(to_byte[c] for c in t) for t in tokens).decode("utf-8", errors="ignore")

    checks.exercise_gpt2_tokens_to_text(alternative)
    checks.exercise_gpt2_tokens_to_text(per_token)
    checks.exercise_gpt2_tokens_to_text(ignore_errors)
    checks.exercise_gpt2_tokens_to_text(...)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "GPT-2 tokens to text: correct (7 cases, edge cases included)"
    assert "case 2 of 7" in out[1] and "case 6 of 7" in out[3] and "not written yet" in out[5]
    # the reference inverts what GPT-2's tokenizer shows
    text = "Hello 킹받네 😀\n"
    assert nb03._reference_gpt2_tokens_to_text(gpt2_tok.tokenize(text)) == text


def test_exercise_longest_match(capsys, wordpiece):
    from course_utils.checks import nb03

    checks.reset_hints()

    def alternative(word, vocab, unk_token="[UNK]"):
        return subword.WordPiece(sorted(vocab | {unk_token}), unk_token=unk_token).encode_word(word) if word else []

    def shortest_first(word, vocab, unk_token="[UNK]"):  # a wrong greedy rule
        pieces, start = [], 0
        while start < len(word):
            for end in range(start + 1, len(word) + 1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    break
            else:
                return [unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def partial_unknown(word, vocab, unk_token="[UNK]"):  # only the stuck part becomes unknown
        pieces = nb03._reference_longest_match(word, vocab, unk_token)
        return ["un", unk_token] if word == "unx" else pieces

    def stub(word, vocab, unk_token="[UNK]"):
        raise NotImplementedError

    checks.exercise_longest_match(alternative)
    checks.exercise_longest_match(shortest_first)
    checks.exercise_longest_match(partial_unknown)
    checks.exercise_longest_match(...)
    checks.exercise_longest_match(stub)
    out = capsys.readouterr().out.splitlines()
    name = "WordPiece longest match (function)"
    assert out[0] == f"{name}: correct (9 cases, edge cases included)"
    assert "case 1 of 9" in out[1] and "case 6 of 9" in out[3]
    assert all("not written yet" in line for line in out[5:7])
    # the reference is BERT's encoder on the real vocabulary
    vocab = set(wordpiece.vocab)
    for word in ["tokenization", "unbelievably", "detokenizer", "킹"]:
        assert nb03._reference_longest_match(word, vocab) == wordpiece.encode_word(word)


def test_bpe_widgets_accept_a_notebook_twin_of_bpe(lee_bpe):
    """The notebook defines its own BPE class (a twin cell); the stepper takes it like the package's."""

    class NotebookBPE:
        merges, trace, alphabet = lee_bpe.merges, lee_bpe.trace, lee_bpe.alphabet
        encode_word = staticmethod(lee_bpe.encode_word)
        vocab_size_after = staticmethod(lee_bpe.vocab_size_after)

    payload = widgets.bpe_step_payload(NotebookBPE(), "negotiations", 40)
    assert payload == widgets.bpe_step_payload(lee_bpe, "negotiations", 40)
