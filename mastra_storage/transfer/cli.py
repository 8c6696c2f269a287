"""The ``copy``, ``export`` and ``import`` commands of ``mastra-storage``.

``mastra_storage.cli`` registers them with :func:`add_commands` and hands over with
:func:`execute` (errors, interruptions and URL redaction are handled there, as for every
command). Exit codes: 0 done and counts match, 1 count mismatch, 2 error, 130
interrupted. ``open_store`` is the URL -> store factory (tests substitute it to reach
isolated stores).

Only destinations are created or migrated: the source of ``copy`` and ``export`` is
checked with :func:`mastra_storage.existing.require_existing` (``init()`` off, a missing
store is an error) and only read. A local database file the command creates as a
destination is created with mode ``0600`` first.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..composite import MastraStorage
from ..errors import ValidationError
from ..existing import require_existing
from ..redact import redact_url
from ..registry import connect
from .batch import DEFAULT_PAGE_SIZE
from .files import create_private_file, local_file_path, refuse_existing
from .progress import ProgressDisplay

if TYPE_CHECKING:
    from .copy import TransferReport

PROG = "mastra-storage"
COMMANDS = ("copy", "export", "import")
open_store: Callable[[str], MastraStorage] = connect


def add_commands(commands: Any) -> None:
    """Add the three sub-commands to ``mastra-storage``'s sub-parser action."""
    copy = commands.add_parser(
        "copy",
        help="copy every domain from one store to another (resumable, idempotent)",
        description="Copy threads, messages, resources, workflow runs, scores and traces "
        "page by page, then check every page's count in the destination (exit 1 on a "
        "mismatch). Re-running gives the same destination; --checkpoint/--resume continue "
        "an interrupted copy.",
    )
    copy.add_argument("src", metavar="SRC_URL", help="store to read (never changed)")
    copy.add_argument("dst", metavar="DST_URL", help="store to write (created or migrated)")
    copy.add_argument("--checkpoint", metavar="FILE", help="resume file (written per page)")
    copy.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    export = commands.add_parser(
        "export",
        help="write every record to JSON Lines (.gz: gzip)",
        description="Write every record of the store at URL to FILE as JSON Lines "
        "(gzip when FILE ends in .gz); the store is only read.",
    )
    export.add_argument("src", metavar="URL", help="store to read (never changed)")
    export.add_argument("file", metavar="FILE", help="output file, '-' for stdout")
    export.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (default: refuse)"
    )
    imp = commands.add_parser(
        "import",
        help="load a JSON Lines export into a store",
        description="Check the whole file first (every record through the store's own "
        "validation), then write; a bad file writes nothing.",
    )
    imp.add_argument("file", metavar="FILE", help="input file, '-' for stdin")
    imp.add_argument("dst", metavar="URL", help="store to write (created or migrated)")
    imp.add_argument(
        "--max-line-bytes",
        type=int,
        default=None,
        metavar="N",
        help="longest accepted line, after decompression (default: 64 MiB)",
    )
    for parser in (copy, export, imp):
        parser.add_argument(
            "--page-size", type=int, default=DEFAULT_PAGE_SIZE, help="records per page"
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show progress on stderr (default: on a terminal, a bar with totals, rate "
            "and ETA; elsewhere a plain line every 10 s)",
        )


def _report(command: str, report: TransferReport) -> int:
    for kind, (source, found) in report.counts.items():
        print(f"{kind}: {source} read, {found} in destination", file=sys.stderr)
    if command != "export" and not report.ok:
        for kind, (source, found) in report.mismatches().items():
            print(
                f"{PROG} {command}: error: count check failed for {kind}: "
                f"{source} read, {found} found in the destination",
                file=sys.stderr,
            )
        return 1
    return 0


async def source_totals(store: MastraStorage) -> dict[str, int]:
    """Records per kind the source holds, where one count query tells (threads, workflow
    runs); the progress display's ETA needs them. A count that fails is left out."""
    totals: dict[str, int] = {}
    with contextlib.suppress(Exception):
        memory = await store.get_store("memory")
        if memory is not None:
            threads = (await memory.list_threads(per_page=1)).total
            if threads is not None:
                totals["thread"] = threads
    with contextlib.suppress(Exception):
        workflows = await store.get_store("workflows")
        if workflows is not None:
            runs = (await workflows.list_workflow_runs(page=0, per_page=1)).total
            if runs is not None:
                totals["workflow_run"] = runs
    return totals


async def open_source(url: str) -> MastraStorage:
    """The store at ``url``, to be read only: never initialised, refused when missing."""
    store = open_store(url)
    try:
        await require_existing(store, label=redact_url(url))
    except BaseException:
        await store.close()
        raise
    return store


def open_destination(url: str) -> tuple[MastraStorage, Path | None]:
    """The store at ``url``, to be written (``init()`` creates or migrates it), and the
    local database file created for it (mode ``0600``), if any."""
    path = local_file_path(url)
    if path is not None:
        require_directory(path)
    created = path if path is not None and create_private_file(path) else None
    try:
        return open_store(url), created
    except BaseException:
        _discard_if_untouched(created)
        raise


def require_directory(path: Path) -> None:
    """Raise one clear :class:`ValidationError` when ``path``'s directory does not exist
    (a database file would be created there; directories are never created)."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ValidationError(
            f"directory {directory} does not exist (for database file {path}); "
            "create it first or fix the URL",
            id="MASTRA_CLI_NO_DIRECTORY",
            details={"path": str(path)},
        )


def _discard_if_untouched(created: Path | None) -> None:
    """A destination file this command created but never wrote (the input was refused
    first) is removed, so a refused import leaves nothing behind."""
    if created is not None:
        with contextlib.suppress(OSError):
            if created.stat().st_size == 0:
                created.unlink()


async def execute(args: argparse.Namespace) -> int:
    """Run ``copy``/``export``/``import``; returns the exit code (1: a count mismatch)."""
    from .copy import copy_storage  # the engine loads only when a transfer command runs
    from .jsonl import export_jsonl, import_jsonl

    if args.command == "copy" and args.resume and not args.checkpoint:
        raise ValidationError("--resume needs --checkpoint FILE", id="MASTRA_CLI_COPY_RESUME")
    progress = bool(args.progress or sys.stderr.isatty())
    command: str = args.command
    if command == "copy":
        src = await open_source(args.src)
        try:
            dst, created = open_destination(args.dst)
        except BaseException:
            await src.close()
            raise
        try:
            display = ProgressDisplay(totals=await source_totals(src)) if progress else False
            report = await copy_storage(
                src,
                dst,
                page_size=args.page_size,
                checkpoint=args.checkpoint,
                resume=args.resume,
                progress=display,
                source_label=redact_url(args.src),
                destination_label=redact_url(args.dst),
            )
        except BaseException:
            await dst.close()
            _discard_if_untouched(created)
            raise
        finally:
            await src.close()
            await dst.close()
    elif command == "export":
        if args.file != "-" and not args.force:
            refuse_existing(Path(args.file))  # before the source is even opened
        src = await open_source(args.src)
        try:
            report = await export_jsonl(
                src,
                args.file,
                source_label=redact_url(args.src),
                page_size=args.page_size,
                progress=progress,
                overwrite=args.force,
            )
        finally:
            await src.close()
    else:
        limits = {} if args.max_line_bytes is None else {"max_line_bytes": args.max_line_bytes}
        dst, created = open_destination(args.dst)
        try:
            report = await import_jsonl(
                args.file, dst, page_size=args.page_size, progress=progress, **limits
            )
        except BaseException:
            await dst.close()
            _discard_if_untouched(created)
            raise
        finally:
            await dst.close()
    return _report(command, report)
