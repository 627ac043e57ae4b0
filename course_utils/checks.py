"""Check your own code against a reference, and grade exercises with hints instead of answers.

``compare`` is the nn-zero-to-hero ``cmp`` idea: it prints whether a hand-written result is exact,
close or wrong next to a library's. Exercise checkers (``exercise_*``) print "correct" or a hint; an
unanswered exercise (``...``) gets a hint too and never raises, so a learner's notebook keeps running.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import CourseError


def _as_array(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def compare(name: str, mine: Any, reference: Any, atol: float = 1e-5) -> bool:
    """Print ``name: exact | close | WRONG`` with the max abs difference; return True unless wrong."""
    a, b = _as_array(mine), _as_array(reference)
    if a.shape != b.shape:
        print(f"{name:<28} WRONG shape: mine {a.shape} vs reference {b.shape}")
        return False
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff == 0.0:
        verdict = "exact"
    elif diff <= atol:
        verdict = "close"
    else:
        verdict = "WRONG"
    print(f"{name:<28} {verdict:<6} max diff {diff:.2e} (atol {atol:.0e})")
    return verdict != "WRONG"


def grade(answer: Any, expected: Any, hint: str, *, name: str = "exercise") -> bool:
    """Print ``correct`` or a hint. ``...`` (an unfilled learner copy) gets the hint, never an error."""
    if answer is Ellipsis or answer is None:
        print(f"{name}: not answered yet. Hint: {hint}")
        return False
    try:
        ok = bool(np.all(np.asarray(answer) == np.asarray(expected))) if not isinstance(expected, str) \
            else answer == expected
    except (ValueError, TypeError):
        ok = False
    if ok:
        print(f"{name}: correct")
    else:
        print(f"{name}: not quite. Hint: {hint}")
    return ok


def exercise_gpt2_token_count(answer: Any) -> None:
    """Notebook 00: the number of GPT-2 BPE tokens in the notes' Korean sentence."""
    from .data import COFFEE_SENTENCE
    from .models import load

    tok = load("gpt2", task="tokenizer")
    expected = len(tok(COFFEE_SENTENCE)["input_ids"])
    grade(answer, expected, "encode the sentence with the gpt2 tokenizer, e.g. "
                 "tok(text)['input_ids'], and count the ids (len)", name="GPT-2 token count")


def exercise_analogy(answer: Any) -> None:
    """Notebook 00: the GloVe word nearest to paris - france + japan."""
    from .models import GLOVE, load

    kv = load(GLOVE, task="vectors")
    expected = kv.most_similar(positive=["paris", "japan"], negative=["france"], topn=1)[0][0]
    if isinstance(answer, str):
        answer = answer.strip().lower()
    elif answer is not Ellipsis and answer is not None:
        raise CourseError("the answer is a word (a string), e.g. 'berlin'")
    grade(answer, expected, "kv.most_similar(positive=[...], negative=[...], topn=1) "
                 "returns [(word, similarity)]: paris - france + japan", name="GloVe analogy")
