"""Test infrastructure of this repository only; it is not part of the wheel.

* :mod:`tests.support.servers`: finds or starts the real database servers the adapter tests
  and benchmarks use (``MASTRA_TEST_REQUIRE`` turns a missing one into a failure).
* :mod:`tests.support.faults`: a TCP fault proxy (drop, stall, reset) for the fault tests.
* :mod:`tests.support.node` and :mod:`tests.support.compat`: the Node.js drivers of the
  Mastra cross-read harnesses (``tests/compat/*.mjs``); :mod:`tests.support.compat_dataset`
  is the shared null-rule dataset they read.
* :mod:`tests.support.looplag`: an event-loop lag meter (libSQL loop-lag test, benchmarks).
* :mod:`tests.support.resource_delete`: the shared setup of the adapters' raw
  resource-delete tests.

Third-party backend authors need none of this: :mod:`mastra_storage.testing` ships the
conformance suite. ``tests`` is a namespace package found from the repository root (pytest's
``pythonpath = ["."]``, and the working directory for ``python -m benchmarks``).
"""
