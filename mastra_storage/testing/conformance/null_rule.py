"""Unset optional fields (issue 16): read back as ``None`` and left out of ``to_dict``."""

from __future__ import annotations

from ...composite import MastraStorage
from ...records import Resource
from ...timeutil import utc_now
from ..data import sample_score, uid
from ._base import ConformanceBase


class NullRuleTests(ConformanceBase):
    """A saved record's unset fields stay unset, and a re-save clears fields it leaves out."""

    async def test_resave_of_a_resource_without_optional_fields_clears_them(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        now = utc_now()
        full = Resource(
            id=uid("res"), working_memory="# wm", metadata={"k": 1}, created_at=now, updated_at=now
        )
        await memory.save_resource(full)
        bare = Resource(id=full.id, created_at=now, updated_at=now)
        await memory.save_resource(bare)
        fetched = await memory.get_resource_by_id(full.id)
        assert fetched == bare
        assert fetched is not None and set(fetched.to_dict()) == {"id", "createdAt", "updatedAt"}

    async def test_unset_score_fields_read_back_unset(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        payload = sample_score().replace(
            input=None,
            entity=None,
            entity_type=None,
            metadata=None,
            reason=None,
            request_context=None,
            preprocess_step_result=None,
            analyze_step_result=None,
        )
        saved = await scores.save_score(payload)
        fetched = await scores.get_score_by_id(saved.id)
        assert fetched == saved
        assert fetched is not None
        unset = {"input", "entity", "entityType", "metadata", "reason", "requestContext"}
        assert not unset & set(fetched.to_dict())
