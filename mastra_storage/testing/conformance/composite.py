"""Composite storage: routing domains to stores, lazy and disabled init (spec 12.9, 1.4)."""

from __future__ import annotations

import asyncio

import pytest

from ...composite import DOMAIN_NAMES, MastraStorage
from ...errors import ConfigurationError
from ..data import sample_score, sample_thread, sample_workflow_snapshot
from ._base import ConformanceBase

_MEMORY: str = "memory"  # typed as str: a spy domain is not a MemoryStore


def _reference() -> MastraStorage:
    from ...inmemory import InMemoryStore

    return InMemoryStore()


class _SpyDomain:
    """A domain that counts ``init`` calls (and can fail the first ones)."""

    def __init__(self, failures: int = 0) -> None:
        self.init_calls = 0
        self.failures = failures

    async def init(self) -> None:
        self.init_calls += 1
        await asyncio.sleep(0)
        if self.init_calls <= self.failures:
            raise RuntimeError("init failed")

    async def dangerously_clear_all(self) -> None:
        return None


class CompositeTests(ConformanceBase):
    """``MastraStorage`` composition with this adapter as the default store."""

    async def test_adapter_exposes_its_domains(self, storage: MastraStorage) -> None:
        assert set(storage.stores) <= set(DOMAIN_NAMES)
        assert {"memory", "workflows", "scores"} <= set(storage.stores)
        for name in DOMAIN_NAMES:
            assert await storage.get_store(name) is storage.stores.get(name)
        assert await storage.get_store("no-such-domain") is None

    async def test_default_storage_serves_every_domain(self, storage: MastraStorage) -> None:
        composite = MastraStorage(default=storage)
        for name in DOMAIN_NAMES:
            assert await composite.get_store(name) is storage.stores.get(name)

    async def test_operations_through_composite(self, storage: MastraStorage) -> None:
        composite = MastraStorage(default=storage)
        memory = await self.memory(composite)
        thread = await memory.save_thread(sample_thread())
        direct = await self.memory(storage)
        assert await direct.get_thread_by_id(thread.id) == thread
        await composite.init()
        assert await direct.get_thread_by_id(thread.id) == thread

    async def test_domain_override_uses_the_given_instance(self, storage: MastraStorage) -> None:
        other = _reference()
        override = other.stores["workflows"]
        composite = MastraStorage(default=storage, domains={"workflows": override})
        assert await composite.get_store("workflows") is override
        assert await composite.get_store("memory") is storage.stores["memory"]
        assert await composite.get_store("scores") is storage.stores["scores"]

    async def test_domains_of_different_stores_are_isolated(self, storage: MastraStorage) -> None:
        other = _reference()
        composite = MastraStorage(default=storage, domains={"workflows": other.stores["workflows"]})
        sample = sample_workflow_snapshot()
        workflows = await self.workflows(composite)
        await workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id=sample.run_id, snapshot=sample.snapshot
        )
        adapter_workflows = await self.workflows(storage)
        assert (
            await adapter_workflows.load_workflow_snapshot(workflow_name="wf", run_id=sample.run_id)
            is None
        )
        assert (
            await other.stores["workflows"].load_workflow_snapshot(  # type: ignore[attr-defined]
                workflow_name="wf", run_id=sample.run_id
            )
            == sample.snapshot
        )
        thread = await (await self.memory(composite)).save_thread(sample_thread())
        assert await (await self.memory(storage)).get_thread_by_id(thread.id) == thread

    async def test_explicit_domains_without_default(self, storage: MastraStorage) -> None:
        other = _reference()
        composite = MastraStorage(
            domains={"memory": storage.stores["memory"], "scores": other.stores["scores"]}
        )
        assert await composite.get_store("memory") is storage.stores["memory"]
        assert await composite.get_store("workflows") is None
        assert await composite.get_store("observability") is None
        assert await composite.get_store("agents") is None
        thread = await (await self.memory(composite)).save_thread(sample_thread())
        score = await (await self.scores(composite)).save_score(sample_score())
        assert await (await self.memory(storage)).get_thread_by_id(thread.id) == thread
        assert await (await self.scores(storage)).get_score_by_id(score.id) is None

    async def test_empty_and_none_overrides_fall_back_to_default(
        self, storage: MastraStorage
    ) -> None:
        empty = MastraStorage(default=storage, domains={})
        nones = MastraStorage(default=storage, domains={"memory": None, "workflows": None})
        for composite in (empty, nones):
            for name in DOMAIN_NAMES:
                assert await composite.get_store(name) is storage.stores.get(name)

    async def test_invalid_compositions_are_rejected(self, storage: MastraStorage) -> None:
        with pytest.raises(ConfigurationError):
            MastraStorage(domains={})
        with pytest.raises(ConfigurationError):
            MastraStorage(default=storage, domains={"agentz": storage.stores["memory"]})
        with pytest.raises(ConfigurationError):
            MastraStorage(id=" ", default=storage)

    async def test_disable_init_skips_lazy_init(self, storage: MastraStorage) -> None:
        spy = _SpyDomain()
        composite = MastraStorage(domains={"memory": spy}, disable_init=True)
        assert composite.disable_init is True
        assert await composite.get_store(_MEMORY) is spy
        assert spy.init_calls == 0
        await composite.init()
        await composite.init()
        assert spy.init_calls == 1
        assert MastraStorage(default=storage).disable_init is False

    async def test_lazy_init_runs_once(self, storage: MastraStorage) -> None:
        spy = _SpyDomain()
        composite = MastraStorage(default=storage, domains={"scores": spy})
        await asyncio.gather(*(composite.get_store("memory") for _ in range(5)), composite.init())
        await composite.get_store("scores")
        assert spy.init_calls == 1
        assert composite.initialized

    async def test_env_var_disables_lazy_init(
        self, storage: MastraStorage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MASTRA_DISABLE_STORAGE_INIT", "true")
        spy = _SpyDomain()
        composite = MastraStorage(domains={"memory": spy})
        assert await composite.get_store(_MEMORY) is spy
        assert spy.init_calls == 0
        await composite.init()
        assert spy.init_calls == 1

    async def test_failed_init_is_retried(self, storage: MastraStorage) -> None:
        spy = _SpyDomain(failures=1)
        composite = MastraStorage(domains={"memory": spy})
        with pytest.raises(RuntimeError):
            await composite.init()
        failed_state = composite.initialized
        assert failed_state is False
        await composite.init()
        assert composite.initialized
        assert spy.init_calls == 2

    async def test_adapter_init_is_idempotent_and_concurrent_safe(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        await asyncio.gather(*(storage.init() for _ in range(3)))
        for name in storage.stores:
            await storage.stores[name].init()
        assert await memory.get_thread_by_id(thread.id) == thread


__all__ = ["CompositeTests"]
