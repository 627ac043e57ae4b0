"""Subword tokenizers from scratch: character-level BPE, byte-level BPE and WordPiece (notebook 03).

Small and readable in the spirit of minbpe; each piece is checked against the real library
(``tests/test_nb03_subword.py``):

- ``BPE.train`` learns exactly the merges of Hugging Face ``tokenizers``' ``BpeTrainer`` on the same
  words (``pretokenize`` is its ``Whitespace`` pre-tokenizer), and ``BPE.encode`` gives its tokens;
- ``ByteBPE`` works on UTF-8 bytes, so it never needs an unknown token and ``decode(encode(text)) == text``
  for any text; loaded with GPT-2's merges (``ByteBPE.from_gpt2``) it gives GPT-2's ids;
- ``WordPiece`` is BERT's greedy longest-match-first encoder; over bert-base-uncased's vocabulary it
  matches ``BertTokenizer`` token for token. ``WordPiece.train`` learns a vocabulary as ``tokenizers``'
  WordPieceTrainer does (BPE merges with ``##`` continuations), deterministically.

>>> bpe = BPE.train({"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}, num_merges=3)
>>> bpe.merges
[('u', 'g'), ('u', 'n'), ('h', 'ug')]
>>> bpe.encode_word("hugs")
['hug', 's']
"""

from __future__ import annotations

import heapq
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CourseError, require_text

__all__ = [
    "WHITESPACE_PATTERN", "GPT2_SPLIT_PATTERN", "pretokenize", "count_words", "Merge", "learn_merges",
    "BPE", "ByteBPE", "bytes_to_unicode", "WordPiece", "bert_pretokenize",
]

# ----------------------------------------------------------------------------------------------
# pre-tokenisation: text -> words. BPE never merges across a word boundary.
# ----------------------------------------------------------------------------------------------
# The regex of tokenizers.pre_tokenizers.Whitespace: runs of word characters, or of punctuation.
WHITESPACE_PATTERN = r"\w+|[^\w\s]+"
# GPT-2's split (encoder.py in openai/gpt-2): contractions, letters, digits, other symbols, spaces.
# A leading space stays attached to the word after it, which is why GPT-2 tokens start with 'Ġ'.
GPT2_SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

_WHITESPACE_RE = re.compile(WHITESPACE_PATTERN)


def pretokenize(text: str) -> list[str]:
    """Split text into words and punctuation runs, as ``tokenizers``' ``Whitespace`` pre-tokenizer does.

    >>> pretokenize("It's 3.5 km!")
    ['It', "'", 's', '3', '.', '5', 'km', '!']
    """
    if not isinstance(text, str):
        raise CourseError(f"text must be a string, got {type(text).__name__}")
    return _WHITESPACE_RE.findall(text)


def count_words(texts: Iterable[str]) -> Counter[str]:
    """How often each pre-tokenised word occurs in ``texts`` (the input of ``BPE.train``)."""
    if isinstance(texts, str):
        raise CourseError("count_words takes an iterable of texts (e.g. a list of lines), not one string")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(pretokenize(text))
    return counts


# ----------------------------------------------------------------------------------------------
# the BPE training loop, shared by the character-level and the byte-level tokenizer
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Merge:
    """One training step: ``pair`` occurred ``count`` times and became the symbol ``new``."""

    pair: tuple[Any, Any]
    new: Any
    count: int


def _pairs(symbols: Sequence[Hashable]) -> list[tuple[Hashable, Hashable]]:
    return list(zip(symbols, symbols[1:], strict=False))


def _merge_symbols(symbols: list, pair: tuple, new: Hashable) -> list:
    """Replace every occurrence of ``pair`` in ``symbols`` by ``new``, left to right."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn_merges(words: Mapping[tuple, int], alphabet: Sequence[Hashable], *, vocab_size: int | None = None,
                 num_merges: int | None = None, min_frequency: int = 0, progress: bool = False,
                 join: Callable[[Any, Any], Any] | None = None) -> tuple[list[Merge], dict[Hashable, int]]:
    """The BPE training loop over words given as tuples of symbols (characters or bytes).

    Repeatedly merge the most frequent adjacent pair, counting each pair once per occurrence and
    weighting it by the word's frequency. Ties go to the pair whose symbols have the smaller ids
    (the alphabet in the given order, then new symbols in the order they were made) — the rule of
    ``tokenizers``' BpeTrainer, so both learn the same merges. Stops when the vocabulary has
    ``vocab_size`` entries, after ``num_merges`` merges, or when no pair occurs ``min_frequency`` times
    (and at least once). ``join`` makes the new symbol of a pair (default: ``a + b``). Returns the
    merges and the vocabulary (symbol -> id).
    """
    if vocab_size is None and num_merges is None:
        raise CourseError("give vocab_size (final vocabulary size) or num_merges (number of merges)")
    vocab: dict[Hashable, int] = {}
    for symbol in alphabet:
        vocab.setdefault(symbol, len(vocab))
    entries = [(list(word), count) for word, count in words.items() if count > 0]
    # pair -> total count, and pair -> the words it occurs in (so a merge only revisits those words)
    pair_counts: Counter = Counter()
    where: dict[tuple, set[int]] = defaultdict(set)
    for index, (symbols, count) in enumerate(entries):
        for pair in _pairs(symbols):
            pair_counts[pair] += count
            where[pair].add(index)
    # A heap finds the best pair fast: entries (-count, id of left, id of right, pair), so the smallest entry
    # is the most frequent pair with the smallest ids. When a pair's count changes we push a fresh entry;
    # an entry whose count no longer matches is stale and skipped when it comes up.
    heap = [(-c, vocab[a], vocab[b], (a, b)) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=num_merges or max(0, vocab_size - len(vocab)), desc="BPE merges")
    merges: list[Merge] = []
    while (vocab_size is None or len(vocab) < vocab_size) and (num_merges is None or len(merges) < num_merges):
        pair, count = None, 0
        while heap:  # the most frequent pair; among equally frequent pairs, the one with the smallest ids
            neg_count, _, _, candidate = heapq.heappop(heap)
            if pair_counts.get(candidate, 0) == -neg_count:
                pair, count = candidate, -neg_count
                break
        if pair is None or count < max(1, min_frequency):
            break
        new = join(*pair) if join is not None else pair[0] + pair[1]
        vocab.setdefault(new, len(vocab))  # the same string can be reached by two different merges
        merges.append(Merge(pair, new, count))
        before: dict[tuple, int] = {}
        for index in where.pop(pair):
            symbols, word_count = entries[index]
            for old in _pairs(symbols):  # take the word's pairs out ...
                before.setdefault(old, pair_counts[old])
                pair_counts[old] -= word_count
                if pair_counts[old] <= 0:
                    del pair_counts[old]
            symbols = _merge_symbols(symbols, pair, new)
            entries[index] = (symbols, word_count)
            for fresh in _pairs(symbols):  # ... and put the merged word's pairs back
                before.setdefault(fresh, pair_counts.get(fresh, 0))
                pair_counts[fresh] += word_count
                where[fresh].add(index)
        for changed, old_count in before.items():
            if pair_counts.get(changed, 0) not in (0, old_count):
                heapq.heappush(heap, (-pair_counts[changed], vocab[changed[0]], vocab[changed[1]], changed))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return merges, vocab


def _apply_merges(symbols: list, ranks: Mapping[tuple, int], limit: int | None = None) -> list:
    """Encode one word: repeatedly apply the learned merge of lowest rank present (first learned first)."""
    while len(symbols) > 1:
        candidates = [(ranks[p], p) for p in _pairs(symbols) if p in ranks and (limit is None or ranks[p] < limit)]
        if not candidates:
            break
        _, pair = min(candidates)
        symbols = _merge_symbols(symbols, pair, pair[0] + pair[1])
    return symbols


# ----------------------------------------------------------------------------------------------
# character-level BPE (Sennrich et al. 2016)
# ----------------------------------------------------------------------------------------------
class BPE:
    """Character-level BPE: words start as characters; learned merges join frequent adjacent pairs.

    ``merges`` is the ordered list of learned pairs, ``vocab`` maps each token to its id (the alphabet
    sorted by code point, then merged tokens in order), ``trace`` holds each merge's count.
    Characters never seen in training become ``unk_token``.
    """

    def __init__(self, merges: Sequence[tuple[str, str]], alphabet: Iterable[str], *,
                 unk_token: str = "[UNK]", trace: Sequence[Merge] = ()) -> None:
        self.alphabet = sorted(set(alphabet))
        self.merges = [tuple(m) for m in merges]
        self.unk_token = unk_token
        self.trace = list(trace)
        self.vocab: dict[str, int] = {c: i for i, c in enumerate(self.alphabet)}
        for a, b in self.merges:
            self.vocab.setdefault(a + b, len(self.vocab))
        self.ranks = {pair: rank for rank, pair in reversed(list(enumerate(self.merges)))}

    @classmethod
    def train(cls, words: Mapping[str, int] | Iterable[str], *, vocab_size: int | None = None,
              num_merges: int | None = None, min_frequency: int = 0, progress: bool = False) -> BPE:
        """Learn merges from word counts (or from texts, which are pre-tokenised with ``pretokenize``)."""
        counts = dict(words) if isinstance(words, Mapping) else count_words(words)
        if not counts:
            raise CourseError("no words to train on: pass word counts or a list of non-empty texts")
        alphabet = sorted({c for word in counts for c in word})  # code-point order, as BpeTrainer
        trace, _ = learn_merges({tuple(w): n for w, n in counts.items()}, alphabet, vocab_size=vocab_size,
                                num_merges=num_merges, min_frequency=min_frequency, progress=progress)
        return cls([m.pair for m in trace], alphabet, trace=trace)

    def encode_word(self, word: str, num_merges: int | None = None) -> list[str]:
        """Tokens of one word, using all merges or only the first ``num_merges`` of them."""
        require_text(word, "word")
        symbols = [c if c in self.vocab else self.unk_token for c in word]
        return _apply_merges(symbols, self.ranks, limit=num_merges)

    def encode(self, text: str) -> list[str]:
        """Tokens of a text: pre-tokenise into words, then encode each word."""
        return [token for word in pretokenize(text) for token in self.encode_word(word)]

    def vocab_size_after(self, num_merges: int) -> int:
        """Vocabulary size after the first ``num_merges`` merges (repeated tokens counted once)."""
        return len(set(self.alphabet) | {a + b for a, b in self.merges[:num_merges]})

    def __repr__(self) -> str:
        return f"BPE(alphabet={len(self.alphabet)}, merges={len(self.merges)}, vocab={len(self.vocab)})"


# ----------------------------------------------------------------------------------------------
# byte-level BPE (GPT-2, Radford et al. 2019)
# ----------------------------------------------------------------------------------------------
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte: printable Latin-1 bytes map to themselves, the others
    (space, control bytes...) to characters from U+0100 on, so the space byte 0x20 shows as 'Ġ'."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


class ByteBPE:
    """Byte-level BPE: text -> UTF-8 bytes -> merges -> ids. The 256 single bytes are always in the
    vocabulary, so any text encodes without an unknown token and decodes back exactly.

    Symbols are ``bytes`` objects (``b"t"``, ``b"he"``...); ``vocab`` maps each to its id; ``merges`` are
    pairs of ``bytes`` in the order they apply. Text is first split with ``pattern`` (GPT-2's regex).
    """

    def __init__(self, merges: Sequence[tuple[bytes, bytes]], vocab: Mapping[bytes, int] | None = None, *,
                 pattern: str = GPT2_SPLIT_PATTERN, trace: Sequence[Merge] = ()) -> None:
        import regex  # GPT-2's split needs \p{L}; `regex` is installed with transformers

        self.merges = [tuple(m) for m in merges]
        if vocab is None:  # bytes 0..255 first, then merged tokens in order
            vocab = {bytes([b]): b for b in range(256)}
            for a, b in self.merges:
                vocab.setdefault(a + b, len(vocab))
        self.vocab = dict(vocab)
        missing = [bytes([b]) for b in range(256) if bytes([b]) not in self.vocab]
        if missing:
            raise CourseError(f"a byte-level vocabulary needs all 256 single bytes; {len(missing)} are missing")
        self.id_to_bytes = {i: s for s, i in self.vocab.items()}
        self.ranks = {pair: rank for rank, pair in reversed(list(enumerate(self.merges)))}
        self.pattern = pattern
        self._split = regex.compile(pattern)
        self.trace = list(trace)

    @classmethod
    def train(cls, texts: str | Iterable[str], *, vocab_size: int, pattern: str = GPT2_SPLIT_PATTERN,
              progress: bool = False) -> ByteBPE:
        """Learn merges over the bytes of ``texts`` (split with ``pattern`` first) up to ``vocab_size``."""
        import regex

        if vocab_size < 256:
            raise CourseError(f"vocab_size must be at least 256 (one id per byte), got {vocab_size}")
        texts = [texts] if isinstance(texts, str) else list(texts)
        chunks: Counter[bytes] = Counter()
        for text in texts:
            chunks.update(piece.encode("utf-8") for piece in regex.findall(pattern, text))
        words = {tuple(bytes([b]) for b in chunk): n for chunk, n in chunks.items()}
        alphabet = [bytes([b]) for b in range(256)]
        trace, vocab = learn_merges(words, alphabet, vocab_size=vocab_size, progress=progress)
        return cls([m.pair for m in trace], vocab, pattern=pattern, trace=trace)

    @classmethod
    def from_gpt2(cls, encoder_json: str | Path, vocab_bpe: str | Path) -> ByteBPE:
        """Load GPT-2's own files (``encoder.json``: token -> id, ``vocab.bpe``: merges in rank order).
        GPT-2 stores tokens through ``bytes_to_unicode``; we turn them back into bytes."""
        to_byte = {c: b for b, c in bytes_to_unicode().items()}

        def as_bytes(token: str) -> bytes:
            return bytes(to_byte[c] for c in token)

        encoder = json.loads(Path(encoder_json).read_text(encoding="utf-8"))
        lines = Path(vocab_bpe).read_text(encoding="utf-8").splitlines()
        merges = [tuple(as_bytes(t) for t in line.split(" ")) for line in lines[1:] if line]  # line 0: version
        vocab = {as_bytes(token): i for token, i in encoder.items() if token != "<|endoftext|>"}
        return cls(merges, vocab, pattern=GPT2_SPLIT_PATTERN)

    def encode_chunk(self, chunk: bytes) -> list[bytes]:
        """Merge the bytes of one pre-tokenised chunk."""
        return _apply_merges([bytes([b]) for b in chunk], self.ranks)

    def tokens(self, text: str) -> list[bytes]:
        """The byte strings of the tokens of ``text``."""
        if not isinstance(text, str):
            raise CourseError(f"text must be a string, got {type(text).__name__}")
        try:
            pieces = [p.encode("utf-8") for p in self._split.findall(text)]
        except UnicodeEncodeError as err:
            raise CourseError("text contains a lone surrogate, which has no UTF-8 bytes") from err
        return [token for piece in pieces for token in self.encode_chunk(piece)]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        return [self.vocab[token] for token in self.tokens(text)]

    def piece(self, token_id: int) -> str:
        """A token for display: its text if its bytes are whole UTF-8 characters, else its bytes in hex
        (``<ed 82>``: the first two of the three bytes of a Hangul syllable)."""
        data = self.id_to_bytes[int(token_id)]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "<" + " ".join(f"{b:02x}" for b in data) + ">"

    def decode(self, ids: Iterable[int]) -> str:
        """Text of token ids: join their bytes, then decode UTF-8 (a cut multi-byte character becomes '�')."""
        try:
            data = b"".join(self.id_to_bytes[int(i)] for i in ids)
        except KeyError as err:
            raise CourseError(f"token id {err.args[0]} is not in this vocabulary of {len(self.vocab)}") from None
        return data.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"ByteBPE(merges={len(self.merges)}, vocab={len(self.vocab)})"


# ----------------------------------------------------------------------------------------------
# WordPiece (BERT): greedy longest-match-first over a fixed vocabulary
# ----------------------------------------------------------------------------------------------
def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:  # all ASCII non-alnum
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    """CJK ideographs (not Hangul, not kana), which BERT splits into single characters."""
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def bert_pretokenize(text: str, *, lowercase: bool = True, strip_accents: bool | None = None) -> list[str]:
    """BERT's basic tokenizer: drop control characters, split off CJK ideographs, lower-case and strip
    accents (Unicode NFD, then drop combining marks), and split on whitespace and punctuation.

    NFD also decomposes each Hangul syllable into its jamo ('킹' -> 'ᄏ', 'ᅵ', 'ᆼ').
    """
    if not isinstance(text, str):
        raise CourseError(f"text must be a string, got {type(text).__name__}")
    strip_accents = lowercase if strip_accents is None else strip_accents
    cleaned = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or (char not in "\t\n\r" and unicodedata.category(char).startswith("C")):
            continue
        if _is_cjk(cp):
            cleaned.append(f" {char} ")
        elif char.isspace():
            cleaned.append(" ")
        else:
            cleaned.append(char)
    words = []
    for word in "".join(cleaned).split():
        if lowercase:
            word = word.lower()
        if strip_accents:
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
        current = ""
        for char in word:  # every punctuation character is a word of its own
            if _is_punctuation(char):
                if current:
                    words.append(current)
                words.append(char)
                current = ""
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """BERT's WordPiece encoder: split each word into the longest vocabulary entry that starts it, then
    the longest ``##``-prefixed entry that continues it, and so on; if some position matches nothing,
    the whole word becomes ``unk_token``."""

    def __init__(self, vocab: Mapping[str, int] | Sequence[str], *, unk_token: str = "[UNK]",
                 prefix: str = "##", max_chars_per_word: int = 100, lowercase: bool = True,
                 strip_accents: bool | None = None) -> None:
        if isinstance(vocab, Mapping):
            self.vocab = dict(vocab)
        else:
            self.vocab = {}
            for token in vocab:
                self.vocab.setdefault(token, len(self.vocab))
        if unk_token not in self.vocab:
            raise CourseError(f"the vocabulary has no unknown token {unk_token!r}; add it or pass unk_token=")
        self.unk_token = unk_token
        self.prefix = prefix
        self.max_chars_per_word = max_chars_per_word
        self.lowercase = lowercase
        self.strip_accents = strip_accents

    @classmethod
    def train(cls, texts: Iterable[str], *, vocab_size: int,
              special_tokens: Sequence[str] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
              unk_token: str = "[UNK]", lowercase: bool = True, strip_accents: bool | None = None,
              prefix: str = "##", progress: bool = False) -> WordPiece:
        """Learn a vocabulary the way ``tokenizers``' WordPieceTrainer does: BPE merges over words whose
        non-initial characters carry the ``##`` prefix ('u' + '##n' makes 'un'; '##a' + '##ble' makes
        '##able'). The vocabulary is the special tokens, the characters (sorted), their ``##`` forms
        (sorted), then each merged token. Ties between equally frequent pairs go to the earlier symbols, so
        training is deterministic (``tokenizers`` numbers the ``##`` forms in hash order, so its vocabulary
        can differ from run to run where merges tie)."""
        if isinstance(texts, str):
            raise CourseError("WordPiece.train takes an iterable of texts (e.g. a list of lines), not one string")
        if unk_token not in special_tokens:
            raise CourseError(f"special_tokens must include the unknown token {unk_token!r}")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(bert_pretokenize(text, lowercase=lowercase, strip_accents=strip_accents))
        if not counts:
            raise CourseError("no words to train on: pass a list of non-empty texts")
        words = {(w[0], *(prefix + c for c in w[1:])): n for w, n in counts.items()}
        starts = sorted({c for w in counts for c in w})
        continuations = sorted({s for w in words for s in w[1:]})
        alphabet = [*special_tokens, *starts, *continuations]
        _, vocab = learn_merges(words, alphabet, vocab_size=vocab_size, progress=progress,
                                join=lambda a, b: a + b[len(prefix):])
        return cls(vocab, unk_token=unk_token, prefix=prefix, lowercase=lowercase, strip_accents=strip_accents)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> WordPiece:
        """Load a BERT ``vocab.txt`` (one token per line; the line number is the id)."""
        tokens = Path(path).read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens = tokens[:-1]
        return cls(tokens, **kwargs)

    def encode_word(self, word: str) -> list[str]:
        """Greedy longest-match-first segmentation of one (already pre-tokenised) word."""
        require_text(word, "word")
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end, piece = len(word), None
            while start < end:  # try the longest candidate first, then shorten it one character at a time
                candidate = word[start:end] if start == 0 else self.prefix + word[start:end]
                if candidate in self.vocab:
                    piece = candidate
                    break
                end -= 1
            if piece is None:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """Tokens of a text: BERT's basic pre-tokenisation, then ``encode_word`` on every word."""
        words = bert_pretokenize(text, lowercase=self.lowercase, strip_accents=self.strip_accents)
        return [piece for word in words for piece in self.encode_word(word)]

    def encode(self, text: str) -> list[int]:
        """Token ids (no special tokens)."""
        return [self.vocab[token] for token in self.tokenize(text)]

    def __repr__(self) -> str:
        return f"WordPiece(vocab={len(self.vocab)}, unk={self.unk_token!r})"
