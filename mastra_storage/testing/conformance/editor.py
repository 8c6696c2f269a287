"""The versioned editor domains (spec sections 9 and 12.10): agents, prompt blocks, scorer
definitions, MCP clients, MCP servers, workspaces and skills.

Every behaviour they share is one test parametrised over the seven domains; a domain the
storage does not serve is skipped (the storage declares a domain by having it in
``stores``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from ...backend.editor import EDITOR_DOMAIN_NAMES
from ...composite import MastraStorage
from ...domains.editor import VersionedStore
from ...editor_records import EditorEntity
from ...errors import ConflictError, NotFoundError, ValidationError
from ..data import uid
from ._base import ConformanceBase

#: The smallest valid configuration of each domain (its NOT NULL config columns).
MINIMAL_CONFIG: dict[str, dict[str, Any]] = {
    "agents": {
        "name": "Agent",
        "instructions": "Be brief.",
        "model": {"provider": "openai", "name": "gpt-4o"},
    },
    "promptBlocks": {"name": "Block", "content": "Hello {{name}}"},
    "scorerDefinitions": {"name": "Scorer", "type": "llm-judge"},
    "mcpClients": {"name": "Client", "servers": {"fs": {"command": "npx"}}},
    "mcpServers": {"name": "Server", "version": "1.0.0"},
    "workspaces": {"name": "Workspace"},
    "skills": {"name": "Skill", "description": "Does things", "instructions": "Step 1"},
}
#: A config field of each domain that holds JSON, with a nested value to round-trip.
JSON_FIELD: dict[str, str] = {
    "agents": "tools",
    "promptBlocks": "rules",
    "scorerDefinitions": "scoreRange",
    "mcpClients": "servers",
    "mcpServers": "tools",
    "workspaces": "filesystem",
    "skills": "files",
}

domains = pytest.mark.parametrize("domain", EDITOR_DOMAIN_NAMES)


def _config(domain: str, **changes: Any) -> dict[str, Any]:
    return {**MINIMAL_CONFIG[domain], **changes}


class EditorDomainTests(ConformanceBase):
    """Create, resolve, update, delete, list and version the seven editor domains."""

    @classmethod
    async def editor(cls, storage: MastraStorage, domain: str) -> VersionedStore:
        """The domain's store; skips the test when the storage does not serve it."""
        found = await cls.optional_domain(storage, domain)
        assert isinstance(found, VersionedStore)
        return found

    @domains
    async def test_create_get_and_conflict(self, storage: MastraStorage, domain: str) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        meta = {"team": "core", "n": 1} if store.domain.has_metadata else None
        entity = await store.create(eid, config=_config(domain), author_id="user-1", metadata=meta)
        assert (entity.status, entity.active_version_id, entity.author_id) == (
            "draft",
            None,
            "user-1",
        )
        assert entity.created_at == entity.updated_at
        thin = await store.get_by_id(eid)
        assert thin == entity and thin is not None and thin.metadata == meta
        assert await store.count_versions(eid) == 1
        first = await store.get_version_by_number(eid, 1)
        assert first is not None and first.config == _config(domain)
        assert (first.change_message, sorted(first.changed_fields or [])) == (
            "Initial version",
            sorted(_config(domain)),
        )
        resolved = await store.get_by_id_resolved(eid)
        assert resolved is not None and resolved.resolved_version_id == first.id
        assert resolved.config == _config(domain)
        assert resolved.to_dict()["resolvedVersionId"] == first.id
        # a second create with the same id: typed error, nothing changed
        with pytest.raises(ConflictError):
            await store.create(eid, config=_config(domain, name="Other"))
        assert await store.count_versions(eid) == 1
        assert await store.get_by_id(eid) == entity
        # a version id that exists: the entity is not created either
        other = uid(domain)
        with pytest.raises(ConflictError):
            await store.create(other, config=_config(domain), version_id=first.id)
        assert await store.get_by_id(other) is None
        assert await store.get_by_id("missing") is None
        assert await store.get_by_id_resolved("missing") is None
        if store.domain.private_when_authored:
            assert entity.extra["visibility"] == "private"
        if "favoriteCount" in store.domain.extra_columns:
            assert entity.extra["favoriteCount"] == 0

    @domains
    async def test_resolution_by_status_and_version(
        self, storage: MastraStorage, domain: str
    ) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        await store.create(eid, config=_config(domain, name="v1"))
        v2 = await store.create_version(eid, config=_config(domain, name="v2"))
        v3 = await store.create_version(eid, config=_config(domain, name="v3"))
        assert (v2.version_number, v3.version_number) == (2, 3)
        v1 = await store.get_version_by_number(eid, 1)
        assert v1 is not None

        async def name(**options: Any) -> Any:
            found = await store.get_by_id_resolved(eid, **options)
            assert found is not None
            return found.config.get("name")

        assert await name() == "v3"  # no active version: the latest
        await store.update(eid, active_version_id=v2.id)
        thin = await store.get_by_id(eid)
        assert thin is not None and (thin.active_version_id, thin.status) == (v2.id, "draft")
        assert await name() == "v2"
        assert await name(status="published") == "v2"
        assert await name(status="draft") == "v3"
        assert await name(version_id=v1.id) == "v1"
        # a version of another entity never resolves this one
        other = uid(domain)
        await store.create(other, config=_config(domain, name="other"))
        foreign = await store.get_latest_version(other)
        assert foreign is not None
        found = await store.get_by_id_resolved(eid, version_id=foreign.id)
        assert found is not None and found.version is None
        # the active version deleted: fall back to the latest
        await store.delete_version(v2.id)
        assert await name() == "v3"
        listed = await store.list_resolved(status="all", per_page=None)
        by_id = {r.entity.id: r for r in listed.items}
        assert by_id[eid].config["name"] == "v3" and by_id[other].config["name"] == "other"
        with pytest.raises(ValidationError):
            await store.get_by_id_resolved(eid, status="live")

    @domains
    async def test_update_thin_fields_only(self, storage: MastraStorage, domain: str) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        has_meta = store.domain.has_metadata
        created = await store.create(
            eid, config=_config(domain), metadata={"a": 1, "b": 2} if has_meta else None
        )
        updated = await store.update(
            eid,
            status="published",
            author_id="user-2",
            metadata={"b": 3, "c": [1, "x"]} if has_meta else msgspec_unset(),
            config={"name": "ignored"},
        )
        assert (updated.status, updated.author_id) == ("published", "user-2")
        assert updated.updated_at >= created.updated_at and updated.created_at == created.created_at
        if has_meta:
            expected = (
                {"a": 1, "b": 3, "c": [1, "x"]}
                if store.domain.merge_metadata
                else {"b": 3, "c": [1, "x"]}
            )
            assert updated.metadata == expected
        # config is not versioned by update: still one version, same config
        assert await store.count_versions(eid) == 1
        resolved = await store.get_by_id_resolved(eid)
        assert resolved is not None and resolved.config == _config(domain)
        assert await store.get_by_id(eid) == updated
        for key in store.domain.updatable_extra:
            changed = await store.update(eid, extra={key: "value-1"})
            assert changed.extra[key] == "value-1"
        # bad input: typed error, stored record unchanged
        before = await store.get_by_id(eid)
        with pytest.raises(ValidationError):
            await store.update(eid, status="live")
        with pytest.raises(ValidationError):
            await store.update(eid, extra={"favoriteCount": 5})
        assert await store.get_by_id(eid) == before
        with pytest.raises(NotFoundError):
            await store.update(uid("missing"), status="published")

    @domains
    async def test_delete_with_versions_is_idempotent(
        self, storage: MastraStorage, domain: str
    ) -> None:
        store = await self.editor(storage, domain)
        eid, keep = uid(domain), uid(domain)
        await store.create(eid, config=_config(domain))
        await store.create(keep, config=_config(domain))
        version = await store.create_version(eid, config=_config(domain, name="v2"))
        await store.delete(eid)
        assert await store.get_by_id(eid) is None
        assert await store.count_versions(eid) == 0
        assert await store.get_version(version.id) is None
        await store.delete(eid)  # twice
        await store.delete(uid("never"))  # never existed
        assert await store.count_versions(keep) == 1 and await store.get_by_id(keep) is not None

    @domains
    async def test_list_filters_order_and_paging(self, storage: MastraStorage, domain: str) -> None:
        store = await self.editor(storage, domain)
        await store.dangerously_clear_all()
        empty = await store.list(status="all")
        assert (empty.items, empty.total, empty.has_more) == ([], 0, False)
        ids = []
        for i in range(7):
            eid = f"{domain}-{i:02d}-{uid()}"
            ids.append(eid)
            await store.create(
                eid,
                config=_config(domain),
                author_id="alice" if i % 2 else "bob",
                metadata={"tier": "gold" if i < 3 else "free"}
                if store.domain.has_metadata
                else None,
            )
            if i % 3 == 0:
                await store.update(eid, status="published")
        everything = await store.list(status="all", per_page=None)
        assert everything.total == 7 and {e.id for e in everything.items} == set(ids)
        keys = [(e.created_at, e.id) for e in everything.items]
        assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
        ascending = await store.list(status="all", direction="ASC", per_page=None)
        assert [e.created_at for e in ascending.items] == sorted(
            e.created_at for e in ascending.items
        )
        published = await store.list(status="published", per_page=None)
        assert {e.id for e in published.items} == {ids[0], ids[3], ids[6]}
        default = await store.list(per_page=None)
        expected_default = published if store.domain.default_list_status else everything
        assert default.total == expected_default.total
        alice = await store.list(status="all", author_id="alice", per_page=None)
        assert {e.id for e in alice.items} == {ids[1], ids[3], ids[5]}
        if store.domain.has_metadata:
            gold = await store.list(status="all", metadata={"tier": "gold"}, per_page=None)
            assert {e.id for e in gold.items} == set(ids[:3])
        # offset pages and cursor pages cover the set once, in order
        pages = [await store.list(status="all", per_page=3, page=p) for p in range(3)]
        assert [len(p.items) for p in pages] == [3, 3, 1]
        assert [p.has_more for p in pages] == [True, True, False]
        assert [e.id for p in pages for e in p.items] == [e.id for e in everything.items]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = await store.list(status="all", per_page=2, cursor=cursor, include_total=False)
            assert page.total is None
            seen.extend(e.id for e in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [e.id for e in everything.items]
        with pytest.raises(ValidationError):
            await store.list(status="all", per_page=2, cursor="garbage")
        with pytest.raises(ValidationError):
            await store.list(page=-1)
        with pytest.raises(ValidationError):
            await store.list(filters={"nope": 1})

    async def test_list_by_domain_columns(self, storage: MastraStorage) -> None:
        agents = await self.editor(storage, "agents")
        public, private = uid("agent"), uid("agent")
        await agents.create(public, config=_config("agents"), extra={"visibility": "public"})
        await agents.create(private, config=_config("agents"), author_id="u")
        found = await agents.list(status="all", filters={"visibility": "public"}, per_page=None)
        assert public in {e.id for e in found.items} and private not in {e.id for e in found.items}
        scorers = await self.editor(storage, "scorerDefinitions")
        sid = uid("scorer")
        await scorers.create(
            sid, config=_config("scorerDefinitions"), extra={"organizationId": "org-1"}
        )
        page = await scorers.list(status="all", filters={"organizationId": "org-1"}, per_page=None)
        assert [e.id for e in page.items] == [sid]

    @domains
    async def test_list_by_entity_ids(self, storage: MastraStorage, domain: str) -> None:
        store = await self.editor(storage, domain)
        a, b, c = uid(domain), uid(domain), uid(domain)
        for eid in (a, b, c):
            await store.create(eid, config=_config(domain))
        found = await store.list(status="all", entity_ids=[a, c, uid("missing")], per_page=None)
        assert {e.id for e in found.items} == {a, c} and found.total == 2
        first = await store.list(status="all", entity_ids=(a, b, c), per_page=2)
        rest = await store.list(
            status="all", entity_ids=(a, b, c), per_page=2, cursor=first.next_cursor
        )
        assert first.total == 3 and {e.id for e in [*first.items, *rest.items]} == {a, b, c}
        empty = await store.list(status="all", entity_ids=[])  # Mastra: nothing, not all
        assert (empty.items, empty.total, empty.has_more) == ([], 0, False)
        resolved = await store.list_resolved(status="all", entity_ids=[b])
        assert [(r.entity.id, r.version is not None) for r in resolved.items] == [(b, True)]
        with pytest.raises(ValidationError):
            await store.list(entity_ids="abc")

    async def test_favorite_count_kept_by_updates(self, storage: MastraStorage) -> None:
        for domain in ("agents", "skills"):
            store = await self.editor(storage, domain)
            eid = uid(domain)
            await store.create(eid, config=_config(domain))

            def favorited(entity: EditorEntity) -> EditorEntity:
                # what Mastra's favorites domain does: bump the thin record's counter
                return msgspec.structs.replace(entity, extra={**entity.extra, "favoriteCount": 3})

            await store.backend.modify_entity(eid, favorited)
            updated = await store.update(eid, status="published", extra={"visibility": "public"})
            assert updated.extra["favoriteCount"] == 3
            stored = await store.get_by_id(eid)
            assert stored is not None and stored.extra["favoriteCount"] == 3

    @domains
    async def test_versions_api(self, storage: MastraStorage, domain: str) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        await store.create(eid, config=_config(domain))
        field = JSON_FIELD[domain]
        nested = {"deep": {"list": [1, 2.5, None, 'é\u2028 "q" \\'], "flag": True}}
        v5 = await store.create_version(
            eid,
            config=_config(domain, **{field: nested}),
            version_number=5,
            changed_fields=[field],
            change_message="jump",
        )
        assert v5.version_number == 5 and v5.parent_id == eid
        got = await store.get_version(v5.id)
        assert got == v5 and got is not None and got.config[field] == nested
        assert (got.changed_fields, got.change_message) == ([field], "jump")
        # next number follows the highest; duplicates refused, nothing written
        v6 = await store.create_version(eid, config=_config(domain))
        assert v6.version_number == 6
        with pytest.raises(ConflictError):
            await store.create_version(eid, config=_config(domain), version_number=5)
        with pytest.raises(ConflictError):
            await store.create_version(eid, config=_config(domain), id=v6.id)
        with pytest.raises(NotFoundError):
            await store.create_version(uid("missing"), config=_config(domain))
        assert await store.count_versions(eid) == 3
        latest = await store.get_latest_version(eid)
        assert latest is not None and latest.id == v6.id
        assert await store.get_version_by_number(eid, 4) is None
        assert [v.id for v in await store.get_versions([v6.id, "nope", v5.id])] == [v6.id, v5.id]
        listed = await store.list_versions(eid)
        assert [v.version_number for v in listed.items] == [6, 5, 1]
        assert (listed.total, listed.per_page) == (3, 20)
        asc = await store.list_versions(eid, direction="ASC", per_page=2)
        assert [v.version_number for v in asc.items] == [1, 5] and asc.has_more
        rest = await store.list_versions(eid, direction="ASC", per_page=2, cursor=asc.next_cursor)
        assert [v.version_number for v in rest.items] == [6]
        by_time = await store.list_versions(
            eid, order_field="createdAt", direction="ASC", per_page=None
        )
        assert by_time.items[0].version_number == 1
        await store.delete_version(v5.id)
        await store.delete_version(v5.id)
        assert await store.count_versions(eid) == 2
        await store.delete_versions_by_parent_id(eid)
        assert await store.count_versions(eid) == 0 and await store.get_by_id(eid) is not None
        resolved = await store.get_by_id_resolved(eid)
        assert resolved is not None and resolved.version is None and resolved.config == {}

    @domains
    async def test_invalid_input_is_refused_before_writing(
        self, storage: MastraStorage, domain: str
    ) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        required = sorted(store.domain.required_config)
        bad_configs: list[Any] = [
            {**_config(domain), "notAField": 1},
            {k: v for k, v in _config(domain).items() if k != required[0]},
            _config(domain, name=7),
            "not a mapping",
        ]
        for config in bad_configs:
            with pytest.raises(ValidationError):
                await store.create(eid, config=config)
        for bad_id in ("", None, 5):
            with pytest.raises(ValidationError):
                await store.create(bad_id, config=_config(domain))  # type: ignore[arg-type]
        if not store.domain.has_metadata:
            with pytest.raises(ValidationError):
                await store.create(eid, config=_config(domain), metadata={"a": 1})
        else:
            with pytest.raises(ValidationError):
                await store.create(eid, config=_config(domain), metadata=["a"])  # type: ignore[arg-type]
        assert await store.get_by_id(eid) is None
        await store.create(eid, config=_config(domain))
        for number in (0, -1, True, 2**40):
            with pytest.raises(ValidationError):
                await store.create_version(eid, config=_config(domain), version_number=number)
        with pytest.raises(ValidationError):
            await store.create_version(eid, config={"notAField": 1})
        assert await store.count_versions(eid) == 1

    @domains
    async def test_concurrent_writers_never_share_a_version_number(
        self, storage: MastraStorage, domain: str
    ) -> None:
        store = await self.editor(storage, domain)
        eid = uid(domain)
        await store.create(eid, config=_config(domain))
        writers = 12
        made = await asyncio.gather(
            *(
                store.create_version(eid, config=_config(domain, name=f"w{i}"))
                for i in range(writers)
            )
        )
        numbers = sorted(v.version_number for v in made)
        assert numbers == list(range(2, writers + 2))
        listed = await store.list_versions(eid, per_page=None)
        assert sorted(v.version_number for v in listed.items) == list(range(1, writers + 2))


def msgspec_unset() -> Any:
    """``msgspec.UNSET`` (leave the field as it is)."""
    import msgspec

    return msgspec.UNSET


__all__ = ["JSON_FIELD", "MINIMAL_CONFIG", "EditorDomainTests"]
