"""Memory domain, resources and working memory (spec 12.6 and 5.5)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from ...composite import MastraStorage
from ...errors import ValidationError
from ...timeutil import UTC
from ..data import sample_resource, uid
from ._base import ConformanceBase


class ResourceTests(ConformanceBase):
    """``get_resource_by_id``, ``save_resource`` and ``update_resource``."""

    async def test_create_and_retrieve_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = sample_resource()
        assert await memory.save_resource(resource) == resource
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched == resource
        assert fetched is not None and fetched.working_memory == "Sample working memory content"

    async def test_resource_with_specific_id_and_dates(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        created = datetime(2023, 6, 7, 8, 9, 10, 11000, tzinfo=UTC)
        updated = datetime(2023, 6, 8, 8, 9, 10, 999000, tzinfo=UTC)
        resource = sample_resource(id="user-1234", created_at=created, updated_at=updated)
        await memory.save_resource(resource)
        fetched = await memory.get_resource_by_id("user-1234")
        assert fetched is not None
        assert (fetched.created_at, fetched.updated_at) == (created, updated)
        assert fetched.to_dict() == resource.to_dict()

    async def test_missing_resource_returns_none(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await memory.save_resource(sample_resource())
        assert await memory.get_resource_by_id("no-such-resource") is None

    async def test_save_resource_is_an_upsert(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        replacement = resource.replace(working_memory="replaced", metadata={"only": 1})
        await memory.save_resource(replacement)
        assert await memory.get_resource_by_id(resource.id) == replacement

    async def test_update_working_memory_and_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(metadata={"a": 1, "b": 2}))
        updated = await memory.update_resource(
            resource.id, working_memory="new memory", metadata={"b": 3, "c": 4}
        )
        assert updated.working_memory == "new memory"
        assert updated.metadata == {"a": 1, "b": 3, "c": 4}
        assert updated.created_at == resource.created_at
        assert await memory.get_resource_by_id(resource.id) == updated

    async def test_update_only_working_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        updated = await memory.update_resource(resource.id, working_memory="only wm")
        assert updated.working_memory == "only wm"
        assert updated.metadata == resource.metadata
        assert await memory.get_resource_by_id(resource.id) == updated

    async def test_update_only_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        updated = await memory.update_resource(resource.id, metadata={"extra": [1, None]})
        assert updated.working_memory == resource.working_memory
        assert updated.metadata == {**(resource.metadata or {}), "extra": [1, None]}
        assert await memory.get_resource_by_id(resource.id) == updated

    async def test_update_can_clear_working_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        updated = await memory.update_resource(resource.id, working_memory=None)
        assert updated.working_memory is None
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None and fetched.working_memory is None
        assert fetched.metadata == resource.metadata

    async def test_update_creates_missing_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource_id = uid("resource")
        created = await memory.update_resource(resource_id, working_memory="fresh")
        assert created.id == resource_id
        assert created.working_memory == "fresh"
        assert created.metadata == {}
        assert created.created_at == created.updated_at
        assert await memory.get_resource_by_id(resource_id) == created
        with_meta = await memory.update_resource(uid("resource"), metadata={"m": True})
        assert with_meta.working_memory is None
        assert with_meta.metadata == {"m": True}

    async def test_empty_working_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(working_memory=""))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert fetched.working_memory == ""

    async def test_null_working_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(working_memory=None))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert not fetched.working_memory

    async def test_empty_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(metadata={}))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert fetched.metadata == {}

    async def test_null_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(metadata=None))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert fetched.metadata in (None, {})
        updated = await memory.update_resource(resource.id, metadata={"k": "v"})
        assert updated.metadata == {"k": "v"}

    async def test_complex_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        metadata = {
            "preferences": {"theme": "dark", "notifications": {"email": True, "sms": False}},
            "tags": ["a", "b", {"c": [1, 2.5, None]}],
            "count": 42,
            "ratio": 0.125,
            "nothing": None,
            "unicode": "caf\u00e9 \U0001f680",
        }
        resource = await memory.save_resource(sample_resource(metadata=metadata))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert fetched.metadata == metadata

    async def test_large_working_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        text = ("# Working memory\n" + "x" * 10_000 + "\n\u00e9")[:10_050]
        resource = await memory.save_resource(sample_resource(working_memory=text))
        fetched = await memory.get_resource_by_id(resource.id)
        assert fetched is not None
        assert fetched.working_memory == text

    async def test_update_bumps_updated_at(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        first = await memory.update_resource(resource.id, working_memory="one")
        second = await memory.update_resource(resource.id, working_memory="two")
        assert first.updated_at > resource.updated_at
        assert second.updated_at > first.updated_at
        assert second.created_at == resource.created_at

    async def test_concurrent_updates_to_one_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource(metadata={}))
        results = await asyncio.gather(
            *(
                memory.update_resource(resource.id, working_memory=f"wm {i}", metadata={f"k{i}": i})
                for i in range(3)
            )
        )
        assert len(results) == 3
        final = await memory.get_resource_by_id(resource.id)
        assert final is not None
        assert final.working_memory in {"wm 0", "wm 1", "wm 2"}
        assert final.metadata == {"k0": 0, "k1": 1, "k2": 2}, "an update was lost"

    async def test_concurrent_updates_create_one_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource_id = uid("resource")
        await asyncio.gather(
            *(memory.update_resource(resource_id, metadata={f"k{i}": i}) for i in range(4))
        )
        final = await memory.get_resource_by_id(resource_id)
        assert final is not None
        assert final.metadata == {f"k{i}": i for i in range(4)}

    async def test_invalid_resource_input_is_rejected(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = await memory.save_resource(sample_resource())
        with pytest.raises(ValidationError):
            await memory.save_resource(sample_resource(id=" "))
        with pytest.raises(ValidationError):
            await memory.save_resource(resource.replace(metadata={"bad": object()}))
        with pytest.raises(ValidationError):
            await memory.update_resource(resource.id, metadata={"bad": object()})
        with pytest.raises(ValidationError):
            await memory.update_resource("", working_memory="x")
        with pytest.raises(ValidationError):
            await memory.update_resource(resource.id, working_memory=42)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            await memory.get_resource_by_id("")
        assert await memory.get_resource_by_id(resource.id) == resource


__all__ = ["ResourceTests"]
