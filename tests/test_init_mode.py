"""``init_mode`` in the core (issue 16 point 9): ``"verify"`` runs the read-only doctor and
never the adapter's migration; a failed non-advisory check raises SchemaMismatchError."""

from __future__ import annotations

import pytest

from mastra_storage.composite import DoctorCheck, DoctorReport, MastraStorage
from mastra_storage.errors import ConfigurationError, SchemaMismatchError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Store(MastraStorage):
    """A store whose doctor reports ``checks`` and which counts migrations."""

    def __init__(self, checks: list[DoctorCheck], **options: object) -> None:
        super().__init__(id="probe", **options)  # type: ignore[arg-type]
        self.checks = checks
        self.migrations = 0

    async def _initialize(self) -> None:
        self.migrations += 1

    async def doctor(self) -> DoctorReport:
        return DoctorReport(store="Probe", checks=list(self.checks))


async def test_verify_raises_naming_the_failed_checks_and_never_migrates() -> None:
    store = _Store(
        [
            DoctorCheck(name="connectivity", ok=True),
            DoctorCheck(name="indexes", ok=False, detail="missing: idx_a"),
            DoctorCheck(name="statistics", ok=False, detail="never analyzed"),
        ],
        init_mode="verify",
    )
    with pytest.raises(SchemaMismatchError) as caught:
        await store.init()
    assert "indexes: missing: idx_a" in caught.value.message
    assert "statistics" not in caught.value.message  # advisory
    assert store.migrations == 0 and not store.initialized


async def test_verify_passes_when_only_advisory_checks_fail() -> None:
    store = _Store([DoctorCheck(name="schema_version", ok=False)], init_mode="verify")
    await store.init()
    assert store.initialized and store.migrations == 0


async def test_migrate_is_the_default() -> None:
    store = _Store([DoctorCheck(name="indexes", ok=False)])
    await store.init()
    assert store.migrations == 1


def test_unknown_init_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        _Store([], init_mode="readonly")
