"""Cross-read helpers for Mastra Studio's stored domains (agents with versions, datasets
with item versions) against ``tests/compat/mastra_studio_harness.mjs``.

:func:`our_studio_view` builds, through our store, exactly the JSON the harness's ``read``
prints through Mastra's (dates as ISO strings, null fields dropped recursively), and
:func:`write_studio_fixture` writes the same kind of data through our store that the
harness's ``write`` writes through Mastra's. Both libSQL and MongoDB tests use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mastra_storage.composite import MastraStorage
from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.eval_records import DatasetInput, DatasetItem, ItemInput, ItemUpdate
from mastra_storage.layout import record_columns
from mastra_storage.timeutil import to_iso

_ITEM_FIELDS = record_columns(DatasetItem)


def clean(value: Any) -> Any:
    """``value`` with null fields dropped at every depth and datetimes as ISO strings (the
    harness's ``clean``)."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _item_row(item: DatasetItem) -> dict[str, Any]:
    return clean({column: getattr(item, name) for name, column in _ITEM_FIELDS})


def _item(item: DatasetItem) -> dict[str, Any]:
    """A current item as Mastra returns it (no ``validTo``/``isDeleted``)."""
    row = _item_row(item)
    row.pop("validTo", None)
    row.pop("isDeleted", None)
    return row


async def our_studio_view(
    store: MastraStorage, agent_ids: list[str], dataset_ids: list[str]
) -> dict[str, Any]:
    """What the harness's ``read`` prints, computed through ``store``."""
    agents = await store.require_store("agents")
    datasets = await store.require_store("datasets")
    assert isinstance(agents, VersionedStore) and isinstance(datasets, DatasetsStore)
    out: dict[str, Any] = {"agents": {}, "datasets": {}}
    for agent_id in agent_ids:
        entity = await agents.get_by_id(agent_id)
        if entity is None:
            out["agents"][agent_id] = None
            continue
        versions = await agents.list_versions(agent_id, direction="ASC", per_page=None)
        resolved = await agents.get_by_id_resolved(agent_id)
        draft = await agents.get_by_id_resolved(agent_id, status="draft")
        assert resolved is not None and draft is not None
        out["agents"][agent_id] = {
            "record": clean(entity.row()),
            "versions": [clean(v.row("agentId")) for v in versions.items],
            "resolved": clean(resolved.to_dict()),
            "draft": clean(draft.to_dict()),
            "count": await agents.count_versions(agent_id),
        }
    for dataset_id in dataset_ids:
        dataset = await datasets.get_dataset(dataset_id)
        if dataset is None:
            out["datasets"][dataset_id] = None
            continue
        versions_page = await datasets.list_dataset_versions(dataset_id, per_page=None)
        current = await datasets.list_items(dataset_id, per_page=None)
        snapshots: dict[str, Any] = {}
        item_ids: set[str] = set()
        for version in versions_page.items:
            rows = await datasets.get_items_by_version(dataset_id, version.version)
            item_ids.update(r.id for r in rows)
            snapshots[str(version.version)] = sorted((_item(r) for r in rows), key=_by_id)
        history = {
            item_id: [_item_row(r) for r in await datasets.get_item_history(item_id)]
            for item_id in sorted(item_ids)
        }
        out["datasets"][dataset_id] = {
            "record": clean(dataset.to_dict() | {"version": dataset.version}),
            "versions": [v.version for v in versions_page.items],
            "current": sorted((_item(r) for r in current.items), key=_by_id),
            "snapshots": snapshots,
            "history": history,
        }
    return out


def _by_id(row: dict[str, Any]) -> str:
    return str(row["id"])


async def write_studio_fixture(store: MastraStorage) -> dict[str, list[str]]:
    """Through our store: agent ``py-agent`` (version 1 from create, version 2 added and
    activated, published) and dataset ``py-dataset`` (item A added then updated, item B
    added then deleted). Returns the ids, as the harness's ``write`` does."""
    agents = await store.require_store("agents")
    datasets = await store.require_store("datasets")
    assert isinstance(agents, VersionedStore) and isinstance(datasets, DatasetsStore)
    await agents.create(
        "py-agent",
        config={
            "name": "Py Agent",
            "description": "written by Python",
            "instructions": "Be helpful.",
            "model": {"provider": "openai", "name": "gpt-4o-mini"},
            "tools": {"search": {"description": "web search"}},
            "defaultOptions": {"maxSteps": 3},
        },
        author_id="author-py",
        metadata={"team": "py", "tier": 2},
    )
    await agents.create_version(
        "py-agent",
        id="py-agent-v2",
        config={
            "name": "Py Agent",
            "instructions": "Be very helpful.",
            "model": {"provider": "openai", "name": "gpt-4o"},
            "tools": {"search": {"description": "web search"}},
        },
        changed_fields=["instructions", "model"],
        change_message="sharper",
    )
    await agents.update("py-agent", active_version_id="py-agent-v2", status="published")
    dataset = await datasets.create_dataset(
        DatasetInput(
            id="py-dataset",
            name="Py dataset",
            description="written by Python",
            metadata={"owner": "py"},
            input_schema={"type": "object"},
        )
    )
    a = await datasets.add_item(
        dataset.id,
        ItemInput(
            input={"question": "What is 2+2?"},
            ground_truth={"answer": "4"},
            metadata={"difficulty": "easy"},
        ),
    )
    await datasets.update_item(
        dataset.id,
        a.id,
        ItemUpdate(input={"question": "What is 2+3?"}, ground_truth={"answer": "5"}),
    )
    b = await datasets.add_item(
        dataset.id, ItemInput(input={"question": "deleted later", "tags": ["a", "b"]})
    )
    await datasets.delete_item(dataset.id, b.id)
    return {"agentIds": ["py-agent"], "datasetIds": [dataset.id], "itemIds": [a.id, b.id]}


__all__ = ["clean", "our_studio_view", "write_studio_fixture"]
