"""Interactive widgets: a pure payload function (tested with pytest) + a thin ipywidgets layer.

Only core ipywidgets and matplotlib are used (Colab supports them; no CDN JavaScript). Every widget has
a static fallback that draws one frame, so readers on GitHub or nbviewer still see a picture.

Each module of this package defines the names in its ``__all__``; they are all re-exported here, so a
notebook writes ``widgets.NAME`` whichever module NAME lives in. A notebook's own additions go in a module
of their own (e.g. ``widgets/embeddings.py`` for notebook 01's explorer); nothing here needs editing to add one.
"""

from .._collect import collect as _collect

__all__: list[str] = _collect(__name__, __path__, globals())
