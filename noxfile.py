"""Developer sessions: ``nox`` runs tests, lint and typecheck; ``nox -s bench`` the benchmark.

Sessions use Python 3.11 when a ``python3.11`` is on PATH, otherwise the interpreter that
runs nox (so a machine with only 3.10 or 3.12 still works). Pick another one with
``nox --force-python 3.12``. Extra arguments go to the tool: ``nox -s tests -- -k cli``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHON: str | None = "3.11" if shutil.which("python3.11") else None
TYPED_PATHS = (
    "mastra_storage",
    "adapters/mastra_storage_libsql",
    "adapters/mastra_storage_postgres",
    "adapters/mastra_storage_dynamodb",
    "adapters/mastra_storage_upstash",
    "adapters/mastra_storage_mongodb",
)

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.error_on_missing_interpreters = False
nox.options.reuse_venv = "yes"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, with every adapter's driver installed."""
    session.install("-e", ".[all,test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check (line length 100, settings in pyproject.toml)."""
    session.install("ruff>=0.6")
    args = session.posargs or ["."]
    session.run("ruff", "check", *args)
    session.run("ruff", "format", "--check", *args)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core and the libSQL adapter ([tool.mypy] in pyproject.toml)."""
    session.install("-e", ".[all,test]", "mypy>=1.10")
    paths = [p for p in TYPED_PATHS if (ROOT / p).is_dir()]
    session.run("mypy", "--strict", *paths, *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmark runner (``python -m benchmarks``); ``nox -s bench -- --quick`` checks it."""
    session.install("-e", ".[all,test,bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)
