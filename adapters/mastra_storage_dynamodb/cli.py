"""``mastra-storage dynamodb ...``: table tools (the core CLI hands over to :func:`main`).

``create-table URL [--ttl-attribute NAME]`` provisions the table, its GSIs and TTL.
``backfill-resource-index TABLE [--batch N] [--max-items N] [--max-writes-per-second R]
[--restart]`` indexes messages a Mastra app wrote, resumably (:mod:`.resource_index`).

The store (and so ``aioboto3``) is imported only when a command runs, so ``--help`` works
without the ``dynamodb`` extra; the core checks the driver before handing a command over.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from mastra_storage.errors import MastraStorageError
from mastra_storage.redact import redact_text


async def _create_table(url: str, ttl_attribute: str | None) -> list[str]:
    # Imported here so that `--help` needs neither the adapter's driver nor its modules.
    from .store import DynamoDBStore

    ttl = {"thread": {"enabled": True, "attribute_name": ttl_attribute}} if ttl_attribute else None
    store = DynamoDBStore.from_url(url, ttl=ttl)
    try:
        return await store.create_table()
    finally:
        await store.close()


async def _backfill(
    target: str, batch: int, max_items: int | None, rate: float | None, restart: bool
) -> list[str]:
    from .resource_index import backfill_resource_index
    from .store import DynamoDBStore

    url = target if "://" in target else f"dynamodb://{target}"
    store = DynamoDBStore.from_url(url)
    try:
        report = await backfill_resource_index(
            store.table,
            batch=batch,
            max_items=max_items,
            max_writes_per_second=rate,
            restart=restart,
        )
    finally:
        await store.close()
    status = (
        "complete: resource-scoped queries are enabled"
        if report.done
        else "stopped at --max-items; run the command again to resume"
    )
    return [
        f"{'resumed' if report.resumed else 'started'} pass: {report.messages} messages "
        f"in {report.pages} pages, {report.updated} indexed, {report.skipped} changed "
        "concurrently (left to their writer)",
        f"{report.requests} requests, {report.read_units:g} RCU, {report.write_units:g} WCU, "
        f"{report.seconds:.1f} s",
        status,
    ]


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def main(argv: list[str], prog: str = "mastra-storage dynamodb") -> int:
    """Parse ``argv`` and run the command; returns the exit code (0 ok, 2 error, 130
    interrupted). Errors are one line on stderr with the URL's secrets replaced."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="DynamoDB table tools for the table Mastra's @mastra/dynamodb uses.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    create = commands.add_parser(
        "create-table",
        help="create the table, gsi1..gsi7 and (optionally) TTL; idempotent",
        description="Create the single table @mastra/dynamodb expects (pk/sk, gsi1..gsi7, "
        "projection ALL, on-demand billing). An existing table is checked, not changed.",
    )
    create.add_argument("url", metavar="URL", help="dynamodb://TABLE?region=...&endpoint=...")
    create.add_argument(
        "--ttl-attribute",
        metavar="NAME",
        help="enable DynamoDB TTL on this attribute (Mastra's default name is 'ttl')",
    )
    backfill = commands.add_parser(
        "backfill-resource-index",
        help="index messages a Mastra app wrote by resource (resumable, idempotent)",
        description="Scan the table's messages and give each one that lacks it the "
        "message-by-resource index entry (gsi2) this SDK maintains, one conditional update "
        "per message. Progress is checkpointed in the table after every page: run again to "
        "resume. When a pass ends, resource-scoped queries are enabled. Region, endpoint "
        "and credentials come from the URL and the AWS environment.",
    )
    backfill.add_argument(
        "table", metavar="TABLE", help="table name or dynamodb://TABLE?region=...&endpoint=..."
    )
    backfill.add_argument(
        "--batch", type=_positive_int, default=100, metavar="N", help="items per scan page"
    )
    backfill.add_argument(
        "--max-items",
        type=_positive_int,
        metavar="N",
        help="stop after about N messages (resume later)",
    )
    backfill.add_argument(
        "--max-writes-per-second",
        type=_positive_float,
        metavar="R",
        help="pace the index updates (default: no pacing)",
    )
    backfill.add_argument(
        "--restart", action="store_true", help="start a new pass instead of resuming"
    )
    args = parser.parse_args(argv)
    url = args.url if args.command == "create-table" else args.table
    try:
        if args.command == "create-table":
            lines = asyncio.run(_create_table(args.url, args.ttl_attribute))
        else:
            lines = asyncio.run(
                _backfill(
                    args.table, args.batch, args.max_items, args.max_writes_per_second, args.restart
                )
            )
        for line in lines:
            print(line)
    except MastraStorageError as exc:
        text = " ".join(redact_text(str(exc), url).split())
        print(f"{prog} {args.command}: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["main"]
