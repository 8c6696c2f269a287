"""``mastra-storage copy`` between every ordered pair of persistent backends (30 pairs).

The CLI runs in-process; each source is seeded once per session, each destination starts
empty. The destination must then read back exactly like the source (every field,
timestamps to the ms, message order); observability is compared where both sides have it
and otherwise must be skipped with a notice.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mastra_storage.cli import main
from mastra_storage.transfer import cli as transfer_cli

from .conftest import NO_OBSERVABILITY, PERSISTENT, Place, Source
from .dataset import dump

PAIRS = [(a, b) for a in PERSISTENT for b in PERSISTENT if a != b]


async def _read(place: Place, spans: bool) -> dict[str, Any]:
    store = place.make()
    try:
        await store.init()
        return await dump(store, spans=spans)
    finally:
        await store.close()


@pytest.mark.parametrize(("src", "dst"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_copy_between_backends(
    src: str,
    dst: str,
    sources: Any,
    destinations: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source: Source = sources(src)
    target: Place = destinations(dst)
    stores = {"src://store": source.place.make, "dst://store": target.make}
    monkeypatch.setattr(transfer_cli, "open_store", lambda url: stores[url]())

    code = main(["copy", "src://store", "dst://store", "--page-size", "7"])
    err = capsys.readouterr().err
    assert code == 0, err

    spans = src not in NO_OBSERVABILITY and dst not in NO_OBSERVABILITY
    expected = {k: v for k, v in source.expected.items() if spans or k != "spans"}
    got = asyncio.run(_read(target, spans))
    for key in expected:
        assert got[key] == expected[key], key
    assert got == expected
    assert "message: 49 read, 49 in destination" in err
    if src not in NO_OBSERVABILITY and dst in NO_OBSERVABILITY:
        assert "notice: observability: the destination does not support" in err
    if spans:
        assert "span: 4 read, 4 in destination" in err
