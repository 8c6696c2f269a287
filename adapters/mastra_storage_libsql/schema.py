"""The on-disk layout: ``@mastra/libsql`` 1.23.1's tables, plus our indexes and version row.

Tables, column names, types and constraints are exactly those of ``@mastra/libsql`` 1.23.1
(see ``docs/mastra-libsql-layout.md``), so Mastra can open a file we created without
running its own ``init()``, and we can adopt a file Mastra created. What we add is
invisible to Mastra's queries:

* ``mastra_storage_schema(component, version, updated_at)``: our schema version, so a
  warm ``init()`` is one ``SELECT``;
* ``mastra_scorers."structuredOutput"``: the one ``Score`` field Mastra has no column for;
* read indexes named ``mastra_storage_*`` (Mastra's own indexes are created too, under
  Mastra's names and definitions, so Mastra's ``CREATE INDEX IF NOT EXISTS`` finds them).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from mastra_storage import eval_layout, layout
from mastra_storage.layout import Logical, LogicalColumn, LogicalTable
from mastra_storage.logs import log_schema_change
from mastra_storage.timeutil import to_iso, utc_now

from .connection import LibSQLDatabase
from .errors import DriverError
from .tx import Tx

#: Bump when the layout changes; ``init()`` migrates databases with an older (or no) row.
SCHEMA_VERSION = 4
SCHEMA_COMPONENT = "libsql"
SCHEMA_TABLE = "mastra_storage_schema"

_SQL_TYPE: dict[Logical, str] = {
    "text": "TEXT",
    "timestamp": "TEXT",
    "jsonb": "TEXT",
    "integer": "INTEGER",
    "bigint": "INTEGER",
    "float": "REAL",
    "boolean": "INTEGER",
}
# What Mastra's alterTable uses as DEFAULT when it adds a NOT NULL column to an old table.
_NOT_NULL_DEFAULT: dict[Logical, str] = {
    "text": "''",
    "timestamp": "'1970-01-01 00:00:00'",
    "jsonb": "'{}'",
    "integer": "0",
    "bigint": "0",
    "float": "0",
    "boolean": "0",
}


def column_ddl(column: LogicalColumn) -> str:
    """The column as in ``CREATE TABLE`` (Mastra's spelling: NOT NULL before PRIMARY KEY)."""
    text = f'"{column.name}" {_SQL_TYPE[column.logical]}'
    if column.not_null:
        text += " NOT NULL"
    if column.primary_key:
        text += " PRIMARY KEY"
    return text


def add_column_ddl(column: LogicalColumn, table: str) -> str:
    """``ALTER TABLE ... ADD COLUMN`` as Mastra's ``alterTable`` writes it."""
    default = _NOT_NULL_DEFAULT[column.logical] if column.not_null else "NULL"
    not_null = " NOT NULL" if column.not_null else ""
    return (
        f'ALTER TABLE {table} ADD COLUMN "{column.name}" {_SQL_TYPE[column.logical]}'
        f"{not_null} DEFAULT {default}"
    )


@dataclass(frozen=True)
class Table:
    """One of Mastra's tables (:mod:`mastra_storage.layout`) as ``@mastra/libsql`` 1.23.1
    declares it: the release's differences from the logical layout are ``nullable``
    (NOT NULL in the layout, nullable in this release), ``constraints`` and ``extra``
    (columns we add, appended after Mastra's)."""

    logical: LogicalTable
    constraints: tuple[str, ...] = ()
    nullable: frozenset[str] = frozenset()
    extra: tuple[LogicalColumn, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.logical.name

    @property
    def columns(self) -> tuple[LogicalColumn, ...]:
        """Mastra's columns with this release's nullability."""
        return tuple(
            LogicalColumn(c.name, c.logical) if c.name in self.nullable else c
            for c in self.logical.columns
        )

    @property
    def all_columns(self) -> tuple[LogicalColumn, ...]:
        return (*self.columns, *self.extra)

    @property
    def json_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.all_columns if c.logical == "jsonb")

    def ddl(self) -> str:
        parts = [column_ddl(c) for c in self.all_columns] + list(self.constraints)
        body = ",\n  ".join(parts)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {body}\n)"


THREADS = Table(layout.THREADS)
MESSAGES = Table(layout.MESSAGES)
RESOURCES = Table(layout.RESOURCES)
# @mastra/libsql 1.23.1 declares no column of these two tables NOT NULL but the id.
WORKFLOW_SNAPSHOT = Table(
    layout.WORKFLOW_SNAPSHOT,
    constraints=("UNIQUE (workflow_name, run_id)",),
    nullable=layout.WORKFLOW_SNAPSHOT.not_null,
)
SCORERS = Table(
    layout.SCORERS,
    nullable=layout.SCORERS.not_null - {"id"},
    extra=layout.columns("structuredOutput:boolean"),
)
SPANS = Table(layout.SPANS, constraints=("UNIQUE (spanId, traceId)",))
# Exactly the release's table (its alterTable adds the buffering columns to older files).
OBSERVATIONAL_MEMORY = Table(layout.OBSERVATIONAL_MEMORY)

# The versioned editor domains' tables, exactly as the release creates them.
EDITOR_TABLES: tuple[Table, ...] = tuple(Table(t) for t in layout.EDITOR_TABLES)
# Datasets, experiments and blobs, exactly as the release creates them: in 1.23.1
# mastra_dataset_items has no primary key (core's TABLE_CONFIGS declares (id,
# datasetVersion), which this release does not render); the datasets backend keeps that
# pair unique inside its write transactions.
EVAL_TABLES: tuple[Table, ...] = tuple(Table(t) for t in eval_layout.EVAL_TABLES)


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# Studio's favourites, as FavoritesLibSQL creates the table: the composite key as a table
# constraint after the columns.
FAVORITES = Table(
    layout.FAVORITES,
    constraints=(f"PRIMARY KEY ({_quoted(layout.FAVORITES_PRIMARY_KEY)})",),
)

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

#: Indexes ``@mastra/libsql`` 1.23.1 creates on these tables (same names and definitions).
MASTRA_INDEXES: dict[str, str] = {
    "idx_messages_thread_created_at": (
        "CREATE INDEX IF NOT EXISTS idx_messages_thread_created_at "
        'ON mastra_messages (thread_id, "createdAt")'
    ),
    "idx_messages_thread_resource_created_at": (
        "CREATE INDEX IF NOT EXISTS idx_messages_thread_resource_created_at "
        'ON mastra_messages (thread_id, "resourceId", "createdAt")'
    ),
    "mastra_ai_spans_roots_started_at_idx": (
        'CREATE INDEX IF NOT EXISTS "mastra_ai_spans_roots_started_at_idx" '
        'ON "mastra_ai_spans" ("startedAt" DESC) WHERE "parentSpanId" IS NULL'
    ),
    "mastra_ai_spans_spanid_traceid_idx": (
        'CREATE UNIQUE INDEX IF NOT EXISTS "mastra_ai_spans_spanid_traceid_idx" '
        'ON "mastra_ai_spans" ("spanId", "traceId")'
    ),
    "idx_om_lookup_key": (
        'CREATE INDEX IF NOT EXISTS idx_om_lookup_key ON "mastra_observational_memory" '
        '("lookupKey")'
    ),
    # FavoritesLibSQL's one index: who favourited an entity
    layout.FAVORITES_ENTITY_INDEX[0]: (
        f"CREATE INDEX IF NOT EXISTS {layout.FAVORITES_ENTITY_INDEX[0]} "
        f'ON "{layout.TABLE_FAVORITES}" '
        f"({_quoted(layout.FAVORITES_ENTITY_INDEX[1])})"
    ),
    "mastra_ai_spans_trace_started_at_idx": (
        'CREATE INDEX IF NOT EXISTS "mastra_ai_spans_trace_started_at_idx" '
        'ON "mastra_ai_spans" ("traceId", "startedAt")'
    ),
    **{
        name: f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON "
        + f'"{table}" ('
        + ", ".join(f'"{c}"' for c in cols)
        + ")"
        for name, unique, table, cols in (
            (
                "idx_dataset_items_dataset_externalid_version",
                False,
                "mastra_dataset_items",
                ("datasetId", "externalId", "datasetVersion"),
            ),
            (
                "idx_dataset_items_dataset_validto",
                False,
                "mastra_dataset_items",
                ("datasetId", "validTo"),
            ),
            (
                "idx_dataset_items_dataset_validto_deleted",
                False,
                "mastra_dataset_items",
                ("datasetId", "validTo", "isDeleted"),
            ),
            (
                "idx_dataset_items_dataset_version",
                False,
                "mastra_dataset_items",
                ("datasetId", "datasetVersion"),
            ),
            (
                "idx_dataset_items_tenancy_list",
                False,
                "mastra_dataset_items",
                ("organizationId", "projectId", "datasetId", "validTo", "isDeleted"),
            ),
            (
                "idx_dataset_versions_dataset_version",
                False,
                "mastra_dataset_versions",
                ("datasetId", "version"),
            ),
            (
                "idx_dataset_versions_dataset_version_unique",
                True,
                "mastra_dataset_versions",
                ("datasetId", "version"),
            ),
            (
                "idx_datasets_tenancy_candidate",
                False,
                "mastra_datasets",
                ("organizationId", "projectId", "candidateKey", "candidateId"),
            ),
            (
                "idx_datasets_tenancy_createdat",
                False,
                "mastra_datasets",
                ("organizationId", "projectId", "createdAt", "id"),
            ),
            (
                "idx_experiment_results_exp_item_attempt",
                True,
                "mastra_experiment_results",
                ("experimentId", "itemId", "attempt"),
            ),
            (
                "idx_experiment_results_experimentid",
                False,
                "mastra_experiment_results",
                ("experimentId",),
            ),
            (
                "idx_experiment_results_org_project",
                False,
                "mastra_experiment_results",
                ("organizationId", "projectId"),
            ),
            ("idx_experiments_datasetid", False, "mastra_experiments", ("datasetId",)),
            (
                "idx_experiments_grouping",
                False,
                "mastra_experiments",
                ("experimentSetId", "comparisonId", "variantId", "trialIndex"),
            ),
            (
                "idx_experiments_org_project",
                False,
                "mastra_experiments",
                ("organizationId", "projectId"),
            ),
        )
    },
    # One version number per parent on six version tables; 1.23.1 gives
    # mastra_agent_versions no such index (the editor backend's transactions guard it).
    **{
        name: f'CREATE UNIQUE INDEX IF NOT EXISTS {name} ON "{table}" ("{parent}", "versionNumber")'
        for name, table, parent in (
            ("idx_prompt_block_versions_block_version", "mastra_prompt_block_versions", "blockId"),
            (
                "idx_scorer_definition_versions_scorer_version",
                "mastra_scorer_definition_versions",
                "scorerDefinitionId",
            ),
            ("idx_mcp_client_versions_client_version", "mastra_mcp_client_versions", "mcpClientId"),
            ("idx_mcp_server_versions_server_version", "mastra_mcp_server_versions", "mcpServerId"),
            (
                "idx_workspace_versions_workspace_version",
                "mastra_workspace_versions",
                "workspaceId",
            ),
            ("idx_skill_versions_skill_version", "mastra_skill_versions", "skillId"),
        )
    },
}

#: Our read indexes (names never collide with Mastra's).
OUR_INDEXES: dict[str, str] = {
    name: f"CREATE INDEX IF NOT EXISTS {name} ON {definition}"
    for name, definition in {
        "mastra_storage_threads_resource_created_idx": (
            'mastra_threads ("resourceId", "createdAt")'
        ),
        "mastra_storage_threads_resource_updated_idx": (
            'mastra_threads ("resourceId", "updatedAt")'
        ),
        "mastra_storage_messages_resource_created_idx": (
            'mastra_messages ("resourceId", "createdAt")'
        ),
        "mastra_storage_workflow_run_id_idx": 'mastra_workflow_snapshot (run_id, "createdAt")',
        "mastra_storage_workflow_created_idx": 'mastra_workflow_snapshot ("createdAt")',
        "mastra_storage_workflow_resource_created_idx": (
            'mastra_workflow_snapshot ("resourceId", "createdAt")'
        ),
        "mastra_storage_scorers_scorer_created_idx": 'mastra_scorers ("scorerId", "createdAt")',
        "mastra_storage_scorers_run_created_idx": 'mastra_scorers ("runId", "createdAt")',
        "mastra_storage_scorers_entity_created_idx": (
            'mastra_scorers ("entityId", "entityType", "createdAt")'
        ),
        "mastra_storage_scorers_trace_span_created_idx": (
            'mastra_scorers ("traceId", "spanId", "createdAt")'
        ),
        # Root spans only (list_traces), one index per sort order, so a page of traces never
        # sorts every root: an index on parentSpanId would win the planner and force a sort.
        "mastra_storage_ai_spans_roots_started_idx": (
            'mastra_ai_spans ("startedAt", "traceId") WHERE "parentSpanId" IS NULL'
        ),
        # The release indexes neither agent versions by agent nor item rows, results and
        # experiments in the orders the backends read them.
        "mastra_storage_agent_versions_agent_number_idx": (
            'mastra_agent_versions ("agentId", "versionNumber")'
        ),
        "mastra_storage_dataset_items_id_version_idx": (
            'mastra_dataset_items (id, "datasetVersion")'
        ),
        "mastra_storage_dataset_items_dataset_created_idx": (
            'mastra_dataset_items ("datasetId", "createdAt", id)'
        ),
        "mastra_storage_datasets_created_idx": 'mastra_datasets ("createdAt", id)',
        "mastra_storage_experiments_created_idx": 'mastra_experiments ("createdAt", id)',
        "mastra_storage_experiment_results_started_idx": (
            'mastra_experiment_results ("experimentId", "startedAt", id)'
        ),
        "mastra_storage_ai_spans_roots_ended_idx": (
            'mastra_ai_spans (("endedAt" IS NULL), "endedAt", "traceId") '
            'WHERE "parentSpanId" IS NULL'
        ),
    }.items()
}

ALL_INDEXES: dict[str, str] = {**MASTRA_INDEXES, **OUR_INDEXES}

SCHEMA_TABLE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (\n"
    "  component TEXT PRIMARY KEY,\n"
    "  version INTEGER NOT NULL,\n"
    "  updated_at TEXT NOT NULL\n"
    ")"
)


# --------------------------------------------------------------------------- init


def read_version(tx: Tx) -> int | None:
    """Our schema version recorded in the file, or ``None`` (one statement)."""
    try:
        row = tx.fetchone(
            f"SELECT version FROM {SCHEMA_TABLE} WHERE component = ?", (SCHEMA_COMPONENT,)
        )
    except DriverError as exc:
        if exc.is_missing_table:
            return None
        raise
    return None if row is None else int(row[0])


def existing_tables(tx: Tx) -> set[str]:
    rows = tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(r[0]) for r in rows}


def existing_indexes(tx: Tx) -> set[str]:
    rows = tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {str(r[0]) for r in rows}


def table_columns(tx: Tx, table: str) -> set[str]:
    return {str(r[1]) for r in tx.fetchall(f'PRAGMA table_info("{table}")')}


def _change(tx: Tx, ddl: str) -> None:
    """Run one schema statement of :func:`migrate`, logged at ``INFO`` first."""
    log_schema_change("libsql", ddl)
    tx.execute(ddl)


def migrate(tx: Tx) -> None:
    """Create or upgrade everything (run inside one ``BEGIN IMMEDIATE`` transaction).

    New file: create the tables and indexes. File created by Mastra (tables present, no
    version row): add any missing 1.23.1 column (and ours) with ``ALTER TABLE ... ADD
    COLUMN``, then the indexes. Existing rows are never rewritten.
    """
    present = existing_tables(tx)
    for table in TABLES:
        if table.name not in present:
            _change(tx, table.ddl())
            continue
        have = table_columns(tx, table.name)
        for column in table.all_columns:
            if column.name not in have:
                _change(tx, add_column_ddl(column, table.name))
    indexes = existing_indexes(tx)
    for name, ddl in ALL_INDEXES.items():
        if name not in indexes:
            _change(tx, ddl)
    if SCHEMA_TABLE not in present:
        _change(tx, SCHEMA_TABLE_DDL)
    tx.execute(
        f"INSERT INTO {SCHEMA_TABLE} (component, version, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version, "
        "updated_at = excluded.updated_at",
        (SCHEMA_COMPONENT, SCHEMA_VERSION, to_iso(utc_now())),
    )


def ensure_schema_job(tx: Tx) -> bool:
    """One job: check the version (one statement when current), else migrate atomically.

    Returns ``True`` when a migration ran. Safe under concurrent callers and processes: the
    version is re-read inside the write transaction.
    """
    version = read_version(tx)
    if version is not None and version >= SCHEMA_VERSION:
        return False
    tx.execute("BEGIN IMMEDIATE")
    try:
        version = read_version(tx)
        if version is None or version < SCHEMA_VERSION:
            migrate(tx)
        tx.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(DriverError):
            tx.execute("ROLLBACK")
        raise
    return True


def ddl_statements(tx: Tx | None) -> list[str]:
    """What :func:`migrate` would run on this database, read-only (``tx=None``: an empty
    database); empty when it is up to date. For ``mastra-storage schema``."""
    present = existing_tables(tx) if tx is not None else set()
    out: list[str] = []
    for table in TABLES:
        if tx is None or table.name not in present:
            out.append(table.ddl())
            continue
        have = table_columns(tx, table.name)
        out.extend(add_column_ddl(c, table.name) for c in table.all_columns if c.name not in have)
    indexes = existing_indexes(tx) if tx is not None else set()
    out.extend(ddl for name, ddl in ALL_INDEXES.items() if name not in indexes)
    version = read_version(tx) if tx is not None else None
    if out or version is None or version < SCHEMA_VERSION:
        out.append(SCHEMA_TABLE_DDL)
        out.append(
            f"INSERT INTO {SCHEMA_TABLE} (component, version, updated_at) VALUES "
            f"('{SCHEMA_COMPONENT}', {SCHEMA_VERSION}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
            "ON CONFLICT(component) DO UPDATE SET version = excluded.version, "
            "updated_at = excluded.updated_at"
        )
    return out


def render_script(statements: list[str]) -> str:
    """``statements`` as one ``sqlite3``/``turso db shell`` script: one write transaction,
    as ``init()`` runs them."""
    lines = [f"-- mastra-storage libSQL layout {SCHEMA_VERSION}"]
    if not statements:
        lines.append("-- nothing to change: every table, column and index is present")
        return "\n".join(lines) + "\n"
    lines.append("BEGIN IMMEDIATE;")
    lines.extend(f"{sql};" for sql in statements)
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- doctor


@dataclass
class SchemaFindings:
    version: int | None
    missing_tables: list[str]
    missing_columns: list[str]
    missing_indexes: list[str]


def inspect_schema(tx: Tx) -> SchemaFindings:
    """What ``doctor`` reports; read-only."""
    version = read_version(tx)
    present = existing_tables(tx)
    missing_tables = [t.name for t in TABLES if t.name not in present]
    missing_columns: list[str] = []
    for table in TABLES:
        if table.name in present:
            have = table_columns(tx, table.name)
            missing_columns.extend(
                f"{table.name}.{c.name}" for c in table.all_columns if c.name not in have
            )
    indexes = existing_indexes(tx)
    missing_indexes = [name for name in ALL_INDEXES if name not in indexes]
    return SchemaFindings(version, missing_tables, missing_columns, missing_indexes)


async def ensure_schema(db: LibSQLDatabase) -> None:
    """Create or upgrade the schema once per store (idempotent, safe under concurrency).

    Warm path: one ``SELECT`` of the version row (plus the connection's PRAGMA script when
    this is the store's first statement). Cold path: everything in one transaction.
    """
    if db.schema_ready:
        return
    await db.run("init", ensure_schema_job, mode="none")
    db.schema_ready = True


__all__ = [
    "ALL_INDEXES",
    "EDITOR_TABLES",
    "EVAL_TABLES",
    "MASTRA_INDEXES",
    "MESSAGES",
    "OUR_INDEXES",
    "RESOURCES",
    "SCHEMA_VERSION",
    "SCORERS",
    "SPANS",
    "TABLES",
    "THREADS",
    "WORKFLOW_SNAPSHOT",
    "SchemaFindings",
    "ddl_statements",
    "ensure_schema_job",
    "inspect_schema",
    "migrate",
    "read_version",
    "render_script",
]
