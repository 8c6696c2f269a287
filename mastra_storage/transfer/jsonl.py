"""Export a store to JSON Lines and import it back.

Format: the first line is a header
``{"kind": "header", "data": {"format": "mastra-storage-jsonl", "version": 1,
"source": <redacted URL>, "exportedAt": <ISO time>}}``; then one record per line,
``{"kind": "thread"|"message"|"resource"|"workflow_run"|"score"|"span", "data": {...}}``
with ``data`` in the records' camelCase wire form (``Record.to_dict``). A thread's
messages follow its thread page, in ``(createdAt, insertion)`` order, so importing the
lines in order recreates the same store. A name ending in ``.gz`` is gzip-compressed;
``-`` is stdin/stdout. File I/O runs in worker threads, a page at a time.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import AsyncIterator, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

import anyio

from ..composite import MastraStorage
from ..errors import ValidationError
from ..records import Thread
from ..timeutil import to_iso, utc_now
from .batch import DEFAULT_PAGE_SIZE, DOMAIN_OF, KINDS, RECORD_TYPES, Batch, Kind
from .checkpoint import Checkpoint
from .copy import (
    Notice,
    TransferReport,
    _stderr_notice,
    check_page_size,
    pump,
    source_batches,
)
from .progress import Progress
from .sink import Sink
from .source import restore_thread

FORMAT_NAME = "mastra-storage-jsonl"
FORMAT_VERSION = 1


def _invalid(message: str, line: int | None = None) -> ValidationError:
    where = f"line {line}: " if line is not None else ""
    return ValidationError(f"{where}{message}", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT")


def _open_write(target: str | Path) -> IO[bytes]:
    if str(target) == "-":
        return sys.stdout.buffer
    if str(target).endswith(".gz"):
        return cast(IO[bytes], gzip.open(target, "wb"))
    return open(target, "wb")


def _open_read(source: str | Path) -> IO[bytes]:
    if str(source) == "-":
        return sys.stdin.buffer
    if str(source).endswith(".gz"):
        return cast(IO[bytes], gzip.open(source, "rb"))
    return open(source, "rb")


def _line(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"kind": kind, "data": data}, ensure_ascii=False).encode() + b"\n"


async def export_jsonl(
    src: MastraStorage,
    target: str | Path,
    *,
    source_label: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: bool = False,
    notice: Notice | None = None,
) -> TransferReport:
    """Write every record of ``src`` to ``target`` (a path, ``*.gz`` or ``-``)."""
    check_page_size(page_size)
    notice = notice or _stderr_notice
    await src.init()
    report = TransferReport()
    bar = Progress("export", enabled=progress)
    out = await anyio.to_thread.run_sync(_open_write, target)
    try:
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "source": source_label,
            "exportedAt": to_iso(utc_now()),
        }
        await anyio.to_thread.run_sync(out.write, _line("header", header))
        async for _, batch in source_batches(src, page_size, {}, set(), notice):
            if not batch.records or batch.extra.get("restore"):
                continue
            chunk = b"".join(_line(batch.kind, r.to_dict()) for r in batch.records)
            await anyio.to_thread.run_sync(out.write, chunk)
            counts = report.counts.setdefault(batch.kind, [0, 0])
            counts[0] += len(batch.records)
            counts[1] += len(batch.records)
            bar.add(batch.kind, len(batch.records))
    finally:
        bar.finish()
        if out is sys.stdout.buffer:
            await anyio.to_thread.run_sync(out.flush)
        else:
            await anyio.to_thread.run_sync(out.close)
    return report


def _parse(raw: bytes, number: int) -> tuple[str, Any]:
    try:
        item = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("not valid JSON", number) from None
    if not isinstance(item, dict) or set(item) != {"kind", "data"}:
        raise _invalid('expected {"kind": ..., "data": ...}', number)
    if not isinstance(item["data"], dict):
        raise _invalid("data must be an object", number)
    return item["kind"], item["data"]


def _records(stream: IO[bytes]) -> Iterator[tuple[int, Kind, Any]]:
    """Decoded records after checking the header; typed errors name the line."""
    lines = iter(stream)
    first = next(lines, b"")
    kind, data = _parse(first, 1) if first.strip() else ("", {})
    if kind != "header" or data.get("format") != FORMAT_NAME:
        raise _invalid(f"not a {FORMAT_NAME} file (missing header)", 1)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise _invalid(f"unsupported format version {version!r}", 1)
    for number, raw in enumerate(lines, start=2):
        if not raw.strip():
            continue
        kind, data = _parse(raw, number)
        if kind not in KINDS:
            raise _invalid(f"unknown kind {kind!r}", number)
        try:
            record = RECORD_TYPES[kind].from_dict(data)
        except ValidationError as exc:
            raise _invalid(exc.message if hasattr(exc, "message") else str(exc), number) from None
        yield number, kind, record


async def _read_chunks(source: str | Path, size: int) -> AsyncIterator[list[tuple[int, Kind, Any]]]:
    stream = await anyio.to_thread.run_sync(_open_read, source)
    try:
        records = _records(stream)
        while True:
            chunk = await anyio.to_thread.run_sync(lambda: list(islice(records, size)))
            if not chunk:
                return
            yield chunk
    finally:
        if stream is not sys.stdin.buffer:
            await anyio.to_thread.run_sync(stream.close)


async def _batches(
    source: str | Path, page_size: int, skip: set[str]
) -> AsyncIterator[tuple[str, Batch]]:
    """Group consecutive records of one kind (messages: of one thread) into batches."""
    threads: dict[str, Thread] = {}
    pending: Batch | None = None
    async for chunk in _read_chunks(source, page_size):
        for number, kind, record in chunk:
            if DOMAIN_OF[kind] in skip:
                continue
            owner: Thread | None = None
            if kind == "message":
                owner = threads.get(record.thread_id)
                if owner is None:
                    raise _invalid(f"message {record.id!r} comes before its thread", number)
            if pending is not None and (
                pending.kind != kind
                or pending.thread is not owner
                or len(pending.records) >= page_size
            ):
                yield DOMAIN_OF[pending.kind], pending
                if pending.thread is not None and pending.thread is not owner:
                    yield "memory", restore_thread(pending.thread)
                pending = None
            if kind == "thread":
                if pending is None:
                    threads = {}
                threads[record.id] = record
            if pending is None:
                pending = Batch(kind, [], thread=owner)
            pending.records.append(record)
    if pending is not None:
        yield DOMAIN_OF[pending.kind], pending
        if pending.thread is not None:
            yield "memory", restore_thread(pending.thread)


async def _validate_file(source: str | Path, page_size: int) -> None:
    async for _ in _batches(source, page_size, set()):
        pass


async def import_jsonl(
    source: str | Path,
    dst: MastraStorage,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: bool = False,
    notice: Notice | None = None,
) -> TransferReport:
    """Load a JSON Lines export into ``dst`` (idempotent: records are upserted).

    A file (not ``-``) is read twice: a first pass checks every line, so a malformed file
    is rejected before anything is written."""
    check_page_size(page_size)
    notice = notice or _stderr_notice
    if str(source) != "-":
        await _validate_file(source, page_size)
    await dst.init()
    report = TransferReport()
    sink = Sink(dst)
    skip: set[str] = set()
    for domain in ("workflows", "scores", "observability"):
        if not await sink.supports(domain):
            message = f"{domain}: the destination does not support this domain; not imported"
            skip.add(domain)
            report.notices.append(message)
            notice(message)
    bar = Progress("import", enabled=progress)
    state = Checkpoint(None, source="", destination="")
    try:
        await pump(_batches(source, page_size, skip), sink, state, report, bar)
    finally:
        bar.finish()
    return report


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "export_jsonl", "import_jsonl"]
