"""``mastra-storage dynamodb ...``: table tools (the core CLI hands over to :func:`main`).

``create-table URL [--ttl-attribute NAME]`` provisions the table, its GSIs and TTL.

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
    args = parser.parse_args(argv)
    try:
        for line in asyncio.run(_create_table(args.url, args.ttl_attribute)):
            print(line)
    except MastraStorageError as exc:
        text = " ".join(redact_text(str(exc), args.url).split())
        print(f"{prog} {args.command}: error: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


__all__ = ["main"]
