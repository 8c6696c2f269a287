"""The ``mastra-storage`` command line: demo, init, doctor, errors and URL redaction.

The libSQL tests need the ``mastra_storage_libsql`` adapter (extra ``libsql``); without it
they skip, or fail when ``MASTRA_TEST_REQUIRE`` names ``libsql``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import cli
from mastra_storage.cli import main
from mastra_storage.composite import DoctorCheck, DoctorReport
from mastra_storage.errors import UnavailableError
from mastra_storage.redact import redact_text, redact_url

CONVERSATION_SNIPPETS = (
    "long weekend in Lisbon",
    "Is Sintra worth a day trip",
    "I'm vegetarian",
    "Vegan Food Project",
)


@pytest.fixture
def libsql() -> None:
    """Skip (or fail, when required) unless the libSQL adapter is importable."""
    if importlib.util.find_spec("mastra_storage_libsql") is None:
        from tests.support.servers import skip_or_fail

        skip_or_fail(
            "libsql",
            "mastra_storage_libsql is not importable: pip install -e '.[libsql]'",
        )


def _assert_demo_output(text: str) -> None:
    for snippet in CONVERSATION_SNIPPETS:
        assert snippet in text
    assert "user" in text
    assert "assistant" in text
    assert "Conversation (6 messages" in text
    assert "trip-planner" in text
    assert "status      success" in text
    assert "collect-preferences (success), draft-itinerary (success)" in text
    assert "answer-relevancy" in text
    assert "0.92" in text
    assert text.rstrip().splitlines()[-1].startswith("Done in ")


# --------------------------------------------------------------------------- demo


def test_demo_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", "memory://"]) == 0
    captured = capsys.readouterr()
    _assert_demo_output(captured.out)
    assert "demo-user now has 1 demo thread(s)" in captured.out
    assert captured.err == ""


def test_demo_messages_are_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", "memory://"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(s) for s in CONVERSATION_SNIPPETS]
    assert positions == sorted(positions)


@pytest.mark.usefixtures("libsql")
def test_demo_default_url_creates_mastra_db_and_reruns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    first = capsys.readouterr()
    assert (tmp_path / "mastra.db").is_file()
    _assert_demo_output(first.out)
    assert "new file" in first.out
    assert "demo-user now has 1 demo thread(s)" in first.out

    # Fresh ids per run: a second run adds a second thread and still shows 6 messages.
    assert main(["demo"]) == 0
    second = capsys.readouterr()
    _assert_demo_output(second.out)
    assert "existing file" in second.out
    assert "demo-user now has 2 demo thread(s)" in second.out
    assert second.err == ""


@pytest.mark.usefixtures("libsql")
def test_demo_explicit_file_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "nested name" / "x.db"
    db.parent.mkdir()
    assert main(["demo", "--url", f"file:{db}"]) == 0
    assert db.is_file()
    _assert_demo_output(capsys.readouterr().out)


def _console_script() -> str:
    script = Path(sys.executable).with_name("mastra-storage")
    if script.exists():
        return str(script)
    pytest.fail(f"console script not installed next to {sys.executable}: pip install -e .")


@pytest.mark.usefixtures("libsql")
def test_console_script_demo_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTRA_STORAGE")}
    result = subprocess.run(
        [_console_script(), "demo"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mastra.db").is_file()
    _assert_demo_output(result.stdout)
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- init / doctor


@pytest.mark.usefixtures("libsql")
def test_init_then_doctor_on_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "app.db"
    url = f"file:{db}"
    assert main(["init", url]) == 0
    out = capsys.readouterr().out
    assert db.is_file()
    assert "created" in out
    version = _line_value(out, "version")
    assert version and version != "not recorded by this adapter"

    assert main(["init", url]) == 0  # warm init: nothing to do
    out = capsys.readouterr().out
    assert "already up to date" in out
    assert _line_value(out, "version") == version
    took = _line_value(out, "took")
    if took and "statement" in took:  # warm init: at most 3 statements (issue 2, item 9)
        assert int(took.split(", ")[1].split()[0]) <= 3

    assert main(["doctor", url]) == 0
    out = capsys.readouterr().out
    assert "result: ok" in out
    assert "FAIL" not in out
    assert f"schema_version  version {version}" in out


@pytest.mark.usefixtures("libsql")
def test_init_adopts_a_database_without_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    driver: Any = importlib.import_module("libsql")
    db = tmp_path / "plain.db"
    conn = driver.connect(str(db))
    conn.execute("CREATE TABLE unrelated (x INTEGER)")
    conn.commit()
    conn.close()
    assert main(["doctor", f"file:{db}"]) == 1  # no version row yet
    assert "FAIL  schema_version" in capsys.readouterr().out
    assert main(["init", f"file:{db}"]) == 0
    out = capsys.readouterr().out
    assert "created the schema" in out  # none of our tables were there
    assert "existing tables kept" not in out
    assert main(["doctor", f"file:{db}"]) == 0


@pytest.mark.usefixtures("libsql")
def test_doctor_after_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"file:{tmp_path / 'mastra.db'}"
    assert main(["demo", "--url", url]) == 0
    capsys.readouterr()
    assert main(["doctor", url]) == 0
    assert "result: ok" in capsys.readouterr().out


@pytest.mark.usefixtures("libsql")
def test_doctor_missing_file_reports_and_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "absent.db"
    assert main(["doctor", f"file:{db}"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert "does not exist" in out
    assert "mastra-storage init URL" in out
    assert not db.exists()


def test_doctor_in_memory_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "memory://"]) == 0
    out = capsys.readouterr().out
    assert "ok    domains" in out
    assert "result: ok" in out


def test_init_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "memory://"]) == 0
    assert "InMemoryStore" in capsys.readouterr().out


class _StubStore:
    name = "StubStore"

    def __init__(self, report: DoctorReport | None = None, error: Exception | None = None):
        self.report = report
        self.error = error
        self.closed = False

    async def doctor(self) -> DoctorReport:
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report

    async def init(self) -> None:
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        self.closed = True


def test_doctor_not_ok_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = DoctorReport(
        store="StubStore",
        checks=[
            DoctorCheck(name="connectivity", ok=True, detail="connected"),
            DoctorCheck(name="indexes", ok=False, detail="missing: idx_threads_resource_id"),
        ],
    )
    stub = _StubStore(report)
    monkeypatch.setattr(cli, "connect", lambda url, **_: stub)
    assert main(["doctor", "memory://"]) == 1
    out = capsys.readouterr().out
    assert "ok    connectivity  connected" in out
    assert "FAIL  indexes       missing: idx_threads_resource_id" in out
    assert "result: 1 problem(s)" in out
    assert stub.closed


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("command", ["init", "doctor"])
def test_backend_error_is_one_clean_redacted_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://app:hunter2secret@db.internal:5432/agents?sslmode=require"
    cause = OSError(f"connect to {url} failed, password hunter2secret rejected")
    error = UnavailableError(f"cannot reach {url}", id="MASTRA_STORAGE_PG_UNAVAILABLE")
    error.__cause__ = cause
    stub = _StubStore(error=error)
    monkeypatch.setattr(cli, "connect", lambda u, **_: stub)
    assert main([command, url]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(
        f"mastra-storage {command}: error: cannot reach postgresql://app:***@"
    )
    assert "hunter2secret" not in captured.err
    assert "hunter2secret" not in captured.out
    assert "Traceback" not in captured.err
    assert stub.closed


def test_unknown_scheme_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "nosuchdb://x"]) == 2
    captured = capsys.readouterr()
    expected = "mastra-storage init: error: unknown storage URL scheme 'nosuchdb:'; valid schemes:"
    assert captured.err.strip().startswith(expected)
    assert captured.err.count("\n") == 1


def test_missing_extra_names_it_without_secret(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "mongodb://root:t0ps3cret@127.0.0.1:1/db"])
    captured = capsys.readouterr()
    assert "t0ps3cret" not in captured.err + captured.out
    if code == 2:  # the mongodb adapter does not exist yet
        assert "mastra-storage[mongodb]" in captured.err
        assert len(captured.err.strip().splitlines()) == 1


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["init"]) == 2
    assert main(["frobnicate"]) == 2
    assert "usage: mastra-storage" in capsys.readouterr().err


def test_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "mastra-storage 0." in capsys.readouterr().out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "init", "doctor"):
        assert command in out


def test_cli_imports_no_driver() -> None:
    code = (
        "import sys, mastra_storage.cli; "
        "bad = [m for m in ('libsql', 'asyncpg', 'pymongo', 'aioboto3', 'redis', 'sqlite3') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:./mastra.db", "file:./mastra.db"),
        (":memory:", ":memory:"),
        ("memory://", "memory://"),
        ("postgresql://app:s3cret@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        (
            "mongodb://u:p%40ss@h1:1,h2:2/db?replicaSet=rs",
            "mongodb://u:***@h1:1,h2:2/db?replicaSet=rs",
        ),
        ("libsql://db.turso.io?authToken=abc.def", "libsql://db.turso.io?authToken=***"),
        ("https://x.upstash.io?token=T0K&db=1", "https://x.upstash.io?token=***&db=1"),
        ("dynamodb://key:secretkey@localhost:8000", "dynamodb://key:***@localhost:8000"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_scrubs_embedded_urls_and_bare_secrets() -> None:
    url = "postgresql://app:s3cretpw@db/x"
    text = f"failed: {url}; server said password 's3cretpw' is wrong; also redis://:zz9@h"
    cleaned = redact_text(text, url)
    assert "s3cretpw" not in cleaned
    assert "zz9" not in cleaned
    assert "postgresql://app:***@db/x" in cleaned
    assert redact_text("authToken=eyJhbGciOi rest") == "authToken=*** rest"


def test_file_path_parsing() -> None:
    fp = cli._file_path
    assert fp("file:./mastra.db") == Path("./mastra.db")
    assert fp("file:mastra.db?mode=rwc") == Path("mastra.db")
    assert fp("file:///tmp/a%20b.db") == Path("/tmp/a b.db")
    assert fp("file://localhost/tmp/a.db") == Path("/tmp/a.db")
    assert fp("file::memory:") is None
    assert fp(":memory:") is None
    assert fp("memory://") is None
    assert fp("postgresql://h/db") is None


def _line_value(out: str, label: str) -> Any:
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] == label:
            return parts[1].strip()
    return None
