"""Exercise checkers of notebook 03 (subword tokenizers). Each computes its expected answer itself: the
function exercises run the learner's function against a reference on several inputs, edge cases included."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .core import grade, grade_function

__all__ = ["BPE_EXERCISE_WORDS", "WORDPIECE_EXERCISE_VOCAB", "WORDPIECE_EXERCISE_WORD", "BYTES_EXERCISE_TEXT",
           "exercise_bpe_merge", "exercise_bpe_merge_step", "exercise_gpt2_tokens_to_text",
           "exercise_longest_match", "exercise_wordpiece", "exercise_utf8_bytes", "exercise_unigram_viterbi"]

# word -> frequency: the toy corpus of the Hugging Face LLM course's BPE chapter
BPE_EXERCISE_WORDS = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
# a vocabulary in which greedy longest-match does NOT find the "linguistic" split un + ##aff + ##able
WORDPIECE_EXERCISE_VOCAB = ("[UNK]", "un", "una", "##aff", "##able", "##f", "##fable", "##a", "##b", "##l", "##e")
WORDPIECE_EXERCISE_WORD = "unaffable"
BYTES_EXERCISE_TEXT = "킹받네 😀"


def exercise_bpe_merge(answer: Any) -> None:
    """The first BPE merge on ``BPE_EXERCISE_WORDS``: the most frequent adjacent pair, as a tuple."""
    from ..subword import BPE

    expected = BPE.train(BPE_EXERCISE_WORDS, num_merges=1).merges[0]
    if isinstance(answer, list):
        answer = tuple(answer)
    if isinstance(answer, tuple) and len(answer) != 2:
        answer = ("wrong length",)
    grade(answer, expected, [
        "split every word into characters and count each adjacent pair once per occurrence, times the "
        "word's frequency",
        "a pair that occurs in several words collects all their frequencies ('u' then 'g' occurs in three "
        "words); answer with the winner as a tuple of two strings",
    ], name="BPE merge")


# ----------------------------------------------------------------------------------------------
# one BPE training step, the simple way (recount everything)
# ----------------------------------------------------------------------------------------------
def _reference_bpe_merge_step(words: dict[tuple[str, ...], int]) -> tuple[tuple[str, str] | None,
                                                                          dict[tuple[str, ...], int]]:
    """Count pairs weighted by frequency, take the most frequent (ties: the smallest pair), merge it."""
    from ..subword import _merge_symbols

    counts: Counter = Counter()
    for symbols, count in words.items():
        for pair in zip(symbols, symbols[1:], strict=False):
            counts[pair] += count
    if not counts:
        return None, dict(words)
    best = max(counts.values())
    pair = min(p for p, c in counts.items() if c == best)
    merged: dict[tuple[str, ...], int] = {}
    for symbols, count in words.items():
        new = tuple(_merge_symbols(list(symbols), pair, pair[0] + pair[1]))
        merged[new] = merged.get(new, 0) + count
    return pair, merged


BPE_STEP_CASES = [
    ({tuple(w): n for w, n in BPE_EXERCISE_WORDS.items()},),
    ({tuple(w): n for w, n in {"low": 5, "lower": 2, "newest": 6, "widest": 3}.items()},),  # a tie: es / st
    ({("a", "b"): 2, ("b", "a"): 2},),                               # a tie between (a, b) and (b, a)
    ({("a", "a", "a"): 1},),                                         # overlapping pairs: left to right
    ({("h", "ug"): 10, ("p", "ug"): 5, ("p", "un"): 12, ("b", "un"): 4, ("h", "ug", "s"): 5},),  # merged symbols
    ({("a", "b"): 3, ("ab",): 2},),                                  # two words become one: counts add up
    ({("a",): 4, ("b",): 1},),                                       # no word has a pair
    ({},),                                                           # no words at all
]


def exercise_bpe_merge_step(fn: Any) -> None:
    """``fn(words)`` -> ``(pair, merged_words)``: one BPE training step on word counts."""
    grade_function(fn, _reference_bpe_merge_step, BPE_STEP_CASES, [
        "two parts: count every adjacent pair in every word, adding the word's frequency for each occurrence; "
        "then rebuild every word with the winning pair joined into one symbol",
        "the winner has the highest count; among equal counts take the smallest pair in Python's ordering of "
        "tuples. If no word has two symbols, return None and the words unchanged",
        "rebuild a word by walking along it: where the symbols at i and i+1 form the pair, emit the joined "
        "symbol and move two places, else emit one symbol and move one. Two words can become the same tuple: "
        "add their counts",
    ], name="BPE merge step")


# ----------------------------------------------------------------------------------------------
# GPT-2's shown tokens back to text (the inverse of bytes_to_unicode)
# ----------------------------------------------------------------------------------------------
def _reference_gpt2_tokens_to_text(tokens: list[str]) -> str:
    from ..subword import bytes_to_unicode

    to_byte = {char: byte for byte, char in bytes_to_unicode().items()}
    data = bytes(to_byte[char] for token in tokens for char in token)
    return data.decode("utf-8", errors="replace")


def _shown(data: bytes) -> str:
    """How GPT-2 shows these bytes (each byte as its bytes_to_unicode character)."""
    from ..subword import bytes_to_unicode

    chars = bytes_to_unicode()
    return "".join(chars[b] for b in data)


def _gpt2_decode_cases() -> list[tuple[list[str]]]:
    king = "킹받네 😀".encode()
    return [
        ([_shown(b"Hello"), _shown(b" world"), _shown(b"!")],),
        ([_shown(king[:2]), _shown(king[2:4]), _shown(king[4:9]), _shown(king[9:11]), _shown(king[11:])],),
        ([_shown(b" tabs\t\tand\nnewlines\r\n")],),                  # control bytes are shown as U+0100...
        ([_shown("Ünïcödé — “quotes”".encode())],),
        ([_shown(b"a")],),                                           # one token
        ([_shown(king[:2])],),                                       # a cut Hangul syllable: replaced
        ([],),                                                       # no tokens
    ]


def exercise_gpt2_tokens_to_text(fn: Any) -> None:
    """``fn(tokens)`` -> text: GPT-2's displayed tokens ('Ġthe', 'íĤ¹') decoded back into text."""
    grade_function(fn, _reference_gpt2_tokens_to_text, _gpt2_decode_cases(), [
        "each character of a shown token stands for exactly one byte: invert the mapping of bytes_to_unicode "
        "(character -> byte) to get the bytes back",
        "join the bytes of ALL the tokens before decoding: the three bytes of one Hangul syllable may be "
        "spread over several tokens",
        "decode the joined bytes as UTF-8 so that an incomplete character becomes the replacement "
        "character (not dropped, not an error); no tokens give the empty string",
    ], name="GPT-2 tokens to text")


# ----------------------------------------------------------------------------------------------
# WordPiece's greedy longest match
# ----------------------------------------------------------------------------------------------
def _reference_longest_match(word: str, vocab: set[str] | frozenset[str], unk_token: str = "[UNK]") -> list[str]:
    pieces, start = [], 0
    while start < len(word):
        end, piece = len(word), None
        while start < end:
            candidate = word[start:end] if start == 0 else "##" + word[start:end]
            if candidate in vocab:
                piece = candidate
                break
            end -= 1
        if piece is None:
            return [unk_token]
        pieces.append(piece)
        start = end
    return pieces


_SMALL_VOCAB = frozenset({"[UNK]", "<unk>", "token", "to", "##ken", "##ization", "##iz", "##ation", "un", "una",
                          "##aff", "##able", "##f", "##fable", "a", "##s", "킹", "##받", "##네"})


def _longest_match_cases() -> list[Any]:
    return [
        ("tokenization", _SMALL_VOCAB),                             # 'token' beats 'to', '##ization' beats '##iz'
        ("tokens", _SMALL_VOCAB),
        (WORDPIECE_EXERCISE_WORD, frozenset(WORDPIECE_EXERCISE_VOCAB)),  # greedy, not linguistic
        ("킹받네", _SMALL_VOCAB),
        ("a", _SMALL_VOCAB),                                         # one character
        ("unx", _SMALL_VOCAB),                                       # stuck at 'x': the whole word is unknown
        ("xa", _SMALL_VOCAB),                                        # stuck at the start
        {"word": "tokenx", "vocab": _SMALL_VOCAB, "unk_token": "<unk>"},  # another unknown token
        ("", _SMALL_VOCAB),                                          # an empty word has no pieces
    ]


def exercise_longest_match(fn: Any) -> None:
    """``fn(word, vocab, unk_token="[UNK]")`` -> pieces: WordPiece's greedy longest-match-first split."""
    grade_function(fn, _reference_longest_match, _longest_match_cases(), [
        "work left to right: at each position take the LONGEST vocabulary entry that starts there; every "
        "piece after the first is looked up with the '##' prefix",
        "at a position, try the candidate that runs to the end of the word first, then shorten it one "
        "character at a time until it is in the vocabulary; continue where the piece ended",
        "if no candidate at some position is in the vocabulary, the WHOLE word becomes the unknown token "
        "(a one-element list), not only that part; an empty word gives an empty list",
    ], name="WordPiece longest match (function)")


def exercise_wordpiece(answer: Any) -> None:
    """Greedy longest-match-first pieces of ``WORDPIECE_EXERCISE_WORD`` over ``WORDPIECE_EXERCISE_VOCAB``."""
    expected = _reference_longest_match(WORDPIECE_EXERCISE_WORD, frozenset(WORDPIECE_EXERCISE_VOCAB))
    if isinstance(answer, tuple):
        answer = list(answer)
    if isinstance(answer, list) and len(answer) != len(expected):
        answer = ["wrong length"]
    grade(answer, expected, [
        "from the start of the word, take the LONGEST vocabulary entry that matches, then continue where it "
        "ended; continuations carry '##'. Answer with a list of strings",
        "the first piece is not 'un': a longer entry also starts the word. Then look for the longest '##' "
        "entry that continues from there",
    ], name="WordPiece longest match")


def exercise_utf8_bytes(answer: Any) -> None:
    """How many symbols byte-level BPE starts from for ``BYTES_EXERCISE_TEXT`` (its UTF-8 bytes)."""
    expected = len(BYTES_EXERCISE_TEXT.encode("utf-8"))
    grade(answer, expected, [
        "byte-level BPE starts from one symbol per UTF-8 byte, not per character",
        "a Hangul syllable takes 3 UTF-8 bytes, an ASCII space 1 and most emoji 4: add them up",
    ], name="UTF-8 bytes")


def _reference_best_segmentation(word: str, log_probs: dict[str, float]) -> list[str]:
    from ..unigram import viterbi

    return viterbi(word, log_probs)[0] if word else []


# log-probabilities with no ties between segmentations; the greedy longest-first split is wrong for several words
_UNIGRAM_PIECES = {"▁": -3.0, "a": -2.0, "b": -2.5, "c": -6.0, "ab": -2.2, "▁a": -2.9, "ba": -3.1, "aba": -4.0,
                   "▁ab": -5.5, "abab": -9.0, "▁킹": -7.0, "킹": -6.5, "받": -4.1, "네": -3.3, "받네": -9.5}


def _unigram_viterbi_cases() -> list[Any]:
    return [
        ("▁abab", _UNIGRAM_PIECES),     # '▁' + 'ab' + 'ab' beats the longest first piece '▁ab'
        ("abab", _UNIGRAM_PIECES),      # the whole word is a piece, but two pieces are more probable
        ("▁ababa", _UNIGRAM_PIECES),
        ("abcab", _UNIGRAM_PIECES),
        ("▁킹받네", _UNIGRAM_PIECES),   # Korean
        ("b", _UNIGRAM_PIECES),         # one character
        ("", _UNIGRAM_PIECES),          # an empty word has no pieces
    ]


def exercise_unigram_viterbi(fn: Any) -> None:
    """``fn(word, log_probs)`` -> pieces: the most probable segmentation under a Unigram model."""
    grade_function(fn, _reference_best_segmentation, _unigram_viterbi_cases(), [
        "dynamic programming over end positions: best[end] is the highest total log-probability of any split "
        "of word[:end], with best[0] = 0 (and minus infinity where no split exists yet)",
        "for each end, try every start before it whose piece word[start:end] is in log_probs: best[start] + "
        "log_probs[piece] may improve best[end]; remember which start gave the best (a back-pointer)",
        "after the loop, follow the back-pointers from len(word) back to 0, collecting the pieces, then reverse "
        "them; taking the longest piece first is not the answer when shorter pieces are more probable together",
    ], name="Unigram Viterbi")
