"""Test kit for mastra-storage adapters: the shared conformance suite and its helpers.

Every adapter, ours and third parties', proves it behaves like Mastra's storage by running
the same suite (the Python port of Mastra's ``@internal/storage-test-utils``, spec section
12). The design follows zarr-python's ``StoreTests``: generic test classes that an adapter's
test module subclasses, providing one async fixture, ``storage``, which yields an
initialised, empty, isolated :class:`~mastra_storage.MastraStorage`::

    import pytest
    from mastra_storage.testing.conformance import StorageConformance
    from mastra_storage.testing.stateful import MemoryStatefulConformance
    from my_adapter import MyStore

    class TestMyStore(StorageConformance):
        supports_observability = False           # capability flags (see below)
        divergences = {"test_metadata_filter_numbers_compare_by_value":
                       "the backend compares JSON numbers as text"}

        @pytest.fixture
        async def storage(self):
            store = MyStore(url=...)              # a fresh namespace per test
            await store.init()
            yield store
            await store.close()

    class TestMyStoreStateful(MemoryStatefulConformance):
        async def make_storage(self):
            store = MyStore(url=...)
            await store.init()
            return store

Modules:

* :mod:`mastra_storage.testing.conformance`: the test classes (``ThreadTests``,
  ``MessageTests``, ``UpdateDeleteMessageTests``, ``ResourceTests``, ``CloneThreadTests``,
  ``WorkflowTests``, ``ScoreTests``, ``ObservabilityTests``, ``CompositeTests``), plus
  ``MemoryConformance`` (all memory classes) and ``StorageConformance`` (everything).
  Subclass only the classes for the domains your adapter implements.
* :mod:`mastra_storage.testing.stateful`: a Hypothesis state machine that runs random memory
  operations on your adapter and on the in-memory reference store and requires identical
  results (``MASTRA_STORAGE_STATEFUL_EXAMPLES`` / ``..._STEPS`` raise the budget).
* :mod:`mastra_storage.testing.data`: sample-record builders (``sample_thread`` ...).
* :mod:`mastra_storage.testing.servers`: real database servers for adapter tests.
* :mod:`mastra_storage.testing.plugin`: the pytest plugin (``mastra_samples`` fixture).

Capability flags (class attributes; a test needing a missing capability is skipped, and a
dedicated test checks the flag against the store):

* ``supports_observability`` (default ``True``): the store has an observability domain.
* ``supports_resource_scoped_queries`` (``True``): ``list_messages_by_resource_id`` works;
  ``False`` requires it to raise ``NotSupportedError``.
* ``supports_list_scores_by_span`` (``True``): likewise for ``list_scores_by_span``.

Concurrency tests of the workflows domain follow ``workflows.supports_concurrent_updates()``.

Known divergences: ``divergences = {"test_name": "reason"}`` marks those tests
``xfail(strict=True)``, so they must fail, and the run fails once they pass (a fixed
divergence cannot linger). Unknown names raise ``TypeError`` when the class is created.

The async tests run under anyio's pytest plugin (installed with anyio) on asyncio: the
classes carry the ``anyio`` marker and define ``anyio_backend`` (session scope) returning
``"asyncio"``; override it in your subclass to change that. The ``storage`` fixture must be
function-scoped (every test expects an empty store); share expensive resources (servers,
pools) through wider-scoped fixtures it depends on.

This package imports nothing heavy: the test classes (and pytest/hypothesis) load only when
you import :mod:`~mastra_storage.testing.conformance` or :mod:`~mastra_storage.testing.stateful`.
"""
