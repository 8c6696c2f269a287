"""The conformance kit for mastra-storage backends: exactly what a backend author needs.

Every backend, ours and third parties', proves it behaves like Mastra's storage by running
the same suite (the Python port of Mastra's ``@internal/storage-test-utils``, spec section
12). The design follows zarr-python's ``StoreTests``: generic test classes that your test
module subclasses, providing one async fixture, ``storage``, which yields an initialised,
empty, isolated :class:`~mastra_storage.MastraStorage` whose domain stores are composed over
your backends::

    import functools

    import pytest
    from mastra_storage.testing.conformance import StorageConformance
    from mastra_storage.testing.stateful import MemoryStatefulConformance
    from my_backend import MyStorage

    class TestMyStorage(StorageConformance):
        divergences = {"test_metadata_filter_numbers_compare_by_value":
                       "the backend compares JSON numbers as text"}

        @pytest.fixture
        async def storage(self):
            store = MyStorage(url=...)            # a fresh namespace per test
            await store.init()
            yield store
            await store.close()

        @pytest.fixture
        def storage_opener(self):                 # another MastraStorage on the same data
            return functools.partial(MyStorage, url=...)

    class TestMyStorageStateful(MemoryStatefulConformance):
        async def make_storage(self):
            store = MyStorage(url=...)
            await store.init()
            return store

What ships (nothing else does; server launchers, fault proxies and the Node.js cross-read
drivers of this repository's own tests are not part of the package):

* :mod:`mastra_storage.testing.conformance`: the test classes, one per area: memory
  (``ThreadTests``, ``MessageTests``, ``ListTotalTests``, ``UpdateDeleteMessageTests``,
  ``ResourceTests``, ``CloneThreadTests``), ``WorkflowTests``, ``ScoreTests``,
  ``ScoreIdTests``, ``NullRuleTests``, ``ObservabilityTests``, ``CompositeTests`` and
  reliability (``VersionedWriteTests``, ``ConcurrencyTests``, ``HostileInputTests``,
  ``RetentionTests``, ``LifecycleTests``, ``KeyIdentityTests``); the bundles
  ``MemoryConformance``, ``ReliabilityConformance`` and ``StorageConformance`` (everything).
  Subclass only the classes for the domains your storage serves.
* :mod:`mastra_storage.testing.stateful`: ``MemoryStatefulConformance``, a Hypothesis state
  machine that runs random memory operations on your storage and on the in-memory reference
  and requires identical results; implement ``make_storage``
  (``MASTRA_STORAGE_STATEFUL_EXAMPLES`` / ``..._STEPS`` raise the budget).
* :mod:`mastra_storage.testing.vector_conformance`: ``VectorConformance`` for a vector
  store; provide an async ``vector_store`` fixture yielding an empty, isolated store.
* :mod:`mastra_storage.testing.data`: sample-record builders (``sample_thread``,
  ``sample_message`` ...), for your backend's own tests.
* :mod:`mastra_storage.testing.hostile_corpus`: the hostile identifiers, texts and JSON the
  hostile-input tests use, for raw-storage checks of your own.
* :mod:`mastra_storage.testing.processes`: runs workers in separate processes (the
  multi-process concurrency tests use it through ``storage_opener``).
* :mod:`mastra_storage.testing.plugin`: the pytest plugin, registered automatically
  (``mastra_samples`` and ``mastra_memory_state_machine_settings`` fixtures).

Fixtures to provide: ``storage`` (function-scoped, every test expects an empty store; share
expensive resources such as servers and pools through wider-scoped fixtures it depends on)
and, unless the test class sets ``supports_multiprocess = False`` (a store that several
processes cannot open, like the in-memory one), ``storage_opener``: a picklable
zero-argument callable building (without initialising) another storage on the same data.

Capability skips are derived, never declared: a test that needs an optional capability
runs when your backend implements the matching runtime-checkable protocol of
:mod:`mastra_storage.backend.capabilities` (``SupportsResourceMessages``,
``SupportsResourceScan``, ``SupportsResourceDelete``, ``SupportsScoreScan``; checked with
``isinstance`` on the backend, the same check the core makes) and is skipped otherwise, and
the tests of a domain your storage does not serve (say, no observability store) are skipped.
There are no ``supports_*`` capability flags to keep in sync; ``supports_multiprocess`` is the
one test-class setting.

Known divergences: ``divergences = {"test_name": "reason"}`` marks those tests
``xfail(strict=True)``, so they must fail, and the run fails once they pass (a fixed
divergence cannot linger). Unknown names raise ``TypeError`` when the class is created.

The async tests run under anyio's pytest plugin (installed with anyio) on asyncio: the
classes carry the ``anyio`` marker and define ``anyio_backend`` (session scope) returning
``"asyncio"``; override it in your subclass to change that.

This package imports nothing heavy: the test classes (and pytest/hypothesis) load only when
you import :mod:`~mastra_storage.testing.conformance` or :mod:`~mastra_storage.testing.stateful`.
"""
