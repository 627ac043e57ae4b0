"""The course's own error type: one clear message that names the fix, no library stack trace."""

from __future__ import annotations


class CourseError(ValueError):
    """Raised for bad input to ``course_utils``; the message says what to do instead."""


def require_text(text: object, what: str = "text") -> str:
    """Return ``text`` if it is a non-empty string, else raise a ``CourseError`` saying so."""
    if not isinstance(text, str):
        raise CourseError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise CourseError(f"{what} is empty: type a word or a sentence")
    return text
