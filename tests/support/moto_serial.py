"""moto's server in a process of its own, answering one request at a time.

Why its own process: run as a thread of the test process (``ThreadedMotoServer``), moto's
request handling competes with the test's event loop for one GIL, so every DynamoDB test
pays for the server's Python on the same core, and the loop stalls while moto works.

Why one request at a time: moto's transactions are not atomic against concurrent
requests (it checks every condition, then applies the writes, with no lock held), so two
transactions racing on one item can both succeed where DynamoDB lets one of them fail:
a message append racing ``delete_thread`` then re-created the deleted thread. Real
DynamoDB serialises the transactions on an item; serialising moto's requests gives the
tests that guarantee. Connections are still served on threads, so a client that never
reads its reply (the fault proxy) does not hold the others up.

It also backs each table up once per transaction instead of once per action
(:func:`speed_up_moto_transactions`): without that, a 20-message batch took over a second
on a table of 1,500 items, past the one-second client timeout of the fault tests.

Usage: ``python -m tests.support.moto_serial HOST PORT``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any


def speed_up_moto_transactions() -> None:
    """Make in-process moto back up each table once per transaction, not once per action.

    moto 5.2.5's ``transact_write_items`` deep-copies the whole table for *every* action
    (its rollback backup), so a 100-action transaction on a 200-item table took about 10 s
    here. The shim memoises that copy per table within one call (thread-local, so the
    server's request threads stay independent); what the transaction does is unchanged.
    It must run in the process that serves moto: this module's :func:`main` applies it.
    """
    try:
        import copy
        import functools
        import threading

        from moto.dynamodb import models
    except ImportError:  # pragma: no cover - moto absent: the fixtures skip anyway
        return
    if getattr(models, "_mastra_tx_shim", False):
        return
    local = threading.local()
    table_class = getattr(models, "Table")  # noqa: B009 - not re-exported for mypy

    class CopyShim:
        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        def deepcopy(self, obj: Any, memo: Any = None) -> Any:
            cache = getattr(local, "cache", None)
            if cache is not None and isinstance(obj, table_class):
                if id(obj) not in cache:
                    cache[id(obj)] = copy.deepcopy(obj)
                return cache[id(obj)]
            return copy.deepcopy(obj, memo)

    original = models.DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: Any) -> Any:
        local.cache = {}
        try:
            return original(self, transact_items)
        finally:
            local.cache = None

    setattr(models, "copy", CopyShim())  # noqa: B010 - replaces moto's module global
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models._mastra_tx_shim = True  # type: ignore[attr-defined]


def main() -> None:
    """Serve moto on ``HOST PORT`` until killed."""
    speed_up_moto_transactions()
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # it logs every request
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            # The whole body is produced under the lock: a lazy iterable would run the
            # rest of the request after it is released.
            return list(app(environ, start_response))

    make_server(
        host, port, serialised, threaded=True, request_handler=MotoRequestHandler
    ).serve_forever()


if __name__ == "__main__":
    main()
