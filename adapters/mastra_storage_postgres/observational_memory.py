"""Observational memory on PostgreSQL: the release's ``mastra_observational_memory`` table.

The four primitives of
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`; every OM rule is
in the core. Rows are exactly what ``@mastra/pg`` 1.27.1 writes: ``config`` is JSON text,
the id lists, chunks and metadata are ``jsonb``, each timestamp ``X`` has its ``XZ``
(``TIMESTAMPTZ``) twin, and the buffered observations text lives in
``activeObservationsPendingUpdate`` (the column Mastra's reader takes it from).

``modify_om_record`` is one transaction: ``SELECT ... FOR UPDATE`` on the row, the core's
pure function, ``UPDATE`` (and the new generation's ``INSERT``), so concurrent changes to
one record serialise on its row lock and none is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps
from mastra_storage.layout import OBSERVATIONAL_MEMORY, TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.om_records import ObservationalMemoryRecord, om_columns, om_from_columns

from .connection import Runner
from .schema import q
from .sqlutil import naive_opt, read_ts, select_columns

OM_COLUMNS = select_columns(OBSERVATIONAL_MEMORY)
#: Written columns, in the order of :func:`om_params` (``bufferedObservations`` stays NULL:
#: Mastra keeps that text in ``activeObservationsPendingUpdate``).
_WRITE_COLUMNS = [
    c.name for c in OBSERVATIONAL_MEMORY.columns if c.name != "bufferedObservations"
] + [c + "Z" for c in OBSERVATIONAL_MEMORY.timestamp_columns]
_JSONB = {"observedMessageIds", "bufferedMessageIds", "bufferedObservationChunks", "metadata"}
_TIMES = set(OBSERVATIONAL_MEMORY.timestamp_columns)
_PLACEHOLDERS = ", ".join(
    f"${i}::jsonb" if name in _JSONB else f"${i}" for i, name in enumerate(_WRITE_COLUMNS, 1)
)
_COLUMN_LIST = ", ".join(q(c) for c in _WRITE_COLUMNS)
_SET_LIST = ", ".join(
    f"{q(name)} = ${i}::jsonb" if name in _JSONB else f"{q(name)} = ${i}"
    for i, name in enumerate(_WRITE_COLUMNS, 1)
    if name != "id"
)


def _sql_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "config" or name in _JSONB:
        return dumps(value)  # config is JSON in a text column, the others jsonb
    if isinstance(value, datetime):
        return naive_opt(value)
    return value


def om_params(record: ObservationalMemoryRecord) -> list[Any]:
    """The row of ``record``, in :data:`_WRITE_COLUMNS` order (wall-clock ``X`` and
    ``TIMESTAMPTZ`` ``XZ`` twins, JSON as text cast by the placeholders)."""
    columns = om_columns(record)
    return [
        columns[name[:-1]]
        if name.endswith("Z") and name[:-1] in _TIMES
        else _sql_value(name, columns[name])
        for name in _WRITE_COLUMNS
    ]


def om_from_row(row: Any) -> ObservationalMemoryRecord:
    """A record from a row selected with :data:`OM_COLUMNS` (each ``X`` then ``XZ``).

    ``XZ`` wins when set (what this SDK and ``@mastra/pg`` write); the wall-clock ``X``
    covers rows whose writer left the twin NULL. ``lastBufferedAtTime`` is read from its
    wall column alone: ``@mastra/pg`` never writes that twin, which defaults to ``now()``.
    """
    v = dict(zip(_SELECT_NAMES, row, strict=True))
    times = {name: read_ts(v[name + "Z"], v[name]) for name in _TIMES}
    times["lastBufferedAtTime"] = read_ts(None, v["lastBufferedAtTime"])
    return om_from_columns(v, times)


def _select_names() -> list[str]:
    names: list[str] = []
    for column in OBSERVATIONAL_MEMORY.columns:
        names.append(column.name)
        if column.logical == "timestamp":
            names.append(column.name + "Z")
    return names


_SELECT_NAMES = _select_names()


class PgObservationalMemory:
    """The OM primitives of the PostgreSQL memory backend (mixed into it)."""

    _db: Any

    if TYPE_CHECKING:

        def t(self, name: str) -> str:
            """``"schema"."table"`` (provided by :class:`~.domain.PgBackend`)."""
            ...

    def _om_sql(self) -> tuple[str, str, str]:
        table = self.t(TABLE_OBSERVATIONAL_MEMORY)
        insert = f"INSERT INTO {table} ({_COLUMN_LIST}) VALUES ({_PLACEHOLDERS})"
        update = f"UPDATE {table} SET {_SET_LIST} WHERE id = $1"
        select = f"SELECT {OM_COLUMNS} FROM {table}"
        return insert, update, select

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``INSERT``; an existing id is a :class:`~mastra_storage.errors.ConflictError`."""
        insert, _, _ = self._om_sql()
        await self._db.execute("insertObservationalMemoryRecord", insert, *om_params(record))

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """One ``SELECT`` on ``idx_om_lookup_key``, newest generation first."""
        _, _, select = self._om_sql()
        sql = (
            f'{select} WHERE "lookupKey" = $1 '
            'ORDER BY "generationCount" DESC, "createdAtZ" DESC NULLS LAST, "createdAt" DESC'
        )
        args: list[Any] = [lookup_key]
        if limit is not None:
            sql += " LIMIT $2"
            args.append(limit)
        rows = await self._db.fetch("getObservationalMemoryHistory", sql, *args)
        return [om_from_row(row) for row in rows]

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """``SELECT ... FOR UPDATE``, ``mutate``, ``UPDATE`` (+ ``INSERT`` of a new
        generation): one transaction."""
        insert, update, select = self._om_sql()
        async with self._db.transaction("updateObservationalMemory") as tx:
            runner: Runner = tx
            row = await runner.fetchrow(f"{select} WHERE id = $1 FOR UPDATE", record_id)
            if row is None:
                return None
            current = om_from_row(row)
            change = mutate(current)
            if change.record is not current or change.new_generation is not None:
                await runner.execute(update, *om_params(change.record))
            if change.new_generation is not None:
                await runner.execute(insert, *om_params(change.new_generation))
            return change.record

    async def delete_om_records(self, lookup_key: str) -> None:
        """One ``DELETE`` of every generation of ``lookup_key``."""
        await self._db.execute(
            "clearObservationalMemory",
            f'DELETE FROM {self.t(TABLE_OBSERVATIONAL_MEMORY)} WHERE "lookupKey" = $1',
            lookup_key,
        )


__all__ = ["OM_COLUMNS", "PgObservationalMemory", "om_from_row", "om_params"]
