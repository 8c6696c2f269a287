"""Driver errors -> typed storage errors, for every Upstash/Redis operation.

The one place the adapter translates redis-py (and the REST transport's redis-py-shaped)
exceptions: a lost connection or timeout is :class:`~mastra_storage.errors.UnavailableError`,
any other driver failure :class:`~mastra_storage.errors.BackendError`. Messages are redacted
(the connection URL's secrets never reach an error text) and ids follow Mastra's
``MASTRA_STORAGE_UPSTASH_<OPERATION>_<STATUS>`` shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mastra_storage.errors import (
    BackendError,
    MastraStorageError,
    UnavailableError,
    to_upper_snake,
)
from mastra_storage.redact import redact_text

T = TypeVar("T")
P = ParamSpec("P")


def _lost_connection(exc: WatchError) -> bool:
    """redis-py raises ``WatchError`` (not ``ConnectionError``) when the connection dies
    while keys are watched; the lost connection is the exception's context."""
    return isinstance(exc.__context__, (RedisConnectionError, RedisTimeoutError, OSError))


def operation(
    name: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Turn driver errors of a backend method into typed, redacted storage errors.

    ``name`` is Mastra's operation name (``saveMessages``); typed storage errors raised by
    the method pass through unchanged.
    """
    code = to_upper_snake(name)

    def wrap(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(func)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await func(*args, **kwargs)
            except MastraStorageError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError, WatchError) as exc:
                if isinstance(exc, WatchError) and not _lost_connection(exc):
                    raise BackendError(
                        f"Redis error during {name}: {_scrub(args, exc)}",
                        id=f"MASTRA_STORAGE_UPSTASH_{code}_FAILED",
                    ) from None
                raise UnavailableError(
                    f"Redis unavailable during {name}: {_scrub(args, exc)}",
                    id=f"MASTRA_STORAGE_UPSTASH_{code}_UNAVAILABLE",
                ) from None
            except RedisError as exc:
                raise BackendError(
                    f"Redis error during {name}: {_scrub(args, exc)}",
                    id=f"MASTRA_STORAGE_UPSTASH_{code}_FAILED",
                ) from None

        return run

    return wrap


def _scrub(args: tuple[Any, ...], exc: BaseException) -> str:
    """The exception's text with the connection URL's secrets redacted (the URL is the
    ``display_url`` of the bound method's Redis handle, when there is one)."""
    db = getattr(args[0], "_db", None) if args else None
    url = getattr(db, "display_url", None)
    return redact_text(
        f"{type(exc).__name__}: {exc}", url if isinstance(url, str) and url else None
    )


__all__ = ["operation"]
