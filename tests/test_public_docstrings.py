"""Every public class and method of the public API has a docstring (what an IDE shows).

Walks ``mastra_storage.__all__``, the domain stores and argument types
(``mastra_storage.domains``), the backend contract (``mastra_storage.backend``), agent
memory (``mastra_storage.memory``) and vector stores (``mastra_storage.vector``): each public
class, and each public method, property, classmethod and staticmethod it defines or
inherits from a class of this package, must have a non-empty docstring.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

MODULES = (
    "mastra_storage",
    "mastra_storage.domains",
    "mastra_storage.backend",
    "mastra_storage.memory",
    "mastra_storage.vector",
    "mastra_storage.retention",
    "mastra_storage.errors",
)


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "mastra_storage"


def _function(value: Any) -> Any:
    if isinstance(value, (classmethod, staticmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def _missing() -> list[str]:
    missing: set[str] = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and not (obj.__doc__ or "").strip():
                missing.add(f"{module_name}.{name}")
            if not inspect.isclass(obj) or not _ours(obj):
                continue
            if not (obj.__doc__ or "").strip():
                missing.add(f"{obj.__module__}.{obj.__qualname__}")
            for klass in obj.__mro__:
                if not _ours(klass):
                    continue
                for attr, value in vars(klass).items():
                    if attr.startswith("_"):
                        continue
                    func = _function(value)
                    if not (inspect.isfunction(func) or isinstance(value, property)):
                        continue
                    if func is None or (func.__doc__ or "").strip():
                        continue
                    # an override documented on a base class of ours inherits its docs
                    if inspect.getdoc(getattr(obj, attr, None)):
                        continue
                    missing.add(f"{klass.__module__}.{klass.__qualname__}.{attr}")
    return sorted(missing)


def test_every_public_class_and_method_has_a_docstring() -> None:
    missing = _missing()
    assert not missing, f"{len(missing)} without a docstring:\n" + "\n".join(missing)
