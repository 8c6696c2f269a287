"""The ``mastra-storage`` command line: ``demo``, ``init URL``, ``doctor URL`` and adapter tools.

Adapter tools (``mastra-storage dynamodb ...``) come from the installed adapter specs
(:attr:`mastra_storage.registry.AdapterSpec.cli`); this module names no adapter.

Only the standard library and ``mastra_storage`` itself are imported here; a database driver
is loaded lazily by :func:`mastra_storage.connect` when a command opens a store, so
``mastra-storage --help`` works whatever extras are installed.

Exit codes: 0 success, 1 ``doctor`` found a problem or a ``copy``/``import`` count check
failed, 2 error (bad arguments, unreachable or broken store), 130 interrupted. An error is
printed as one line on stderr, with any password or token of the URLs replaced by ``***``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from . import __version__, cli_prune
from .composite import DoctorReport, MastraStorage
from .errors import MastraStorageError
from .existing import raise_if_unreachable
from .records import Message, MessageContent, Score, ScorePayload, Thread
from .redact import redact_text, redact_url
from .registry import AdapterSpec, connect, installed_specs
from .timeutil import to_epoch_ms, utc_now
from .transfer import cli as transfer_cli
from .transfer.files import create_private_file, local_file_path

PROG = "mastra-storage"
DEFAULT_DEMO_URL = "file:./mastra.db"
DEMO_RESOURCE_ID = "demo-user"
DEMO_WORKFLOW = "trip-planner"
DEMO_AGENT = "travel-agent"
DEMO_SCORER = "answer-relevancy"

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
#: A reader closed our stdout (``demo | head``): what a shell reports for SIGPIPE.
EXIT_BROKEN_PIPE = 141

# --------------------------------------------------------------------------- output helpers


class _Out:
    """Plain-text output: aligned columns, wrapped to the terminal, no colour."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = max(60, min(110, shutil.get_terminal_size((100, 24)).columns))

    def line(self, text: str = "") -> None:
        print(text, file=self.stream)

    def field(self, label: str, value: str, *, indent: int = 2, label_width: int = 12) -> None:
        prefix = " " * indent + label.ljust(label_width)
        self.wrapped(prefix, value)

    def wrapped(self, prefix: str, text: str) -> None:
        """``prefix`` then ``text`` wrapped so continuation lines align under the text."""
        width = max(self.width - len(prefix), 30)
        chunks: list[str] = []
        for paragraph in text.splitlines() or [""]:
            # A path or URL longer than the line stays whole on a line of its own: split
            # at a hyphen or mid-word, it could not be copied back from the terminal.
            chunks.extend(
                textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False)
                or [""]
            )
        pad = " " * len(prefix)
        for i, chunk in enumerate(chunks):
            self.line((prefix if i == 0 else pad) + chunk)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _clock(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _file_path(url: str) -> Path | None:
    """The local path of a ``file:`` / ``sqlite:`` URL (``None`` for ``:memory:`` and others)."""
    return local_file_path(url)


def _connect_creating(url: str, path: Path | None) -> MastraStorage:
    """``connect(url)`` for a command that may create the store (``init``, ``demo``): a new
    local database file is created with mode ``0600`` first (SQLite would use 0644)."""
    if path is not None:
        transfer_cli.require_directory(path)
        create_private_file(path)
    return connect(url)


def _shown_path(path: Path) -> str:
    """``path`` as the URL wrote it, with the absolute path when it was relative."""
    absolute = path.resolve()
    return str(path) if path.is_absolute() else f"{path} ({absolute})"


_VERSION_IN_TEXT = re.compile(r"\bversion (\d+)")


async def _schema_version(store: MastraStorage) -> int | None:
    """The schema version recorded in the store, or ``None`` (none recorded, or the adapter
    keeps none). An adapter may expose ``schema_version`` (attribute, method or coroutine);
    otherwise the ``schema_version`` check of its read-only ``doctor()`` report is used."""
    value: Any = getattr(store, "schema_version", None)
    if callable(value):
        value = value()
    if isinstance(value, Awaitable):
        value = await value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    report = await store.doctor()
    for check in report.checks:
        if check.name == "schema_version":
            match = _VERSION_IN_TEXT.search(check.detail)
            return int(match[1]) if match else None
    return None


def _store_label(store: MastraStorage) -> str:
    return getattr(store, "name", None) or type(store).__name__


# --------------------------------------------------------------------------- demo

_CONVERSATION: tuple[tuple[str, str], ...] = (
    (
        "user",
        "Hi! I have a long weekend in Lisbon in early May. I like food and viewpoints, "
        "and I'd rather not spend all day on trams. What should I plan?",
    ),
    (
        "assistant",
        "Lisbon in May is lovely: warm days, cool evenings. Day 1: Alfama and the "
        "Miradouro de Santa Luzia in the morning, lunch at a tasca, sunset at "
        "Miradouro da Senhora do Monte. Day 2: Belem (pasteis de nata, the monastery, "
        "the riverside walk to LX Factory). Day 3: Chiado and Bairro Alto on foot, "
        "dinner at Time Out Market if you like variety.",
    ),
    ("user", "Sounds great. Is Sintra worth a day trip, or is it too much for three days?"),
    (
        "assistant",
        "It is worth it if you go early: the train from Rossio takes about 40 minutes. "
        "Swap Day 3 for Sintra (Pena Palace first, then Quinta da Regaleira) and fold "
        "Chiado into the evening of Day 1. Book the Pena Palace tickets online; the "
        "timed slots sell out on long weekends.",
    ),
    ("user", "Perfect, please remember that I'm vegetarian when you suggest restaurants."),
    (
        "assistant",
        "Noted, I'll keep that in your working memory. For vegetarian food: Ao 26 "
        "Vegan Food Project in Chiado, Jardim das Cerejas near Rossio for a buffet lunch, "
        "and most tascas will do a vegetable soup and grilled vegetables if you ask.",
    ),
)


def _demo_records(suffix: str, now: datetime) -> tuple[Thread, list[Message]]:
    thread = Thread(
        id=f"demo-thread-{suffix}",
        resource_id=DEMO_RESOURCE_ID,
        title="Weekend in Lisbon",
        created_at=now,
        updated_at=now,
        metadata={"source": "mastra-storage demo", "agent": DEMO_AGENT},
    )
    messages = [
        Message(
            id=f"demo-msg-{suffix}-{i + 1}",
            role="user" if role == "user" else "assistant",
            created_at=now + timedelta(seconds=7 * i),
            thread_id=thread.id,
            resource_id=DEMO_RESOURCE_ID,
            content=MessageContent.text(text),
        )
        for i, (role, text) in enumerate(_CONVERSATION)
    ]
    return thread, messages


def _demo_snapshot(run_id: str, started: datetime) -> dict[str, Any]:
    t0 = to_epoch_ms(started)
    itinerary = {"days": ["Alfama + viewpoints", "Belem + LX Factory", "Sintra"], "diet": "veg"}
    return {
        "runId": run_id,
        "status": "success",
        "value": {},
        "context": {
            "input": {"city": "Lisbon", "days": 3, "month": "May"},
            "collect-preferences": {
                "status": "success",
                "payload": {"city": "Lisbon"},
                "output": {"likes": ["food", "viewpoints"], "diet": "vegetarian"},
                "startedAt": t0,
                "endedAt": t0 + 180,
            },
            "draft-itinerary": {
                "status": "success",
                "payload": {"likes": ["food", "viewpoints"]},
                "output": itinerary,
                "startedAt": t0 + 180,
                "endedAt": t0 + 2350,
            },
        },
        "serializedStepGraph": [
            {"type": "step", "step": {"id": "collect-preferences"}},
            {"type": "step", "step": {"id": "draft-itinerary"}},
        ],
        "activePaths": [],
        "activeStepsPath": {},
        "suspendedPaths": {},
        "resumeLabels": {},
        "waitingPaths": {},
        "result": itinerary,
        "requestContext": {},
        "timestamp": t0 + 2350,
    }


def _demo_score(run_id: str, thread: Thread, messages: list[Message]) -> ScorePayload:
    return ScorePayload(
        scorer_id=DEMO_SCORER,
        entity_id=DEMO_AGENT,
        entity_type="AGENT",
        entity={"id": DEMO_AGENT, "name": "Travel agent"},
        run_id=run_id,
        score=0.92,
        source="LIVE",
        scorer={
            "id": DEMO_SCORER,
            "name": "Answer relevancy",
            "description": "How well the answer addresses the user's question",
        },
        input=[m.to_dict() for m in messages[-2:-1]],
        output=messages[-1].to_dict(),
        reason="Addresses the vegetarian constraint with concrete, nearby places.",
        thread_id=thread.id,
        resource_id=thread.resource_id,
    )


async def _demo(url: str, out: _Out) -> int:
    started = time.perf_counter()
    suffix = uuid.uuid4().hex[:8]  # fresh ids per run: re-running adds one more thread
    run_id = f"demo-run-{suffix}"
    now = utc_now()
    thread, messages = _demo_records(suffix, now)
    path = _file_path(url)
    existed = path is not None and path.exists()

    store = _connect_creating(url, path)
    try:
        await store.init()
        t_init = time.perf_counter()

        memory = await store.require_store("memory")
        workflows = await store.require_store("workflows")
        scores = await store.require_store("scores")
        await memory.save_thread(thread)
        await memory.save_messages(messages)
        await workflows.persist_workflow_snapshot(
            workflow_name=DEMO_WORKFLOW,
            run_id=run_id,
            snapshot=_demo_snapshot(run_id, now),
            resource_id=DEMO_RESOURCE_ID,
        )
        await scores.save_score(_demo_score(run_id, thread, messages))
        t_write = time.perf_counter()

        stored_thread = await memory.get_thread_by_id(thread.id)
        page = await memory.list_messages(thread_id=thread.id, per_page=None)
        snapshot = await workflows.load_workflow_snapshot(
            workflow_name=DEMO_WORKFLOW, run_id=run_id
        )
        score_page = await scores.list_scores_by_run_id(run_id)
        threads = await memory.list_threads(resource_id=DEMO_RESOURCE_ID, per_page=1)
        t_read = time.perf_counter()
        version = await _schema_version(store)  # read-only, outside the timed part
    finally:
        await store.close()

    where = redact_url(url)
    if path is not None:
        where += f"  ({'existing' if existed else 'new'} file {_shown_path(path)})"
    out.line(f"{PROG} demo")
    out.field("store", where, indent=0, label_width=10)
    backend = _store_label(store) + (f", schema version {version}" if version is not None else "")
    out.field("backend", backend, indent=0, label_width=10)
    out.line()

    shown = stored_thread or thread
    out.line(f"Thread {shown.id}")
    out.field("title", shown.title)
    out.field("resource", shown.resource_id)
    out.field("created", _clock(shown.created_at))
    out.line()

    out.line(f"Conversation ({page.total} messages, oldest first)")
    role_width = max((len(m.role) for m in page.items), default=4) + 2
    for message in page.items:
        prefix = f"  {message.created_at.strftime('%H:%M:%S')}  {message.role.ljust(role_width)}"
        out.wrapped(prefix, message.text)
    out.line()

    out.line(f"Workflow run {DEMO_WORKFLOW} / {run_id}")
    if isinstance(snapshot, dict):
        out.field("status", str(snapshot.get("status")))
        context = snapshot.get("context") or {}
        steps = [
            f"{step_id} ({step.get('status')})"
            for step_id, step in context.items()
            if step_id != "input" and isinstance(step, dict)
        ]
        out.field("input", _short(context.get("input")))
        out.field("steps", ", ".join(steps) or "-")
        out.field("result", _short(snapshot.get("result")))
    else:
        out.field("snapshot", _short(snapshot))
    out.line()

    out.line(f"Scores for run {run_id} ({score_page.total})")
    for score in score_page.items:
        _print_score(out, score)
    out.line()

    total = t_read - started
    out.line(f"{DEMO_RESOURCE_ID} now has {threads.total} demo thread(s) in this store.")
    out.line(
        f"Done in {_ms(total)}: open+init {_ms(t_init - started)}, "
        f"write {_ms(t_write - t_init)}, read back {_ms(t_read - t_write)}."
    )
    return EXIT_OK


def _print_score(out: _Out, score: Score) -> None:
    name = score.scorer.get("name") if isinstance(score.scorer, dict) else None
    out.field("scorer", f"{score.scorer_id}" + (f" ({name})" if name else ""))
    out.field("score", f"{score.score:.2f}  source {score.source}  entity {score.entity_id}")
    if score.reason:
        out.field("reason", score.reason)


# --------------------------------------------------------------------------- init / doctor


async def _init(url: str, out: _Out) -> int:
    path = _file_path(url)
    existed = path is None or path.exists()
    store = _connect_creating(url, path)
    try:
        report = await store.doctor() if existed else None
        if report is not None:
            # The doctor already waited the bounded connect: init would only wait again.
            raise_if_unreachable(report, label=redact_url(url), verb="initialise")
        before = _report_version(report)
        had_tables = report is not None and not _tables_missing(report)
        statements_before = _statements(store)
        started = time.perf_counter()
        await store.init()
        elapsed = time.perf_counter() - started
        statements = _statements(store)
        if statements is not None and statements_before is not None:
            statements -= statements_before
        after = await _schema_version(store)
    finally:
        await store.close()

    if path is not None and not existed:
        action = f"created {_shown_path(path)} and its schema"
    elif before is None and after is not None and not had_tables:
        action = "created the schema (tables and indexes) and recorded its version"
    elif before is None and after is not None:
        action = "added the schema (existing tables kept) and recorded its version"
    elif before is not None and after is not None and before < after:
        action = f"upgraded the schema from version {before} to {after}"
    elif before is not None and before == after:
        action = "schema already up to date, nothing changed"
    else:
        action = "schema created or verified (idempotent)"
    out.line(f"{PROG} init {redact_url(url)}")
    out.field("store", _store_label(store))
    out.field("action", action)
    out.field("version", str(after) if after is not None else "not recorded by this adapter")
    took = _ms(elapsed) + (f", {statements} SQL statement(s)" if statements is not None else "")
    out.field("took", took)
    return EXIT_OK


def _report_version(report: DoctorReport | None) -> int | None:
    """The version in a doctor report's ``schema_version`` check, or ``None``."""
    for check in report.checks if report is not None else ():
        if check.name == "schema_version" and check.ok:
            match = _VERSION_IN_TEXT.search(check.detail)
            return int(match[1]) if match else None
    return None


def _tables_missing(report: DoctorReport) -> bool:
    """Whether the doctor found none of our tables (an empty database or schema) or could
    not tell (a failed connectivity check)."""
    for check in report.checks:
        if not check.ok and check.name in ("connectivity", "table", "tables"):
            return True
    return False


def _statements(store: MastraStorage) -> int | None:
    value = getattr(store, "statements_executed", None)
    return value if isinstance(value, int) else None


async def _doctor(url: str, out: _Out) -> int:
    """Print the store's read-only checks (adapters must not create or change anything)."""
    out.line(f"{PROG} doctor {redact_url(url)}")
    store = connect(url)
    try:
        report = await store.doctor()
    finally:
        await store.close()
    _print_report(out, report)
    return EXIT_OK if report.ok else EXIT_PROBLEM


async def _schema(url: str, fresh: bool, out: TextIO) -> int:
    """Print the DDL that gives the store's database its layout (read-only: nothing is
    created or changed); backends without DDL say so."""
    store = connect(url)
    try:
        script = await store.schema_ddl(fresh=fresh)
    finally:
        await store.close()
    if script is None:
        out.write(
            f"-- {_store_label(store)}: this backend has no schema DDL; `{PROG} init URL` "
            "creates what it needs (see its layout document)\n"
        )
    else:
        out.write(script)
    return EXIT_OK


def _print_report(out: _Out, report: DoctorReport) -> None:
    out.line(f"  store: {report.store}")
    width = max((len(c.name) for c in report.checks), default=8) + 2
    for check in report.checks:
        out.wrapped(f"  {'ok' if check.ok else 'FAIL':<4}  {check.name.ljust(width)}", check.detail)
    problems = sum(not c.ok for c in report.checks)
    out.line("result: ok" if not problems else f"result: {problems} problem(s)")
    for hint in doctor_hints(report):
        out.line(f"hint: {hint}")


#: (words in a failed check's detail, the hint), first match wins; lower case.
_CONNECT_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "password",
            "authentication",
            "auth failed",
            "not authorized",
            "unauthorized",
            "invalid token",
            "wrongpass",
            "noauth",
            "security token",
            "credentials",
            "role ",
            "access key",
        ),
        "the server refused the credentials: check the user, password or token in the URL",
    ),
    (
        (
            "permission denied",
            "access denied",
            "accessdenied",
            "not permitted",
            "forbidden",
            "read-only file system",
            "readonly",
        ),
        "the account lacks a permission: grant it (or use an account that has it); "
        f"`{PROG} schema URL` prints the DDL for an administrator",
    ),
    (
        (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "name resolution",
            "no address associated",
            "could not resolve",
            "dns",
        ),
        "the host name does not resolve: check the host in the URL (and DNS)",
    ),
    (
        (
            "connection refused",
            "connect call failed",
            "timed out",
            "timeout",
            "no answer within",
            "unreachable",
            "no route to host",
            "network is unreachable",
        ),
        "the server did not answer: is it running, and are the host and port right?",
    ),
    (
        ("file does not exist", "database file"),
        f"no database file there: `{PROG} init URL` creates it (or fix the path)",
    ),
    (
        ("does not exist", "not found", "no such"),
        "what the URL names does not exist: create the database (or table) first, or fix "
        f"the URL; then `{PROG} init URL`",
    ),
)

#: Checks that `init` fixes: the layout is missing or older than this version.
_INIT_FIXES = ("schema_version", "tables", "columns", "indexes", "table", "gsis", "ttl")


def doctor_hints(report: DoctorReport) -> list[str]:
    """Hints matched to what failed: credentials, permissions, DNS, an unreachable server,
    a missing database, or a missing or old layout (then `init`)."""
    hints: list[str] = []
    failed = [c for c in report.checks if not c.ok]
    for check in failed:
        if check.name not in _INIT_FIXES:
            detail = check.detail.lower()
            for words, hint in _CONNECT_HINTS:
                if any(word in detail for word in words):
                    if hint not in hints:
                        hints.append(hint)
                    break
    if hints:
        return hints  # a connection problem first: init would fail the same way
    if any(c.name in _INIT_FIXES for c in failed):
        hints.append(f"`{PROG} init URL` creates or upgrades the schema")
    elif failed:
        hints.append(f"see the failed check above; `{PROG} init URL` fixes only the layout")
    return hints


# --------------------------------------------------------------------------- entry point


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Storage for AI agents (threads, messages, workflow snapshots, scores).",
        epilog="URLs: file:./mastra.db (libSQL file), :memory:, memory:// (in-process).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="store a short conversation, a workflow snapshot and a score, then read them back",
        description="Store a thread with a short conversation, a workflow snapshot and a "
        "score, read them back and print them. Every run uses fresh ids, so re-running "
        "adds one more demo thread.",
    )
    demo.add_argument(
        "--url", default=DEFAULT_DEMO_URL, help=f"storage URL (default: {DEFAULT_DEMO_URL})"
    )

    init = commands.add_parser(
        "init",
        help="create or upgrade the schema",
        description="Create the store at URL (a new database file, tables, indexes) or "
        "upgrade its schema, then say what was done. Idempotent.",
    )
    init.add_argument("url", metavar="URL", help="storage URL, e.g. file:./mastra.db")

    doctor = commands.add_parser(
        "doctor",
        help="check connectivity, schema version and indexes (exit 1 on a problem)",
        description="Run the store's read-only checks (nothing is created or changed) and "
        "print a hint matched to what failed. Exit 1 when a check fails.",
    )
    doctor.add_argument("url", metavar="URL", help="storage URL, e.g. file:./mastra.db")

    schema = commands.add_parser(
        "schema",
        help="print the DDL that creates or upgrades the schema (changes nothing)",
        description="Print, as a SQL script, what `init` would create or change in the "
        "database at URL (read from its catalog; nothing is changed), for a DBA to review "
        "and apply where the app may not run DDL (then use init_mode='verify').",
    )
    schema.add_argument("url", metavar="URL", help="storage URL, e.g. postgresql://...")
    schema.add_argument(
        "--fresh",
        action="store_true",
        help="the whole layout, as for an empty database (does not read the catalog)",
    )

    transfer_cli.add_commands(commands)
    cli_prune.add_commands(commands)
    for name, spec in adapter_tools().items():
        summary = spec.cli_help or f"{name} adapter tools"
        tool = commands.add_parser(name, help=f"{summary} (`{PROG} {name} --help`)")
        tool.add_argument("tool_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def adapter_tools() -> dict[str, AdapterSpec]:
    """``mastra-storage NAME ...`` commands: the installed adapters that declare a CLI."""
    return {spec.name: spec for spec in installed_specs() if spec.cli is not None}


_HELP_FLAGS = ("-h", "--help")


def _adapter_tool(spec: AdapterSpec, argv: Sequence[str]) -> int:
    """``mastra-storage NAME ...``: hand over to the adapter's ``main(argv, prog=)``.

    Adapter-specific maintenance (creating a DynamoDB table, re-indexing Redis keys) lives in
    the adapter package, imported only when its command is used. Its drivers are checked
    first, except for help, so a missing extra is one line naming it.
    """
    prog = f"{PROG} {spec.name}"
    args = list(argv)
    urls = [a for a in args if "://" in a or a.startswith(("file:", "sqlite:"))]
    try:
        if args and not any(flag in args for flag in _HELP_FLAGS):
            spec.require_drivers()
        tool = spec.load_cli()
        assert tool is not None  # adapter_tools() lists only specs with a cli
        return tool(args, prog=prog)
    except SystemExit as exc:  # the adapter's argparse: --help or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        message = _describe(exc)
        for url in urls:
            message = redact_text(message, url)
        print(f"{prog}: error: {_one_line(message)}", file=sys.stderr)
        return EXIT_ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MastraStorageError):
        text = exc.message
        cause = exc.__cause__
        if cause is not None and str(cause) and str(cause) not in text:
            text += f" ({type(cause).__name__}: {cause})"
        return text
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """After a reader closed stdout: point it at /dev/null, so the interpreter's last
    flush at exit does not fail again (the documented way to end quietly)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured output): nothing will flush to the pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _main(argv: list[str]) -> int:
    tools = adapter_tools()
    if argv and argv[0] in tools:
        return _adapter_tool(tools[argv[0]], argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR

    # Every URL the command was given, so an error message never shows their secrets.
    urls = [u for u in (getattr(args, n, None) for n in ("url", "src", "dst")) if u]
    try:
        code = asyncio.run(_execute(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        message = _describe(exc)
        for url in urls:
            message = redact_text(message, url)
        print(f"{PROG} {args.command}: error: {_one_line(message)}", file=sys.stderr)
        return EXIT_ERROR


async def _execute(args: argparse.Namespace) -> int:
    if args.command in transfer_cli.COMMANDS:
        return await transfer_cli.execute(args)
    if args.command in cli_prune.COMMANDS:
        return await cli_prune.execute(args)
    if args.command == "schema":
        return await _schema(args.url, args.fresh, sys.stdout)
    commands: dict[str, Callable[[str, _Out], Awaitable[int]]] = {
        "demo": _demo,
        "init": _init,
        "doctor": _doctor,
    }
    return await commands[args.command](args.url, _Out(sys.stdout))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
