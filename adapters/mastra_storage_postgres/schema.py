"""The layout: ``@mastra/pg`` 1.27.1's tables in the chosen schema, plus what we add.

Tables, column names, types, nullability, constraint names and default index names are
exactly those ``@mastra/pg`` 1.27.1 creates (read from its ``init()`` against a real
server; see ``docs/postgres-layout.md``). Every ``timestamp`` column ``X`` has a twin
``"XZ" TIMESTAMPTZ DEFAULT NOW()``; we write both (``X`` as UTC wall time, ``XZ`` as the
instant) and read ``XZ`` first, as Mastra does.

What we add (invisible to Mastra's queries, which name their columns):

* ``mastra_messages.seq``: a nullable ``BIGINT`` whose default comes from the sequence
  ``mastra_storage_messages_seq``: the insertion order that breaks ties between messages
  with the same ``createdAt`` (PostgreSQL has no stable rowid). Rows that existed before
  the column was added keep ``NULL``; :func:`message_order_key` orders them (no backfill,
  so adding the column never rewrites the table);
* ``mastra_scorers."structuredOutput"``: the one ``Score`` field Mastra has no column for;
* ``mastra_storage_schema``: our layout version, so a warm ``init()`` is one ``SELECT``;
* two ``mastra_storage_*`` indexes our reads need (newest-N recall by thread and by
  resource, in message order).

``ensure_schema`` never blocks a live app's reads or writes for long (``docs/postgres-
layout.md``, "Init on a live database"): objects it creates are built in one transaction,
but changes to tables that already exist are one short statement each under a
``lock_timeout`` (retried), and their indexes are built ``CONCURRENTLY``. It is safe to run
from many processes at once: they take turns on a session advisory lock keyed by the
schema name and re-check under it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from mastra_storage import eval_layout, layout
from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_NAMES,
    TABLE_OBSERVATIONAL_MEMORY,
    TABLE_SCORERS,
    TABLE_SPANS,
    TABLE_THREADS,
    TABLE_WORKFLOW_SNAPSHOT,
    Logical,
    LogicalColumn,
    LogicalTable,
)
from mastra_storage.validation import validate_identifier

from .connection import Runner
from .errors import import_asyncpg

logger = logging.getLogger("mastra_storage_postgres")

#: Bump when what ``ensure_schema`` creates changes; older databases are upgraded.
SCHEMA_VERSION = 6
SCHEMA_COMPONENT = "postgres"
SCHEMA_TABLE = "mastra_storage_schema"

_SQL_TYPE: dict[Logical, str] = {
    "text": "TEXT",
    "timestamp": "TIMESTAMP",
    "jsonb": "JSONB",
    "integer": "INTEGER",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "bigint": "BIGINT",
}
# What Mastra's alterTable uses as DEFAULT when it adds a NOT NULL column to an old table.
_NOT_NULL_DEFAULT: dict[Logical, str] = {
    "text": "''",
    "timestamp": "NOW()",
    "jsonb": "'{}'::jsonb",
    "integer": "0",
    "float": "0",
    "boolean": "FALSE",
    "bigint": "0",
}


def q(name: str) -> str:
    """A quoted identifier (names come from constants or :func:`validate_identifier`)."""
    return '"' + name.replace('"', '""') + '"'


def column_ddl(column: LogicalColumn) -> str:
    """The column's definition in ``CREATE TABLE``."""
    text = f"{q(column.name)} {_SQL_TYPE[column.logical]}"
    if column.primary_key:
        text += " PRIMARY KEY"
    if column.not_null:
        text += " NOT NULL"
    return text


def column_add_ddl(column: LogicalColumn, table: str) -> list[str]:
    """``ADD COLUMN IF NOT EXISTS`` for a table created by an older release (and the
    column's ``Z`` twin when it is a timestamp)."""
    sql_type = _SQL_TYPE[column.logical]
    default = f" NOT NULL DEFAULT {_NOT_NULL_DEFAULT[column.logical]}" if column.not_null else ""
    out = [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {q(column.name)} {sql_type}{default}"]
    if column.logical == "timestamp":
        out.append(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {q(column.name + 'Z')} "
            "TIMESTAMPTZ DEFAULT NOW()"
        )
    return out


@dataclass(frozen=True)
class Table:
    """One of Mastra's tables (:mod:`mastra_storage.layout`) as ``@mastra/pg`` lays it out:
    a ``TIMESTAMPTZ`` twin ``XZ`` per timestamp column, plus ``extra`` columns we add."""

    logical: LogicalTable
    #: Columns we add that Mastra 1.27.1 does not have: (name, SQL type and default).
    extra: tuple[tuple[str, str], ...] = field(default=())
    #: A composite primary key declared by the layout itself (``mastra_favorites``).
    primary_key: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.logical.name

    @property
    def columns(self) -> tuple[LogicalColumn, ...]:
        return self.logical.columns

    @property
    def json_columns(self) -> frozenset[str]:
        return self.logical.json_columns

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        return self.logical.timestamp_columns

    @property
    def not_null(self) -> frozenset[str]:
        return self.logical.not_null

    def all_column_names(self) -> list[str]:
        names = list(self.logical.column_names)
        names += [c + "Z" for c in self.timestamp_columns]
        names += [name for name, _ in self.extra]
        return names

    def create_ddl(self, schema: str) -> str:
        parts = [column_ddl(c) for c in self.columns]
        parts += [f"{q(c + 'Z')} TIMESTAMPTZ DEFAULT NOW()" for c in self.timestamp_columns]
        composite = self.primary_key or eval_layout.COMPOSITE_KEYS.get(self.name)
        if composite:  # as Mastra's createTable: an unnamed table constraint (``_pkey``)
            parts.append(f"PRIMARY KEY ({', '.join(q(c) for c in composite)})")
        body = ",\n  ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {q(schema)}.{q(self.name)} (\n  {body}\n)"


# Mastra's layout, with what this adapter adds (module docstring): the message order
# tie-break and the one Score field Mastra has no column for.
THREADS = Table(layout.THREADS)
MESSAGES = Table(layout.MESSAGES, extra=(("seq", "BIGINT"),))
RESOURCES = Table(layout.RESOURCES)
WORKFLOW_SNAPSHOT = Table(layout.WORKFLOW_SNAPSHOT)
SCORERS = Table(layout.SCORERS, extra=(("structuredOutput", "BOOLEAN"),))
SPANS = Table(layout.SPANS)
# Exactly @mastra/pg 1.27.1's table (Z twins of all five timestamps, no triggers).
OBSERVATIONAL_MEMORY = Table(layout.OBSERVATIONAL_MEMORY)

#: The versioned editor domains' tables, exactly as @mastra/pg 1.27.1 creates them.
EDITOR_TABLES: tuple[Table, ...] = tuple(Table(t) for t in layout.EDITOR_TABLES)

#: Datasets, experiments and blobs, exactly as @mastra/pg 1.27.1 creates them.
EVAL_TABLES: tuple[Table, ...] = tuple(Table(t) for t in eval_layout.EVAL_TABLES)

#: Studio's favourites, exactly as @mastra/pg 1.27.1's FavoritesPG creates the table: the
#: composite key as an unnamed table constraint, a ``createdAtZ`` twin.
FAVORITES = Table(layout.FAVORITES, primary_key=layout.FAVORITES_PRIMARY_KEY)

TABLES: tuple[Table, ...] = (
    THREADS,
    MESSAGES,
    RESOURCES,
    WORKFLOW_SNAPSHOT,
    SCORERS,
    SPANS,
    OBSERVATIONAL_MEMORY,
    *EDITOR_TABLES,
    *EVAL_TABLES,
    FAVORITES,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
#: Every table ``init`` creates: Mastra's core tables, the optional OM and editor tables.
ALL_TABLE_NAMES: tuple[str, ...] = (
    *TABLE_NAMES,
    TABLE_OBSERVATIONAL_MEMORY,
    *(t.name for t in layout.EDITOR_TABLES),
    *(t.name for t in eval_layout.EVAL_TABLES),
    layout.TABLE_FAVORITES,
)
assert tuple(TABLES_BY_NAME) == ALL_TABLE_NAMES, "a table of mastra_storage.layout is missing"

# --------------------------------------------------------------------------- names

_MAX_IDENTIFIER = 63
_HASH_SUFFIX = 9


def _truncate(value: str, limit: int) -> str:
    data = value.encode()
    if len(data) <= limit:
        return value
    return data[:limit].decode(errors="ignore")


def constraint_name(base: str, schema: str | None, *, hash_when_truncated: bool = False) -> str:
    """Mastra's ``buildConstraintName``: ``<schema>_<base>``, lowercased, fit to 63 bytes."""
    full = f"{schema}_{base}" if schema else base
    full = full.lower()
    if hash_when_truncated and len(full.encode()) > _MAX_IDENTIFIER:
        digest = hashlib.sha256(full.encode()).hexdigest()[: _HASH_SUFFIX - 1]
        return f"{_truncate(full, _MAX_IDENTIFIER - _HASH_SUFFIX)}_{digest}"
    return _truncate(full, _MAX_IDENTIFIER)


def index_prefix(schema: str) -> str:
    """Index names get ``<schema>_`` in a non-public schema (Mastra's rule and the seed's)."""
    return "" if schema == "public" else f"{schema}_"


def prefixed_index_name(name: str, schema: str) -> str:
    prefix = index_prefix(schema)
    if prefix and not name.startswith(prefix):
        name = prefix + name
    return _truncate(name, _MAX_IDENTIFIER)


def validate_schema_name(schema: str) -> str:
    return validate_identifier(schema, kind="schema name")


@dataclass(frozen=True)
class IndexDef:
    """An index: ``columns`` are SQL (quoted names or expressions, optional ASC/DESC)."""

    base: str
    table: str
    columns: tuple[str, ...]
    where: str | None = None
    method: str = "btree"
    unique: bool = False
    hash_when_truncated: bool = False
    schema_prefixed: bool = True

    def name(self, schema: str) -> str:
        if not self.schema_prefixed:
            return self.base
        return constraint_name(
            self.base,
            schema if schema != "public" else None,
            hash_when_truncated=self.hash_when_truncated,
        )

    def ddl(self, schema: str, *, concurrently: bool = False) -> str:
        using = "" if self.method == "btree" else f" USING {self.method}"
        where = f" WHERE {self.where}" if self.where else ""
        unique = "UNIQUE " if self.unique else ""
        how = "CONCURRENTLY " if concurrently else ""
        return (
            f"CREATE {unique}INDEX {how}IF NOT EXISTS {q(self.name(schema))} ON "
            f"{q(schema)}.{q(self.table)}{using} ({', '.join(self.columns)}){where}"
        )


_THREAD_ID_EXPR = (
    'COALESCE(jsonb_path_query_first(snapshot, \'$.context.* ? (@.status == "suspended")'
    ".suspendPayload.__streamState.messageList.memoryInfo.threadId') #>> '{}', "
    "snapshot #>> '{context,input,messageListState,memoryInfo,threadId}')"
)

#: ``@mastra/pg`` 1.27.1's default indexes on our tables (skipped by ``skip_default_indexes``).
#: @mastra/pg 1.27.1's default indexes of datasets and experiments, under its exact names
#: (these domains do not prefix them with the schema name); the unique (datasetId, version)
#: one is what makes two writers of one version impossible.
_Unprefixed = functools.partial(IndexDef, schema_prefixed=False)
_DS, _DI, _DV = "mastra_datasets", "mastra_dataset_items", "mastra_dataset_versions"
_EX, _ER = "mastra_experiments", "mastra_experiment_results"
EVAL_INDEXES: tuple[IndexDef, ...] = (
    _Unprefixed("idx_dataset_items_dataset_validto", _DI, ('"datasetId"', '"validTo"')),
    _Unprefixed("idx_dataset_items_dataset_version", _DI, ('"datasetId"', '"datasetVersion"')),
    _Unprefixed("idx_dataset_items_external_id_history", _DI,
             ('"datasetId"', '"externalId"', '"datasetVersion"')),
    _Unprefixed("idx_dataset_items_dataset_validto_deleted", _DI,
             ('"datasetId"', '"validTo"', '"isDeleted"')),
    _Unprefixed("idx_dataset_versions_dataset_version", _DV, ('"datasetId"', '"version"')),
    _Unprefixed("idx_dataset_versions_dataset_version_unique", _DV, ('"datasetId"', '"version"'),
             unique=True),
    _Unprefixed("idx_datasets_org_project", _DS, ('"organizationId"', '"projectId"')),
    _Unprefixed("idx_datasets_candidate", _DS, ('"candidateKey"', '"candidateId"')),
    _Unprefixed("idx_dataset_items_org_project", _DI, ('"organizationId"', '"projectId"')),
    _Unprefixed("idx_experiments_datasetid", _EX, ('"datasetId"',)),
    _Unprefixed("idx_experiments_grouping", _EX,
             ('"experimentSetId"', '"comparisonId"', '"variantId"', '"trialIndex"')),
    _Unprefixed("idx_experiment_results_experimentid", _ER, ('"experimentId"',)),
    _Unprefixed("idx_experiment_results_exp_item_attempt", _ER,
             ('"experimentId"', '"itemId"', '"attempt"'), unique=True),
    _Unprefixed("idx_experiments_org_project", _EX, ('"organizationId"', '"projectId"')),
    _Unprefixed("idx_experiment_results_org_project", _ER, ('"organizationId"', '"projectId"')),
    _Unprefixed("idx_experiment_results_tags_gin", _ER, ("tags",), method="gin"),
)  # fmt: skip

DEFAULT_INDEXES: tuple[IndexDef, ...] = (
    IndexDef("mastra_threads_resourceid_createdat_idx", TABLE_THREADS,
             ('"resourceId"', '"createdAt" DESC')),
    IndexDef("mastra_messages_thread_id_createdat_idx", TABLE_MESSAGES,
             ("thread_id", '"createdAt" DESC')),
    IndexDef("mastra_scores_trace_id_span_id_created_at_idx", TABLE_SCORERS,
             ('"traceId"', '"spanId"', '"createdAt" DESC')),
    IndexDef("mastra_workflow_snapshot_name_createdat_idx", TABLE_WORKFLOW_SNAPSHOT,
             ("workflow_name", '"createdAt" DESC')),
    IndexDef("mastra_workflow_snapshot_name_status_createdat_idx", TABLE_WORKFLOW_SNAPSHOT,
             ("workflow_name", "(snapshot ->> 'status')", '"createdAt" DESC')),
    IndexDef("mastra_workflow_snapshot_threadid_idx", TABLE_WORKFLOW_SNAPSHOT,
             (f"({_THREAD_ID_EXPR})",), hash_when_truncated=True),
    IndexDef("mastra_ai_spans_traceid_startedat_idx", TABLE_SPANS,
             ('"traceId"', '"startedAt" DESC')),
    IndexDef("mastra_ai_spans_parentspanid_startedat_idx", TABLE_SPANS,
             ('"parentSpanId"', '"startedAt" DESC')),
    IndexDef("mastra_ai_spans_name_idx", TABLE_SPANS, ("name",)),
    IndexDef("mastra_ai_spans_spantype_startedat_idx", TABLE_SPANS,
             ('"spanType"', '"startedAt" DESC')),
    IndexDef("mastra_ai_spans_root_spans_idx", TABLE_SPANS, ('"startedAt" DESC',),
             where='"parentSpanId" IS NULL'),
    IndexDef("mastra_ai_spans_entitytype_entityid_idx", TABLE_SPANS,
             ('"entityType"', '"entityId"')),
    IndexDef("mastra_ai_spans_entitytype_entityname_idx", TABLE_SPANS,
             ('"entityType"', '"entityName"')),
    IndexDef("mastra_ai_spans_orgid_userid_idx", TABLE_SPANS,
             ('"organizationId"', '"userId"')),
    IndexDef("mastra_ai_spans_metadata_gin_idx", TABLE_SPANS, ("metadata",), method="gin"),
    IndexDef("mastra_ai_spans_tags_gin_idx", TABLE_SPANS, ("tags",), method="gin"),
    # the editor domains' version numbers, unique per entity (agents have none in 1.27.1)
    IndexDef("idx_prompt_block_versions_block_version", "mastra_prompt_block_versions",
             ('"blockId"', '"versionNumber"'), unique=True),
    IndexDef("idx_scorer_definition_versions_def_version", "mastra_scorer_definition_versions",
             ('"scorerDefinitionId"', '"versionNumber"'), unique=True),
    IndexDef("idx_mcp_client_versions_client_version", "mastra_mcp_client_versions",
             ('"mcpClientId"', '"versionNumber"'), unique=True),
    IndexDef("idx_mcp_server_versions_server_version", "mastra_mcp_server_versions",
             ('"mcpServerId"', '"versionNumber"'), unique=True),
    IndexDef("idx_workspace_versions_workspace_version", "mastra_workspace_versions",
             ('"workspaceId"', '"versionNumber"'), unique=True),
    IndexDef("idx_skill_versions_skill_version", "mastra_skill_versions",
             ('"skillId"', '"versionNumber"'), unique=True),
    *EVAL_INDEXES,
)  # fmt: skip


def message_order_key(alias: str = "m") -> str:
    """The tie-break of message order, as SQL: ``seq``, or for a row without one (it existed
    before ``seq`` was added: PostgreSQL adds a nullable column without rewriting the
    table) a negative number derived from its id (md5, 60 bits). Rows without ``seq``
    therefore sort before every row written since, at equal ``createdAt``, and among
    themselves in a fixed order; the key never changes, so cursors stay valid."""
    a = f"{alias}." if alias else ""
    return f"COALESCE({a}seq, -1 - ('x' || left(md5({a}id), 15))::bit(60)::bigint)"


SEQUENCE_NAME = "mastra_storage_messages_seq"

#: Indexes this SDK's queries need; always created (not affected by ``skip_default_indexes``).
REQUIRED_INDEXES: tuple[IndexDef, ...] = (
    IndexDef("mastra_storage_messages_thread_order_idx", TABLE_MESSAGES,
             ("thread_id", '"createdAt"', f"({message_order_key('')})")),
    IndexDef("mastra_storage_messages_resource_order_idx", TABLE_MESSAGES,
             ('"resourceId"', '"createdAt"', f"({message_order_key('')})")),
    # @mastra/pg's own name, unprefixed in every schema, so its init finds ours
    IndexDef("idx_om_lookup_key", TABLE_OBSERVATIONAL_MEMORY, ('"lookupKey"',),
             schema_prefixed=False),
    # FavoritesPG creates it whatever skipDefaultIndexes says, unprefixed in every schema
    IndexDef(layout.FAVORITES_ENTITY_INDEX[0], layout.TABLE_FAVORITES,
             tuple(f'"{c}"' for c in layout.FAVORITES_ENTITY_INDEX[1]), schema_prefixed=False),
)  # fmt: skip

#: Indexes of older layouts that nothing reads any more (dropped ``CONCURRENTLY``).
OBSOLETE_INDEXES: tuple[str, ...] = (
    "mastra_storage_messages_thread_seq_idx",
    "mastra_storage_messages_resource_seq_idx",
)

_WORKFLOW_UNIQUE = "mastra_workflow_snapshot_workflow_name_run_id_key"
_SPANS_PK = "mastra_ai_spans_traceid_spanid_pk"


# --------------------------------------------------------------------------- ensure


@dataclass
class SchemaState:
    """What the catalog says about one schema (read in one statement)."""

    version: int | None
    schema_exists: bool
    columns: dict[str, set[str]]
    indexes: set[str]
    unique_keys: dict[str, list[list[str]]]
    never_analyzed: list[str]
    #: Indexes a failed ``CREATE INDEX CONCURRENTLY`` left behind (unusable, still kept up).
    invalid_indexes: set[str] = field(default_factory=set)
    #: Whether ``mastra_messages.seq`` has a default (a sequence, or an older identity).
    seq_has_default: bool = False
    has_version_table: bool = False


def expected_indexes(schema: str, *, skip_default: bool) -> list[IndexDef]:
    return [*REQUIRED_INDEXES, *(() if skip_default else DEFAULT_INDEXES)]


WARM_CHECK = """
SELECT (SELECT version FROM {schema}.{table} WHERE component = $2),
       ARRAY(SELECT c.relname::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
             WHERE c.relnamespace = to_regnamespace($1) AND c.relname = ANY($3::text[])
               AND i.indisvalid),
       ARRAY(SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = to_regnamespace($1) AND c.relkind = 'r'
               AND c.relname = ANY($4::text[])
               AND pg_stat_get_live_tuples(c.oid) > 0
               AND pg_stat_get_last_analyze_time(c.oid) IS NULL
               AND pg_stat_get_last_autoanalyze_time(c.oid) IS NULL)
"""


async def warm_check(
    runner: Runner, schema: str, index_names: Sequence[str]
) -> tuple[int | None, set[str], list[str]] | None:
    """One statement: our version row, which expected indexes exist (and are valid), and
    tables never analyzed. ``None`` when our version table does not exist yet."""
    asyncpg = import_asyncpg()
    sql = WARM_CHECK.format(schema=q(schema), table=q(SCHEMA_TABLE))
    try:
        row = await runner.fetchrow(
            sql, schema, SCHEMA_COMPONENT, list(index_names), list(ALL_TABLE_NAMES)
        )
    except (asyncpg.exceptions.UndefinedTableError, asyncpg.exceptions.InvalidSchemaNameError):
        return None
    return row[0], set(row[1]), list(row[2])


CATALOG_STATE = """
SELECT
  (SELECT count(*) FROM pg_namespace WHERE nspname = $1) > 0,
  (SELECT coalesce(json_object_agg(table_name, cols), '{}'::json) FROM (
     SELECT table_name, json_agg(column_name::text) AS cols FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = ANY($2::text[]) GROUP BY table_name) c)::text,
  ARRAY(SELECT indexname::text FROM pg_indexes WHERE schemaname = $1),
  (SELECT coalesce(json_object_agg(relname, keys), '{}'::json) FROM (
     SELECT t.relname, json_agg((SELECT array_agg(a.attname::text ORDER BY a.attname)
                                 FROM pg_attribute a
                                 WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)))
              AS keys
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1 AND i.indisunique AND i.indisvalid AND t.relname = ANY($2::text[])
     GROUP BY t.relname) u)::text,
  ARRAY(SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND NOT i.indisvalid),
  (SELECT count(*) > 0 FROM information_schema.columns WHERE table_schema = $1
     AND table_name = 'mastra_messages' AND column_name = 'seq'
     AND (column_default IS NOT NULL OR is_identity = 'YES')),
  to_regclass(format('%I.%I', $1::text, $3::text)) IS NOT NULL
"""


async def read_state(runner: Runner, schema: str) -> SchemaState:
    """The catalog facts :func:`plan_ddl` needs (one read-only statement)."""
    row = await runner.fetchrow(CATALOG_STATE, schema, list(ALL_TABLE_NAMES), SCHEMA_TABLE)
    columns = {k: set(v) for k, v in json.loads(row[1]).items()}
    unique_keys = {k: [sorted(x or []) for x in v] for k, v in json.loads(row[3]).items()}
    return SchemaState(
        version=None,
        schema_exists=bool(row[0]),
        columns=columns,
        indexes=set(row[2]),
        unique_keys=unique_keys,
        never_analyzed=[],
        invalid_indexes=set(row[4]),
        seq_has_default=bool(row[5]),
        has_version_table=bool(row[6]),
    )


StepKind = Literal["ddl", "index", "drop_index"]


@dataclass(frozen=True)
class Step:
    """One change to a table that already exists (an app may be using it).

    ``ddl``: a statement that takes a brief ``ACCESS EXCLUSIVE`` lock (metadata only, no
    rewrite, no scan); run alone in a transaction under ``lock_timeout``, retried.
    ``index``: ``CREATE INDEX CONCURRENTLY`` (outside a transaction); an INVALID index of
    that name, left by a failed build, is dropped first. ``drop_index``: ``DROP INDEX
    CONCURRENTLY``.
    """

    kind: StepKind
    sql: str
    index: str | None = None


@dataclass
class SchemaPlan:
    """What brings a schema to our layout: ``script`` creates what does not exist yet (one
    transaction: nothing else can be using it), ``online`` changes what does, ``finish``
    records the layout version. Empty ``script`` and ``online``: nothing to change."""

    script: list[str]
    online: list[Step]
    finish: str

    @property
    def empty(self) -> bool:
        return not self.script and not self.online


def _seq_statements(schema: str, full: str) -> list[str]:
    """``seq`` as a nullable column with a sequence default: adding it is metadata only
    (no table rewrite, unlike an identity or a volatile default); new rows, Mastra's
    included, get the next value; older rows keep ``NULL`` (see ``message_order_key``)."""
    sequence = f"{q(schema)}.{q(SEQUENCE_NAME)}"
    literal = sequence.replace("'", "''")
    return [
        f"ALTER TABLE {full} ADD COLUMN IF NOT EXISTS seq BIGINT",
        f"CREATE SEQUENCE IF NOT EXISTS {sequence} OWNED BY {full}.seq",
        f"ALTER TABLE {full} ALTER COLUMN seq SET DEFAULT nextval('{literal}'::regclass)",
    ]


def plan_ddl(schema: str, state: SchemaState, indexes: Sequence[IndexDef]) -> SchemaPlan:
    """The statements that bring ``schema`` to our layout (see :class:`SchemaPlan`)."""
    s = q(schema)
    script: list[str] = []
    online: list[Step] = []
    if not state.schema_exists:
        script.append(f"CREATE SCHEMA IF NOT EXISTS {s}")
    if not state.has_version_table:
        script.append(
            f"CREATE TABLE IF NOT EXISTS {s}.{q(SCHEMA_TABLE)} (component TEXT PRIMARY KEY, "
            'version INTEGER NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT NOW())'
        )
    new_tables: set[str] = set()
    for table in TABLES:
        full = f"{s}.{q(table.name)}"
        present = state.columns.get(table.name)
        if present is None:
            new_tables.add(table.name)
            script.append(table.create_ddl(schema))
            if table.name == TABLE_MESSAGES:
                script.extend(_seq_statements(schema, full))
            else:
                script.extend(
                    f"ALTER TABLE {full} ADD COLUMN IF NOT EXISTS {q(n)} {t}"
                    for n, t in table.extra
                )
            continue
        for column in table.columns:
            if column.name not in present or (
                column.logical == "timestamp" and column.name + "Z" not in present
            ):
                # NOT NULL with a constant default, or a nullable column: no rewrite.
                online.extend(Step("ddl", sql) for sql in column_add_ddl(column, full))
        if table.name == TABLE_MESSAGES:
            if "seq" not in present or not state.seq_has_default:
                online.extend(Step("ddl", sql) for sql in _seq_statements(schema, full))
            continue
        for name, sql_type in table.extra:
            if name not in present:
                online.append(
                    Step("ddl", f"ALTER TABLE {full} ADD COLUMN IF NOT EXISTS {q(name)} {sql_type}")
                )
    keys = state.unique_keys
    for table_name, base, columns, kind in (
        (TABLE_WORKFLOW_SNAPSHOT, _WORKFLOW_UNIQUE, ("workflow_name", "run_id"), "UNIQUE"),
        (TABLE_SPANS, _SPANS_PK, ('"traceId"', '"spanId"'), "PRIMARY KEY"),
    ):
        wanted = sorted(c.strip('"') for c in columns)
        if wanted in keys.get(table_name, []):
            continue
        name = constraint_name(base, schema)
        full = f"{s}.{q(table_name)}"
        column_list = ", ".join(columns)
        extra = (
            [f"ALTER TABLE {full} REPLICA IDENTITY USING INDEX {q(name)}"]
            if table_name == TABLE_WORKFLOW_SNAPSHOT
            else []
        )
        if table_name in new_tables:
            script.append(f"ALTER TABLE {full} ADD CONSTRAINT {q(name)} {kind} ({column_list})")
            script.extend(extra)
        else:
            # Build the unique index without blocking writes, then attach it (brief lock).
            online.append(
                Step(
                    "index",
                    f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {q(name)} ON {full} "
                    f"({column_list})",
                    index=name,
                )
            )
            online.append(
                Step(
                    "ddl",
                    f"ALTER TABLE {full} ADD CONSTRAINT {q(name)} {kind} USING INDEX {q(name)}",
                )
            )
            online.extend(Step("ddl", sql) for sql in extra)
    for index in indexes:
        name = index.name(schema)
        if name in state.indexes and name not in state.invalid_indexes:
            continue
        if index.table in new_tables:
            script.append(index.ddl(schema))
        else:
            online.append(Step("index", index.ddl(schema, concurrently=True), index=name))
    for obsolete in OBSOLETE_INDEXES:
        name = constraint_name(obsolete, schema if schema != "public" else None)
        if name in state.indexes:
            online.append(
                Step("drop_index", f"DROP INDEX CONCURRENTLY IF EXISTS {s}.{q(name)}", index=name)
            )
    finish = (
        f"INSERT INTO {s}.{q(SCHEMA_TABLE)} (component, version) VALUES "
        f"('{SCHEMA_COMPONENT}', {SCHEMA_VERSION}) ON CONFLICT (component) DO UPDATE SET "
        "version = GREATEST(EXCLUDED.version, "
        f'{s}.{q(SCHEMA_TABLE)}.version), "updatedAt" = NOW()'
    )
    return SchemaPlan(script=script, online=online, finish=finish)


def missing_objects(schema: str, state: SchemaState, indexes: Sequence[IndexDef]) -> list[str]:
    """What the layout needs and ``schema`` lacks, one item per object (for
    ``init_mode="verify"``): tables, columns, ``seq``'s default, keys, indexes (an INVALID
    one counts as missing). Our version table is not required."""
    out: list[str] = []
    for table in TABLES:
        present = state.columns.get(table.name)
        if present is None:
            out.append(f"table {table.name}")
            continue
        out.extend(
            f"column {table.name}.{name}"
            for name in table.all_column_names()
            if name not in present
        )
        if table.name == TABLE_MESSAGES and "seq" in present and not state.seq_has_default:
            out.append(f"default of column {table.name}.seq (sequence {SEQUENCE_NAME})")
    for table_name, base, wanted in (
        (TABLE_WORKFLOW_SNAPSHOT, _WORKFLOW_UNIQUE, ["run_id", "workflow_name"]),
        (TABLE_SPANS, _SPANS_PK, ["spanId", "traceId"]),
    ):
        if table_name in state.columns and wanted not in state.unique_keys.get(table_name, []):
            out.append(f"constraint {constraint_name(base, schema)} on {table_name}")
    for index in indexes:
        name = index.name(schema)
        if name in state.invalid_indexes:
            out.append(f"index {name} (INVALID: a failed build left it unusable)")
        elif name not in state.indexes:
            out.append(f"index {name} on {index.table}")
    return out


def render_plan(schema: str, plan: SchemaPlan, *, lock_timeout_s: float) -> str:
    """A SQL script a DBA can apply (``psql -f``): the plan's three parts, commented."""
    lines = [f"-- mastra-storage PostgreSQL layout {SCHEMA_VERSION}, schema {q(schema)}"]
    if plan.empty:
        lines.append("-- nothing to change: every table, column and index is present")
    if plan.script:
        lines += ["", "-- New objects (nothing uses them yet): one transaction.", "BEGIN;"]
        lines += [f"{sql};" for sql in plan.script]
        lines.append("COMMIT;")
    if plan.online:
        timeout_ms = max(1, int(lock_timeout_s * 1000))
        lines += [
            "",
            "-- Changes to existing tables, without stalling the apps using them. Run outside a",
            "-- transaction (CREATE INDEX CONCURRENTLY refuses one). Each ALTER needs its table",
            "-- lock for an instant; if one fails on lock_timeout (a long transaction holds the",
            "-- table), run it again. If an index build fails, DROP INDEX CONCURRENTLY the",
            "-- INVALID index it leaves, then run the build again.",
            f"SET lock_timeout = '{timeout_ms}ms';",
        ]
        lines += [f"{step.sql};" for step in plan.online]
        lines.append("RESET lock_timeout;")
    lines += ["", "-- Record the layout version (lets init() skip its checks).", f"{plan.finish};"]
    return "\n".join(lines) + "\n"


def empty_state() -> SchemaState:
    """The state of a database with nothing in it (``schema --fresh``)."""
    return SchemaState(
        version=None,
        schema_exists=False,
        columns={},
        indexes=set(),
        unique_keys={},
        never_analyzed=[],
    )


async def analyze(runner: Runner, schema: str, tables: Sequence[str]) -> None:
    """``ANALYZE`` tables that hold rows but have no statistics (the planner would otherwise
    pick a sort over the recall index after a bulk load). Failures are logged."""
    wanted = [t for t in tables if t in TABLES_BY_NAME]
    if not wanted:
        return
    try:
        await runner.execute("ANALYZE " + ", ".join(f"{q(schema)}.{q(t)}" for t in wanted))
    except Exception as exc:
        logger.warning("ANALYZE of %s failed: %s", wanted, exc)


__all__ = [
    "ALL_TABLE_NAMES",
    "DEFAULT_INDEXES",
    "EDITOR_TABLES",
    "EVAL_INDEXES",
    "EVAL_TABLES",
    "MESSAGES",
    "OBSERVATIONAL_MEMORY",
    "OBSOLETE_INDEXES",
    "REQUIRED_INDEXES",
    "RESOURCES",
    "SCHEMA_VERSION",
    "SCORERS",
    "SPANS",
    "TABLES",
    "TABLE_NAMES",
    "THREADS",
    "WORKFLOW_SNAPSHOT",
    "IndexDef",
    "SchemaPlan",
    "Step",
    "constraint_name",
    "empty_state",
    "expected_indexes",
    "index_prefix",
    "message_order_key",
    "missing_objects",
    "plan_ddl",
    "prefixed_index_name",
    "q",
    "read_state",
    "render_plan",
    "validate_schema_name",
]
