"""Cross-read helpers for Mastra Studio's stored domains (agents with versions, datasets
with item versions, experiments with results, blobs, and the other versioned editor
domains) against ``tests/compat/mastra_studio_harness.mjs``.

:func:`our_studio_view` builds, through our store, exactly the JSON the harness's ``read``
prints through Mastra's (dates as ISO strings, null fields dropped recursively), and
:func:`write_studio_fixture` writes the same kind of data through our store that the
harness's ``write`` writes through Mastra's. Both libSQL and MongoDB tests use them.
:func:`write_blob_fixture` / :func:`our_blob_view` are the blob part alone, the twins of
``harness_common.mjs``'s ``writeFixtureBlobs`` / ``readBlobs`` (PostgreSQL uses them too).
:func:`write_editor_entity` / :func:`editor_entity_view` are the twins of
``editor_fixture.mjs``'s ``writeEditorEntity`` / ``readEditorEntity``: one entity per
versioned editor domain, as ``tests/compat/editor_fixture.json`` declares it (PostgreSQL's
editor cross-read uses them too).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mastra_storage.composite import MastraStorage
from mastra_storage.domains.blobs import BlobsStore, blob_hash
from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.domains.experiments import ExperimentsStore
from mastra_storage.editor_records import EditorVersion
from mastra_storage.eval_records import (
    DatasetInput,
    DatasetItem,
    ExperimentInput,
    ExperimentUpdate,
    ItemInput,
    ItemUpdate,
    ResultInput,
    ResultUpdate,
)
from mastra_storage.layout import record_columns
from mastra_storage.pagination import Direction
from mastra_storage.records import Record
from mastra_storage.timeutil import to_iso

_ITEM_FIELDS = record_columns(DatasetItem)
#: One entity per versioned editor domain (``{domain: spec}``), the data both sides write.
EDITOR_FIXTURE: dict[str, dict[str, Any]] = {
    domain: spec
    for domain, spec in json.loads(
        (Path(__file__).resolve().parents[1] / "compat" / "editor_fixture.json").read_text()
    ).items()
    if not domain.startswith("_")
}
#: The editor domains the studio harness crosses besides agents (which it writes with
#: the experiments that point at them): all but agents.
STUDIO_EDITOR_DOMAINS: tuple[str, ...] = tuple(d for d in EDITOR_FIXTURE if d != "agents")
#: The harness's experiment times (T0, T1, T2).
T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 1, 10, 0, 1, 500_000, tzinfo=timezone.utc)
T2 = datetime(2026, 3, 1, 10, 0, 3, 250_000, tzinfo=timezone.utc)


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
    row: dict[str, Any] = clean({column: getattr(item, name) for name, column in _ITEM_FIELDS})
    return row


def _item(item: DatasetItem) -> dict[str, Any]:
    """A current item as Mastra returns it (no ``validTo``/``isDeleted``)."""
    row = _item_row(item)
    row.pop("validTo", None)
    row.pop("isDeleted", None)
    return row


def _columns(record: Record) -> dict[str, Any]:
    """Every field of ``record`` under its column (Mastra's) name, nulls dropped."""
    fields = record_columns(type(record))
    row: dict[str, Any] = clean({column: getattr(record, name) for name, column in fields})
    return row


async def our_studio_view(
    store: MastraStorage,
    agent_ids: list[str],
    dataset_ids: list[str],
    experiment_ids: Sequence[str] = (),
    blob_hashes: Sequence[str] = (),
    editor_prefix: str | None = None,
) -> dict[str, Any]:
    """What the harness's ``read`` prints, computed through ``store`` (``editor_prefix``:
    the harness's EDITOR_PREFIX, whose entities of :data:`STUDIO_EDITOR_DOMAINS` it
    reads)."""
    agents = await store.require_store("agents")
    datasets = await store.require_store("datasets")
    experiments = await store.require_store("experiments")
    assert isinstance(agents, VersionedStore) and isinstance(datasets, DatasetsStore)
    assert isinstance(experiments, ExperimentsStore)
    out: dict[str, Any] = {"agents": {}, "datasets": {}, "experiments": {}}
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
    for experiment_id in experiment_ids:
        experiment = await experiments.get_experiment(experiment_id)
        if experiment is None:
            out["experiments"][experiment_id] = None
            continue
        results = (await experiments.list_experiment_results(experiment_id, per_page=None)).items
        by_id: dict[str, Any] = {}
        for result in results:
            again = await experiments.get_experiment_result(result.id)
            by_id[result.id] = None if again is None else _columns(again)
        listed: list[str] = []
        if experiment.dataset_id is not None:
            page = await experiments.list_experiments(
                dataset_id=experiment.dataset_id, per_page=None
            )
            listed = [e.id for e in page.items]
        reviewed = await experiments.list_experiment_results(
            experiment_id, status="reviewed", per_page=None
        )
        out["experiments"][experiment_id] = {
            "record": _columns(experiment),
            "results": [_columns(r) for r in results],
            "byId": by_id,
            "listed": listed,
            "reviewed": [r.id for r in reviewed.items],
            # we have no tag filter: the harness's tag query over our rows is what is checked
            "flaky": [r.id for r in results if "flaky" in (r.tags or [])],
        }
    out["blobs"] = await our_blob_view(store, blob_hashes)
    out["editor"] = {}
    if editor_prefix is not None:
        for domain in STUDIO_EDITOR_DOMAINS:
            editor = await store.require_store(domain)
            assert isinstance(editor, VersionedStore)
            found = await editor_entity_view(editor, editor_id(editor_prefix, domain), "ASC")
            out["editor"][domain] = clean(found)
    return out


async def our_view_of_written(store: MastraStorage, written: dict[str, Any]) -> dict[str, Any]:
    """:func:`our_studio_view` of what a ``write`` returned (ours or the harness's): its
    agents, datasets, experiments, blobs and editor entities."""
    return await our_studio_view(
        store,
        written["agentIds"],
        written["datasetIds"],
        written["experimentIds"],
        written["blobHashes"],
        editor_prefix=written["editorPrefix"],
    )


def check_fixture_present(
    view: dict[str, Any], prefix: str, hashes: list[str], *, release: str | None = None
) -> None:
    """The experiment, blobs and editor entities a ``write`` with ``prefix`` made are in
    ``view`` as written (so that two views that agree are not two empty ones); ``release``:
    ``view`` is that release's read (without its :data:`UNREAD_BY_RELEASE`)."""
    experiment = view["experiments"][f"{prefix}-exp"]
    record = experiment["record"]
    counts = ("totalItems", "succeededCount", "failedCount", "skippedCount")
    assert [record["status"], *(record[c] for c in counts)] == ["completed", 3, 1, 1, 1]
    assert record["provenance"]["metadata"] == {"run": 7}
    assert record["runnerAttestation"]["invocationId"] == "inv-1"
    assert (record["startedAt"], record["completedAt"]) == (to_iso(T0), to_iso(T2))
    assert record["scorerIds"] == ["accuracy", "tone"] and record["trialIndex"] == 1
    r1, r2 = experiment["results"]
    assert (r1["id"], r2["id"]) == (f"{prefix}-exp-r1", f"{prefix}-exp-r2")
    assert r1["output"] == {"text": "5", "tokens": [1, 2]} and "error" not in r1
    assert r1["toolMockReport"]["served"][0]["args"] == {"q": "x"}
    assert r2["input"] == "plain \u2713 text" and "output" not in r2
    assert (r2["status"], r2["tags"], r2["comment"], r2["attempt"]) == (
        "reviewed",
        ["flaky", "x"],
        "look again",
        1,
    )
    assert experiment["listed"] == [f"{prefix}-exp"]
    assert experiment["reviewed"] == experiment["flaky"] == [f"{prefix}-exp-r2"]
    check_blobs_present(view["blobs"], prefix, hashes)
    assert sorted(view["editor"]) == sorted(STUDIO_EDITOR_DOMAINS)
    for domain in STUDIO_EDITOR_DOMAINS:
        unread = UNREAD_BY_RELEASE.get(release or "", {}).get(domain, ())
        check_editor_entity(
            view["editor"][domain], domain, editor_id(prefix, domain), unread=unread
        )


def check_blobs_present(blobs: dict[str, Any], prefix: str, hashes: list[str]) -> None:
    """The blobs a ``writeFixtureBlobs(prefix)`` (or :func:`write_blob_fixture`) made are in
    ``blobs`` (a ``readBlobs`` view) as written, under our hashes of their contents."""
    assert hashes == blob_fixture_hashes(prefix) and len(set(hashes)) == 4
    assert [blobs["has"][h] for h in hashes] == [True, True, True, False]
    assert blobs["many"] == sorted(hashes[:3]) and blobs["get"][hashes[3]] is None
    text, data, doc, _ = blob_fixture(prefix)
    stored = [blobs["get"][h] for h in hashes[:3]]
    assert [(b["content"], b["size"], b.get("mimeType")) for b in stored] == [
        (text, len(text.encode()), "text/markdown"),
        (base64.b64encode(data).decode(), len(data), "image/png"),
        (doc, len(doc), None),
    ]


def blob_fixture(prefix: str) -> tuple[str, bytes, str, str]:
    """The text, binary, JSON and to-be-deleted contents of ``writeFixtureBlobs(prefix)``."""
    text = f"# {prefix} skill\n\nUse the tool \u2713"
    data = bytes([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0xFE]) + prefix.encode()
    doc = json.dumps({"from": prefix, "n": [1, 2]}, separators=(",", ":"))
    return text, data, doc, f"{prefix} temporary"


def blob_fixture_hashes(prefix: str) -> list[str]:
    """The hashes ``writeFixtureBlobs(prefix)`` returns, computed our way (SHA-256 of the
    UTF-8 text, of the bytes for the binary blob)."""
    text, data, doc, gone = blob_fixture(prefix)
    return [blob_hash(text), hashlib.sha256(data).hexdigest(), blob_hash(doc), blob_hash(gone)]


async def write_blob_fixture(store: MastraStorage, prefix: str) -> dict[str, Any]:
    """Through our blob store, what ``writeFixtureBlobs(prefix)`` writes through Mastra's: the
    text blob twice, the binary blob (``put_bytes``), the JSON blob without a MIME type
    (``put_many``), and a blob put then deleted twice. Returns {hashes, deleted}."""
    blobs = await store.require_store("blobs")
    assert isinstance(blobs, BlobsStore)
    text, data, doc, gone = blob_fixture(prefix)
    first = await blobs.put(text, mime_type="text/markdown")
    await blobs.put(text, mime_type="text/markdown")
    binary = await blobs.put_bytes(data, mime_type="image/png")
    [json_blob, gone_blob] = await blobs.put_many([(doc, None), (gone, None)])
    deleted = [await blobs.delete(gone_blob.hash), await blobs.delete(gone_blob.hash)]
    return {"hashes": [first.hash, binary.hash, json_blob.hash, gone_blob.hash], "deleted": deleted}


async def our_blob_view(store: MastraStorage, hashes: Sequence[str]) -> dict[str, Any]:
    """What ``readBlobs(hashes)`` prints, computed through ``store``."""
    blobs = await store.require_store("blobs")
    assert isinstance(blobs, BlobsStore)
    out: dict[str, Any] = {"get": {}, "has": {}}
    for h in hashes:
        blob = await blobs.get(h)
        out["get"][h] = None if blob is None else _columns(blob)
        out["has"][h] = await blobs.has(h)
    out["many"] = sorted(await blobs.get_many(list(hashes))) if hashes else []
    return out


def editor_id(prefix: str, domain: str) -> str:
    """The id of the fixture entity of ``domain`` written under ``prefix`` (the harness's
    ``editorId``)."""
    return f"{prefix}-{domain}"


async def write_editor_entity(store: VersionedStore, entity_id: str) -> None:
    """Through our store, what ``writeEditorEntity`` writes through Mastra's: the fixture
    entity of ``store``'s domain (version 1 from create), version 2 (id
    ``<entity_id>-v2``) and the fixture's version published (or none)."""
    spec = EDITOR_FIXTURE[store.domain.name]
    thin = dict(spec["thin"])
    author_id = thin.pop("authorId", None)
    metadata = thin.pop("metadata", None)
    v1, v2 = (_with_id(spec[key], entity_id) for key in ("v1", "v2"))
    await store.create(
        entity_id, config=v1, author_id=author_id, metadata=metadata, extra=thin or None
    )
    await store.create_version(
        entity_id,
        id=f"{entity_id}-v2",
        config=v2,
        changed_fields=spec["changedFields"],
        change_message=spec["changeMessage"],
    )
    if spec["activate"]:
        active = await store.get_version_by_number(entity_id, spec["activate"])
        assert active is not None
        await store.update(entity_id, active_version_id=active.id, status="published")


def _with_id(config: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """``config`` with ``{id}`` in its top-level strings replaced by ``entity_id`` (the
    harness's ``withId``)."""
    return {k: v.replace("{id}", entity_id) if isinstance(v, str) else v for k, v in config.items()}


async def editor_entity_view(
    store: VersionedStore, entity_id: str, direction: Direction
) -> dict[str, Any] | None:
    """What ``readEditorEntity`` returns, through our store, before normalisation: the
    thin row, the resolved published and draft dicts, the version rows (``direction`` of
    the version number) and the count (``None``: no such entity)."""
    thin = await store.get_by_id(entity_id)
    if thin is None:
        return None
    versions = await store.list_versions(entity_id, direction=direction, per_page=None)
    published = await store.get_by_id_resolved(entity_id)
    draft = await store.get_by_id_resolved(entity_id, status="draft")
    assert published is not None and draft is not None
    return {
        "thin": thin.row(),
        "published": published.to_dict(),
        "draft": draft.to_dict(),
        "versions": [_version_row(store, v) for v in versions.items],
        "count": await store.count_versions(entity_id),
    }


def _version_row(store: VersionedStore, version: EditorVersion) -> dict[str, Any]:
    return version.row(store.domain.parent_column)


#: Config fields that @mastra/pg 1.27.1 and @mastra/libsql 1.23.1 read as ``false`` when
#: the column is NULL (``Boolean(row.autoSync)`` in their workspace version parsers; both
#: also write an absent value as false). We store an absent value as NULL and read it
#: back absent, which Mastra's type documents as the same setting ("default: false"), so
#: that a config reads back as written (the conformance suite's rule) on every backend.
#: @mastra/mongodb 1.19.0 keeps the field absent, as we do.
SQL_READ_DEFAULTS: dict[str, dict[str, Any]] = {"workspaces": {"autoSync": False}}
#: Thin fields a release neither writes nor reads, per release and domain (we keep them:
#: the tables have the columns, from ``@mastra/core``'s schema). @mastra/libsql 1.23.1 and
#: @mastra/mongodb 1.19.0: a scorer definition's organizationId and projectId (their
#: ``create`` and row parsers know only id, status, activeVersionId, authorId, metadata and
#: the dates; @mastra/pg 1.27.1 keeps both). @mastra/mongodb 1.19.0 also: a skill's
#: favoriteCount (it has no favourites domain; its skill parser lists the fields it shows).
UNREAD_BY_RELEASE: dict[str, dict[str, tuple[str, ...]]] = {
    "libsql": {"scorerDefinitions": ("organizationId", "projectId")},
    "mongodb": {
        "scorerDefinitions": ("organizationId", "projectId"),
        "skills": ("favoriteCount",),
    },
}


def as_release_reads(domain: str, view: dict[str, Any], release: str) -> dict[str, Any]:
    """``view`` (one entity, normalised, as we read it) as ``release`` (``pg``, ``libsql``
    or ``mongodb``) reads the same rows: :data:`SQL_READ_DEFAULTS` filled in where a
    version (or a resolved version) has no value (``pg``, ``libsql``), and
    the release's :data:`UNREAD_BY_RELEASE` left out of the thin and resolved records."""
    defaults = SQL_READ_DEFAULTS.get(domain, {}) if release in ("pg", "libsql") else {}
    unread = UNREAD_BY_RELEASE.get(release, {}).get(domain, ())
    out = dict(view)
    out["thin"] = {k: v for k, v in view["thin"].items() if k not in unread}
    out["versions"] = [{**defaults, **v} for v in view["versions"]]
    for key in ("published", "draft"):
        resolved = {k: v for k, v in view[key].items() if k not in unread}
        out[key] = {**defaults, **resolved} if "resolvedVersionId" in resolved else resolved
    return out


def check_editor_entity(
    view: dict[str, Any], domain: str, entity_id: str, *, unread: Sequence[str] = ()
) -> None:
    """``view`` (a normalised ``readEditorEntity`` of the fixture entity) holds what the
    fixture wrote: two versions with its config, the published one resolved, the latest as
    draft (so that two views that agree are not two empty ones). ``unread``: thin fields
    the view's reader does not show (:data:`UNREAD_BY_RELEASE`)."""
    spec = EDITOR_FIXTURE[domain]
    assert view["count"] == 2 and len(view["versions"]) == 2, (domain, view["count"])
    by_number = {v["versionNumber"]: v for v in view["versions"]}
    for number, key in ((1, "v1"), (2, "v2")):
        for field, value in _with_id(spec[key], entity_id).items():
            assert by_number[number][field] == value, (domain, number, field)
    assert by_number[2]["id"] == f"{entity_id}-v2"
    published = 2 if spec["activate"] is None else spec["activate"]
    assert view["published"]["resolvedVersionId"] == by_number[published]["id"], domain
    assert view["draft"]["resolvedVersionId"] == f"{entity_id}-v2", domain
    assert view["thin"]["status"] == ("draft" if spec["activate"] is None else "published")
    for field, value in spec["thin"].items():
        assert view["thin"].get(field) == (None if field in unread else value), (domain, field)


def _by_id(row: dict[str, Any]) -> str:
    return str(row["id"])


async def write_studio_fixture(store: MastraStorage) -> dict[str, Any]:
    """Through our store: agent ``py-agent`` (version 1 from create, version 2 added and
    activated, published), dataset ``py-dataset`` (item A added then updated, item B added
    then deleted), experiment ``py-exp`` on its version 4 (running, two results, one
    reviewed, then completed), the blobs of :func:`write_blob_fixture` and the entity
    ``py-<domain>`` of each of :data:`STUDIO_EDITOR_DOMAINS`. Returns the ids, blob hashes
    and editor prefix, as the harness's ``write`` does."""
    agents = await store.require_store("agents")
    datasets = await store.require_store("datasets")
    experiments = await store.require_store("experiments")
    assert isinstance(agents, VersionedStore) and isinstance(datasets, DatasetsStore)
    assert isinstance(experiments, ExperimentsStore)
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
    await experiments.create_experiment(
        ExperimentInput(
            id="py-exp",
            name="Py run",
            description="written by Python",
            metadata={"owner": "py", "nested": {"n": 1}},
            dataset_id=dataset.id,
            dataset_version=4,
            target_type="agent",
            target_id="py-agent",
            scorer_ids=["accuracy", "tone"],
            agent_version="py-agent-v2",
            experiment_set_id="py-set",
            comparison_id="py-cmp",
            variant_id="baseline",
            trial_index=1,
            provenance={
                "source": "ci",
                "sourceId": "repo",
                "sourceVersion": "abc123",
                "metadata": {"run": 7},
            },
            runner_attestation={"runnerId": "runner-1", "invocationId": "inv-1"},
            total_items=3,
        )
    )
    await experiments.update_experiment("py-exp", ExperimentUpdate(status="running", started_at=T0))
    await experiments.add_experiment_result(
        ResultInput(
            id="py-exp-r1",
            experiment_id="py-exp",
            item_id=a.id,
            item_dataset_version=2,
            input={"question": "What is 2+3?"},
            output={"text": "5", "tokens": [1, 2]},
            ground_truth={"answer": "5"},
            metadata={"latencyMs": 12},
            started_at=T0,
            completed_at=T1,
            trace_id="py-trace-1",
            status="needs-review",
            tags=["good"],
            tool_mock_report={
                "served": [{"mockIndex": 0, "toolName": "search", "args": {"q": "x"}}],
                "unconsumed": [],
                "liveCalls": [],
            },
        )
    )
    await experiments.add_experiment_result(
        ResultInput(
            id="py-exp-r2",
            experiment_id="py-exp",
            item_id=b.id,
            item_dataset_version=3,
            input="plain \u2713 text",
            error={"message": "boom", "code": "E1"},
            started_at=T1,
            completed_at=T2,
            retry_count=1,
            attempt=1,
        )
    )
    await experiments.update_experiment_result(
        "py-exp-r2", ResultUpdate(status="reviewed", tags=["flaky", "x"], comment="look again")
    )
    await experiments.update_experiment(
        "py-exp",
        ExperimentUpdate(
            status="completed",
            succeeded_count=1,
            failed_count=1,
            skipped_count=1,
            completed_at=T2,
        ),
    )
    blobs = await write_blob_fixture(store, "py")
    for domain in STUDIO_EDITOR_DOMAINS:
        editor = await store.require_store(domain)
        assert isinstance(editor, VersionedStore)
        await write_editor_entity(editor, editor_id("py", domain))
    return {
        "agentIds": ["py-agent"],
        "datasetIds": [dataset.id],
        "itemIds": [a.id, b.id],
        "experimentIds": ["py-exp"],
        "blobHashes": blobs["hashes"],
        "blobDeleted": blobs["deleted"],
        "editorPrefix": "py",
    }


__all__ = [
    "EDITOR_FIXTURE",
    "SQL_READ_DEFAULTS",
    "STUDIO_EDITOR_DOMAINS",
    "T0",
    "T1",
    "T2",
    "UNREAD_BY_RELEASE",
    "as_release_reads",
    "blob_fixture",
    "blob_fixture_hashes",
    "check_blobs_present",
    "check_editor_entity",
    "check_fixture_present",
    "clean",
    "editor_entity_view",
    "editor_id",
    "our_blob_view",
    "our_studio_view",
    "write_blob_fixture",
    "write_editor_entity",
    "write_studio_fixture",
]
