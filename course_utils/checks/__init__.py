"""Check your own code against a reference, and grade exercises with hints instead of answers.

``compare`` is the nn-zero-to-hero ``cmp`` idea: it prints whether a hand-written result is exact, close or
wrong next to a library's. Exercise checkers (``exercise_*``) print "correct" or a hint; an unanswered
exercise (``...``) gets a hint too and never raises, so a learner's notebook keeps running.

Each module of this package defines the names in its ``__all__``; they are all re-exported here, so a
notebook writes ``checks.NAME`` whichever module NAME lives in. A notebook's own additions go in a module
of their own (``checks/nb01.py`` holds notebook 01's ``exercise_*`` checkers); nothing here needs editing to add one.
"""

import importlib as _importlib
import pkgutil as _pkgutil

__all__: list[str] = []
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: (m.name != "core", m.name)):
    _module = _importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_module, "__all__", ()):
        if _name in globals():
            raise ImportError(f"{__name__}: {_name!r} is defined twice (again in {_info.name})")
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
