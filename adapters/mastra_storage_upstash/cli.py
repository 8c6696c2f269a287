"""``mastra-storage upstash ...``: maintenance commands of the Upstash/Redis adapter.

``reindex URL`` builds the secondary indexes for data ``@mastra/upstash`` wrote (it scans
the keyspace once; see :mod:`mastra_storage_upstash.reindex`). The token may come from
``--token`` or ``$UPSTASH_REDIS_REST_TOKEN``; it never appears in the output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from mastra_storage.errors import MastraStorageError
from mastra_storage.redact import redact_text

from .reindex import ReindexReport, reindex
from .store import UpstashStore

EXIT_OK, EXIT_ERROR = 0, 2


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Upstash/Redis adapter tools")
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser(
        "reindex",
        help="build the indexes for data written by @mastra/upstash (scans the keyspace once)",
    )
    sub.add_argument(
        "url",
        help="https://X.upstash.io or upstash+https://X.upstash.io (REST, with --token), "
        "redis://, rediss://, upstash://",
    )
    sub.add_argument(
        "--token", default=None, help="Upstash REST token (or $UPSTASH_REDIS_REST_TOKEN)"
    )
    sub.add_argument("--prefix", default="", help="key prefix the store uses (default: none)")
    return parser


async def _run(url: str, token: str | None, prefix: str) -> ReindexReport:
    store = UpstashStore(url, token, prefix=prefix)
    try:
        return await reindex(store.db)
    finally:
        await store.close()


def main(argv: list[str], prog: str = "mastra-storage upstash") -> int:
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
