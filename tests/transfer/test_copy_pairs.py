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


@pytest.mark.parametrize("backend", PERSISTENT)
def test_copy_to_and_from_in_memory(backend: str, sources: Any, destinations: Any) -> None:
    """The in-memory store through the Python API: source(backend) -> in-memory, and a
    seeded in-memory store -> an empty store of the backend."""
    source: Source = sources(backend)
    target: Place = destinations(backend)
    spans = backend not in NO_OBSERVABILITY

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        from mastra_storage.inmemory import InMemoryStore
        from mastra_storage.transfer import copy_storage

        from .dataset import seed

        src, dst = source.place.make(), target.make()
        try:
            back = InMemoryStore()
            assert (await copy_storage(src, back, page_size=3, notice=lambda _: None)).ok
            fresh = InMemoryStore()
            await fresh.init()
            await seed(fresh)
            assert (await copy_storage(fresh, dst, page_size=3, notice=lambda _: None)).ok
            return (
                await dump(back, spans=spans),
                await dump(fresh, spans=spans),
                await dump(dst, spans=spans),
            )
        finally:
            await src.close()
            await dst.close()

    back, fresh, copied = asyncio.run(run())
    expected = {k: v for k, v in source.expected.items() if spans or k != "spans"}
    assert back == expected
    assert copied == fresh


@pytest.mark.parametrize("backend", PERSISTENT)
def test_resources_without_threads(backend: str, destinations: Any) -> None:
    """Every backend implements ``scan_resources``: a resource that has no thread is
    copied too, without the "cannot list resources" notice."""
    place: Place = destinations(backend)
    notices: list[str] = []

    async def run() -> Any:
        from mastra_storage.inmemory import InMemoryStore
        from mastra_storage.records import Resource
        from mastra_storage.transfer import copy_storage

        from .dataset import T0

        src = place.make()
        try:
            await src.init()
            memory = await src.require_store("memory")
            lone = Resource(id="lone/ü", working_memory="wm", created_at=T0, updated_at=T0)
            await memory.save_resource(lone)
            dst = InMemoryStore()
            report = await copy_storage(src, dst, page_size=2, notice=notices.append)
            assert report.ok
            return await (await dst.require_store("memory")).get_resource_by_id("lone/ü")
        finally:
            await src.close()

    copied = asyncio.run(run())
    assert copied is not None and copied.working_memory == "wm"
    assert not any("cannot list resources" in n for n in notices)
