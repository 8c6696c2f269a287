"""The documentation works as written: every Python block runs, and the site builds.

Every fenced ``python`` block of ``README.md`` and ``docs/**/*.md`` runs on its own (each is a
complete program: imports, ``asyncio.run``), in a fresh namespace, in a temporary working
directory (so ``file:./mastra.db`` lands there). A block may be preceded by one marker line:

* ``<!-- docs-test: needs postgres -->`` (or ``redis``): the block reads its URL from
  ``$MASTRA_STORAGE_URL``; the test points that at the test server (a missing server skips,
  or fails when ``MASTRA_TEST_REQUIRE`` names it);
* ``<!-- docs-test: skip REASON -->``: only for blocks that need an outside service this
  machine cannot run (AWS, Upstash's cloud). :data:`ALLOWED_SKIPS` lists them, so a new skip
  is a visible change to this file.

The site test runs ``mkdocs build --strict`` (warnings are errors: a broken link, a missing
page in the nav, a docstring mkdocstrings cannot render).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import servers

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```python[^\n]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>skip|needs)\s+(?P<arg>[^>]*?)\s*-->")

#: ``file: first words of the reason`` of every block allowed to skip (outside services).
ALLOWED_SKIPS: frozenset[str] = frozenset()


def _dynamodb_url() -> tuple[str, dict[str, str]]:
    endpoint = servers.dynamodb_url()
    kwargs = servers.dynamodb_client_kwargs(endpoint)
    table = f"docs-{uuid.uuid4().hex[:8]}"
    url = f"dynamodb://{table}?region={kwargs['region_name']}&endpoint={endpoint}"
    return url, {
        "AWS_ACCESS_KEY_ID": kwargs["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": kwargs["aws_secret_access_key"],
    }


def _mongodb_url() -> tuple[str, dict[str, str]]:
    uri = servers.mongodb_uri().rstrip("/")
    base, _, query = uri.partition("?")
    base = base.split("/", 3)
    database = f"docs_{uuid.uuid4().hex[:8]}"
    return "/".join([*base[:3], database]) + (f"?{query}" if query else ""), {}


def _postgres_url() -> tuple[str, dict[str, str]]:
    return servers.postgres_url(), {}


def _redis_url() -> tuple[str, dict[str, str]]:
    return servers.redis_url(), {}


#: Servers a ``needs`` marker may name: the URL the block finds in ``$MASTRA_STORAGE_URL``,
#: and the environment its client needs.
_SERVER_URLS: dict[str, Callable[[], tuple[str, dict[str, str]]]] = {
    "postgres": _postgres_url,
    "redis": _redis_url,
    "mongodb": _mongodb_url,
    "dynamodb": _dynamodb_url,
}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    code: str
    marker: tuple[str, str] | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _blocks() -> Iterator[Block]:
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
            marker = _MARKER.fullmatch(before.strip())
            yield Block(
                path,
                line,
                match.group("code"),
                (marker.group("kind"), marker.group("arg")) if marker else None,
            )


BLOCKS = list(_blocks())


def test_blocks_found() -> None:
    assert len(BLOCKS) >= 10, [b.id for b in BLOCKS]
    skips = {
        f"{b.path.relative_to(ROOT)}: {b.marker[1]}"
        for b in BLOCKS
        if b.marker and b.marker[0] == "skip"
    }
    assert skips <= ALLOWED_SKIPS, f"undeclared skips: {sorted(skips - ALLOWED_SKIPS)}"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_runs(
    block: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MASTRA_STORAGE_URL", raising=False)
    if block.marker is not None:
        kind, arg = block.marker
        if kind == "skip":
            pytest.skip(f"needs an outside service: {arg}")
        if arg not in _SERVER_URLS:
            pytest.fail(f"{block.id}: unknown server {arg!r} in the docs-test marker")
        try:
            url, env = _SERVER_URLS[arg]()
        except servers.ServerUnavailable as exc:
            servers.skip_or_fail(arg, str(exc))
        monkeypatch.setenv("MASTRA_STORAGE_URL", url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    code = compile(block.code, block.id, "exec", dont_inherit=True)
    namespace = {"__name__": "__main__", "__file__": str(tmp_path / "block.py")}
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # pragma: no cover - the blocks call asyncio.run themselves
        pytest.fail("a docs block must not run inside an event loop")
    # A block may configure logging (docs/howto/logging.md sets the level of
    # ``mastra_storage.sql``): restore the root's handlers and every library logger's level,
    # through setLevel so the loggers' level caches are cleared too.
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in _library_loggers()}
    try:
        exec(code, namespace)
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name in _library_loggers():
            logging.getLogger(name).setLevel(levels.get(name, logging.NOTSET))
    capsys.readouterr()


def _library_loggers() -> list[str]:
    """``mastra_storage`` and every logger below it that exists now."""
    names = [n for n in logging.Logger.manager.loggerDict if n.startswith("mastra_storage.")]
    return ["mastra_storage", *names]


def test_site_builds_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict``: the nav, the links and the docstring reference render."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed (extra: docs)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
