"""Open a store that must already exist, for commands that only read (or only prune).

``connect(url)`` builds a store whose first domain access runs ``init()``, which creates a
missing SQLite file, creates tables in an empty PostgreSQL schema and records our schema
version and indexes in a Mastra application's database. A command that reads (``export``,
the source of ``copy``, dry runs) must change nothing, so it opens the store with
:func:`open_existing`: ``init()`` is switched off and the store's own read-only
``doctor()`` decides whether there is anything to read.

A store is refused (nothing created) when its doctor reports a failed ``connectivity`` or
``table`` check (a missing SQLite file or DynamoDB table: ``NotFoundError``; a server that
cannot be reached: ``UnavailableError``) or missing ``tables``/``columns`` (an empty
PostgreSQL schema, a database never initialised by Mastra or by us; reading it would fail
on the first query). A missing schema-version row or missing indexes are not a reason to
refuse: a Mastra application's database has neither and reads fine. MongoDB and Redis
create databases lazily and have no tables, so a mistyped database name or prefix reads
as an empty store; nothing is created there either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import NotFoundError, UnavailableError

if TYPE_CHECKING:
    from .composite import DoctorCheck, DoctorReport, MastraStorage

#: Doctor checks whose failure means there is no store to read.
_MISSING_WHEN_FAILED = ("connectivity", "table", "tables", "columns")


def missing_check(report: DoctorReport) -> DoctorCheck | None:
    """The failed doctor check that means there is nothing to read, or ``None``."""
    for check in report.checks:
        if check.name in _MISSING_WHEN_FAILED and not check.ok:
            return check
    return None


def _unreachable(check: DoctorCheck) -> bool:
    """A failed connectivity check other than "the database file does not exist"."""
    return check.name == "connectivity" and "does not exist" not in check.detail


def raise_if_unreachable(report: DoctorReport, *, label: str, verb: str) -> None:
    """Raise :class:`UnavailableError` when ``report`` says the server cannot be reached.

    The doctor's connectivity check has already waited the client's bounded timeout, so
    a command that ran it reports this instead of connecting (and waiting) again.
    ``verb`` says what the command meant to do (``read``, ``initialise``).
    """
    for check in report.checks:
        if not check.ok and _unreachable(check):
            reason = f"{check.name}: {check.detail}" if check.detail else check.name
            raise UnavailableError(
                f"cannot {verb} {label} ({reason}); nothing was created or changed",
                id="MASTRA_STORAGE_STORE_UNAVAILABLE",
                details={"reason": reason},
            )


async def require_existing(store: MastraStorage, *, label: str) -> None:
    """Switch ``init()`` off on ``store`` and refuse it unless it holds a readable store.

    ``label`` names the store in the error (pass a redacted URL). Never writes: the check
    is the adapter's read-only ``doctor()``. Raises :class:`NotFoundError` (no such file,
    table or tables) or :class:`UnavailableError` (the server cannot be reached).
    """
    store.disable_init = True
    store.read_only = True
    report = await store.doctor()
    raise_if_unreachable(report, label=label, verb="read")
    check = missing_check(report)
    if check is None:
        return
    reason = f"{check.name}: {check.detail}" if check.detail else check.name
    raise NotFoundError(
        f"{label} is not an existing store ({reason}); nothing was created. Commands that "
        "only read never create one: check the URL, or run `mastra-storage init URL`",
        id="MASTRA_STORAGE_STORE_NOT_FOUND",
        details={"reason": reason},
    )


async def open_existing(url: str, *, label: str | None = None, **options: Any) -> MastraStorage:
    """``connect(url, disable_init=True)`` followed by :func:`require_existing`.

    The returned store never creates or migrates anything on its own (its domains are
    read as they are); close it when done. A store that fails the check is closed before
    the :class:`NotFoundError` propagates.
    """
    from .redact import redact_url
    from .registry import connect

    store = connect(url, disable_init=True, **options)
    try:
        await require_existing(store, label=label if label is not None else redact_url(url))
    except BaseException:
        await store.close()
        raise
    return store


__all__ = ["missing_check", "open_existing", "raise_if_unreachable", "require_existing"]
