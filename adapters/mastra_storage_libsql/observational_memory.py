"""Observational memory on libSQL: the release's ``mastra_observational_memory`` table.

The four primitives of
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`; every OM rule is
in the core. Rows are what ``@mastra/libsql`` 1.23.1 writes: timestamps as ISO-8601 text,
flags as 0/1, ``config``, id lists, chunks and metadata as JSON text, and the buffered
observations text in ``activeObservationsPendingUpdate`` (where Mastra's reader takes it).

``modify_om_record`` is one ``BEGIN IMMEDIATE`` job on the store's worker (read, the core's
pure function, write, and the new generation's insert), so concurrent changes to one record
serialise on the write lock and none is lost, on a local file and on sqld alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps
from mastra_storage.layout import OBSERVATIONAL_MEMORY, TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.om_records import ObservationalMemoryRecord, om_columns, om_from_columns
from mastra_storage.timeutil import parse_iso, to_iso

from .connection import LibSQLDatabase
from .tx import Tx

_T = TABLE_OBSERVATIONAL_MEMORY
#: Every column, in the layout's order (reads and writes use the same list).
_NAMES = [c.name for c in OBSERVATIONAL_MEMORY.columns]
_COLUMNS = ", ".join(f'"{n}"' for n in _NAMES)
SELECT_OM = f"SELECT {_COLUMNS} FROM {_T}"
INSERT_OM = f"INSERT INTO {_T} ({_COLUMNS}) VALUES ({', '.join('?' for _ in _NAMES)})"
_SETS = ", ".join(f'"{n}" = ?' for n in _NAMES[1:])
UPDATE_OM = f"UPDATE {_T} SET {_SETS} WHERE id = ?"


_JSON = OBSERVATIONAL_MEMORY.json_columns | {"config"}  # config is JSON in a text column
_TIMES = OBSERVATIONAL_MEMORY.timestamp_columns


def _sql_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _JSON:
        return dumps(value)
    if isinstance(value, bool):
        return int(value)  # Mastra binds JS booleans as 0/1
    if isinstance(value, datetime):
        return to_iso(value)
    return value


def om_params(record: ObservationalMemoryRecord) -> list[Any]:
    """The row of ``record`` in :data:`_NAMES` order (ISO text times, 0/1 flags, JSON text)."""
    columns = om_columns(record)
    return [_sql_value(name, columns[name]) for name in _NAMES]


def om_from_row(row: tuple[Any, ...]) -> ObservationalMemoryRecord:
    """A record from a row selected with :data:`SELECT_OM`."""
    v = dict(zip(_NAMES, row, strict=True))
    times = {
        name: None if v[name] is None or v[name] == "" else parse_iso(str(v[name]), field=name)
        for name in _TIMES
    }
    return om_from_columns(v, times)


class LibSQLObservationalMemory:
    """The OM primitives of the libSQL memory backend (mixed into it)."""

    db: LibSQLDatabase

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``INSERT``; an existing id is a :class:`~mastra_storage.errors.ConflictError`."""
        params = om_params(record)

        def job(tx: Tx) -> None:
            tx.execute(INSERT_OM, params)

        await self.db.run("insertObservationalMemoryRecord", job)

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """One ``SELECT`` on ``idx_om_lookup_key``, newest generation first."""
        sql = f'{SELECT_OM} WHERE "lookupKey" = ? ORDER BY "generationCount" DESC, "createdAt" DESC'
        params: list[Any] = [lookup_key]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)

        def job(tx: Tx) -> list[ObservationalMemoryRecord]:
            return [om_from_row(row) for row in tx.fetchall(sql, params)]

        return await self.db.run("getObservationalMemoryHistory", job, mode="none")

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """Read, ``mutate``, ``UPDATE`` (+ ``INSERT`` of a new generation): one write
        transaction."""

        def job(tx: Tx) -> ObservationalMemoryRecord | None:
            row = tx.fetchone(f"{SELECT_OM} WHERE id = ?", (record_id,))
            if row is None:
                return None
            current = om_from_row(row)
            change = mutate(current)
            if change.record is not current or change.new_generation is not None:
                params = om_params(change.record)
                tx.execute(UPDATE_OM, [*params[1:], record_id])
            if change.new_generation is not None:
                tx.execute(INSERT_OM, om_params(change.new_generation))
            return change.record

        return await self.db.run("updateObservationalMemory", job)

    async def delete_om_records(self, lookup_key: str) -> None:
        """One ``DELETE`` of every generation of ``lookup_key``."""

        def job(tx: Tx) -> None:
            tx.execute(f'DELETE FROM {_T} WHERE "lookupKey" = ?', (lookup_key,))

        await self.db.run("clearObservationalMemory", job)


__all__ = ["LibSQLObservationalMemory", "om_from_row", "om_params"]
