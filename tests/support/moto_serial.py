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

Usage: ``python -m tests.support.moto_serial HOST PORT``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any


def main() -> None:
    """Serve moto on ``HOST PORT`` until killed."""
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
