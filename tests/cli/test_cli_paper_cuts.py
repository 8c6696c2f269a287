"""The command line's help, error paths and paper cuts: adapter tools from the specs,
missing extras, progress, paths, pipes, dates, doctor hints, bounded connection errors."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mastra_storage import cli, registry
from mastra_storage.cli import doctor_hints, main
from mastra_storage.cli_prune import parse_age
from mastra_storage.composite import DoctorCheck, DoctorReport
from mastra_storage.errors import ConfigurationError, ValidationError
from mastra_storage.registry import AdapterSpec
from mastra_storage.transfer.progress import Progress, ProgressDisplay, ProgressEvent

HAS_LIBSQL = importlib.util.find_spec("mastra_storage_libsql") is not None
needs_libsql = pytest.mark.skipif(not HAS_LIBSQL, reason="libsql adapter not installed")


def _run(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mastra_storage", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


# --------------------------------------------------------------------------- help


def _subcommands() -> list[list[str]]:
    parser = cli._parser()
    found: list[list[str]] = []
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name in action.choices or ():
            found.append([name])
    tools = cli.adapter_tools()
    for name in tools:
        found.append([name, "COMMANDS"])
    return found


def test_every_command_and_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [c[0] for c in _subcommands()]
    assert {"demo", "init", "doctor", "schema", "copy", "export", "import", "prune"} <= set(
        commands
    )
    for name in commands:
        assert main([name, "--help"]) == 0, name
        out = capsys.readouterr().out
        assert out.startswith(f"usage: mastra-storage {name}"), name
    assert main(["dynamodb", "create-table", "--help"]) == 0
    assert "--ttl-attribute" in capsys.readouterr().out
    assert main(["upstash", "reindex", "--help"]) == 0
    assert "--prefix" in capsys.readouterr().out


def test_dynamodb_and_upstash_help_subprocess() -> None:
    for name, word in (("dynamodb", "create-table"), ("upstash", "reindex")):
        result = _run(name, "--help")
        assert result.returncode == 0, result.stderr
        assert word in result.stdout
        assert result.stderr == ""


def test_python_dash_m_runs_the_cli() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("mastra-storage 0.")


# --------------------------------------------------------------------------- registry


def test_adapter_tools_come_from_the_specs_and_the_core_names_no_adapter() -> None:
    tools = cli.adapter_tools()
    assert tools["dynamodb"].cli == "mastra_storage_dynamodb.cli:main"
    assert tools["upstash"].cli_help
    for module in ("cli.py", "registry.py"):
        text = (Path(cli.__file__).parent / module).read_text()
        assert "mastra_storage_dynamodb" not in text and "mastra_storage_upstash" not in text
        assert "KNOWN_SCHEMES" not in text and "ADAPTER_TOOLS" not in text


def test_spec_rejects_malformed_fields() -> None:
    with pytest.raises(ConfigurationError):
        AdapterSpec(name="x", schemes=("X",), target="m:f")
    with pytest.raises(ConfigurationError):
        AdapterSpec(name="x", schemes=("x",), target="m:f", cli="nocolon")


def test_scheme_typo_lists_valid_schemes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "postgress://u:pw@h/db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown storage URL scheme 'postgress:'" in err
    assert "did you mean 'postgres:'?" in err
    assert "postgresql:" in err and "memory:" in err and "sqlite:" in err
    assert "pw" not in err.replace("postgress", "")


def _fake_spec(monkeypatch: pytest.MonkeyPatch, **fields: object) -> AdapterSpec:
    spec = AdapterSpec(
        name="fakedb",
        schemes=("fakedb",),
        target="mastra_storage_fakedb_absent.store:Store.from_url",
        extra="fakedb",
        drivers=("fakedb_driver_that_does_not_exist",),
        cli="mastra_storage_fakedb_absent.cli:main",
        cli_help="fake tools",
        **fields,
    )
    scan = dict(registry._scan_adapters())
    scan["fakedb"] = spec
    monkeypatch.setattr(registry, "_scan_adapters", lambda: scan)
    return spec


def test_missing_extra_for_an_adapter_tool_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_spec(monkeypatch)
    assert main(["fakedb", "create-table", "fakedb://t"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(
        "mastra-storage fakedb: error: the fakedb adapter needs the "
        "'fakedb_driver_that_does_not_exist' package: pip install 'mastra-storage[fakedb]'"
    )
    assert "Traceback" not in captured.err


def test_missing_dynamodb_driver_for_create_table_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = importlib.import_module

    def no_aioboto3(name: str, package: str | None = None) -> object:
        if name == "aioboto3":
            raise ModuleNotFoundError("No module named 'aioboto3'", name="aioboto3")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", no_aioboto3)
    assert main(["dynamodb", "create-table", "dynamodb://t?region=us-east-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pip install 'mastra-storage[dynamodb]'" in err and "aioboto3" in err


def test_missing_extra_on_connect_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_spec(monkeypatch)
    with pytest.raises(Exception, match=r"mastra-storage\[fakedb\]"):
        registry.connect("fakedb://x")


# --------------------------------------------------------------------------- init / paths


@needs_libsql
def test_init_sqlite_three_slashes_is_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "sqlite:///./s3.db"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "s3.db").is_file()
    assert f"created s3.db ({tmp_path / 's3.db'})" in " ".join(out.split())
    assert " /s3.db" not in out


@needs_libsql
def test_a_long_path_is_never_split_across_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wrapped output keeps a path whole (on a line of its own when it is too long), so it
    can be copied from the terminal; it used to break at a hyphen of the path."""
    deep = tmp_path / ("a-long-directory-name-" * 4) / "with-hyphens-and-more-hyphens"
    deep.mkdir(parents=True)
    target = deep / "s3.db"
    assert main(["init", f"file:{target}"]) == 0
    out = capsys.readouterr().out
    report = out[out.index("  action") :]  # the command line echoed above is not wrapped
    assert any(str(target) in line for line in report.splitlines()), out


@needs_libsql
@pytest.mark.parametrize("url", ["file:{d}/nodir/x.db", "sqlite:///{d}/nodir/x.db"])
def test_missing_directory_is_one_clear_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (
        ["init"],
        ["demo", "--url"],
        [
            "import",
            "-",
        ],
    ):
        argv = [*command, url.format(d=tmp_path)]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"directory {tmp_path}/nodir does not exist" in err
        # no raw SQLite error code (14: SQLITE_CANTOPEN); the path itself may hold digits
        # (pytest's "pytest-14" base directory failed this once)
        assert err.count("init") <= 1 and "14" not in err.replace(str(tmp_path), "<tmp>")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    asyncpg = pytest.importorskip("asyncpg")
    name = f"cli_empty_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {exc}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_init_on_an_empty_postgres_database_says_it_created_the_schema(
    empty_pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", empty_pg_url]) == 0
    out = capsys.readouterr().out
    assert "existing tables kept" not in out
    assert "created the schema (tables and indexes)" in out
    assert main(["init", empty_pg_url]) == 0
    assert "already up to date" in capsys.readouterr().out


# --------------------------------------------------------------------------- pipes


def test_demo_into_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mastra_storage", "demo", "--url", "memory://"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the demo prints
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == cli.EXIT_BROKEN_PIPE
    assert err == "", err


# --------------------------------------------------------------------------- prune dates


def test_older_than_accepts_a_date_and_durations() -> None:
    assert parse_age("2026-11-01") == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert parse_age("30d") == timedelta(days=30)
    assert parse_age("2026-11-01T12:00:00+02:00") == datetime(
        2026, 11, 1, 10, 0, tzinfo=timezone.utc
    )
    with pytest.raises(ValidationError, match="calendar date"):
        parse_age("2026-02-30")
    with pytest.raises(ValidationError):
        parse_age("2026-11-01T00:00:00")  # a naive datetime stays refused


@needs_libsql
def test_prune_with_a_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"file:{tmp_path / 'p.db'}"
    assert main(["init", url]) == 0
    capsys.readouterr()
    assert main(["prune", url, "--older-than", "2026-11-01", "--dry-run"]) == 0
    assert '"dry_run": true' in capsys.readouterr().out


# --------------------------------------------------------------------------- doctor hints


def _report(*checks: tuple[str, bool, str]) -> DoctorReport:
    return DoctorReport(
        store="S", checks=[DoctorCheck(name=n, ok=ok, detail=d) for n, ok, d in checks]
    )


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ('connect failed: password authentication failed for user "app"', "credentials"),
        ('connect failed: role "***" does not exist', "credentials"),
        ("database unavailable: [Errno -2] Name or service not known", "host name"),
        ("mongodb://h/db: no answer within 5 s", "did not answer"),
        ("[Errno 111] Connection refused", "did not answer"),
        ("permission denied for schema public", "permission"),
        ("file:./x.db: database file does not exist", "init URL` creates it"),
        ('connect failed: database "nodb" does not exist', "create the database"),
    ],
)
def test_doctor_hint_matches_a_connection_failure(detail: str, expected: str) -> None:
    hints = doctor_hints(_report(("connectivity", False, detail)))
    assert len(hints) == 1 and expected in hints[0], hints
    if expected in ("credentials", "host name", "did not answer", "permission"):
        assert "init" not in hints[0]


def test_doctor_hint_for_missing_tables_is_init() -> None:
    hints = doctor_hints(
        _report(("connectivity", True, "ok"), ("tables", False, "missing: mastra_threads"))
    )
    assert hints == ["`mastra-storage init URL` creates or upgrades the schema"]
    assert doctor_hints(_report(("connectivity", True, "ok"))) == []


def test_doctor_prints_the_matched_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stub:
        name = "Stub"

        async def doctor(self) -> DoctorReport:
            return _report(("connectivity", False, "[Errno -2] Name or service not known"))

        async def close(self) -> None:
            pass

    monkeypatch.setattr(cli, "connect", lambda url, **_: Stub())
    assert main(["doctor", "postgresql://u@nohost.invalid/db"]) == 1
    out = capsys.readouterr().out
    assert "hint: the host name does not resolve" in out
    assert "init URL" not in out


# --------------------------------------------------------------------------- progress


def test_progress_callback_receives_events() -> None:
    events: list[ProgressEvent] = []
    bar = Progress("copy", enabled=events.append)
    bar.add("thread", 2)
    bar.add("message", 5)
    bar.finish()
    assert [(e.kind, e.added) for e in events] == [("thread", 2), ("message", 5), ("", 0)]
    assert events[-1].finished and events[-1].counts == {"thread": 2, "message": 5}


def test_plain_progress_writes_lines_without_carriage_returns() -> None:
    stream = io.StringIO()
    display = ProgressDisplay(stream=stream, totals={"thread": 4}, tty=False, interval=0.0)
    bar = Progress("copy", enabled=display)
    bar.add("thread", 2)
    bar.add("thread", 2)
    bar.finish()
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("copy: threads 2/4 (") and "records/s" in lines[0]
    assert "ETA" in lines[0]
    assert lines[-1].startswith("copy: threads 4/4") and lines[-1].endswith("done)")


def test_plain_progress_is_periodic() -> None:
    stream = io.StringIO()
    bar = Progress("export", enabled=ProgressDisplay(stream=stream, tty=False, interval=3600))
    for _ in range(100):
        bar.add("message", 10)
    bar.finish()
    assert stream.getvalue().count("\n") == 1  # only the final line within the interval


def test_terminal_progress_shows_total_rate_and_eta() -> None:
    stream = io.StringIO()
    bar = Progress("copy", enabled=ProgressDisplay(stream=stream, totals={"thread": 10}, tty=True))
    bar.add("thread", 5)
    bar.add("thread", 5)
    bar.add("message", 3)
    bar.finish()
    text = stream.getvalue()
    assert "copy threads" in text and "10/10" in text
    assert "it/s" in text or "thread/s" in text
    assert "copy messages" in text


@needs_libsql
def test_copy_api_takes_a_progress_callback(tmp_path: Path) -> None:
    from mastra_storage.registry import connect
    from mastra_storage.testing.data import sample_message, sample_thread
    from mastra_storage.transfer.copy import copy_storage

    async def go() -> list[ProgressEvent]:
        events: list[ProgressEvent] = []
        async with connect("memory://") as src, connect(f"file:{tmp_path / 'd.db'}") as dst:
            memory = await src.require_store("memory")
            thread = await memory.save_thread(sample_thread(id="t1", resource_id="r"))
            await memory.save_messages([sample_message(thread=thread)])
            report = await copy_storage(src, dst, progress=events.append)
            assert report.ok
        return events

    events = asyncio.run(go())
    assert events[-1].finished
    assert events[-1].counts.get("thread") == 1 and events[-1].counts.get("message") == 1


@needs_libsql
def test_copy_progress_on_a_pipe_is_plain(tmp_path: Path) -> None:
    src = tmp_path / "s.db"
    assert _run("demo", "--url", f"file:{src}").returncode == 0
    result = _run("copy", f"file:{src}", f"file:{tmp_path / 'd.db'}", "--progress")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    assert "copy: threads 1/1" in result.stderr and "done)" in result.stderr


# --------------------------------------------------------------------------- bounded errors


@pytest.mark.skipif(importlib.util.find_spec("pymongo") is None, reason="pymongo not installed")
def test_unreachable_mongodb_is_a_bounded_one_line_error(tmp_path: Path) -> None:
    started = datetime.now()
    result = _run("init", "mongodb://127.0.0.1:1/db", timeout=60)
    took = (datetime.now() - started).total_seconds()
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Topology Description" not in lines[0]
    assert len(lines[0]) < 300, lines[0]
    assert took < 12, took  # one bounded attempt (5 s) plus start-up, not two
