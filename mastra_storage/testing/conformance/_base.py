"""What every conformance test class shares: capability flags, divergences, domain access."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest

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


class ConformanceBase(DivergenceMixin):
    """Base of every conformance test class.

    Subclasses (the adapter's test classes) provide one fixture, ``storage``: an async
    fixture yielding an initialised, empty, isolated :class:`MastraStorage`. Capability flags
    are class attributes; a test that needs a capability the adapter declares absent is
    skipped, and a dedicated test checks that the flag tells the truth.
    """

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    #: The store has an observability domain (tracing spans).
    supports_observability: ClassVar[bool] = True
    #: ``list_messages_by_resource_id`` works (else it raises ``NotSupportedError``).
    supports_resource_scoped_queries: ClassVar[bool] = True
    #: ``list_scores_by_span`` works (else it raises ``NotSupportedError``).
    supports_list_scores_by_span: ClassVar[bool] = True
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

    async def observability(self, storage: MastraStorage) -> ObservabilityStore:
        if not self.supports_observability:
            pytest.skip("adapter declares supports_observability = False")
        return await storage.require_store("observability")

    async def observability_or_none(self, storage: MastraStorage) -> ObservabilityStore | None:
        """The observability domain, or ``None`` where the adapter declares none (for
        tests that cover every domain the adapter has instead of skipping)."""
        if not self.supports_observability:
            return None
        return await storage.require_store("observability")

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

    def require(self, capability: str) -> None:
        """Skip unless the class flag ``supports_<capability>`` is true."""
        if not getattr(self, f"supports_{capability}"):
            pytest.skip(f"adapter declares supports_{capability} = False")


__all__ = ["ConformanceBase", "DivergenceMixin"]
