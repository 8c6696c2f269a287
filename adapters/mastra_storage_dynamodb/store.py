"""``DynamoDBStore``: memory, workflows, scores and traces in one DynamoDB table, shared
with Mastra.

Layout: exactly ``@mastra/dynamodb`` 1.0.0's ElectroDB items for what Mastra stores, plus
layouts of ours where Mastra has none (spans, observational memory) and the SDK-maintained
message-by-resource index (``docs/dynamodb-layout.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mastra_storage.composite import DoctorCheck, DoctorReport, InitMode, MastraStorage
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.domains.observability import ObservabilityStore
from mastra_storage.domains.scores import ScoresStore
from mastra_storage.domains.workflows import WorkflowsStore
from mastra_storage.errors import ConfigurationError, MastraStorageError, SchemaMismatchError
from mastra_storage.lifecycle import (
    DEFAULT_CLOSE_TIMEOUT_S,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_INIT_TIMEOUT_S,
    DEFAULT_OPERATION_TIMEOUT_S,
    check_timeout,
)
from mastra_storage.redact import protect_logs, redact_url

from .config import (
    EntityTtl,
    parse_ttl,
    parse_url,
    ttl_attribute,
    validate_endpoint,
    validate_table_name,
)
from .memory import DynamoMemoryBackend
from .observability import DynamoObservabilityBackend
from .schema import create_table, describe, layout_problems, ttl_status
from .scores import DynamoScoresBackend
from .table import MAX_ITEM_BYTES, CapacityMeter, DynamoTable
from .workflows import DynamoWorkflowsBackend


def _credentials(credentials: Mapping[str, Any] | None) -> dict[str, str]:
    if credentials is None:
        return {}
    names = {
        "access_key_id": "aws_access_key_id",
        "accessKeyId": "aws_access_key_id",
        "aws_access_key_id": "aws_access_key_id",
        "secret_access_key": "aws_secret_access_key",
        "secretAccessKey": "aws_secret_access_key",
        "aws_secret_access_key": "aws_secret_access_key",
        "session_token": "aws_session_token",
        "sessionToken": "aws_session_token",
        "aws_session_token": "aws_session_token",
    }
    out: dict[str, str] = {}
    for key, value in credentials.items():
        if key not in names or not isinstance(value, str):
            raise ConfigurationError(
                f"DynamoDBStore: unknown or non-string credentials field {key!r}",
                id="MASTRA_STORAGE_DYNAMODB_INVALID_CREDENTIALS",
            )
        out[names[key]] = value
    return out


class DynamoDBStore(MastraStorage):
    """Mastra's single-table DynamoDB layout, with table provisioning and per-entity TTL.

    ``credentials`` is ``{"access_key_id", "secret_access_key", "session_token"?}`` (Mastra's
    camelCase names work too); without it the default AWS credential chain is used.
    ``ttl`` maps an entity (thread, message, trace, eval, workflow_snapshot, resource,
    score) to ``{"enabled", "attribute_name" (default "ttl"), "default_ttl_seconds"}``.
    ``config`` is a ``botocore.config.Config`` for the client (timeouts, retries).

    Time bounds (seconds, ``docs/decisions.md`` "Timeouts and closing"): ``operation_timeout``
    (default 30, ``None``: none) is the overall deadline of one call, botocore's retries
    included; ``init_timeout`` (300) that of ``init()``; ``connect_timeout`` (10) of opening
    a connection (when no ``config`` is given); ``close_timeout`` (5) of ``close()``. A call
    past its deadline raises ``UnavailableError``.
    """

    name: str = "DynamoDBStore"
    binds_event_loop = True
    max_record_bytes: int | None = MAX_ITEM_BYTES
    #: Creating a table waits until it and its indexes are active: bounded by ``init_timeout``.
    long_operations = MastraStorage.long_operations | {"create_table"}

    def __init__(
        self,
        table_name: str,
        *,
        id: str = "dynamodb",
        region: str | None = None,
        endpoint: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        ttl: Mapping[str, EntityTtl | Mapping[str, Any]] | None = None,
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
        config: Any = None,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT_S,
        init_timeout: float | None = DEFAULT_INIT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
    ) -> None:
        super().__init__(id=id, disable_init=disable_init, init_mode=init_mode)
        self.operation_timeout = check_timeout(self.name, "operation_timeout", operation_timeout)
        self.init_timeout = check_timeout(self.name, "init_timeout", init_timeout)
        self.close_timeout = float(
            check_timeout(self.name, "close_timeout", close_timeout, optional=False) or 0
        )
        connect_s = check_timeout(self.name, "connect_timeout", connect_timeout, optional=False)
        self.table_name = validate_table_name(table_name)
        self.region = region or "us-east-1"
        self.endpoint = validate_endpoint(endpoint)
        self.ttl = parse_ttl(ttl)
        self._ttl_attribute = ttl_attribute(self.ttl)
        secrets = _credentials(credentials)
        # botocore logs the signed request (session token, key id) at DEBUG: scrub them.
        protect_logs(self, secrets.values())
        kwargs: dict[str, Any] = {"region_name": self.region, **secrets}
        if self.endpoint:
            kwargs["endpoint_url"] = self.endpoint
        if config is not None:
            # A botocore ``Config``: connect/read timeouts and retry policy. botocore's
            # defaults (60 s timeouts, several retries) can keep a call against an
            # unreachable endpoint waiting for minutes.
            kwargs["config"] = config
        else:
            from botocore.config import Config  # type: ignore[import-untyped]

            # botocore's own defaults wait 60 s to connect; the overall deadline per call
            # (operation_timeout) bounds reads and retries.
            kwargs["config"] = Config(
                connect_timeout=connect_s, read_timeout=self.operation_timeout or 60
            )
        self._table = DynamoTable(self.table_name, kwargs)
        self.stores = {
            "memory": MemoryStore(DynamoMemoryBackend(self._table, self.ttl)),
            "workflows": WorkflowsStore(DynamoWorkflowsBackend(self._table, self.ttl)),
            "scores": ScoresStore(DynamoScoresBackend(self._table, self.ttl)),
            "observability": ObservabilityStore(DynamoObservabilityBackend(self._table, self.ttl)),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> DynamoDBStore:
        """``dynamodb://TABLE?region=...&endpoint=...`` (what ``mastra_storage.connect`` calls)."""
        parsed = parse_url(url)
        if parsed.region is not None:
            options.setdefault("region", parsed.region)
        if parsed.endpoint is not None:
            options.setdefault("endpoint", parsed.endpoint)
        return cls(parsed.table_name, **options)

    @property
    def table(self) -> DynamoTable:
        return self._table

    @property
    def capacity(self) -> CapacityMeter:
        """Consumed read/write capacity units reported by DynamoDB, and request count."""
        return self._table.capacity

    def _abandon_connections(self) -> None:
        self._table.abandon()

    async def _initialize(self) -> None:
        """Like Mastra: check that the table exists (``DescribeTable``); never creates it."""
        if await describe(self._table) is None:
            raise ConfigurationError(
                f"DynamoDB table {self.table_name!r} does not exist. Create it with "
                "`await store.create_table()` or `mastra-storage dynamodb create-table URL`.",
                id="MASTRA_STORAGE_DYNAMODB_TABLE_NOT_FOUND",
                details={"table": self.table_name},
            )

    async def _verify_schema(self) -> None:
        """``init_mode="verify"``: one ``DescribeTable`` (and ``DescribeTimeToLive`` when a
        TTL is configured), never a write. Raises :class:`SchemaMismatchError` listing what is
        missing or keyed differently (table, key schema, each GSI, TTL); an unreachable
        endpoint stays an ``UnavailableError``. (The migrating init creates nothing either:
        it only checks that the table exists, as Mastra does.)"""
        description = await describe(self._table)
        if description is None:
            missing = [f"table {self.table_name} does not exist"]
        else:
            missing = layout_problems(description)
            if self._ttl_attribute is not None:
                status, attribute = await ttl_status(self._table)
                if status not in ("ENABLED", "ENABLING") or attribute != self._ttl_attribute:
                    missing.append(
                        f"TTL is {status} on {attribute!r}, configured {self._ttl_attribute!r}"
                    )
        if missing:
            raise SchemaMismatchError(
                f"DynamoDB table {self.table_name!r} is not laid out as Mastra expects and "
                "init_mode='verify' may not change it: "
                + "; ".join(missing)
                + " (`mastra-storage dynamodb create-table URL` provisions a new table)",
                id="MASTRA_STORAGE_SCHEMA_MISMATCH",
                details={"missing": "; ".join(missing), "table": self.table_name},
            )

    async def create_table(self) -> list[str]:
        """Provision the table, its seven GSIs and (when configured) TTL. Idempotent."""
        return await create_table(self._table, ttl_attribute=self._ttl_attribute)

    async def close(self) -> None:
        await self._table.close()

    async def doctor(self) -> DoctorReport:
        """Table reachable, key schema and GSIs as Mastra expects, TTL as configured."""
        report = DoctorReport(store=self.name, checks=[])
        checks = report.checks
        try:
            description = await describe(self._table)
        except MastraStorageError as exc:
            checks.append(DoctorCheck(name="connectivity", ok=False, detail=str(exc)))
            return report
        where = f"{self.table_name} ({self.region}{', ' + self.endpoint if self.endpoint else ''})"
        if description is None:
            checks.append(
                DoctorCheck(name="table", ok=False, detail=f"{where}: table does not exist")
            )
            return report
        checks.append(DoctorCheck(name="connectivity", ok=True, detail=where))
        problems = layout_problems(description)
        checks.append(
            DoctorCheck(
                name="layout",
                ok=not problems,
                detail="; ".join(problems)
                if problems
                else "pk/sk and gsi1..gsi7 as Mastra expects",
            )
        )
        if self._ttl_attribute is not None:
            status, attribute = await ttl_status(self._table)
            ok = status in ("ENABLED", "ENABLING") and attribute == self._ttl_attribute
            checks.append(
                DoctorCheck(
                    name="ttl",
                    ok=ok,
                    detail=(
                        f"table TTL {status} on {attribute!r}; configured {self._ttl_attribute!r}"
                    ),
                )
            )
        return report

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, table_name={self.table_name!r}, "
            f"region={self.region!r}, "
            f"endpoint={redact_url(self.endpoint) if self.endpoint else None!r})"
        )


__all__ = ["DynamoDBStore"]
