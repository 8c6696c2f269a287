"""One DynamoDB table through aioboto3: paging, batching, transactions, capacity, item size.

Every call asks for ``ReturnConsumedCapacity=TOTAL`` and adds what DynamoDB reports to
:class:`CapacityMeter` (moto reports it too). Reads that build a result follow
``LastEvaluatedKey`` to the end; ``BatchWriteItem`` sends at most 25 requests and
``BatchGetItem`` at most 100 keys per call and both retry unprocessed items with backoff;
``TransactWriteItems`` takes at most 100 actions (callers split larger writes). Items are
checked against the 400 KB item limit *before* anything is sent (:class:`ItemTooLargeError`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from mastra_storage.backend.concurrency import KeyedLocks, RetryPolicy
from mastra_storage.drivers import import_driver
from mastra_storage.errors import UnavailableError
from mastra_storage.logs import command_logging, log_command, log_schema_change

from .errors import ItemTooLargeError, TransactionCancelled, translate

MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
BATCH_WRITE_SIZE = 25
BATCH_GET_SIZE = 100
#: Unprocessed batch items and transaction conflicts: DynamoDB asks the caller to back off
#: (a throttled partition, another transaction on the item). Eight retries with jittered
#: exponential backoff from 50 ms (each wait at most 5 s) wait about 6 s in all on average:
#: long enough to outlast a partition's burst throttling, short enough that a caller gets
#: ``UnavailableError`` well within the operation timeout.
BATCH_RETRY = RetryPolicy(attempts=9, base_s=0.05, cap_s=5.0)

Item = dict[str, Any]


class CapacityMeter(msgspec.Struct, kw_only=True):
    """Consumed capacity units and request count since creation (or :meth:`reset`)."""

    read_units: float = 0.0
    write_units: float = 0.0
    requests: int = 0
    reported: bool = False

    def reset(self) -> None:
        self.read_units = self.write_units = 0.0
        self.requests = 0

    def add(self, consumed: Any, *, write: bool) -> None:
        """Add a response's ``ConsumedCapacity`` (a dict, or a list for batch calls).

        Reads report ``CapacityUnits`` only (DynamoDB adds ``Read``/``WriteCapacityUnits``
        for some calls); ``write`` says which side a bare total belongs to.
        """
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            self.reported = True
            read_units = entry.get("ReadCapacityUnits")
            write_units = entry.get("WriteCapacityUnits")
            if read_units is None and write_units is None:
                total = float(entry.get("CapacityUnits") or 0)
                if write:
                    self.write_units += total
                else:
                    self.read_units += total
                continue
            self.read_units += float(read_units or 0)
            self.write_units += float(write_units or 0)


class Expr:
    """Placeholders for one request's expressions: ``#n0`` names and ``:v0`` values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._by_name: dict[str, str] = {}

    def n(self, attribute: str) -> str:
        placeholder = self._by_name.get(attribute)
        if placeholder is None:
            placeholder = f"#n{len(self._by_name)}"
            self._by_name[attribute] = placeholder
            self.names[placeholder] = attribute
        return placeholder

    def v(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def params(self, serialize: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            out["ExpressionAttributeValues"] = {k: serialize(v) for k, v in self.values.items()}
        return out


def cas_condition(expr: Expr, old: Mapping[str, Any] | None) -> str:
    """Optimistic-concurrency guard: the item is still what we read.

    ``None`` (nothing was read): the item must not exist. Otherwise ``updatedAt`` and
    this adapter's ``rev`` counter must be unchanged. ``rev`` catches writers that keep
    ``updatedAt`` (same millisecond); ``updatedAt`` catches ``@mastra/dynamodb``'s writes,
    which never touch ``rev``.
    """
    if old is None:
        return f"attribute_not_exists({expr.n('pk')})"
    parts = [f"attribute_exists({expr.n('pk')})"]
    if "updatedAt" in old:
        parts.append(f"{expr.n('updatedAt')} = {expr.v(old['updatedAt'])}")
    else:
        parts.append(f"attribute_not_exists({expr.n('updatedAt')})")
    if "rev" in old:
        parts.append(f"{expr.n('rev')} = {expr.v(old['rev'])}")
    else:
        parts.append(f"attribute_not_exists({expr.n('rev')})")
    return " AND ".join(parts)


def next_rev(old: Mapping[str, Any] | None) -> int:
    return int(old.get("rev", 0)) + 1 if old else 1


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, (int, float, Decimal)):
        return min(21, len(str(value)) // 2 + 2)
    if isinstance(value, Mapping):
        return 3 + sum(len(str(k).encode()) + _value_size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 3 + sum(_value_size(v) + 1 for v in value)
    return len(str(value).encode("utf-8"))


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's item size rule (names + values, UTF-8), rounded up for numbers."""
    return sum(len(name.encode("utf-8")) + _value_size(v) for name, v in item.items())


def check_item_size(item: Mapping[str, Any], *, what: str) -> int:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise ItemTooLargeError(
            f"{what} is {size} bytes as a DynamoDB item; the limit is {MAX_ITEM_BYTES} bytes "
            "(400 KB). Nothing was written. Store large payloads elsewhere and keep a reference.",
            id="MASTRA_STORAGE_DYNAMODB_ITEM_TOO_LARGE",
            details={"size": size, "limit": MAX_ITEM_BYTES},
        )
    return size


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def _import_aioboto3() -> Any:
    return import_driver(
        "aioboto3",
        needs="DynamoDBStore needs aioboto3",
        extra="dynamodb",
        error_id="MASTRA_STORAGE_DYNAMODB_DRIVER_MISSING",
    )


#: Calls that change the table's layout (logged at ``INFO``).
_SCHEMA_CALLS = frozenset({"create_table", "update_time_to_live", "update_table"})


def _call_counts(params: Mapping[str, Any]) -> dict[str, int]:
    """How many items a batch or transaction carries (sizes only, for the command log)."""
    counts: dict[str, int] = {}
    for name in ("TransactItems", "Keys"):
        if isinstance(params.get(name), list):
            counts[name[0].lower() + name[1:]] = len(params[name])
    for name in ("RequestItems",):
        requests = params.get(name)
        if isinstance(requests, Mapping):
            counts["items"] = sum(
                len(v) if isinstance(v, list) else len(v.get("Keys", ())) for v in requests.values()
            )
    return counts


_WRITES = frozenset(
    {"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"}
)
_SESSION: Any = None


def _session() -> Any:
    """One aioboto3 session per process: each new session re-reads botocore's service
    models (about a second for DynamoDB), clients of one session share them."""
    global _SESSION
    if _SESSION is None:
        _SESSION = _import_aioboto3().Session()
    return _SESSION


class DynamoTable:
    """The table handle every domain shares; opens one aioboto3 client lazily."""

    def __init__(self, table_name: str, client_kwargs: Mapping[str, Any]) -> None:
        self.name = table_name
        self._client_kwargs = dict(client_kwargs)
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()
        self.capacity = CapacityMeter()
        #: This process's per-item locks for read-modify-writes. Correctness across
        #: processes comes from the conditional writes alone; the locks only spare
        #: coroutines of one process from racing each other into retries. (They also keep
        #: tests deterministic on moto, whose conditional writes are not atomic under
        #: concurrent requests: 3 of 200 rounds of 6 racing conditional puts let two
        #: through.)
        self.locks = KeyedLocks()
        from boto3.dynamodb.types import (  # type: ignore[import-untyped]
            TypeDeserializer,
            TypeSerializer,
        )

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    # ---- lifecycle -----------------------------------------------------------------------

    async def client(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    stack = contextlib.AsyncExitStack()
                    self._client = await stack.enter_async_context(
                        _session().client("dynamodb", **self._client_kwargs)
                    )
                    self._stack = stack
        return self._client

    async def close(self) -> None:
        async with self._lock:
            stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def abandon(self) -> None:
        """Forget the client without awaiting its close (``close()`` ran out of time, or
        runs on another event loop than the client's); its sockets close with it."""
        self._stack = self._client = None

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Run one API call; map driver errors to mastra-storage errors.

        Logged: ``create_table`` and ``update_time_to_live`` at ``INFO`` on
        ``mastra_storage.schema``; every call at ``DEBUG`` on ``mastra_storage.commands``
        with the table and how many items or actions it carries, never a key or a value
        (keys hold thread and resource ids).
        """
        if operation in _SCHEMA_CALLS:
            log_schema_change("dynamodb", f"{operation} {self.name}")
        elif command_logging():
            log_command("dynamodb", operation, self.name, **_call_counts(params))
        client = await self.client()
        try:
            response: dict[str, Any] = await getattr(client, operation)(**params)
        except Exception as exc:
            raise translate(exc, operation=operation, table=self.name) from exc
        self.capacity.requests += 1
        self.capacity.add(response.get("ConsumedCapacity"), write=operation in _WRITES)
        return response

    # ---- (de)serialisation ---------------------------------------------------------------

    def ser(self, value: Any) -> Any:
        return self._ser.serialize(_to_dynamo(value))

    def ser_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.ser(v) for k, v in item.items() if v is not None}

    def de_item(self, raw: Mapping[str, Any]) -> Item:
        return {k: _from_dynamo(self._de.deserialize(v)) for k, v in raw.items()}

    # ---- single items --------------------------------------------------------------------

    async def get(self, key: Mapping[str, str], *, consistent: bool = True) -> Item | None:
        response = await self.call(
            "get_item",
            TableName=self.name,
            Key=self.ser_item(key),
            ConsistentRead=consistent,
            ReturnConsumedCapacity="TOTAL",
        )
        raw = response.get("Item")
        return None if raw is None else self.de_item(raw)

    def put_action(
        self, item: Mapping[str, Any], *, expr: Expr | None = None, condition: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self.name, "Item": self.ser_item(item)}
        if condition:
            params["ConditionExpression"] = condition
        if expr is not None:
            params.update(expr.params(self.ser))
        return params

    def update_action(
        self, key: Mapping[str, str], update: str, expr: Expr, *, condition: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": self.ser_item(key),
            "UpdateExpression": update,
        }
        if condition:
            params["ConditionExpression"] = condition
        params.update(expr.params(self.ser))
        return params

    def delete_action(
        self, key: Mapping[str, str], *, expr: Expr | None = None, condition: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self.name, "Key": self.ser_item(key)}
        if condition:
            params["ConditionExpression"] = condition
        if expr is not None:
            params.update(expr.params(self.ser))
        return params

    async def put(
        self, item: Mapping[str, Any], *, expr: Expr | None = None, condition: str | None = None
    ) -> None:
        params = self.put_action(item, expr=expr, condition=condition)
        await self.call("put_item", **params, ReturnConsumedCapacity="TOTAL")

    async def update(
        self, key: Mapping[str, str], update: str, expr: Expr, *, condition: str | None = None
    ) -> None:
        params = self.update_action(key, update, expr, condition=condition)
        await self.call("update_item", **params, ReturnConsumedCapacity="TOTAL")

    async def delete(
        self, key: Mapping[str, str], *, expr: Expr | None = None, condition: str | None = None
    ) -> None:
        params = self.delete_action(key, expr=expr, condition=condition)
        await self.call("delete_item", **params, ReturnConsumedCapacity="TOTAL")

    # ---- queries -------------------------------------------------------------------------

    async def query_pages(
        self,
        *,
        key_condition: str,
        expr: Expr,
        index: str | None = None,
        filter: str | None = None,
        forward: bool = True,
        page_size: int | None = None,
        select: str | None = None,
        projection: str | None = None,
        consistent: bool = False,
    ) -> AsyncIterator[tuple[list[Item], int]]:
        """Yield ``(items, count)`` per page, following ``LastEvaluatedKey`` to the end."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": forward,
            "ReturnConsumedCapacity": "TOTAL",
            **expr.params(self.ser),
        }
        if index is not None:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        if filter:
            params["FilterExpression"] = filter
        if page_size is not None:
            params["Limit"] = page_size
        if select is not None:
            params["Select"] = select
        if projection is not None:
            params["ProjectionExpression"] = projection
        while True:
            response = await self.call("query", **params)
            items = [self.de_item(raw) for raw in response.get("Items", [])]
            yield items, int(response.get("Count", len(items)))
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last

    async def query_all(self, **kwargs: Any) -> list[Item]:
        out: list[Item] = []
        async for items, _ in self.query_pages(**kwargs):
            out.extend(items)
        return out

    async def query_count(self, **kwargs: Any) -> int:
        total = 0
        async for _, count in self.query_pages(select="COUNT", **kwargs):
            total += count
        return total

    async def scan_all(self, *, filter: str | None = None, expr: Expr | None = None) -> list[Item]:
        """A full-table scan (only admin paths use it: listing without a partition key)."""
        params: dict[str, Any] = {"TableName": self.name, "ReturnConsumedCapacity": "TOTAL"}
        if filter:
            params["FilterExpression"] = filter
        if expr is not None:
            params.update(expr.params(self.ser))
        out: list[Item] = []
        while True:
            response = await self.call("scan", **params)
            out.extend(self.de_item(raw) for raw in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return out
            params["ExclusiveStartKey"] = last

    async def scan_page(
        self, *, filter: str, expr: Expr, position: str | None, limit: int
    ) -> tuple[list[Item], str | None]:
        """One page of a filtered table ``Scan`` and the next position (``None``: done).

        The position is ``LastEvaluatedKey`` as JSON: a keyset walk that concurrent writes
        do not shift. A page may hold fewer than ``limit`` items (DynamoDB applies
        ``Limit`` before the filter) or none while more follow.
        """
        params: dict[str, Any] = {
            "TableName": self.name,
            "FilterExpression": filter,
            "Limit": limit,
            "ReturnConsumedCapacity": "TOTAL",
            **expr.params(self.ser),
        }
        if position is not None:
            params["ExclusiveStartKey"] = json.loads(position)
        response = await self.call("scan", **params)
        found = [self.de_item(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return found, json.dumps(last) if last else None

    # ---- batches and transactions --------------------------------------------------------

    @staticmethod
    async def _backoff(attempt: int, what: str) -> None:
        """Wait before retry ``attempt + 1`` of :data:`BATCH_RETRY`, or give up."""
        if attempt + 1 >= BATCH_RETRY.attempts:
            raise UnavailableError(
                f"DynamoDB kept returning unprocessed {what} after "
                f"{BATCH_RETRY.attempts - 1} retries",
                id="MASTRA_STORAGE_DYNAMODB_THROTTLED",
            )
        await BATCH_RETRY.pause(attempt)

    async def batch_get(
        self, keys: Sequence[Mapping[str, str]], *, consistent: bool = True
    ) -> list[Item]:
        """Items for these keys (missing ones are skipped), 100 keys per call."""
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        out: list[Item] = []
        for start in range(0, len(unique), BATCH_GET_SIZE):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": [self.ser_item(k) for k in unique[start : start + BATCH_GET_SIZE]],
                    "ConsistentRead": consistent,
                }
            }
            attempt = 0
            while request:
                response = await self.call(
                    "batch_get_item", RequestItems=request, ReturnConsumedCapacity="TOTAL"
                )
                out.extend(
                    self.de_item(raw) for raw in response.get("Responses", {}).get(self.name, [])
                )
                request = response.get("UnprocessedKeys") or {}
                if request:
                    await self._backoff(attempt, "keys")
                    attempt += 1
        return out

    async def batch_write(
        self,
        *,
        puts: Sequence[Mapping[str, Any]] = (),
        deletes: Sequence[Mapping[str, str]] = (),
    ) -> None:
        """``BatchWriteItem`` in groups of 25, retrying unprocessed items. Not atomic."""
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": self.ser_item(item)}} for item in puts
        ] + [{"DeleteRequest": {"Key": self.ser_item(key)}} for key in deletes]
        for start in range(0, len(requests), BATCH_WRITE_SIZE):
            pending: dict[str, Any] = {self.name: requests[start : start + BATCH_WRITE_SIZE]}
            attempt = 0
            while pending:
                response = await self.call(
                    "batch_write_item", RequestItems=pending, ReturnConsumedCapacity="TOTAL"
                )
                pending = response.get("UnprocessedItems") or {}
                if pending:
                    await self._backoff(attempt, "items")
                    attempt += 1

    async def transact(self, actions: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """One ``TransactWriteItems`` (``("Put"|"Update"|"Delete"|"ConditionCheck", params)``).

        Raises :class:`TransactionCancelled`; ``TransactionConflict`` cancellations (another
        transaction touched an item) are retried with backoff.
        """
        if not actions:
            return
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_TRANSACTION_ITEMS} actions")
        items = [{kind: params} for kind, params in actions]
        attempt = 0
        while True:
            try:
                await self.call(
                    "transact_write_items", TransactItems=items, ReturnConsumedCapacity="TOTAL"
                )
                return
            except TransactionCancelled as exc:
                if "TransactionConflict" not in exc.reasons or exc.condition_failed:
                    raise
                await self._backoff(attempt, "transaction conflicts")
                attempt += 1


def chunk_actions(
    actions: Sequence[tuple[str, dict[str, Any]]], sizes: Sequence[int]
) -> list[list[tuple[str, dict[str, Any]]]]:
    """Split into transactions of at most 100 actions and about 4 MB each."""
    chunks: list[list[tuple[str, dict[str, Any]]]] = []
    current: list[tuple[str, dict[str, Any]]] = []
    current_bytes = 0
    for action, size in zip(actions, sizes, strict=True):
        if current and (
            len(current) >= MAX_TRANSACTION_ITEMS or current_bytes + size > MAX_TRANSACTION_BYTES
        ):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(action)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


__all__ = [
    "BATCH_GET_SIZE",
    "BATCH_WRITE_SIZE",
    "MAX_ITEM_BYTES",
    "MAX_TRANSACTION_ITEMS",
    "CapacityMeter",
    "DynamoTable",
    "Expr",
    "Item",
    "cas_condition",
    "check_item_size",
    "chunk_actions",
    "item_size",
    "next_rev",
]
