"""Default indexes, ``skip_default_indexes``, custom indexes at init, and the index API
(create/list/describe/drop) including schema prefixes and identifier validation
(spec 12.11 and the seed page's index section)."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import NotFoundError, ValidationError
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.indexes import IndexSpec, build_create_index
from mastra_storage_postgres.schema import DEFAULT_INDEXES, constraint_name

pytestmark = pytest.mark.anyio

SEED_DEFAULTS = (
    "mastra_threads_resourceid_createdat_idx",
    "mastra_messages_thread_id_createdat_idx",
    "mastra_ai_spans_traceid_startedat_idx",
    "mastra_ai_spans_parentspanid_startedat_idx",
    "mastra_scores_trace_id_span_id_created_at_idx",
)


async def index_names(admin: Any, schema: str) -> set[str]:
    rows = await admin.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = $1", schema)
    return {r[0] for r in rows}


async def test_default_indexes_prefixed_in_a_custom_schema(
    store: PostgresStore, admin: Any
) -> None:
    schema = store.schema_name
    names = await index_names(admin, schema)
    for base in SEED_DEFAULTS:
        assert f"{schema}_{base}" in names
    assert len([i for i in DEFAULT_INDEXES if i.name(schema) in names]) == len(DEFAULT_INDEXES)
    assert f"{schema}_mastra_storage_messages_thread_order_idx" in names
    # Mastra's constraint names (schema-prefixed, also in public)
    constraints = {
        r[0]
        for r in await admin.fetch(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = $1",
            schema,
        )
    }
    assert f"{schema}_mastra_ai_spans_traceid_spanid_pk" in constraints
    unique = constraint_name("mastra_workflow_snapshot_workflow_name_run_id_key", schema)
    assert unique in constraints and len(unique) <= 63  # truncated like Mastra's


def test_names_fit_postgres_limits() -> None:
    long_schema = "s" * 40
    name = constraint_name(
        "mastra_workflow_snapshot_threadid_idx", long_schema, hash_when_truncated=True
    )
    assert len(name) == 63 and name.startswith(long_schema)
    plain = constraint_name("mastra_workflow_snapshot_name_status_createdat_idx", long_schema)
    assert len(plain) == 63


async def test_skip_default_indexes(pg_url: str, schema: str, admin: Any) -> None:
    store = PostgresStore(pg_url, schema_name=schema, skip_default_indexes=True, max_size=1)
    await store.init()
    names = await index_names(admin, schema)
    assert not any("mastra_threads_resourceid_createdat_idx" in n for n in names)
    # the indexes our own queries need are always there
    assert f"{schema}_mastra_storage_messages_thread_order_idx" in names
    assert (await store.doctor()).ok
    await store.close()


async def test_custom_indexes_at_init_idempotent_and_tolerant(
    pg_url: str, schema: str, admin: Any
) -> None:
    indexes = [
        IndexSpec(
            name="idx_threads_metadata_type",
            table="mastra_threads",
            columns=["(metadata->>'type')"],
        ),
        IndexSpec(name="idx_bad_table", table="no_such_table", columns=["id"]),
    ]
    for _ in range(2):  # init twice: no failure, the index is still there
        store = PostgresStore(pg_url, schema_name=schema, indexes=indexes, max_size=1)
        await store.init()
        await store.close()
        names = await index_names(admin, schema)
        assert f"{schema}_idx_threads_metadata_type" in names
        assert not any("idx_bad_table" in n for n in names)


async def test_index_api_create_list_describe_drop(store: PostgresStore, admin: Any) -> None:
    schema = store.schema_name
    name = await store.create_index(
        IndexSpec(
            name="idx_threads_title",
            table="mastra_threads",
            columns=["title", "createdAt DESC"],
            unique=False,
            where="title <> ''",
            storage={"fillfactor": 90},
        )
    )
    assert name == f"{schema}_idx_threads_title"
    again = await store.create_index(
        IndexSpec(name="idx_threads_title", table="mastra_threads", columns=["title"])
    )
    assert again == name  # an existing name is a no-op
    definition = await admin.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", schema, name
    )
    assert '(title, "createdAt" DESC)' in definition
    assert "fillfactor='90'" in definition and "WHERE (title <> ''::text)" in definition

    await store.create_index(
        IndexSpec(
            name="idx_spans_attrs",
            table="mastra_ai_spans",
            columns=["attributes"],
            method="gin",
            concurrent=False,
        )
    )
    await store.create_index(
        IndexSpec(
            name="idx_resource_unique_wm",
            table="mastra_resources",
            columns=['md5("workingMemory")'],
            unique=True,
            method="btree",
        )
    )
    await store.create_index(
        IndexSpec(
            name="idx_msgs_brin", table="mastra_messages", columns=["createdAt"], method="brin"
        )
    )
    await store.create_index(
        IndexSpec(name="idx_msgs_hash", table="mastra_messages", columns=["role"], method="hash")
    )

    listed = {i.name: i for i in await store.list_indexes("mastra_threads")}
    assert name in listed and listed[name].columns == ["title", "createdAt"]
    assert all(i.table == "mastra_threads" for i in listed.values())
    everything = {i.name for i in await store.list_indexes()}
    assert f"{schema}_idx_spans_attrs" in everything and f"{schema}_idx_msgs_brin" in everything
    unique = {i.name: i for i in await store.list_indexes("mastra_resources")}
    assert unique[f"{schema}_idx_resource_unique_wm"].unique

    await admin.execute(f'SET enable_seqscan = off; SELECT * FROM "{schema}".mastra_threads '
                        "WHERE title = 'x' AND title <> ''")  # fmt: skip
    stats = await store.describe_index("idx_threads_title")  # unprefixed name resolves
    assert stats.name == name and stats.method == "btree" and stats.size.endswith(("kB", "bytes"))
    assert stats.scans >= 0 and stats.tuples_read >= 0 and stats.tuples_fetched >= 0
    gin = await store.describe_index(f"{schema}_idx_spans_attrs")
    assert gin.method == "gin"
    hashed = await store.describe_index("idx_msgs_hash")
    assert hashed.method == "hash"

    await store.drop_index("idx_threads_title")
    assert name not in await index_names(admin, schema)
    await store.drop_index("idx_threads_title")  # missing: no-op
    with pytest.raises(NotFoundError):
        await store.describe_index("idx_threads_title")


async def test_concurrent_index_build_and_gist_spgist(store: PostgresStore, admin: Any) -> None:
    schema = store.schema_name
    await admin.execute(
        f'ALTER TABLE "{schema}".mastra_messages ADD COLUMN IF NOT EXISTS box_col box'
    )
    await store.create_index(
        IndexSpec(name="idx_box_gist", table="mastra_messages", columns=["box_col"], method="gist")
    )
    await store.create_index(
        IndexSpec(
            name="idx_role_spgist", table="mastra_messages", columns=["role"], method="spgist"
        )
    )
    await store.create_index(
        IndexSpec(name="idx_role_conc", table="mastra_messages", columns=["role"], concurrent=True)
    )
    methods = {i.name: await store.describe_index(i.name) for i in await store.list_indexes()}
    assert methods[f"{schema}_idx_box_gist"].method == "gist"
    assert methods[f"{schema}_idx_role_spgist"].method == "spgist"
    assert methods[f"{schema}_idx_role_conc"].method == "btree"


def test_index_spec_validation() -> None:
    def build(**kwargs: Any) -> str:
        base: dict[str, Any] = {"name": "idx_ok", "table": "mastra_threads", "columns": ["id"]}
        base.update(kwargs)
        return build_create_index(IndexSpec(**base), "public")[1]

    assert build() == (
        'CREATE INDEX IF NOT EXISTS "idx_ok" ON "public"."mastra_threads" USING btree ("id")'
    )
    for bad in (
        {"name": "idx; DROP TABLE x"},
        {"name": 'idx"q'},
        {"table": "mastra_threads; --"},
        {"method": "rtree"},
        {"columns": []},
        {"columns": ["id); DROP TABLE x; --"]},
        {"where": "true; DROP TABLE x"},
        {"storage": {"fillfactor; x": 1}},
        {"storage": {"fillfactor": "90) x"}},
        {"opclass": "bad opclass"},
    ):
        with pytest.raises(ValidationError):
            build(**bad)
    assert "public_" not in build()  # no prefix in public


async def test_index_api_validates_before_io(store: PostgresStore) -> None:
    with pytest.raises(ValidationError):
        await store.drop_index("x; DROP SCHEMA public")
    with pytest.raises(ValidationError):
        await store.describe_index("")
    with pytest.raises(ValidationError):
        await store.list_indexes("bad table")
