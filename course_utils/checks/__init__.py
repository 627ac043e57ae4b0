"""Check your own code against a reference, and grade exercises with hints instead of answers.

``compare`` is the nn-zero-to-hero ``cmp`` idea: it prints whether a hand-written result is exact, close or
wrong next to a library's. Exercise checkers (``exercise_*``) print "correct" or a hint; an unanswered
exercise (``...``) gets a hint too and never raises, so a learner's notebook keeps running.

Each module of this package defines the names in its ``__all__``; they are all re-exported here, so a
notebook writes ``checks.NAME`` whichever module NAME lives in. A notebook's own additions go in a module
of their own (``checks/nb01.py`` holds notebook 01's ``exercise_*`` checkers); nothing here needs editing to add one.
"""

from .._collect import collect as _collect

__all__: list[str] = _collect(__name__, __path__, globals())
