"""Exercise checkers of notebook 00 (setup and tour)."""

from __future__ import annotations

from typing import Any

from ..errors import CourseError
from .core import grade

__all__ = ["exercise_gpt2_token_count", "exercise_analogy"]


def exercise_gpt2_token_count(answer: Any) -> None:
    """Notebook 00: the number of GPT-2 BPE tokens in the notes' Korean sentence."""
    from ..data import COFFEE_SENTENCE
    from ..models import load

    tok = load("gpt2", task="tokenizer")
    expected = len(tok(COFFEE_SENTENCE)["input_ids"])
    grade(answer, expected, "encode the sentence with the gpt2 tokenizer, e.g. "
                 "tok(text)['input_ids'], and count the ids (len)", name="GPT-2 token count")


def exercise_analogy(answer: Any) -> None:
    """Notebook 00: the GloVe word nearest to paris - france + japan."""
    from ..models import GLOVE, load

    kv = load(GLOVE, task="vectors")
    expected = kv.most_similar(positive=["paris", "japan"], negative=["france"], topn=1)[0][0]
    if isinstance(answer, str):
        answer = answer.strip().lower()
    elif answer is not Ellipsis and answer is not None:
        raise CourseError("the answer is a word (a string), e.g. 'berlin'")
    grade(answer, expected, "kv.most_similar(positive=[...], negative=[...], topn=1) "
                 "returns [(word, similarity)]: paris - france + japan", name="GloVe analogy")
