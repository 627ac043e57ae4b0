"""Re-export the public names of every module in a package (used by ``checks``, ``widgets``, ``recipes``)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any


def collect(package: str, path: Iterable[str], namespace: dict[str, Any]) -> list[str]:
    """Import each module of ``package`` (``core`` first, then by name) and copy the names in its
    ``__all__`` into ``namespace``; a name defined by two modules is an ImportError. Returns the names."""
    names: list[str] = []
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: (m.name != "core", m.name)):
        module = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name in namespace:
                raise ImportError(f"{package}: {name!r} is defined twice (again in {info.name})")
            namespace[name] = getattr(module, name)
            names.append(name)
    return names
