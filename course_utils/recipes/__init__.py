"""Course-model recipes: one module per course model, each calling ``models.register_recipe``.

Importing this package imports every module in it, so adding a recipe is adding a file.
"""

from .._collect import collect as _collect

_collect(__name__, __path__, {})  # recipes register themselves on import; they export nothing
