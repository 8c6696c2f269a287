"""What every conformance test class shares: capability checks, divergences, domain access.

Capabilities are never declared by the test class: they are read off the storage under
test with the same checks the core makes (``isinstance`` of the backend against the
protocols of :mod:`mastra_storage.backend.capabilities`; a domain the storage does not
serve), so a skip cannot disagree with what the store does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest

from ...backend.capabilities import SupportsResourceMessages
from ...composite import MastraStorage
from ...domains.memory import MemoryStore
from ...domains.observability import ObservabilityStore
from ...domains.scores import ScoresStore
from ...domains.workflows import WorkflowsStore

_ORIGINAL = "_mastra_divergence_original"


def _xfail_copy(func: Callable[..., Any], reason: str) -> Callable[..., Any]:
    """A copy of the test ``func`` marked strict-xfail (the original stays unmarked)."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await func(*args, **kwargs)

        wrapper: Callable[..., Any] = async_wrapper
    else:

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        wrapper = sync_wrapper
    wrapper.__dict__.pop("pytestmark", None)
    marks = list(getattr(func, "pytestmark", []))
    wrapper.pytestmark = marks  # type: ignore[attr-defined]
    setattr(wrapper, _ORIGINAL, func)
    marked: Callable[..., Any] = pytest.mark.xfail(strict=True, reason=f"divergence: {reason}")(
        wrapper
    )
    return marked


class DivergenceMixin:
    """Lets an adapter mark known divergences from the contract as strict xfail.

    ``divergences = {"test_name": "why"}`` on the adapter's subclass turns each named test
    into ``xfail(strict=True)``: it must fail (if it starts passing, the run fails, so a fixed
    divergence cannot linger). Unknown names raise ``TypeError`` at class creation.
    """

    divergences: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wanted = dict(cls.divergences)
        for name in dir(cls):
            if not name.startswith("test"):
                continue
            current = getattr(cls, name)
            original = getattr(current, _ORIGINAL, None)
            if original is not None and name not in wanted:
                setattr(cls, name, original)
        unknown = sorted(
            name
            for name in wanted
            if not name.startswith("test") or not callable(getattr(cls, name, None))
        )
        if unknown:
            raise TypeError(f"{cls.__name__}.divergences names unknown tests: {unknown}")
        for name, reason in wanted.items():
            current = getattr(cls, name)
            base = getattr(current, _ORIGINAL, current)
            setattr(cls, name, _xfail_copy(base, reason))


def resource_scoped_queries(memory: object) -> bool:
    """Whether ``list_messages_by_resource_id`` works on this memory domain: a core
    :class:`MemoryStore` when its backend implements
    :class:`~mastra_storage.backend.SupportsResourceMessages` (else it raises
    ``NotSupportedError``); a custom domain object offers the whole public API."""
    if isinstance(memory, MemoryStore):
        return isinstance(memory.backend, SupportsResourceMessages)
    return True


async def has_observability(storage: MastraStorage) -> bool:
    """Whether the storage serves the observability domain (tracing spans)."""
    return await storage.get_store("observability") is not None


class ConformanceBase(DivergenceMixin):
    """Base of every conformance test class.

    Subclasses (the adapter's test classes) provide one fixture, ``storage``: an async
    fixture yielding an initialised, empty, isolated :class:`MastraStorage`. A test that
    needs an optional capability asks the storage (:func:`resource_scoped_queries`,
    :func:`has_observability`) and is skipped when it is absent.
    """

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    #: Several processes can open the same data (false for the in-memory store). When true,
    #: the adapter's test class must provide the ``storage_opener`` fixture.
    supports_multiprocess: ClassVar[bool] = True

    @pytest.fixture(scope="session")
    @classmethod
    def anyio_backend(cls) -> str:
        """The suite runs on asyncio (it uses ``asyncio.gather``); override to change."""
        return "asyncio"

    # ---- domain access ------------------------------------------------------------------

    @staticmethod
    async def memory(storage: MastraStorage) -> MemoryStore:
        return await storage.require_store("memory")

    @staticmethod
    async def workflows(storage: MastraStorage) -> WorkflowsStore:
        return await storage.require_store("workflows")

    @staticmethod
    async def scores(storage: MastraStorage) -> ScoresStore:
        return await storage.require_store("scores")

    @staticmethod
    async def optional_domain(storage: MastraStorage, name: str) -> Any:
        """The storage's domain ``name``; skips the test when the storage serves none."""
        domain = await storage.get_store(name)
        if domain is None:
            pytest.skip(f"the storage has no {name} domain")
        return domain

    @classmethod
    async def observability(cls, storage: MastraStorage) -> ObservabilityStore:
        """The observability domain; skips the test when the storage serves none."""
        domain: ObservabilityStore = await cls.optional_domain(storage, "observability")
        return domain

    @staticmethod
    async def observability_or_none(storage: MastraStorage) -> ObservabilityStore | None:
        """The observability domain, or ``None`` where the storage serves none (for tests
        that cover every domain the storage has instead of skipping)."""
        return await storage.get_store("observability")

    @pytest.fixture
    def storage_opener(self) -> Callable[[], MastraStorage]:
        """A picklable zero-argument callable that builds (without initialising) another
        :class:`MastraStorage` on the same data as ``storage``, for tests that run several
        processes or reopen the store (``functools.partial(StoreClass, *args, **kwargs)``).

        Adapters whose test class sets ``supports_multiprocess = True`` override this
        fixture; the default fails loudly so a missing override cannot pass unnoticed.
        """
        if not self.supports_multiprocess:
            pytest.skip("adapter declares supports_multiprocess = False")
        raise NotImplementedError(
            f"{type(self).__name__} must override the storage_opener fixture "
            "(or set supports_multiprocess = False)"
        )

    @staticmethod
    def require_resource_scoped_queries(memory: object) -> None:
        """Skip unless the memory domain lists a resource's messages across threads."""
        if not resource_scoped_queries(memory):
            pytest.skip("the memory backend has no SupportsResourceMessages capability")


__all__ = ["ConformanceBase", "DivergenceMixin", "has_observability", "resource_scoped_queries"]
