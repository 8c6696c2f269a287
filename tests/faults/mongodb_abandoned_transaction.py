"""A transaction whose client vanished keeps its write lock; killSessions releases it.

Standalone (pymongo only). Run against any MongoDB-compatible server that supports
transactions:

    python tests/faults/mongodb_abandoned_transaction.py URI [kill|wait|idle]

A child process starts a transaction, updates document ``{_id: 1}`` and exits without
commit, abort or endSessions (what a cut network link looks like to the server).  Then a
fresh client writes the same document:

* ``kill`` (default): a transaction conflicts (WriteConflict 112), a plain write waits
  (bounded here by timeoutMS=3000); after ``killSessions`` on the abandoned session id
  the write goes through at once.
* ``wait``: a plain write bounded at 90 s, i.e. past mongod's 60 s
  ``transactionLifetimeLimitSeconds``, after which mongod aborts the transaction.
* ``idle``: nothing touches the document for 65 s, then a transaction writes it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pymongo
from bson import Binary
from pymongo.errors import PyMongoError

CHILD = r"""
import os, sys, pymongo
client = pymongo.MongoClient(sys.argv[1])
session = client.start_session()
session.start_transaction()
client.abandoned_demo.docs.update_one({"_id": 1}, {"$set": {"v": 1}}, session=session)
print(session.session_id["id"].hex(), flush=True)
os._exit(0)  # the link dies: no commit, no abort, no endSessions
"""


def timed_write(client: pymongo.MongoClient, label: str, *, transaction: bool) -> None:
    started = time.monotonic()
    try:
        if transaction:
            with client.start_session() as session, session.start_transaction():
                client.abandoned_demo.docs.update_one(
                    {"_id": 1}, {"$inc": {"v": 10}}, session=session
                )
        else:
            client.abandoned_demo.docs.update_one({"_id": 1}, {"$inc": {"v": 10}})
        outcome = "ok"
    except PyMongoError as exc:
        outcome = f"{type(exc).__name__} (code {getattr(exc, 'code', None)})"
    print(f"{label}: {outcome} after {time.monotonic() - started:.2f} s")


def main() -> None:
    uri, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "kill")
    setup = pymongo.MongoClient(uri)
    setup.abandoned_demo.docs.drop()
    setup.abandoned_demo.docs.insert_one({"_id": 1, "v": 0})
    lsid = subprocess.run(
        [sys.executable, "-c", CHILD, uri], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"abandoned session {lsid}")
    if mode == "idle":
        time.sleep(65)
        timed_write(
            pymongo.MongoClient(uri, timeoutMS=5000),
            "transaction after 65 s idle",
            transaction=True,
        )
        return
    if mode == "wait":
        timed_write(
            pymongo.MongoClient(uri, timeoutMS=90_000),
            "plain write (90 s bound)",
            transaction=False,
        )
        return
    fresh = pymongo.MongoClient(uri, timeoutMS=3000)
    timed_write(fresh, "transaction", transaction=True)
    timed_write(fresh, "plain write (3 s bound)", transaction=False)
    fresh.admin.command("killSessions", [{"id": Binary(bytes.fromhex(lsid), 4)}])
    print("killSessions sent")
    timed_write(fresh, "plain write after killSessions", transaction=False)
    print("document:", fresh.abandoned_demo.docs.find_one({"_id": 1}))


if __name__ == "__main__":
    main()
