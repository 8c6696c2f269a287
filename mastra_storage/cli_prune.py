"""The ``prune`` and ``delete-resource`` commands of ``mastra-storage``.

For backends that do not expire data natively (libSQL, PostgreSQL, MongoDB, in-memory) a
retention policy is applied by running ``mastra-storage prune URL --older-than 30d`` on a
schedule (cron, a Kubernetes CronJob). The result is one JSON line of counts on stdout.

Neither command creates or migrates a store: the URL is opened with
:func:`mastra_storage.existing.open_existing` (``init()`` off; a missing database, file or
table is a one-line error, exit 2), and ``--dry-run`` only reads.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import msgspec

from .errors import MastraStorageError, ValidationError
from .existing import open_existing
from .prune import PrunePolicy
from .retention import RetentionResult, delete_resource, prune
from .timeutil import parse_iso

PROG = "mastra-storage"
COMMANDS = ("prune", "delete-resource")
KINDS = ("threads", "messages", "runs", "traces", "experiments")
#: ``--kind`` -> the composite prune's policy key.
_PRUNE_KEYS = {
    "threads": "threads",
    "messages": "messages",
    "runs": "workflow_runs",
    "traces": "traces",
    "experiments": "experiments",
}
#: Kinds whose domain a store may lack (pruned by default only where it has it).
_OPTIONAL_KINDS = {"traces": "observability", "experiments": "experiments"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"(\d{1,18})([smhdw])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_age(text: str) -> datetime | timedelta:
    """``30d``/``12h``/``15m``/``45s``/``2w`` (an age), a date ``2026-11-01`` (its midnight
    UTC) or an ISO datetime with an offset; anything else is a :class:`ValidationError`."""
    match = _AGE.fullmatch(text.strip())
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds <= 0:
            raise ValidationError("--older-than must be a positive age", id="MASTRA_CLI_PRUNE_AGE")
        try:
            return timedelta(seconds=seconds)
        except OverflowError:
            raise ValidationError(
                "--older-than reaches before year 1", id="MASTRA_CLI_PRUNE_AGE"
            ) from None
    if _DATE.fullmatch(text.strip()):
        try:
            day = date.fromisoformat(text.strip())
        except ValueError as exc:
            raise ValidationError(
                f"--older-than: {text.strip()!r} is not a calendar date",
                id="MASTRA_CLI_PRUNE_AGE",
            ) from exc
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    try:
        if datetime.fromisoformat(text.strip()).tzinfo is None:
            raise ValueError("naive")
        return parse_iso(text, field="--older-than")
    except (MastraStorageError, ValueError) as exc:
        raise ValidationError(
            f"--older-than must be an age like 30d/12h/2w, a date like 2026-11-01 (midnight "
            f"UTC) or an ISO datetime with a UTC offset (got {text!r})",
            id="MASTRA_CLI_PRUNE_AGE",
        ) from exc


def add_commands(commands: Any) -> None:
    """Add ``prune`` and ``delete-resource`` to ``mastra-storage``'s sub-parser action."""
    p = commands.add_parser(
        "prune",
        help="delete threads, messages and workflow runs older than an age (retention)",
        description="Delete what is older than --older-than: threads not updated since "
        "(with their messages), messages created before it, workflow runs not updated since, "
        "traces whose root span started before it, experiments completed before it (with "
        'their results). Deletes in batches; "done": false means run it again. '
        "Prints the counts as JSON; --dry-run only counts.",
    )
    p.add_argument("url", metavar="URL", help="storage URL of an existing store")
    p.add_argument(
        "--older-than",
        required=True,
        metavar="AGE",
        help="an age (30d, 12h, 2w), a date (2026-11-01: midnight UTC) or an ISO datetime "
        "with an offset",
    )
    p.add_argument(
        "--kind",
        action="append",
        choices=KINDS,
        help="what to prune (repeatable; default: all, traces only where the store has them)",
    )
    p.add_argument("--status", action="append", help="only workflow runs with this status")
    p.add_argument("--resource", metavar="ID", help="only this resource's data")
    p.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="records per delete batch (default 500)",
    )
    p.add_argument(
        "--max-batches",
        type=int,
        metavar="N",
        help='stop each kind after N batches ("done": false in the output: run again)',
    )
    d = commands.add_parser(
        "delete-resource",
        help="delete every thread, message, workflow run and the working memory of a resource",
        description="Delete everything stored for RESOURCE_ID (threads with their messages, "
        "workflow runs, working memory). Prints the counts as JSON; --dry-run only counts.",
    )
    d.add_argument("url", metavar="URL", help="storage URL of an existing store")
    d.add_argument("resource_id", metavar="RESOURCE_ID", help="the resource (user) id")
    d.add_argument("--dry-run", action="store_true", help="count, delete nothing")


async def _composite_prune(
    storage: Any, age: datetime | timedelta, kinds: set[str], args: argparse.Namespace
) -> dict[str, Any]:
    """The deleting run: ``storage.prune`` (batched, resumable), its counts in the same
    JSON keys as the dry run, plus ``experiments`` and ``done``."""
    if isinstance(args.batch_size, bool) or args.batch_size < 1:
        raise ValidationError("--batch-size must be positive", id="MASTRA_CLI_PRUNE_BATCH")
    cutoff: dict[str, Any] = {"max_age": age} if isinstance(age, timedelta) else {"before": age}
    policies = {
        _PRUNE_KEYS[k]: PrunePolicy(batch_size=args.batch_size, **cutoff) for k in sorted(kinds)
    }
    results = await storage.prune(
        policies,
        max_batches=args.max_batches,
        workflow_statuses=args.status,
        resource_id=args.resource,
    )
    by_table = {r.table: r.deleted for r in results}
    return {
        "dry_run": False,
        "threads": by_table.get("mastra_threads", 0),
        "messages": by_table.get("mastra_messages", 0),
        "workflow_runs": by_table.get("mastra_workflow_snapshot", 0),
        "traces": by_table.get("mastra_ai_spans", 0),
        "experiments": by_table.get("mastra_experiments", 0),
        "experiment_results": by_table.get("mastra_experiment_results", 0),
        "resources": 0,
        "vectors_cleared": False,
        "done": all(r.done for r in results),
    }


async def execute(args: argparse.Namespace) -> int:
    """Run ``prune``/``delete-resource``; the counts go to stdout as one JSON line."""
    age = parse_age(args.older_than) if args.command == "prune" else None
    storage = await open_existing(args.url)
    result: RetentionResult | dict[str, Any]
    try:
        if age is None:
            result = await delete_resource(storage, args.resource_id, dry_run=args.dry_run)
        else:
            kinds = set(args.kind or KINDS)
            if not args.kind:
                for kind, domain in _OPTIONAL_KINDS.items():
                    if await storage.get_store(domain) is None:
                        kinds.discard(kind)  # e.g. DynamoDB/Upstash: no traces to prune
            if args.dry_run:  # counting only: the read-only walk of the retention module
                result = await prune(
                    storage,
                    threads_older_than=age if "threads" in kinds else None,
                    messages_older_than=age if "messages" in kinds else None,
                    workflow_runs_older_than=age if "runs" in kinds else None,
                    traces_older_than=age if "traces" in kinds else None,
                    workflow_statuses=args.status,
                    resource_id=args.resource,
                    dry_run=True,
                )
            else:
                result = await _composite_prune(storage, age, kinds, args)
    finally:
        await storage.close()
    print(json.dumps(msgspec.to_builtins(result), sort_keys=True))
    return 0
