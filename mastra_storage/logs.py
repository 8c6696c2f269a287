"""What the library logs, under the ``mastra_storage`` logger.

* ``INFO``: a store is built by :func:`~mastra_storage.connect` (adapter and redacted URL),
  initialised (mode, duration) and closed.
* ``DEBUG`` (logger ``mastra_storage.calls``): every public store and domain call, with its
  argument *names and shapes* (``messages=<list[3]>``, ``thread_id=<str>``), its duration
  and its outcome (the error class and id). Argument values are never logged: they are
  user content, ids of people, or secrets.

Nothing is done per call while the level is above ``DEBUG``: the lifecycle asks
``isEnabledFor`` once (a cached lookup) and only then wraps the call. On top of this,
:func:`mastra_storage.redact.protect_logs` scrubs a store's URL secrets from every record
of every logger, drivers included.

Turn it on with the standard library::

    logging.basicConfig(level=logging.INFO)                        # lifecycle only
    logging.getLogger("mastra_storage").setLevel(logging.DEBUG)    # every call
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import logging

__all__ = [
    "CALLS_LOGGER_NAME",
    "LOGGER_NAME",
    "describe_arguments",
    "logged_call",
    "shape",
    "wants_log",
]

T = TypeVar("T")

#: The library's root logger; every logger of the library is a child of it.
LOGGER_NAME = "mastra_storage"
#: One record per public store or domain call, at ``DEBUG``.
CALLS_LOGGER_NAME = "mastra_storage.calls"
#: Operations logged at ``INFO`` (the others at ``DEBUG``).
LIFECYCLE_OPERATIONS = frozenset({"init"})
_DEBUG, _INFO = 10, 20  # logging.DEBUG / INFO

# ``logging`` is imported on the first call, not by ``import mastra_storage`` (a few ms of
# import time); by then asyncio has imported it anyway.
_loggers: tuple[logging.Logger, logging.Logger] | None = None


def _get_loggers() -> tuple[logging.Logger, logging.Logger]:
    global _loggers
    if _loggers is None:
        import logging

        _loggers = (logging.getLogger(LOGGER_NAME), logging.getLogger(CALLS_LOGGER_NAME))
    return _loggers


def wants_log(operation: str) -> bool:
    """Whether a call of ``operation`` is logged now (two cached level checks)."""
    root, calls = _loggers or _get_loggers()
    return calls.isEnabledFor(_DEBUG) or (
        operation in LIFECYCLE_OPERATIONS and root.isEnabledFor(_INFO)
    )


def shape(value: Any) -> str:
    """A value's type and size, never its content: ``<str>``, ``<list[3]>``, ``<Thread>``."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return f"<{type(value).__name__}>"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return f"<{type(value).__name__}[{len(value)}]>"
    return f"<{type(value).__name__}>"


def describe_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """``<str>, messages=<list[3]>``: positional shapes, then keyword names with shapes."""
    parts = [shape(a) for a in args]
    parts.extend(f"{name}={shape(value)}" for name, value in kwargs.items())
    return ", ".join(parts)


def _is_store(value: Any) -> bool:
    """The store or domain a method was called on (not an argument worth describing)."""
    from .composite import MastraStorage
    from .domains.base import StorageDomain

    return isinstance(value, (MastraStorage, StorageDomain))


def logged_call(
    store: str,
    operation: str,
    func: Callable[..., Coroutine[Any, Any, T]],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> Callable[..., Coroutine[Any, Any, T]]:
    """``func`` wrapped to log its start, duration and outcome (see the module docstring).

    ``args`` may start with the store or domain object itself; only its type is shown.
    """
    root, calls = _get_loggers()
    level = _INFO if operation in LIFECYCLE_OPERATIONS else _DEBUG
    logger = root if level == _INFO else calls

    async def run(*call_args: Any, **call_kwargs: Any) -> T:
        shown = describe_arguments(tuple(a for a in args if not _is_store(a)), kwargs)
        logger.log(level, "%s.%s(%s)", store, operation, shown)
        started = time.perf_counter()
        try:
            result = await func(*call_args, **call_kwargs)
        except BaseException as exc:
            logger.log(
                level,
                "%s.%s failed after %.1f ms: %s %s",
                store,
                operation,
                (time.perf_counter() - started) * 1000,
                type(exc).__name__,
                getattr(exc, "id", ""),
            )
            raise
        logger.log(
            level,
            "%s.%s done in %.1f ms -> %s",
            store,
            operation,
            (time.perf_counter() - started) * 1000,
            shape(result),
        )
        return result

    return run
