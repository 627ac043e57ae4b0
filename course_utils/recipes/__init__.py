"""Course-model recipes: one module per course model, each calling ``models.register_recipe``.

Importing this package imports every module in it, so adding a recipe is adding a file.
"""

import importlib as _importlib
import pkgutil as _pkgutil

for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _importlib.import_module(f"{__name__}.{_info.name}")
