"""Fixtures for the libSQL adapter tests (anyio on the asyncio backend).

The Mastra compatibility tests drive the real ``@mastra/libsql`` through
``tests/compat/mastra_libsql_harness.mjs``; :mod:`tests.support.node` finds or
installs its npm packages (without ``node`` they skip, or fail when ``MASTRA_TEST_REQUIRE``
lists ``node``, as CI does).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mastra_storage_libsql import LibSQLStore  # does not import the driver
from tests.support.compat import Harness, harness_runner
from tests.support.servers import ServerUnavailable, skip_or_fail, sqld_instance

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "compat" / "mastra_libsql_harness.mjs"
MASTRA_LIBSQL_VERSION = "1.23.1"
NPM_PACKAGES = (f"@mastra/libsql@{MASTRA_LIBSQL_VERSION}", "@mastra/core@1.71.0")


try:
    import libsql  # noqa: F401

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"the libsql driver is not installed (pip install -e '.[libsql]'): {exc}"


@pytest.fixture(autouse=True)
def _require_driver() -> None:
    if DRIVER_MISSING:
        skip_or_fail("libsql", DRIVER_MISSING)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "mastra.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[LibSQLStore]:
    s = LibSQLStore(f"file:{db_path}")
    await s.init()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def memory_store() -> AsyncIterator[LibSQLStore]:
    s = LibSQLStore(":memory:")
    await s.init()
    try:
        yield s
    finally:
        await s.close()


# --------------------------------------------------------------------------- Mastra (node)


@pytest.fixture(scope="session")
def mastra_harness() -> Harness:
    """``harness("write", file)`` / ``harness("read", file, "--no-init")``: parsed JSON."""
    return harness_runner(HARNESS, NPM_PACKAGES)


@pytest.fixture(scope="module")
def remote_url() -> Iterator[str]:
    """One private sqld for the module (or MASTRA_TEST_SQLD_URL), run by its own loop."""
    loop = asyncio.new_event_loop()
    manager = sqld_instance()
    try:
        url = loop.run_until_complete(manager.__aenter__())
    except ServerUnavailable as exc:
        loop.close()
        skip_or_fail("sqld", exc.reason)
    try:
        yield url
    finally:
        loop.run_until_complete(manager.__aexit__(None, None, None))
        loop.close()
