"""Export a store to JSON Lines and import it back.

Format: the first line is a header
``{"kind": "header", "data": {"format": "mastra-storage-jsonl", "version": 1,
"source": <redacted URL>, "exportedAt": <ISO time>}}``; then one record per line,
``{"kind": "thread"|"message"|"resource"|"workflow_run"|"score"|"span", "data": {...}}``
with ``data`` in the records' camelCase wire form (``Record.to_dict``). A thread's
messages follow its thread page, in ``(createdAt, insertion)`` order, so importing the
lines in order recreates the same store. A name ending in ``.gz`` is gzip-compressed;
``-`` is stdin/stdout. File I/O runs in worker threads, a page at a time.

Export writes a private (``0600``) temporary file beside the target and moves it into
place when complete; an existing target is an error unless ``overwrite=True``.

Import reads the file twice: a first pass checks every line (framing, gzip integrity,
line length, nesting depth, record shape, and every record through the stores' own
validation, see :mod:`.checks`) before the first write; the second pass writes. stdin is
first spooled to a private temporary file so it can be read twice.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, cast

import anyio

from ..composite import MastraStorage
from ..errors import ValidationError
from ..records import Thread
from ..timeutil import to_iso, utc_now
from ..validation import MAX_JSON_DEPTH, json_depth_exceeds
from .batch import DEFAULT_PAGE_SIZE, DOMAIN_OF, KINDS, RECORD_TYPES, Batch, Kind
from .checkpoint import Checkpoint
from .checks import RecordChecker
from .copy import (
    Notice,
    TransferReport,
    _stderr_notice,
    check_page_size,
    pump,
    source_batches,
)
from .files import private_temp, publish, refuse_existing
from .progress import Progress
from .sink import Sink
from .source import restore_thread

FORMAT_NAME = "mastra-storage-jsonl"
FORMAT_VERSION = 1
#: Longest accepted line of an import file, in bytes (after gzip decompression). Lines
#: are read with this bound, so a file without newlines cannot exhaust memory.
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def _invalid(message: str, line: int | None = None) -> ValidationError:
    where = f"line {line}: " if line is not None else ""
    return ValidationError(f"{where}{message}", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT")


def _line(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"kind": kind, "data": data}, ensure_ascii=False).encode() + b"\n"


# --------------------------------------------------------------------------- export


class _Output:
    """Where an export goes: stdout, or a private temporary file published on success."""

    def __init__(self, target: str | Path, *, overwrite: bool) -> None:
        self.overwrite = overwrite
        self.temp: Path | None = None
        self.raw: IO[bytes] | None = None
        if str(target) == "-":
            self.target: Path | None = None
            self.stream: IO[bytes] = sys.stdout.buffer
            return
        self.target = Path(target)
        if not overwrite:
            refuse_existing(self.target)  # fail before reading the source
        fd, self.temp = private_temp(self.target)
        self.raw = os.fdopen(fd, "wb")
        self.stream = (
            cast(IO[bytes], gzip.GzipFile(fileobj=self.raw, mode="wb"))
            if self.target.name.endswith(".gz")
            else self.raw
        )

    def finish(self, ok: bool) -> None:
        """Flush; publish the file when ``ok``, else delete the temporary file."""
        if self.target is None:
            self.stream.flush()
            return
        assert self.temp is not None and self.raw is not None
        try:
            if self.stream is not self.raw:
                self.stream.close()
            self.raw.close()
        except BaseException:
            ok = False
            raise
        finally:
            if not ok:  # a failed export leaves neither a partial file nor its temp file
                with contextlib.suppress(OSError):
                    os.unlink(self.temp)
        if ok:
            publish(self.temp, self.target, overwrite=self.overwrite)


async def export_jsonl(
    src: MastraStorage,
    target: str | Path,
    *,
    source_label: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: bool = False,
    notice: Notice | None = None,
    overwrite: bool = False,
) -> TransferReport:
    """Write every record of ``src`` to ``target`` (a path, ``*.gz`` or ``-``).

    The source is only read (it is not ``init()``-ed here; a store opened with
    :func:`mastra_storage.existing.open_existing` never is). The file appears complete
    or not at all, with mode ``0600``; an existing ``target`` raises ``ValidationError``
    unless ``overwrite=True`` (then it is replaced, a symlink itself rather than what it
    points to).
    """
    check_page_size(page_size)
    notice = notice or _stderr_notice
    report = TransferReport()
    bar = Progress("export", enabled=progress)
    out = await anyio.to_thread.run_sync(lambda: _Output(target, overwrite=overwrite))
    ok = False
    try:
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "source": source_label,
            "exportedAt": to_iso(utc_now()),
        }
        await anyio.to_thread.run_sync(out.stream.write, _line("header", header))
        async for _, batch in source_batches(src, page_size, {}, set(), notice):
            if not batch.records or batch.extra.get("restore"):
                continue
            chunk = b"".join(_line(batch.kind, r.to_dict()) for r in batch.records)
            await anyio.to_thread.run_sync(out.stream.write, chunk)
            counts = report.counts.setdefault(batch.kind, [0, 0])
            counts[0] += len(batch.records)
            counts[1] += len(batch.records)
            bar.add(batch.kind, len(batch.records))
        ok = True
    finally:
        bar.finish()
        await anyio.to_thread.run_sync(out.finish, ok)
    return report


# --------------------------------------------------------------------------- import


def _parse(raw: bytes, number: int) -> tuple[str, Any]:
    # Checked on the text before parsing (no recursion, C-speed): a record may nest
    # MAX_JSON_DEPTH levels, and the line's {"kind", "data"} envelope adds one.
    if json_depth_exceeds(raw, MAX_JSON_DEPTH + 1):
        raise _invalid(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", number)
    try:
        item = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("not valid JSON", number) from None
    if not isinstance(item, dict) or set(item) != {"kind", "data"}:
        raise _invalid('expected {"kind": ..., "data": ...}', number)
    data = item["data"]
    if not isinstance(data, dict):
        raise _invalid("data must be an object", number)
    return item["kind"], data


def _spool(stream: IO[bytes]) -> IO[bytes]:
    """A private temporary copy of a stream that cannot be read twice (stdin, a pipe)."""
    copy: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - unlinked at once, 0600
    shutil.copyfileobj(stream, copy, 1 << 20)
    copy.seek(0)
    return copy


class _Input:
    """An import file opened once (stdin or a pipe: spooled to a private temporary file),
    read as bounded lines, from the start again with :meth:`rewind`. Runs in worker
    threads."""

    def __init__(self, source: str | Path, max_line_bytes: int) -> None:
        self.max_line_bytes = max_line_bytes
        if str(source) == "-":
            self.raw = _spool(sys.stdin.buffer)
            self.gzipped = self.raw.read(2) == _GZIP_MAGIC
        else:
            self.raw = open(source, "rb")  # noqa: SIM115 - closed by close()
            if not self.raw.seekable():
                with self.raw:
                    self.raw = _spool(self.raw)
            self.gzipped = str(source).endswith(".gz")
        self.stream: IO[bytes] = self.raw
        self.rewind()

    def rewind(self) -> None:
        self.raw.seek(0)
        self.stream = (
            cast(IO[bytes], gzip.GzipFile(fileobj=self.raw, mode="rb"))
            if self.gzipped
            else self.raw
        )

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, bytes)``; a line longer than the bound or a damaged gzip stream
        raises ``ValidationError``."""
        number = 0
        while True:
            number += 1
            try:
                raw = self.stream.readline(self.max_line_bytes + 1)
            except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
                raise _invalid(
                    f"not a complete gzip file (truncated or corrupt: {exc})", number
                ) from None
            if not raw:
                return
            if len(raw) > self.max_line_bytes and not (
                len(raw) == self.max_line_bytes + 1 and raw.endswith(b"\n")
            ):
                raise _invalid(
                    f"line longer than {self.max_line_bytes} bytes (max_line_bytes)", number
                )
            yield number, raw

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.close()


def _records(source: _Input) -> Iterator[tuple[int, Kind, Any]]:
    """Decoded records after checking the header; typed errors name the line."""
    lines = source.lines()
    number, first = next(lines, (1, b""))
    kind, data = _parse(first, number) if first.strip() else ("", {})
    if kind != "header" or data.get("format") != FORMAT_NAME:
        raise _invalid(f"not a {FORMAT_NAME} file (missing header)", 1)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise _invalid(f"unsupported format version {version!r}", 1)
    for number, raw in lines:
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


async def _read_chunks(source: _Input, size: int) -> AsyncIterator[list[tuple[int, Kind, Any]]]:
    records = _records(source)
    while True:
        chunk = await anyio.to_thread.run_sync(lambda: list(islice(records, size)))
        if not chunk:
            return
        yield chunk


Numbered = tuple[str, Batch, list[int]]


async def _batches(source: _Input, page_size: int, skip: set[str]) -> AsyncIterator[Numbered]:
    """Group consecutive records of one kind (messages: of one thread) into batches;
    yields ``(domain, batch, line numbers of its records)``."""
    threads: dict[str, Thread] = {}
    pending: Batch | None = None
    numbers: list[int] = []
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
                yield DOMAIN_OF[pending.kind], pending, numbers
                if pending.thread is not None and pending.thread is not owner:
                    yield "memory", restore_thread(pending.thread), []
                pending, numbers = None, []
            if kind == "thread":
                if pending is None:
                    threads = {}
                threads[record.id] = record
            if pending is None:
                pending = Batch(kind, [], thread=owner)
            pending.records.append(record)
            numbers.append(number)
    if pending is not None:
        yield DOMAIN_OF[pending.kind], pending, numbers
        if pending.thread is not None:
            yield "memory", restore_thread(pending.thread), []


async def _validate(source: _Input, page_size: int) -> None:
    """The first pass: every line, every record, through the stores' own checks."""
    checker = RecordChecker()
    async for _, batch, numbers in _batches(source, page_size, set()):
        if batch.extra.get("restore"):
            continue  # the thread again, already checked on its own line
        for number, record in zip(numbers, batch.records, strict=True):
            try:
                await checker.check(batch.kind, record)
            except ValidationError as exc:
                raise _invalid(exc.message, number) from None


async def _written(
    source: _Input, page_size: int, skip: set[str]
) -> AsyncIterator[tuple[str, Batch]]:
    async for domain, batch, _ in _batches(source, page_size, skip):
        yield domain, batch


def _check_max_line_bytes(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise ValidationError(
            "max_line_bytes must be an integer >= 1024",
            id="MASTRA_STORAGE_TRANSFER_INVALID_MAX_LINE",
        )
    return value


async def import_jsonl(
    source: str | Path,
    dst: MastraStorage,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: bool = False,
    notice: Notice | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> TransferReport:
    """Load a JSON Lines export into ``dst`` (idempotent: records are upserted).

    Validation before write: the whole file (``-``: stdin, spooled to a private temporary
    file first) is read and checked before the destination is initialised or written;
    any problem raises ``ValidationError`` naming the line, and nothing is written. Lines
    longer than ``max_line_bytes`` (after decompression), JSON nested more than
    ``MAX_JSON_DEPTH`` levels, a damaged or truncated gzip stream and every record the
    destination's domains would refuse are such problems. Then a second pass writes,
    page by page; a destination failure during that pass leaves the pages already
    written (see docs/transfer.md), and re-running the import completes it.
    """
    check_page_size(page_size)
    _check_max_line_bytes(max_line_bytes)
    notice = notice or _stderr_notice
    reader = await anyio.to_thread.run_sync(_Input, source, max_line_bytes)
    try:
        await _validate(reader, page_size)
        await anyio.to_thread.run_sync(reader.rewind)
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
            await pump(_written(reader, page_size, skip), sink, state, report, bar)
        finally:
            bar.finish()
    finally:
        await anyio.to_thread.run_sync(reader.close)
    return report


__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_JSON_DEPTH",
    "export_jsonl",
    "import_jsonl",
]
