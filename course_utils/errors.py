"""The course's own error type: one clear message that names the fix, no library stack trace."""

from __future__ import annotations


class CourseError(ValueError):
    """Raised for bad input to ``course_utils``; the message says what to do instead."""


# Longer input than any cell of the course needs: a learner who pastes a book gets a clear answer instead
# of a minutes-long computation or an out-of-memory kernel.
MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 200


def require_text(text: object, what: str = "text", max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` if it is a non-empty string of at most ``max_chars`` characters, else raise a
    ``CourseError`` saying so."""
    if not isinstance(text, str):
        raise CourseError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise CourseError(f"{what} is empty: type a word or a sentence")
    if len(text) > max_chars:
        raise CourseError(f"{what} is {len(text):,} characters long; the limit is {max_chars:,}: "
                          "give a shorter text (a few sentences)")
    return text


def require_choice(value: object, what: str, choices: object) -> str:
    """Return ``value`` if it is one of ``choices`` (names), else raise a ``CourseError`` that lists them
    (and the closest one, for a typo)."""
    import difflib

    known = [str(c) for c in choices]  # type: ignore[union-attr]
    if not isinstance(value, str):
        raise CourseError(f"{what} must be a string naming one of {known}, got {type(value).__name__}")
    if not value.strip():
        raise CourseError(f"{what} is empty: choose one of {known}")
    if len(value) > MAX_NAME_CHARS:
        raise CourseError(f"{what} is {len(value):,} characters long, not a name: choose one of {known}")
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CourseError(f"unknown {what} {value!r}; choose one of {known}.{hint}")
    return value


def require_strings(value: object, what: str, max_items: int = 1_000) -> list[str]:
    """Return ``value`` as a list if it is a list or tuple of at most ``max_items`` strings, else raise a
    ``CourseError`` saying what to give instead."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise CourseError(f"{what} must be a list of strings, e.g. ['the', 'cat'], got {type(value).__name__}")
    if not all(isinstance(item, str) for item in value):
        bad = next(item for item in value if not isinstance(item, str))
        raise CourseError(f"{what} must be a list of strings; one item is {type(bad).__name__}: {bad!r}")
    if len(value) > max_items:
        raise CourseError(f"{what} has {len(value):,} items; the limit is {max_items:,}: give fewer")
    return list(value)
