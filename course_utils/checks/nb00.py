"""Exercise checkers of notebook 00 (setup and tour)."""

from __future__ import annotations

from typing import Any

from ..errors import CourseError
from .core import grade

__all__ = ["SNOW_SENTENCE", "exercise_gpt2_token_count", "exercise_analogy"]

# The notes' example of a word with two senses (눈: eye / snow), here as "snow is falling". No cell of
# notebook 00 tokenises it, so the exercise's answer is not printed above it.
SNOW_SENTENCE = "눈이 내린다."


def exercise_gpt2_token_count(answer: Any) -> None:
    """Notebook 00: the number of GPT-2 BPE tokens in ``SNOW_SENTENCE`` (눈이 내린다.)."""
    from ..models import load

    tok = load("gpt2", task="tokenizer")
    expected = len(tok(SNOW_SENTENCE)["input_ids"])
    grade(answer, expected, [
        "a tokenizer turns text into a list of token ids; the answer is the length of that list",
        "section 5 loaded the GPT-2 tokenizer and printed token counts for two sentences: do the same for "
        "checks.SNOW_SENTENCE (the special-token-free count: GPT-2 adds none)",
        "Korean syllables take three UTF-8 bytes each and GPT-2 merged few Korean byte pairs, so expect "
        "more tokens than characters"], name="GPT-2 token count")


def exercise_analogy(answer: Any) -> None:
    """Notebook 00: the GloVe word nearest to paris - france + japan."""
    from ..models import GLOVE, load

    kv = load(GLOVE, task="vectors")
    expected = kv.most_similar(positive=["paris", "japan"], negative=["france"], topn=1)[0][0]
    if isinstance(answer, str):
        answer = answer.strip().lower()
    elif answer is not Ellipsis and answer is not None:
        raise CourseError("the answer is a word (a string), e.g. 'berlin'")
    grade(answer, expected, [
        "an analogy a : b = c : ? is vector arithmetic: b − a + c, then the nearest word to the result",
        "here a = france, b = paris, c = japan: the words to add are the positive ones, the word to "
        "subtract the negative one; the three input words themselves are never the answer",
        "the GloVe vectors loaded in section 5 answer nearest-neighbour questions directly (it did one "
        "analogy); take the top word only, as a lower-case string"], name="GloVe analogy")
