"""Fixtures for the libSQL adapter tests (anyio on the asyncio backend).

The Mastra compatibility tests drive the real ``@mastra/libsql`` through
``tests/compat/mastra_libsql_harness.mjs``. Its npm packages are found in
``$MASTRA_NPM_DIR`` or ``<repo>/.cache/mastra-npm``; when neither has them and ``npm`` is
available they are installed into ``.cache/mastra-npm`` (once, with a timeout). Without
``node`` (or the packages) those tests skip with a one-line reason, or fail when
``MASTRA_TEST_REQUIRE`` lists ``node`` (or ``all``), as CI does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.testing.servers import skip_or_fail
from mastra_storage_libsql import LibSQLStore  # does not import the driver

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "compat" / "mastra_libsql_harness.mjs"
LOCAL_NPM_DIR = REPO / ".cache" / "mastra-npm"
MASTRA_LIBSQL_VERSION = "1.23.1"
NPM_PACKAGES = (f"@mastra/libsql@{MASTRA_LIBSQL_VERSION}", "@mastra/core@1.71.0")
NPM_INSTALL_TIMEOUT_S = 600


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


def _has_packages(directory: Path) -> bool:
    modules = directory / "node_modules" / "@mastra"
    package = modules / "libsql" / "package.json"
    if not package.is_file() or not (modules / "core" / "package.json").is_file():
        return False
    try:
        return json.loads(package.read_text())["version"] == MASTRA_LIBSQL_VERSION
    except (ValueError, KeyError):
        return False


def find_or_install_mastra_npm() -> Path:
    """The directory holding ``node_modules/@mastra/{libsql,core}`` (skip if impossible)."""
    if shutil.which("node") is None:
        skip_or_fail("node", "`node` is not on PATH (needed for the Mastra compatibility tests)")
    candidates = []
    if os.environ.get("MASTRA_NPM_DIR"):
        candidates.append(Path(os.environ["MASTRA_NPM_DIR"]))
    candidates.append(LOCAL_NPM_DIR)
    for candidate in candidates:
        if _has_packages(candidate):
            return candidate
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("node", f"{NPM_PACKAGES} not found and `npm` is not on PATH to install them")
    LOCAL_NPM_DIR.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(LOCAL_NPM_DIR),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                *NPM_PACKAGES,
            ],
            capture_output=True,
            text=True,
            timeout=NPM_INSTALL_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        skip_or_fail("node", f"npm install {' '.join(NPM_PACKAGES)} timed out")
    if not _has_packages(LOCAL_NPM_DIR):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        skip_or_fail("node", f"npm install {' '.join(NPM_PACKAGES)} failed: {last}")
    return LOCAL_NPM_DIR


Harness = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def mastra_harness() -> Harness:
    """``harness("write", file)`` / ``harness("read", file, "--no-init")``: parsed JSON."""
    npm_dir = find_or_install_mastra_npm()
    env = {**os.environ, "MASTRA_NPM_DIR": str(npm_dir)}

    def run(*args: str, timeout: float = 180) -> dict[str, Any]:
        proc = subprocess.run(
            ["node", str(HARNESS), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        lines = proc.stdout.strip().splitlines()
        assert lines, f"harness printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
        data: dict[str, Any] = json.loads(lines[-1])
        assert proc.returncode == 0 and set(data) != {"error"}, (data, proc.stderr[-2000:])
        return data

    return run
