"""``mastra-storage upstash ...``: maintenance commands of the Upstash/Redis adapter.

``reindex URL`` builds the secondary indexes for data ``@mastra/upstash`` wrote (it scans
the keyspace once; see :mod:`mastra_storage_upstash.reindex`). The token may come from
``--token`` or ``$UPSTASH_REDIS_REST_TOKEN``; it never appears in the output.

The store (and so ``redis``/``httpx``) is imported only when a command runs, so ``--help``
works without the ``upstash`` extra; the core checks the driver before handing over.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from mastra_storage.errors import MastraStorageError
from mastra_storage.redact import redact_text

if TYPE_CHECKING:
    from .reindex import ReindexReport

EXIT_OK, EXIT_ERROR = 0, 2


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Upstash/Redis adapter tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub = commands.add_parser(
        "reindex",
        help="build the indexes for data written by @mastra/upstash (scans the keyspace once)",
        description="Build the secondary indexes this adapter needs for data written by "
        "@mastra/upstash (scans the keyspace once; idempotent).",
    )
    sub.add_argument(
        "url",
        metavar="URL",
        help="https://X.upstash.io or upstash+https://X.upstash.io (REST, with --token), "
        "redis://, rediss://, upstash://",
    )
    sub.add_argument(
        "--token", default=None, help="Upstash REST token (or $UPSTASH_REDIS_REST_TOKEN)"
    )
    sub.add_argument("--prefix", default="", help="key prefix the store uses (default: none)")
    return parser


async def _run(url: str, token: str | None, prefix: str) -> ReindexReport:
    # Imported here so that `--help` needs neither the adapter's driver nor its modules.
    from .reindex import reindex
    from .store import UpstashStore

    store = UpstashStore(url, token, prefix=prefix)
    try:
        return await reindex(store.db)
    finally:
        await store.close()


def main(argv: list[str], prog: str = "mastra-storage upstash") -> int:
    """Parse ``argv`` and run the command; returns the exit code (0 ok, 2 error). Errors
    are one line on stderr with the URL's and the token's secrets replaced."""
    args = _parser(prog).parse_args(argv)
    token = args.token
    if token is None and args.url.startswith(("http://", "https://", "upstash+http")):
        token = os.environ.get("UPSTASH_REDIS_REST_TOKEN")
    try:
        report = asyncio.run(_run(args.url, token, args.prefix))
    except MastraStorageError as exc:
        print(f"{prog} reindex: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # driver errors: show them without secrets
        text = redact_text(f"{type(exc).__name__}: {exc}", args.url)
        if token:
            text = text.replace(token, "***")
        print(f"{prog} reindex: error: {text}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"reindexed {report.threads} threads, {report.messages} messages, "
        f"{report.workflow_runs} workflow runs, {report.scores} scores"
    )
    for line in report.skipped:
        print(f"skipped {line}")
    return EXIT_OK


__all__ = ["main"]
