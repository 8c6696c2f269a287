"""What the library logs, under the ``mastra_storage`` logger.

* ``INFO``: a store is built by :func:`~mastra_storage.connect` (adapter and redacted URL),
  initialised (mode, duration) and closed.
* ``DEBUG`` (logger ``mastra_storage.calls``): every public store and domain call, with its
  argument *names and shapes* (``messages=<list[3]>``, ``thread_id=<str>``), its duration
  and its outcome (the error class and id). Argument values are never logged: they are
  user content, ids of people, or secrets.
* ``DEBUG`` (logger ``mastra_storage.sql``): every SQL statement an adapter sends, as its
  text with placeholders (``$1``, ``?``) and the number of parameters, never their values.
* ``DEBUG`` (logger ``mastra_storage.commands``): every Redis, MongoDB or DynamoDB
  command: its name, the collection or table, and counts (keys, items); never a key or a
  value (keys embed thread and resource ids, which identify people).
* ``INFO`` (logger ``mastra_storage.schema``): each schema change ``init`` makes (a
  ``CREATE TABLE``/``INDEX``, an ``ALTER``, a DynamoDB table), once, as it runs.

Adapters check :func:`statement_logging` (one cached ``isEnabledFor``) once per
connection, transaction or job and keep the answer, so a statement costs one attribute
read while the level is above ``DEBUG``.

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
    "COMMANDS_LOGGER_NAME",
    "LOGGER_NAME",
    "SCHEMA_LOGGER_NAME",
    "SQL_LOGGER_NAME",
    "command_logging",
    "describe_arguments",
    "log_command",
    "log_schema_change",
    "log_statement",
    "logged_call",
    "shape",
    "statement_logging",
    "wants_log",
]

T = TypeVar("T")

#: The library's root logger; every logger of the library is a child of it.
LOGGER_NAME = "mastra_storage"
#: One record per public store or domain call, at ``DEBUG``.
CALLS_LOGGER_NAME = "mastra_storage.calls"
#: One record per SQL statement sent, at ``DEBUG`` (text with placeholders, no values).
SQL_LOGGER_NAME = "mastra_storage.sql"
#: One record per Redis/MongoDB/DynamoDB command sent, at ``DEBUG`` (names and counts).
COMMANDS_LOGGER_NAME = "mastra_storage.commands"
#: One record per schema change made by ``init``, at ``INFO``.
SCHEMA_LOGGER_NAME = "mastra_storage.schema"
#: Operations logged at ``INFO`` (the others at ``DEBUG``).
LIFECYCLE_OPERATIONS = frozenset({"init"})
_DEBUG, _INFO = 10, 20  # logging.DEBUG / INFO

# ``logging`` is imported on the first call, not by ``import mastra_storage`` (a few ms of
# import time); by then asyncio has imported it anyway.
_loggers: tuple[logging.Logger, logging.Logger] | None = None
_wire: tuple[logging.Logger, logging.Logger, logging.Logger] | None = None
#: Longest statement text logged; longer ones (a whole schema script) end in ``...``.
MAX_STATEMENT_CHARS = 2000


def _get_loggers() -> tuple[logging.Logger, logging.Logger]:
    global _loggers
    if _loggers is None:
        import logging

        _loggers = (logging.getLogger(LOGGER_NAME), logging.getLogger(CALLS_LOGGER_NAME))
    return _loggers


def _get_wire_loggers() -> tuple[logging.Logger, logging.Logger, logging.Logger]:
    global _wire
    if _wire is None:
        import logging

        _wire = (
            logging.getLogger(SQL_LOGGER_NAME),
            logging.getLogger(COMMANDS_LOGGER_NAME),
            logging.getLogger(SCHEMA_LOGGER_NAME),
        )
    return _wire


def statement_logging() -> bool:
    """Whether SQL statements are logged now (one cached level check).

    Ask once per connection, transaction or job and keep the answer: the statements
    inside then cost one attribute read each when logging is off.
    """
    return (_wire or _get_wire_loggers())[0].isEnabledFor(_DEBUG)


def command_logging() -> bool:
    """Whether Redis/MongoDB/DynamoDB commands are logged now (one cached level check)."""
    return (_wire or _get_wire_loggers())[1].isEnabledFor(_DEBUG)


def _compact(sql: str) -> str:
    """``sql`` on one line (runs of whitespace collapsed), cut at :data:`MAX_STATEMENT_CHARS`."""
    text = " ".join(sql.split())
    if len(text) > MAX_STATEMENT_CHARS:
        text = text[:MAX_STATEMENT_CHARS] + "..."
    return text


def log_statement(adapter: str, kind: str, sql: str, parameters: int) -> None:
    """Log one SQL statement at ``DEBUG``: its text and how many parameters it binds.

    The text is the statement as sent, with placeholders; values are bound separately by
    every adapter, so they never reach the log. Call it only when :func:`statement_logging`
    said yes.
    """
    (_wire or _get_wire_loggers())[0].debug(
        "%s %s [%d params]: %s", adapter, kind, parameters, _compact(sql)
    )


def log_command(adapter: str, command: str, target: str = "", **counts: int) -> None:
    """Log one command at ``DEBUG``: its name, the collection or table, and counts.

    ``counts`` are sizes (``keys=3``, ``items=25``), never the keys or values themselves.
    Call it only when :func:`command_logging` said yes.
    """
    shown = " ".join(f"{name}={value}" for name, value in counts.items())
    (_wire or _get_wire_loggers())[1].debug(
        "%s %s%s%s",
        adapter,
        command,
        f" {target}" if target else "",
        f" ({shown})" if shown else "",
    )


def log_schema_change(adapter: str, ddl: str) -> None:
    """Log one schema change ``init`` is making, at ``INFO`` (the statement text: DDL
    carries identifiers and types, never user values)."""
    (_wire or _get_wire_loggers())[2].info("%s: %s", adapter, _compact(ddl))


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
