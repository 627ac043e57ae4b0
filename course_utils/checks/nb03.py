"""Exercise checkers of notebook 03 (subword tokenizers). Each computes its expected answer itself."""

from __future__ import annotations

from typing import Any

from .core import grade

__all__ = ["BPE_EXERCISE_WORDS", "WORDPIECE_EXERCISE_VOCAB", "WORDPIECE_EXERCISE_WORD", "BYTES_EXERCISE_TEXT",
           "exercise_bpe_merge", "exercise_wordpiece", "exercise_utf8_bytes"]

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
    grade(answer, expected, "split every word into characters, count each adjacent pair once per "
                            "occurrence times the word's frequency, and give the winner as a tuple "
                            "('x', 'y')", name="BPE merge")


def exercise_wordpiece(answer: Any) -> None:
    """Greedy longest-match-first pieces of ``WORDPIECE_EXERCISE_WORD`` over ``WORDPIECE_EXERCISE_VOCAB``."""
    from ..subword import WordPiece

    expected = WordPiece(WORDPIECE_EXERCISE_VOCAB).encode_word(WORDPIECE_EXERCISE_WORD)
    if isinstance(answer, tuple):
        answer = list(answer)
    if isinstance(answer, list) and len(answer) != len(expected):
        answer = ["wrong length"]
    grade(answer, expected, "from the start of the word, take the LONGEST vocabulary entry that matches "
                            "(continuations carry '##'), then continue where it ended; a list of strings",
          name="WordPiece longest match")


def exercise_utf8_bytes(answer: Any) -> None:
    """How many symbols byte-level BPE starts from for ``BYTES_EXERCISE_TEXT`` (its UTF-8 bytes)."""
    expected = len(BYTES_EXERCISE_TEXT.encode("utf-8"))
    grade(answer, expected, "a Hangul syllable is 3 UTF-8 bytes, a space 1, most emoji 4: "
                            "len(text.encode('utf-8'))", name="UTF-8 bytes")
