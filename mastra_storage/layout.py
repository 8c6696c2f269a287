"""Mastra's logical storage layout, declared once: tables (or collections, key families),
their columns, logical types, keys and JSON columns.

Every adapter renders this one declaration in its own dialect: the SQL adapters map the
logical types to column types and emit DDL, the document and key-value adapters use the
names and the JSON columns. What is specific to one Mastra release of one backend (a
column a release leaves nullable, a column we add such as PostgreSQL's ``seq``) stays in
that adapter as a short, declared difference from this layout.

The declaration follows ``@mastra/core``'s table schemas (spec section 2): column names are
Mastra's (mostly camelCase; ``thread_id``, ``workflow_name`` and ``run_id`` are Mastra's own
snake_case exceptions).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .records import Span

#: A column's logical type; adapters map each to a native type.
Logical = Literal["text", "timestamp", "jsonb", "integer", "float", "boolean", "bigint"]
LOGICAL_TYPES: tuple[str, ...] = (
    "text",
    "timestamp",
    "jsonb",
    "integer",
    "float",
    "boolean",
    "bigint",
)

TABLE_THREADS = "mastra_threads"
TABLE_MESSAGES = "mastra_messages"
TABLE_RESOURCES = "mastra_resources"
TABLE_WORKFLOW_SNAPSHOT = "mastra_workflow_snapshot"
TABLE_SCORERS = "mastra_scorers"
TABLE_SPANS = "mastra_ai_spans"
TABLE_OBSERVATIONAL_MEMORY = "mastra_observational_memory"


class LogicalColumn(msgspec.Struct, frozen=True):
    """One column: Mastra's name, logical type, NOT NULL and PRIMARY KEY (implies NOT NULL)."""

    name: str
    logical: Logical
    not_null: bool = False
    primary_key: bool = False


class LogicalTable(msgspec.Struct, frozen=True):
    """One of Mastra's tables: its name and columns in Mastra's order."""

    name: str
    columns: tuple[LogicalColumn, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def json_columns(self) -> frozenset[str]:
        """Columns holding JSON (``jsonb``): stored as JSON text or native JSON."""
        return frozenset(c.name for c in self.columns if c.logical == "jsonb")

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.logical == "timestamp")

    @property
    def not_null(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.not_null or c.primary_key)

    def column(self, name: str) -> LogicalColumn:
        """The column called ``name`` (``KeyError`` if the table has none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def columns(spec: str) -> tuple[LogicalColumn, ...]:
    """Columns from ``"name:type[!][*]"`` items: ``!`` NOT NULL, ``*`` PRIMARY KEY (implies
    NOT NULL). The short form keeps each table's declaration readable on a few lines."""
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        primary_key = kind.endswith("*")
        kind = kind.rstrip("*")
        not_null = kind.endswith("!") or primary_key
        logical = kind.rstrip("!")
        if logical not in LOGICAL_TYPES:
            raise ValueError(f"unknown logical type {logical!r} in column {name!r}")
        out.append(LogicalColumn(name, logical, not_null, primary_key))  # type: ignore[arg-type]
    return tuple(out)


THREADS = LogicalTable(
    TABLE_THREADS,
    columns(
        "id:text!* resourceId:text! title:text! metadata:jsonb "
        "createdAt:timestamp! updatedAt:timestamp!"
    ),
)
MESSAGES = LogicalTable(
    TABLE_MESSAGES,
    columns(
        "id:text!* thread_id:text! content:text! role:text! type:text! "
        "createdAt:timestamp! resourceId:text"
    ),
)
RESOURCES = LogicalTable(
    TABLE_RESOURCES,
    columns(
        "id:text!* workingMemory:text metadata:jsonb createdAt:timestamp! updatedAt:timestamp!"
    ),
)
WORKFLOW_SNAPSHOT = LogicalTable(
    TABLE_WORKFLOW_SNAPSHOT,
    columns(
        "workflow_name:text! run_id:text! resourceId:text snapshot:jsonb! "
        "createdAt:timestamp! updatedAt:timestamp!"
    ),
)
SCORERS = LogicalTable(
    TABLE_SCORERS,
    columns(
        "id:text!* scorerId:text! traceId:text spanId:text runId:text! scorer:jsonb! "
        "preprocessStepResult:jsonb extractStepResult:jsonb analyzeStepResult:jsonb "
        "score:float! reason:text metadata:jsonb preprocessPrompt:text extractPrompt:text "
        "generateScorePrompt:text generateReasonPrompt:text analyzePrompt:text "
        "reasonPrompt:text input:jsonb! output:jsonb! additionalContext:jsonb "
        "requestContext:jsonb entityType:text entity:jsonb entityId:text source:text! "
        "resourceId:text threadId:text organizationId:text projectId:text batchId:text "
        "datasetId:text datasetItemId:text createdAt:timestamp! updatedAt:timestamp!"
    ),
)
SPANS = LogicalTable(
    TABLE_SPANS,
    columns(
        "traceId:text! spanId:text! name:text! spanType:text! isEvent:boolean! "
        "startedAt:timestamp! parentSpanId:text entityType:text entityId:text entityName:text "
        "parentEntityType:text parentEntityId:text parentEntityName:text rootEntityType:text "
        "rootEntityId:text rootEntityName:text userId:text organizationId:text "
        "resourceId:text runId:text sessionId:text threadId:text requestId:text "
        "environment:text serviceName:text scope:jsonb entityVersionId:text "
        "parentEntityVersionId:text rootEntityVersionId:text experimentId:text source:text "
        "metadata:jsonb tags:jsonb attributes:jsonb links:jsonb input:jsonb output:jsonb "
        "error:jsonb endedAt:timestamp requestContext:jsonb createdAt:timestamp! "
        "updatedAt:timestamp"
    ),
)

#: Observational memory (optional, like in Mastra: not part of :data:`TABLES`; an adapter
#: with :class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory` creates
#: it). ``config`` is JSON in a ``text`` column, as ``@mastra/core`` declares it.
OBSERVATIONAL_MEMORY = LogicalTable(
    TABLE_OBSERVATIONAL_MEMORY,
    columns(
        "id:text!* lookupKey:text! scope:text! resourceId:text threadId:text "
        "activeObservations:text! activeObservationsPendingUpdate:text originType:text! "
        "config:text! generationCount:integer! lastObservedAt:timestamp "
        "lastReflectionAt:timestamp pendingMessageTokens:integer! "
        "totalTokensObserved:integer! observationTokenCount:integer! isObserving:boolean! "
        "isReflecting:boolean! observedMessageIds:jsonb observedTimezone:text "
        "bufferedObservations:text bufferedObservationTokens:integer bufferedMessageIds:jsonb "
        "bufferedReflection:text bufferedReflectionTokens:integer "
        "bufferedReflectionInputTokens:integer reflectedObservationLineCount:integer "
        "bufferedObservationChunks:jsonb isBufferingObservation:boolean! "
        "isBufferingReflection:boolean! lastBufferedAtTokens:integer! "
        "lastBufferedAtTime:timestamp metadata:jsonb createdAt:timestamp! updatedAt:timestamp!"
    ),
)

TABLES: tuple[LogicalTable, ...] = (
    THREADS,
    MESSAGES,
    RESOURCES,
    WORKFLOW_SNAPSHOT,
    SCORERS,
    SPANS,
)
TABLES_BY_NAME: dict[str, LogicalTable] = {t.name: t for t in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)

#: Score filter keys of the scores domain and the column each reads (every adapter's
#: score query filters on these).
SCORE_FILTER_COLUMNS: dict[str, str] = {
    "scorer_id": "scorerId",
    "run_id": "runId",
    "entity_id": "entityId",
    "entity_type": "entityType",
    "source": "source",
    "trace_id": "traceId",
    "span_id": "spanId",
}


def record_columns(record_type: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """``(field name, column name)`` of a record type, in field order (a record's encoded
    name is Mastra's column name)."""
    return tuple((f.name, f.encode_name) for f in msgspec.structs.fields(record_type))


#: Span field -> ``mastra_ai_spans`` column, for the adapters that map spans to rows.
SPAN_FIELD_COLUMNS: tuple[tuple[str, str], ...] = record_columns(Span)


# ---- the versioned editor domains (Mastra Studio): a thin record table and a versions
# table each, as ``@mastra/core`` 1.71.0 declares them (``TABLE_SCHEMAS``). Like
# observational memory they are not part of :data:`TABLES`: an adapter that provides the
# editor domains creates them (``mastra_storage.backend.editor.EDITOR_DOMAINS``).

TABLE_AGENTS = "mastra_agents"
TABLE_AGENT_VERSIONS = "mastra_agent_versions"
TABLE_PROMPT_BLOCKS = "mastra_prompt_blocks"
TABLE_PROMPT_BLOCK_VERSIONS = "mastra_prompt_block_versions"
TABLE_SCORER_DEFINITIONS = "mastra_scorer_definitions"
TABLE_SCORER_DEFINITION_VERSIONS = "mastra_scorer_definition_versions"
TABLE_MCP_CLIENTS = "mastra_mcp_clients"
TABLE_MCP_CLIENT_VERSIONS = "mastra_mcp_client_versions"
TABLE_MCP_SERVERS = "mastra_mcp_servers"
TABLE_MCP_SERVER_VERSIONS = "mastra_mcp_server_versions"
TABLE_WORKSPACES = "mastra_workspaces"
TABLE_WORKSPACE_VERSIONS = "mastra_workspace_versions"
TABLE_SKILLS = "mastra_skills"
TABLE_SKILL_VERSIONS = "mastra_skill_versions"

_ENTITY_HEAD = "id:text!* status:text! activeVersionId:text authorId:text "
_ENTITY_TAIL = "createdAt:timestamp! updatedAt:timestamp!"
_VERSION_TAIL = "changedFields:jsonb changeMessage:text createdAt:timestamp!"

AGENTS = LogicalTable(
    TABLE_AGENTS,
    columns(_ENTITY_HEAD + "visibility:text metadata:jsonb favoriteCount:integer " + _ENTITY_TAIL),
)
AGENT_VERSIONS = LogicalTable(
    TABLE_AGENT_VERSIONS,
    columns(
        "id:text!* agentId:text! versionNumber:integer! name:text! description:text "
        "instructions:text! model:jsonb! tools:jsonb defaultOptions:jsonb workflows:jsonb "
        "agents:jsonb integrationTools:jsonb toolProviders:jsonb inputProcessors:jsonb "
        "outputProcessors:jsonb memory:jsonb scorers:jsonb mcpClients:jsonb "
        "requestContextSchema:jsonb workspace:jsonb skills:jsonb skillsFormat:text "
        "durable:jsonb browser:jsonb " + _VERSION_TAIL
    ),
)
PROMPT_BLOCKS = LogicalTable(
    TABLE_PROMPT_BLOCKS, columns(_ENTITY_HEAD + "metadata:jsonb " + _ENTITY_TAIL)
)
PROMPT_BLOCK_VERSIONS = LogicalTable(
    TABLE_PROMPT_BLOCK_VERSIONS,
    columns(
        "id:text!* blockId:text! versionNumber:integer! name:text! description:text "
        "content:text! rules:jsonb requestContextSchema:jsonb " + _VERSION_TAIL
    ),
)
SCORER_DEFINITIONS = LogicalTable(
    TABLE_SCORER_DEFINITIONS,
    columns(_ENTITY_HEAD + "organizationId:text projectId:text metadata:jsonb " + _ENTITY_TAIL),
)
SCORER_DEFINITION_VERSIONS = LogicalTable(
    TABLE_SCORER_DEFINITION_VERSIONS,
    columns(
        "id:text!* scorerDefinitionId:text! versionNumber:integer! name:text! "
        "description:text type:text! model:jsonb instructions:text scoreRange:jsonb "
        "presetConfig:jsonb defaultSampling:jsonb " + _VERSION_TAIL
    ),
)
MCP_CLIENTS = LogicalTable(
    TABLE_MCP_CLIENTS, columns(_ENTITY_HEAD + "metadata:jsonb " + _ENTITY_TAIL)
)
MCP_CLIENT_VERSIONS = LogicalTable(
    TABLE_MCP_CLIENT_VERSIONS,
    columns(
        "id:text!* mcpClientId:text! versionNumber:integer! name:text! description:text "
        "servers:jsonb! " + _VERSION_TAIL
    ),
)
MCP_SERVERS = LogicalTable(
    TABLE_MCP_SERVERS, columns(_ENTITY_HEAD + "metadata:jsonb " + _ENTITY_TAIL)
)
MCP_SERVER_VERSIONS = LogicalTable(
    TABLE_MCP_SERVER_VERSIONS,
    columns(
        "id:text!* mcpServerId:text! versionNumber:integer! name:text! version:text! "
        "description:text instructions:text repository:jsonb releaseDate:text "
        "isLatest:boolean packageCanonical:text tools:jsonb agents:jsonb workflows:jsonb "
        + _VERSION_TAIL
    ),
)
WORKSPACES = LogicalTable(
    TABLE_WORKSPACES, columns(_ENTITY_HEAD + "metadata:jsonb " + _ENTITY_TAIL)
)
WORKSPACE_VERSIONS = LogicalTable(
    TABLE_WORKSPACE_VERSIONS,
    columns(
        "id:text!* workspaceId:text! versionNumber:integer! name:text! description:text "
        "filesystem:jsonb sandbox:jsonb mounts:jsonb search:jsonb skills:jsonb tools:jsonb "
        "autoSync:boolean operationTimeout:integer " + _VERSION_TAIL
    ),
)
SKILLS = LogicalTable(
    TABLE_SKILLS,
    columns(_ENTITY_HEAD + "visibility:text favoriteCount:integer " + _ENTITY_TAIL),
)
SKILL_VERSIONS = LogicalTable(
    TABLE_SKILL_VERSIONS,
    columns(
        "id:text!* skillId:text! versionNumber:integer! name:text! description:text! "
        "instructions:text! license:text compatibility:jsonb source:jsonb references:jsonb "
        "scripts:jsonb assets:jsonb files:jsonb metadata:jsonb tree:jsonb " + _VERSION_TAIL
    ),
)

#: Every editor table, thin record table before its versions table.
EDITOR_TABLES: tuple[LogicalTable, ...] = (
    AGENTS,
    AGENT_VERSIONS,
    PROMPT_BLOCKS,
    PROMPT_BLOCK_VERSIONS,
    SCORER_DEFINITIONS,
    SCORER_DEFINITION_VERSIONS,
    MCP_CLIENTS,
    MCP_CLIENT_VERSIONS,
    MCP_SERVERS,
    MCP_SERVER_VERSIONS,
    WORKSPACES,
    WORKSPACE_VERSIONS,
    SKILLS,
    SKILL_VERSIONS,
)

#: Mastra Studio's favourites (``@mastra/core`` 1.71.0 ``FAVORITES_SCHEMA``): one row per user
#: favouriting one agent or skill. The key is composite, so no column is marked ``*``
#: here (one ``PRIMARY KEY`` per column would be wrong): see :data:`FAVORITES_PRIMARY_KEY`.
TABLE_FAVORITES = "mastra_favorites"
FAVORITES = LogicalTable(
    TABLE_FAVORITES,
    columns("userId:text! entityType:text! entityId:text! createdAt:timestamp!"),
)
#: The composite primary key of ``mastra_favorites`` (Mastra's ``TABLE_CONFIGS``).
FAVORITES_PRIMARY_KEY: tuple[str, ...] = ("userId", "entityType", "entityId")
#: The one secondary index the releases create on it (name, columns): the reverse lookup
#: "who favourited this entity", used when an entity's favourites are deleted.
FAVORITES_ENTITY_INDEX: tuple[str, tuple[str, ...]] = (
    "idx_favorites_entity",
    ("entityType", "entityId"),
)

__all__ = [
    "AGENTS",
    "AGENT_VERSIONS",
    "EDITOR_TABLES",
    "FAVORITES",
    "FAVORITES_ENTITY_INDEX",
    "FAVORITES_PRIMARY_KEY",
    "LOGICAL_TYPES",
    "MCP_CLIENTS",
    "MCP_CLIENT_VERSIONS",
    "MCP_SERVERS",
    "MCP_SERVER_VERSIONS",
    "MESSAGES",
    "OBSERVATIONAL_MEMORY",
    "PROMPT_BLOCKS",
    "PROMPT_BLOCK_VERSIONS",
    "RESOURCES",
    "SCORERS",
    "SCORER_DEFINITIONS",
    "SCORER_DEFINITION_VERSIONS",
    "SCORE_FILTER_COLUMNS",
    "SKILLS",
    "SKILL_VERSIONS",
    "SPANS",
    "SPAN_FIELD_COLUMNS",
    "TABLES",
    "TABLES_BY_NAME",
    "TABLE_AGENTS",
    "TABLE_AGENT_VERSIONS",
    "TABLE_FAVORITES",
    "TABLE_MCP_CLIENTS",
    "TABLE_MCP_CLIENT_VERSIONS",
    "TABLE_MCP_SERVERS",
    "TABLE_MCP_SERVER_VERSIONS",
    "TABLE_MESSAGES",
    "TABLE_NAMES",
    "TABLE_OBSERVATIONAL_MEMORY",
    "TABLE_PROMPT_BLOCKS",
    "TABLE_PROMPT_BLOCK_VERSIONS",
    "TABLE_RESOURCES",
    "TABLE_SCORERS",
    "TABLE_SCORER_DEFINITIONS",
    "TABLE_SCORER_DEFINITION_VERSIONS",
    "TABLE_SKILLS",
    "TABLE_SKILL_VERSIONS",
    "TABLE_SPANS",
    "TABLE_THREADS",
    "TABLE_WORKFLOW_SNAPSHOT",
    "TABLE_WORKSPACES",
    "TABLE_WORKSPACE_VERSIONS",
    "THREADS",
    "WORKFLOW_SNAPSHOT",
    "WORKSPACES",
    "WORKSPACE_VERSIONS",
    "Logical",
    "LogicalColumn",
    "LogicalTable",
    "columns",
    "record_columns",
]
