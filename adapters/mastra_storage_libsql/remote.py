"""Jobs against a remote libSQL server, with the fewest network round trips.

A job (see :mod:`mastra_storage_libsql.connection`) is a plain function that calls
``tx.execute`` / ``tx.fetchall``... in order. Against a local file each call is cheap;
against sqld or Turso each HTTP request costs a network round trip. :class:`RemoteTx`
keeps the job code unchanged and makes it cheap remotely:

* statements whose result the job never reads (``execute``, ``executemany``) are queued,
  not sent;
* a read (``fetchall`` / ``fetchone``) sends the queue *and* the read as one Hrana
  ``batch`` (each step runs only if the previous one succeeded) and keeps the stream's
  *baton*, so the transaction stays open on the server;
* the end of the job sends what is still queued together with ``COMMIT`` (and a
  ``ROLLBACK`` that runs only if the commit did not) and closes the stream: one request.
  A job that only writes (``BEGIN IMMEDIATE`` + writes + ``COMMIT``) is one round trip;
* :meth:`RemoteTx.guard` turns a "check, then write" job (save messages only if their
  thread exists) into one round trip as well: the check becomes a batch step that fails
  when its condition is false, so the writes after it never run.

A read-only job would need one more request just to close its stream; that close is sent
*after* the job's result has been handed back (``deferred_close``), so callers see one
round trip per read job too.

Semantics match the local driver's: statements run in the order the job issued them, a
failing statement stops the job with its error (as a :class:`DriverError`, so busy errors
are retried by the caller), and a job that raises leaves nothing committed (queued
statements are dropped, an open stream is closed, which rolls back).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import DriverError, HranaError, HranaTransportError
from .hrana import RESPONSE_TOO_LARGE, HranaClient, StepResult, response_error, statement
from .tx import StatementCounter, Tx

#: What a failed guard step reports (``json()`` of a non-JSON literal fails on purpose).
_GUARD_ERROR = "malformed json"
_GUARD_SQL = "SELECT CASE WHEN ({check}) THEN 1 ELSE json('mastra-guard') END"

BEGIN_FOR_MODE = {"write": "BEGIN IMMEDIATE", "read": "BEGIN", "none": None}


def _too_large(exc: DriverError) -> bool:
    """The server refused to send a response over its size limit (the stream lives on)."""
    return isinstance(exc.cause, HranaError) and exc.cause.code == RESPONSE_TOO_LARGE


@dataclass
class _Step:
    stmt: dict[str, Any]
    on_fail: Callable[[], BaseException] | None = None  # set for guard steps


class RemoteTx(Tx):
    """The :class:`Tx` of a remote job: same methods, batched into few HTTP requests."""

    __slots__ = ("_base_url", "_baton", "_began", "_begin", "_client", "_pending", "_stream")

    def __init__(self, client: HranaClient, db: StatementCounter, begin: str | None) -> None:
        super().__init__(client, db)
        self._client = client
        self._begin = begin
        self._began = False
        self._pending: list[_Step] = []
        self._baton: str | None = None
        self._base_url: str | None = None
        self._stream = False  # a server-side stream (and maybe a transaction) is open

    # ---- the Tx interface -------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Queue a statement; it is sent with the next read or at the end of the job."""
        self._count("execute", sql, len(params))
        self._pending.append(_Step(self._stmt(sql, params)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        steps = [_Step(self._stmt(sql, row)) for row in rows]
        if steps:
            self._count(f"executemany x{len(steps)}", sql, len(steps[0].stmt["args"]))
            self._pending.extend(steps)

    def executescript(self, script: str) -> None:
        """Send the queue, then the script as one Hrana ``sequence`` (no parameters)."""
        self._count("executescript", script, 0)
        if self._pending or (self._begin and not self._began):
            self._send([], final=False)
        self._request([{"type": "sequence", "sql": script}], final=False)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Send the queue and the read; a result over the server's response limit is
        fetched again in pieces (same rows, same order, same transaction)."""
        self._count("fetchall", sql, len(params))
        try:
            results = self._send([_Step(self._stmt(sql, params))], final=False)
        except DriverError as exc:
            if not _too_large(exc) or not self._stream:
                raise
            return self._fetch_in_pieces(sql, params)
        last = results[-1]
        return [] if last is None else last.rows

    def _fetch_in_pieces(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """``sql``'s rows through ``LIMIT``/``OFFSET`` windows that each fit a response.

        Why this is safe: the failed request ran every step before the read (a step runs
        only if the previous one succeeded, and the read did run), and the stream, with
        its transaction and snapshot, stays open, so the windows see exactly the rows the
        whole read would have. A window that is still too large is halved; a single row
        over the limit is an error.
        """
        counted = self._send(
            [_Step(self._stmt(f"SELECT count(*) FROM ({sql})", params))], final=False
        )
        total = int(counted[-1].rows[0][0]) if counted[-1] is not None else 0
        rows: list[tuple[Any, ...]] = []
        window = max(1, (total + 1) // 2)
        while len(rows) < total:
            try:
                piece = self._send(
                    [
                        _Step(
                            self._stmt(
                                f"SELECT * FROM ({sql}) LIMIT ? OFFSET ?",
                                [*params, window, len(rows)],
                            )
                        )
                    ],
                    final=False,
                )
            except DriverError as exc:
                if not _too_large(exc) or window == 1 or not self._stream:
                    raise
                window = max(1, window // 2)
                continue
            fetched = [] if piece[-1] is None else piece[-1].rows
            if not fetched:
                break
            rows.extend(fetched)
        return rows

    def execute_expecting(
        self, sql: str, params: Sequence[Any], rows: int, on_fail: Callable[[], BaseException]
    ) -> None:
        """Queue the write and, right after it, a check of ``changes()`` (one request)."""
        self.execute(sql, params)
        self.guard("changes() = ?", [rows], on_fail)

    def guard(self, sql: str, params: Sequence[Any], on_fail: Callable[[], BaseException]) -> None:
        """Queue a check: the job fails with ``on_fail()`` unless ``sql`` returns a true
        value (the check and the writes after it travel in the same request)."""
        self._count("guard", sql, len(params))
        self._pending.append(
            _Step(self._stmt(_GUARD_SQL.format(check=sql), params), on_fail=on_fail)
        )

    # ---- end of the job ---------------------------------------------------------------

    def finish(self) -> bool:
        """Send what is left (with ``COMMIT`` in a transaction) and close the stream.

        Returns ``True`` when the stream is still open and only needs a ``close`` (a
        read-only job): the caller sends it later with :meth:`close_stream`.
        """
        writes = self._begin is not None and self._begin != "BEGIN"
        if self._pending or (writes and self._began):
            self._send([], final=True)
            return False
        return self._stream  # nothing to write: a read transaction ends with the stream

    def close_stream(self) -> None:
        """Close the server-side stream (rolls back whatever is still open); quiet."""
        if not self._stream:
            return
        self._stream = False
        if not self._db.is_open:  # the store closed first: the server expires the stream
            return
        self._pending.clear()
        with contextlib.suppress(HranaError, DriverError):
            self._client.pipeline([{"type": "close"}], baton=self._baton, base_url=self._base_url)

    # ---- wire -------------------------------------------------------------------------

    @staticmethod
    def _stmt(sql: str, params: Sequence[Any]) -> dict[str, Any]:
        try:
            return statement(sql, params)
        except HranaError as exc:
            raise DriverError(exc) from exc

    def _send(self, extra: list[_Step], *, final: bool) -> list[StepResult | None]:
        """One request: [BEGIN] + queue + extra [+ COMMIT, ROLLBACK-if-not-committed]."""
        steps = [*self._pending, *extra]
        self._pending.clear()
        if self._begin and not self._began:
            steps.insert(0, _Step(statement(self._begin)))
            self._began = True
        commit_at: int | None = None
        if final and self._begin is not None and self._began:
            commit_at = len(steps)
            steps.append(_Step(statement("COMMIT")))
        wire: list[dict[str, Any]] = []
        for index, step in enumerate(steps):
            entry: dict[str, Any] = {"stmt": step.stmt}
            if index > 0:
                entry["condition"] = {"type": "ok", "step": index - 1}
            wire.append(entry)
        if commit_at is not None:
            wire.append(
                {
                    "stmt": statement("ROLLBACK"),
                    "condition": {"type": "not", "cond": {"type": "ok", "step": commit_at}},
                }
            )
        response = self._request([{"type": "batch", "batch": {"steps": wire}}], final=final)
        outcome = response[0].get("response", {}).get("result", {})
        step_results = outcome.get("step_results") or []
        step_errors = outcome.get("step_errors") or []
        for index, error in enumerate(step_errors[: len(steps)]):
            if not error:
                continue
            failure = HranaError(str(error.get("message", "unknown error")), error.get("code"))
            on_fail = steps[index].on_fail
            if on_fail is not None and _GUARD_ERROR in failure.message.lower():
                raise on_fail()
            raise DriverError(failure) from failure
        return [
            None if raw is None else StepResult.from_json(raw) for raw in step_results[: len(steps)]
        ]

    def _request(self, requests: list[dict[str, Any]], *, final: bool) -> list[dict[str, Any]]:
        if final:
            requests = [*requests, {"type": "close"}]
        try:
            body = self._client.pipeline(requests, baton=self._baton, base_url=self._base_url)
        except HranaError as exc:
            if self._baton is not None and isinstance(exc, HranaTransportError):
                # The link died while the server held this stream (maybe an open write
                # transaction, which keeps the database locked until the stream expires):
                # the client closes it as soon as the server can be reached again.
                self._client.abandon(self._baton, self._base_url)
            self._stream = False  # whatever the server held is gone or unknown
            raise DriverError(exc) from exc
        self._baton = body.get("baton")
        self._base_url = body.get("base_url") or self._base_url
        self._stream = not final and self._baton is not None
        results: list[dict[str, Any]] = body["results"]
        for result in results:
            error = response_error(result)
            if error is not None:
                raise DriverError(error) from error
        return results


__all__ = ["BEGIN_FOR_MODE", "RemoteTx"]
