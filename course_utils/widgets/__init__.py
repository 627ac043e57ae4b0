"""Interactive widgets: a pure payload function (tested with pytest) + a thin ipywidgets layer.

Only core ipywidgets and matplotlib are used (Colab supports them; no CDN JavaScript). Every widget has
a static fallback that draws one frame, so readers on GitHub or nbviewer still see a picture.

Each module of this package defines the names in its ``__all__``; they are all re-exported here, so a
notebook writes ``widgets.NAME`` whichever module NAME lives in. A notebook's own additions go in a module
of their own (e.g. ``widgets/embeddings.py`` for notebook 01's explorer); nothing here needs editing to add one.
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
