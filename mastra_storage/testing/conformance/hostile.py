"""Hostile input: a typed error or an exact round trip, never a change.

Rejected calls leave stored data unchanged; tenants stay isolated.

Each test seeds a small known dataset, throws one group of the corpus
(:mod:`mastra_storage.testing.hostile_corpus`) at several entry points, and collects every
wrong outcome (an untyped exception, an accepted value that should have been rejected, a
value read back different from the one written) into one failure message naming each
failing case; then it checks that the seeded data reads back byte-for-byte as before. One
test per group rather than per case keeps the cost low on the emulated backends.
"""

# ruff: noqa: B023  -- every closure is awaited in the iteration that creates it
# Wrong argument types are the point of these tests:
# mypy: disable-error-code="arg-type"

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import msgspec

from ...codec import dumps
from ...composite import MastraStorage
from ...domains.memory import IncludeSpec, MessageFilter
from ...domains.observability import TraceFilter
from ...errors import ValidationError
from ...pagination import Cursor, DateRange, decode_cursor, encode_cursor
from ...records import MessageUpdate, Resource
from ...retention import prune
from ...timeutil import parse_iso, to_iso
from ...validation import MAX_JSON_DEPTH
from ..data import BASE_TIME, at, sample_message, sample_score, sample_span, sample_thread, uid
from ..hostile_corpus import (
    COLLIDING_RESOURCE_IDS,
    DATETIME_CASES,
    FILTER_KEY_CASES,
    FORGED_CURSOR_KEYS,
    FORGED_CURSOR_TIES,
    FORGED_CURSOR_TOKENS,
    HUGE_TEXT,
    ID_CASES,
    JSON_VALUE_CASES,
    METADATA_KEY_CASES,
    PAGE_CASES,
    PAGE_PRODUCT_CASES,
    PER_PAGE_CASES,
    TEXT_CASES,
    WINDOW_CASES,
    Expect,
    HostileCase,
)
from ._base import ConformanceBase, resource_scoped_queries
from ._util import ids

Write = Callable[[Any], Awaitable[Any]]
Read = Callable[[Any], Awaitable[Any]]
#: ``(entry point name, write(value), read(value) or None)``.
Entry = tuple[str, Write, Read | None]


_sorted_encoder = msgspec.json.Encoder(order="sorted")


def _canon(value: Any) -> str:
    """A byte-exact, type-strict rendering (``True`` is not ``1``, ``1`` is not ``1.0``).

    Object keys are sorted: JSON objects are unordered, and PostgreSQL's ``jsonb`` does not
    keep the order they were written in.
    """
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif isinstance(value, list):
        value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
    dumps(value)  # the value must be storable JSON
    return _sorted_encoder.encode(value).decode()


@dataclass
class _Seed:
    resource_ids: list[str] = field(default_factory=list)
    thread_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    score_ids: list[str] = field(default_factory=list)
    span: tuple[str, str] | None = None


@dataclass
class _Outcomes:
    """Collects wrong outcomes; ``tried`` counts the hostile calls made."""

    limit: int | None
    failures: list[str] = field(default_factory=list)
    tried: int = 0
    seen: set[str] = field(default_factory=set)

    def rejects(self, case: HostileCase) -> bool:
        if case.expect is Expect.LIMIT:
            return self.limit is not None and self.limit < len(HUGE_TEXT)
        return case.expect is Expect.REJECT

    def wanted(self, case: HostileCase) -> Any:
        return case.normalised if case.expect is Expect.NORMALISED else case.value

    async def check(
        self,
        entry: str,
        case: HostileCase,
        call: Callable[[], Awaitable[Any]],
        verify: Callable[[Any], Awaitable[str | None]] | None = None,
    ) -> None:
        """Run ``call``: a ``ValidationError`` when the case rejects; otherwise
        ``verify(result)`` returns a problem (or ``None``)."""
        self.tried += 1
        self.seen.add(case.name)
        label = f"{entry}[{case.name}]"
        try:
            result = await call()
        except ValidationError as exc:
            if not self.rejects(case):
                self.failures.append(f"{label}: rejected ({exc!r}), expected {case.expect.value}")
            return
        except Exception as exc:  # catching untyped errors is the point
            self.failures.append(f"{label}: untyped {type(exc).__name__}: {str(exc)[:200]}")
            return
        if self.rejects(case):
            self.failures.append(f"{label}: accepted, expected a ValidationError")
            return
        if verify is not None:
            try:
                problem = await verify(result)
            except Exception as exc:
                problem = f"checking the result raised {type(exc).__name__}: {exc}"
            if problem:
                self.failures.append(f"{label}: {problem}")

    async def round_trips(self, case: HostileCase, entries: list[Entry]) -> None:
        """Each entry point writes ``case.value``; reading it back gives the wanted value."""
        want = _canon(self.wanted(case)) if not self.rejects(case) else ""
        for name, write, read in entries:

            async def verify(_: Any, read: Read | None = read) -> str | None:
                if read is None:
                    return None
                got = _canon(await read(case.value))
                return None if got == want else f"read back {got[:120]!r}, wrote {want[:120]!r}"

            await self.check(name, case, lambda write=write: write(case.value), verify)  # type: ignore[misc]


def _same(got: list[str], want: list[str]) -> Callable[[Any], Awaitable[str | None]]:
    async def verify(_: Any) -> str | None:
        return None if got == want else f"returned {got}, expected {want}"

    return verify


def _items(expected: list[str]) -> Callable[[Any], Awaitable[str | None]]:
    """A page (or list) must hold exactly these ids, in this order."""

    async def verify(result: Any) -> str | None:
        items = (
            result.items if hasattr(result, "items") and not isinstance(result, dict) else result
        )
        got = [_key(item) for item in items]
        return None if got == expected else f"returned {got[:8]}, expected {expected[:8]}"

    return verify


def _key(item: Any) -> str:
    for name in ("id", "run_id"):
        if hasattr(item, name):
            return str(getattr(item, name))
    return str(item)


class HostileInputTests(ConformanceBase):
    """Hostile input: a typed error or an exact round trip, never a change."""

    #: Corpus cases (by name) this adapter is known to get wrong, with the reason. Their
    #: failures are expected, and each must still fail, so a fixed one cannot linger.
    hostile_divergences: ClassVar[Mapping[str, str]] = {}

    # ---- seed and snapshot ---------------------------------------------------------------

    async def _seed(self, storage: MastraStorage) -> _Seed:
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        seed = _Seed()
        for n in range(2):
            rid = uid(f"seed{n}")
            seed.resource_ids.append(rid)
            await memory.update_resource(rid, working_memory=f"wm {n}", metadata={"n": n})
            thread = await memory.save_thread(
                sample_thread(resource_id=rid, metadata={"key": "value", "n": n})
            )
            seed.thread_ids.append(thread.id)
            await memory.save_messages(
                [
                    sample_message(
                        thread=thread, text=f"m{n}.{i}", created_at=at(BASE_TIME, seconds=i)
                    )
                    for i in range(3)
                ]
            )
            run_id = uid("run")
            await workflows.persist_workflow_snapshot(
                workflow_name="hostile-wf",
                run_id=run_id,
                resource_id=rid,
                snapshot={"status": "success", "n": n},
                created_at=at(BASE_TIME, days=n),
            )
            seed.run_ids.append(run_id)
            score = await scores.save_score(sample_score(entity_id=rid, entity_type="AGENT"))
            seed.score_ids.append(score.id)
        observability = await self.observability_or_none(storage)
        if observability is not None:
            span = sample_span()
            await observability.create_span(span)
            seed.span = (span.trace_id, span.span_id)
        return seed

    async def _snapshot(self, storage: MastraStorage, seed: _Seed) -> str:
        """Everything seeded, read back through the public API, as one JSON text."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        out: list[str] = []
        for rid in seed.resource_ids:
            out.append(_canon(await memory.get_resource_by_id(rid)))
            out.append(_canon((await memory.list_threads(resource_id=rid, per_page=None)).items))
            out.append(_canon((await workflows.list_workflow_runs(resource_id=rid)).items))
            page = await scores.list_scores_by_entity_id(rid, entity_type="AGENT", per_page=None)
            out.append(_canon(page.items))
        for tid in seed.thread_ids:
            out.append(_canon(await memory.get_thread_by_id(tid)))
            out.append(_canon((await memory.list_messages(thread_id=tid, per_page=None)).items))
        for run_id in seed.run_ids:
            snap = await workflows.load_workflow_snapshot(workflow_name="hostile-wf", run_id=run_id)
            out.append(_canon(snap))
        for score_id in seed.score_ids:
            out.append(_canon(await scores.get_score_by_id(score_id)))
        if seed.span is not None:
            observability = await self.observability(storage)
            out.append(_canon(await observability.get_span(*seed.span)))
        return "\n".join(out)

    async def _run(
        self, storage: MastraStorage, body: Callable[[_Seed, _Outcomes], Awaitable[None]]
    ) -> None:
        seed = await self._seed(storage)
        before = await self._snapshot(storage, seed)
        outcomes = _Outcomes(storage.max_record_bytes)
        await body(seed, outcomes)
        after = await self._snapshot(storage, seed)
        problems: list[str] = []
        diverged: set[str] = set()
        for failure in outcomes.failures:
            name = failure.split("]: ", 1)[0].rsplit("[", 1)[-1]
            if name in self.hostile_divergences:
                diverged.add(name)
            else:
                problems.append(failure)
        for name in sorted((set(self.hostile_divergences) & outcomes.seen) - diverged):
            problems.append(f"declared divergence {name!r} no longer fails: remove it")
        if after != before:
            problems.append("the seeded dataset changed")
        assert outcomes.tried > 0
        assert not problems, (
            f"{len(problems)} of {outcomes.tried} hostile calls went wrong:\n" + "\n".join(problems)
        )

    # ---- values written and read back ------------------------------------------------------

    async def test_hostile_ids(self, storage: MastraStorage) -> None:
        """Ids with key separators, glob/LIKE/regex metacharacters and injections round-trip
        exactly; empty, over-long, NUL, surrogate and non-string ids are typed errors."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        spans = await self.observability_or_none(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            scratch = await memory.save_thread(sample_thread(resource_id=uid("scratch")))

            async def save_thread(v: Any) -> Any:
                return await memory.save_thread(
                    _with(sample_thread(resource_id="hostile-ids"), id=v)
                )

            async def get_thread(v: Any) -> Any:
                thread = await memory.get_thread_by_id(v)
                return thread.id if thread else None

            async def save_owned(v: Any) -> Any:
                return await memory.save_thread(_with(sample_thread(), resource_id=v))

            async def threads_of(v: Any) -> Any:
                return [t.resource_id for t in (await memory.list_threads(resource_id=v)).items]

            async def save_message(v: Any) -> Any:
                return await memory.save_messages([_with(sample_message(thread=scratch), id=v)])

            async def get_message(v: Any) -> Any:
                return ids(await memory.list_messages_by_id([v]))[0]

            async def save_resource(v: Any) -> Any:
                return await memory.update_resource(v, working_memory="wm")

            async def get_resource(v: Any) -> Any:
                resource = await memory.get_resource_by_id(v)
                return resource.id if resource else None

            async def save_run(v: Any) -> Any:
                await workflows.persist_workflow_snapshot(
                    workflow_name="wf", run_id=v, snapshot={"k": 1}
                )
                await workflows.persist_workflow_snapshot(
                    workflow_name=v, run_id="run", snapshot={"k": 1}
                )

            async def get_run(v: Any) -> Any:
                first = await workflows.get_workflow_run_by_id(v, workflow_name="wf")
                second = await workflows.get_workflow_run_by_id("run", workflow_name=v)
                assert first is not None and second is not None
                return first.run_id if first.run_id == second.workflow_name else None

            async def save_score(v: Any) -> Any:
                return await scores.save_score(sample_score(entity_id=v, entity_type="T"))

            async def get_score(v: Any) -> Any:
                page = await scores.list_scores_by_entity_id(v, entity_type="T")
                return next(s.entity_id for s in page.items)

            async def save_span(v: Any) -> Any:
                assert spans is not None
                return await spans.create_span(sample_span(trace_id=v, span_id=f"s-{uid()}"))

            async def get_span(v: Any) -> Any:
                assert spans is not None
                root = await spans.get_root_span(v)
                return root.trace_id if root else None

            entries: list[Entry] = [
                ("thread.id", save_thread, get_thread),
                ("message.id", save_message, get_message),
                ("resource.id", save_resource, get_resource),
                ("workflow run_id/workflow_name", save_run, get_run),
                ("score.entity_id", save_score, get_score),
            ]
            if spans is not None:
                entries.append(("span.trace_id", save_span, get_span))
            for case in ID_CASES:
                await out.round_trips(case, entries)
                # thread.resource_id: list_threads by that resource finds exactly that thread
                if out.rejects(case):
                    await out.check("thread.resource_id", case, lambda: save_owned(case.value))
                else:
                    await out.check(
                        "thread.resource_id",
                        case,
                        lambda: save_owned(case.value),
                        lambda _: _listed(threads_of(case.value), [case.value]),
                    )

        await self._run(storage, body)

    async def test_hostile_text(self, storage: MastraStorage) -> None:
        """Titles, working memory and message text: exact round trip or a typed error."""
        memory = await self.memory(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            thread = await memory.save_thread(sample_thread(resource_id=uid("scratch")))

            async def save_title(v: Any) -> Any:
                return await memory.save_thread(sample_thread(resource_id="t", title=v, id=key))

            async def update_title(v: Any) -> Any:
                return await memory.update_thread(thread.id, title=v)

            async def title_of(v: Any) -> Any:
                return (await memory.get_thread_by_id(key)).title  # type: ignore[union-attr]

            async def title_after_update(v: Any) -> Any:
                return (await memory.get_thread_by_id(thread.id)).title  # type: ignore[union-attr]

            async def save_wm(v: Any) -> Any:
                return await memory.update_resource(key, working_memory=v)

            async def save_resource_wm(v: Any) -> Any:
                return await memory.save_resource(
                    Resource(
                        id=key + "-r", working_memory=v, created_at=BASE_TIME, updated_at=BASE_TIME
                    )
                )

            async def wm_of(v: Any) -> Any:
                return (await memory.get_resource_by_id(key)).working_memory  # type: ignore[union-attr]

            async def resource_wm_of(v: Any) -> Any:
                return (await memory.get_resource_by_id(key + "-r")).working_memory  # type: ignore[union-attr]

            async def save_text(v: Any) -> Any:
                return await memory.save_messages([sample_message(thread=thread, id=key, text=v)])

            async def text_of(v: Any) -> Any:
                (message,) = await memory.list_messages_by_id([key])
                return [message.content.content, message.content.parts[0]["text"]]

            for case in TEXT_CASES:
                key = uid("k")
                await out.round_trips(
                    case,
                    [
                        ("thread.title", save_title, title_of),
                        ("update_thread.title", update_title, title_after_update),
                        ("update_resource.working_memory", save_wm, wm_of),
                        ("save_resource.working_memory", save_resource_wm, resource_wm_of),
                    ],
                )
                if isinstance(case.value, str):  # message content is JSON: any type is data
                    text_case = HostileCase(case.name, case.value, case.expect)
                    out.tried += 1
                    label = f"message.text[{case.name}]"
                    try:
                        await save_text(case.value)
                    except ValidationError:
                        if not out.rejects(text_case):
                            out.failures.append(f"{label}: rejected, expected {case.expect.value}")
                        continue
                    except Exception as exc:
                        out.failures.append(f"{label}: untyped {type(exc).__name__}: {exc}")
                        continue
                    if out.rejects(text_case):
                        out.failures.append(f"{label}: accepted, expected a ValidationError")
                    elif await text_of(case.value) != [case.value, case.value]:
                        out.failures.append(f"{label}: text read back differs")

        await self._run(storage, body)

    async def test_hostile_json_values(self, storage: MastraStorage) -> None:
        """JSON values in metadata, snapshots, message content and scores: exact round trip,
        the documented normal form (non-finite floats become null), or a typed error."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            thread = await memory.save_thread(sample_thread(resource_id=uid("scratch")))
            score_ids: dict[str, str] = {}

            async def save_thread_meta(v: Any) -> Any:
                return await memory.save_thread(
                    sample_thread(id=key, resource_id="j", metadata={"k": v})
                )

            async def thread_meta(v: Any) -> Any:
                return (await memory.get_thread_by_id(key)).metadata["k"]  # type: ignore[union-attr,index]

            async def update_thread_meta(v: Any) -> Any:
                return await memory.update_thread(thread.id, metadata={key: v})

            async def updated_meta(v: Any) -> Any:
                return (await memory.get_thread_by_id(thread.id)).metadata[key]  # type: ignore[union-attr,index]

            async def resource_meta(v: Any) -> Any:
                return await memory.update_resource(key, metadata={"k": v})

            async def read_resource_meta(v: Any) -> Any:
                return (await memory.get_resource_by_id(key)).metadata["k"]  # type: ignore[union-attr,index]

            async def snapshot(v: Any) -> Any:
                return await workflows.persist_workflow_snapshot(
                    workflow_name="wf", run_id=key, snapshot={"context": {"k": v}}
                )

            async def read_snapshot(v: Any) -> Any:
                snap = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=key)
                return snap["context"]["k"]  # type: ignore[index]

            async def message_meta(v: Any) -> Any:
                message = sample_message(thread=thread, id=key, content={"metadata": {"k": v}})
                return await memory.save_messages([message])

            async def read_message_meta(v: Any) -> Any:
                (message,) = await memory.list_messages_by_id([key])
                return message.content.metadata["k"]  # type: ignore[index]

            async def score_meta(v: Any) -> Any:
                score = await scores.save_score(sample_score(metadata={"k": v}))
                score_ids[key] = score.id
                return score

            async def read_score_meta(v: Any) -> Any:
                score = await scores.get_score_by_id(score_ids[key])
                return score.metadata["k"]  # type: ignore[union-attr,index]

            for case in JSON_VALUE_CASES:
                key = uid("k").replace("-", "_")
                await out.round_trips(
                    case,
                    [
                        ("thread.metadata", save_thread_meta, thread_meta),
                        ("update_thread.metadata", update_thread_meta, updated_meta),
                        ("resource.metadata", resource_meta, read_resource_meta),
                        ("workflow.snapshot", snapshot, read_snapshot),
                        ("message.content.metadata", message_meta, read_message_meta),
                        ("score.metadata", score_meta, read_score_meta),
                    ],
                )

        await self._run(storage, body)

    async def test_hostile_metadata_keys(self, storage: MastraStorage) -> None:
        """Keys inside stored metadata (``$where``, dotted, empty...) round-trip exactly;
        non-string, NUL and surrogate keys are typed errors."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            async def thread_meta(v: Any) -> Any:
                return await memory.save_thread(
                    sample_thread(id=key, resource_id="mk", metadata={v: 1, "other": 2})
                )

            async def read_thread(v: Any) -> Any:
                return (await memory.get_thread_by_id(key)).metadata  # type: ignore[union-attr]

            async def resource_meta(v: Any) -> Any:
                return await memory.update_resource(key, metadata={v: 1, "other": 2})

            async def read_resource(v: Any) -> Any:
                return (await memory.get_resource_by_id(key)).metadata  # type: ignore[union-attr]

            async def snapshot(v: Any) -> Any:
                return await workflows.persist_workflow_snapshot(
                    workflow_name="wf", run_id=key, snapshot={v: 1, "other": 2}
                )

            async def read_snapshot(v: Any) -> Any:
                return await workflows.load_workflow_snapshot(workflow_name="wf", run_id=key)

            for case in METADATA_KEY_CASES:
                key = uid("k")
                whole = HostileCase(case.name, {case.value: 1, "other": 2}, case.expect)
                entries: list[Entry] = [
                    ("thread.metadata key", lambda _: thread_meta(case.value), read_thread),
                    ("resource.metadata key", lambda _: resource_meta(case.value), read_resource),
                    ("snapshot key", lambda _: snapshot(case.value), read_snapshot),
                ]
                if out.rejects(case):
                    await out.round_trips(case, entries)
                else:
                    await out.round_trips(whole, entries)

        await self._run(storage, body)

    # ---- filters, pagination, windows, date ranges ----------------------------------------

    async def test_hostile_filters(self, storage: MastraStorage) -> None:
        """Hostile ids and metadata filters never match seeded rows and never error untyped."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            for case in FILTER_KEY_CASES:
                expected = seed.thread_ids[::-1] if case.value == "key" else []
                await out.check(
                    "list_threads(metadata key)",
                    case,
                    lambda: memory.list_threads(metadata={case.value: "value"}, per_page=None),
                    _items(expected),
                )
            for case in ID_CASES:
                calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                    (
                        "list_threads(resource_id)",
                        lambda: memory.list_threads(resource_id=case.value),
                    ),
                    (
                        "list_threads(metadata value)",
                        lambda: memory.list_threads(metadata={"key": case.value}),
                    ),
                    (
                        "list_messages(thread_id)",
                        lambda: memory.list_messages(thread_id=case.value),
                    ),
                    (
                        "list_messages(resource_id)",
                        lambda: memory.list_messages(
                            thread_id=seed.thread_ids[0], resource_id=case.value
                        ),
                    ),
                    ("list_messages_by_id", lambda: memory.list_messages_by_id([case.value])),
                    ("get_thread_by_id", lambda: _as_list(memory.get_thread_by_id(case.value))),
                    ("get_resource_by_id", lambda: _as_list(memory.get_resource_by_id(case.value))),
                    (
                        "list_workflow_runs(resource_id)",
                        lambda: workflows.list_workflow_runs(resource_id=case.value),
                    ),
                    (
                        "list_workflow_runs(workflow_name)",
                        lambda: workflows.list_workflow_runs(workflow_name=case.value),
                    ),
                    (
                        "list_scores_by_entity_id",
                        lambda: scores.list_scores_by_entity_id(case.value, entity_type="AGENT"),
                    ),
                    ("get_score_by_id", lambda: _as_list(scores.get_score_by_id(case.value))),
                ]
                if resource_scoped_queries(memory):
                    calls.append(
                        (
                            "list_messages_by_resource_id",
                            lambda: memory.list_messages_by_resource_id(resource_id=case.value),
                        )
                    )
                filter_case = case
                if case.name in ("none",):
                    # None means "no filter" for the optional filters: not hostile there.
                    calls = [
                        c
                        for c in calls
                        if not c[0].startswith(
                            ("list_threads(", "list_workflow_runs", "list_messages(resource")
                        )
                    ]
                # A metadata filter value is any JSON value, not an id: it matches nothing
                # here, unless JSON cannot carry it (NUL, lone surrogate).
                value_case = HostileCase(
                    case.name,
                    case.value,
                    Expect.REJECT if case.name in ("nul", "lone-surrogate") else Expect.ROUND_TRIP,
                )
                await out.check(
                    "list_threads(metadata value)",
                    value_case,
                    lambda: memory.list_threads(metadata={"key": case.value}),
                    _items([]),
                )
                calls = [c for c in calls if c[0] != "list_threads(metadata value)"]
                if case.name == "list":  # a list of thread ids is valid input
                    calls = [c for c in calls if c[0] != "list_messages(thread_id)"]
                for name, call in calls:
                    await out.check(name, filter_case, call, _items([]))

        await self._run(storage, body)

    async def test_hostile_pagination(self, storage: MastraStorage) -> None:
        """Negative, non-integer, boolean, huge and overflowing page/per_page: a typed error,
        or exactly the rows the arithmetic says."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            rid, tid = seed.resource_ids[0], seed.thread_ids[0]
            all_messages = ids((await memory.list_messages(thread_id=tid, per_page=None)).items)
            all_threads = ids((await memory.list_threads(per_page=None)).items)
            all_runs = [r.run_id for r in (await workflows.list_workflow_runs()).items]
            all_scores = ids(
                (
                    await scores.list_scores_by_entity_id(rid, entity_type="AGENT", per_page=None)
                ).items
            )

            def lists(
                page: Any, per_page: Any
            ) -> list[tuple[str, Callable[[], Awaitable[Any]], list[str]]]:
                def window(rows: list[str]) -> list[str]:
                    if not isinstance(page, int) or not isinstance(per_page, int | None):
                        return []  # rejected anyway
                    if per_page is None:
                        return rows
                    start = page * per_page
                    return rows[start : start + per_page]

                calls: list[tuple[str, Callable[[], Awaitable[Any]], list[str]]] = [
                    (
                        "list_threads",
                        lambda: memory.list_threads(page=page, per_page=per_page),
                        window(all_threads),
                    ),
                    (
                        "list_messages",
                        lambda: memory.list_messages(thread_id=tid, page=page, per_page=per_page),
                        window(all_messages),
                    ),
                    (
                        "list_scores_by_entity_id",
                        lambda: scores.list_scores_by_entity_id(
                            rid, entity_type="AGENT", page=page, per_page=per_page
                        ),
                        window(all_scores),
                    ),
                ]
                if page is not None and per_page is not None:
                    calls.append(
                        (
                            "list_workflow_runs",
                            lambda: workflows.list_workflow_runs(page=page, per_page=per_page),
                            window(all_runs),
                        )
                    )
                if resource_scoped_queries(memory):
                    calls.append(
                        (
                            "list_messages_by_resource_id",
                            lambda: memory.list_messages_by_resource_id(
                                resource_id=rid, page=page, per_page=per_page
                            ),
                            window(all_messages),
                        )
                    )
                return calls

            combos: list[tuple[HostileCase, Any, Any]] = [
                (case, case.value, 2) for case in PAGE_CASES
            ]
            combos += [(case, 0, case.value) for case in PER_PAGE_CASES]
            combos += [(case, *case.value) for case in PAGE_PRODUCT_CASES]
            for case, page, per_page in combos:
                for name, call, want in lists(page, per_page):
                    await out.check(
                        f"{name}(page={page!r:.20}, per_page={per_page!r:.20})",
                        case,
                        call,
                        _items(want),
                    )

        await self._run(storage, body)

    async def test_hostile_include_windows_and_date_ranges(self, storage: MastraStorage) -> None:
        """Include windows (negative, huge, non-integer) and date-range bounds (naive,
        garbage, extreme years): a typed error or exactly the expected messages."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            t0, t1 = seed.thread_ids
            rows0 = (await memory.list_messages(thread_id=t0, per_page=None)).items
            rows1 = (await memory.list_messages(thread_id=t1, per_page=None)).items
            target = rows1[1]
            for case in WINDOW_CASES:
                n = case.value
                await out.check(
                    "include.with_previous_messages",
                    case,
                    lambda: memory.list_messages(
                        thread_id=t1,
                        per_page=0,
                        include=[IncludeSpec(id=target.id, with_previous_messages=case.value)],
                    ),
                    _items(ids(rows1[max(0, 1 - n) : 2]) if _count(n) else []),
                )
                await out.check(
                    "include.with_next_messages",
                    case,
                    lambda: memory.list_messages(
                        thread_id=t1,
                        per_page=0,
                        include=[IncludeSpec(id=target.id, with_next_messages=case.value)],
                    ),
                    _items(ids(rows1[1 : 2 + n]) if _count(n) else []),
                )
            runs = (await workflows.list_workflow_runs(workflow_name="hostile-wf")).items
            scratch = await memory.save_thread(sample_thread(resource_id=uid("scratch")))

            async def thread_at(v: Any) -> Any:
                return await memory.save_thread(sample_thread(id=key, resource_id="dt", date=v))

            async def thread_created(v: Any) -> Any:
                return (await memory.get_thread_by_id(key)).created_at  # type: ignore[union-attr]

            async def message_at(v: Any) -> Any:
                return await memory.save_messages(
                    [sample_message(thread=scratch, id=key, created_at=v)]
                )

            async def message_created(v: Any) -> Any:
                return (await memory.list_messages_by_id([key]))[0].created_at

            async def run_at(v: Any) -> Any:
                return await workflows.persist_workflow_snapshot(
                    workflow_name="dt", run_id=key, snapshot={}, created_at=v, updated_at=v
                )

            async def run_created(v: Any) -> Any:
                run = await workflows.get_workflow_run_by_id(key, workflow_name="dt")
                return run.created_at  # type: ignore[union-attr]

            for case in DATETIME_CASES:
                if not isinstance(case.value, datetime):
                    continue  # record timestamps are datetimes; strings are for filters
                key = uid("dt")
                stored = HostileCase(
                    case.name,
                    case.value,
                    case.expect if out.rejects(case) else Expect.NORMALISED,
                    None if out.rejects(case) else to_iso(parse_iso(case.value)),
                )
                await out.round_trips(
                    stored,
                    [
                        ("thread.created_at", thread_at, _iso(thread_created)),
                        ("message.created_at", message_at, _iso(message_created)),
                        ("workflow run created_at", run_at, _iso(run_created)),
                    ],
                )
            for case in DATETIME_CASES:
                v = case.value
                bound = None if out.rejects(case) else parse_iso(v)
                want_msgs = ids([m for m in rows0 if bound is not None and m.created_at >= bound])
                await out.check(
                    "list_messages(date_range.start)",
                    case,
                    lambda: memory.list_messages(
                        thread_id=t0, per_page=None, date_range=DateRange(start=case.value)
                    ),
                    _items(want_msgs),
                )
                want_end = ids([m for m in rows0 if bound is not None and m.created_at <= bound])
                await out.check(
                    "list_messages(date_range.end)",
                    case,
                    lambda: memory.list_messages(
                        thread_id=t0, per_page=None, date_range=DateRange(end=case.value)
                    ),
                    _items(want_end),
                )
                want_runs = [r.run_id for r in runs if bound is not None and r.created_at >= bound]
                await out.check(
                    "list_workflow_runs(from_date)",
                    case,
                    lambda: workflows.list_workflow_runs(
                        workflow_name="hostile-wf", from_date=case.value
                    ),
                    _items(want_runs),
                )

        await self._run(storage, body)

    # ---- JSON depth, forged cursors, argument types (issue 15) -----------------------------

    async def test_hostile_json_depth_every_field(self, storage: MastraStorage) -> None:
        """Every JSON field of every record: a value that brings the record to exactly
        MAX_JSON_DEPTH levels is stored, one level more (and 900 levels) is a
        ``ValidationError`` before any write, never a ``RecursionError``."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        spans = await self.observability_or_none(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            thread = await memory.save_thread(sample_thread(resource_id=uid("deep")))
            message = sample_message(thread=thread)
            await memory.save_messages([message])
            run_key = uid("run")
            await workflows.persist_workflow_snapshot(
                workflow_name="deep", run_id=run_key, snapshot={"context": {}}
            )
            span = sample_span(trace_id=uid("trace"))
            if spans is not None:
                await spans.create_span(span)

            def n(levels: int) -> Any:
                return _deep(levels)

            # (entry, levels of the record above the value, write(value))
            entries: list[tuple[str, int, Callable[[Any], Awaitable[Any]]]] = [
                (
                    "save_thread.metadata",
                    2,
                    lambda v: memory.save_thread(
                        sample_thread(resource_id="deep", metadata={"k": v})
                    ),
                ),
                (
                    "update_thread.metadata",
                    2,
                    lambda v: memory.update_thread(thread.id, metadata={"k": v}),
                ),
                (
                    "update_resource.metadata",
                    2,
                    lambda v: memory.update_resource(uid("r"), metadata={"k": v}),
                ),
                (
                    "save_resource.metadata",
                    2,
                    lambda v: memory.save_resource(
                        Resource(
                            id=uid("r"),
                            metadata={"k": v},
                            created_at=BASE_TIME,
                            updated_at=BASE_TIME,
                        )
                    ),
                ),
                (
                    "save_messages.content.metadata",
                    3,
                    lambda v: memory.save_messages(
                        [sample_message(thread=thread, content={"metadata": {"k": v}})]
                    ),
                ),
                (
                    "update_messages.content.metadata",
                    3,
                    lambda v: memory.update_messages(
                        [MessageUpdate(id=message.id, content={"metadata": {"k": v}})]
                    ),
                ),
                (
                    "persist_workflow_snapshot.snapshot",
                    3,
                    lambda v: workflows.persist_workflow_snapshot(
                        workflow_name="deep", run_id=uid("run"), snapshot={"context": {"k": v}}
                    ),
                ),
                (
                    "update_workflow_results.result",
                    4,
                    lambda v: workflows.update_workflow_results(
                        workflow_name="deep", run_id=run_key, step_id="s", result={"k": v}
                    ),
                ),
                (
                    "update_workflow_state.result",
                    2,
                    lambda v: workflows.update_workflow_state(
                        workflow_name="deep", run_id=run_key, status="success", result=v
                    ),
                ),
                (
                    "save_score.metadata",
                    2,
                    lambda v: scores.save_score(sample_score(metadata={"k": v})),
                ),
                (
                    "save_score.output",
                    1,
                    lambda v: scores.save_score(_with(sample_score(), output=v)),
                ),
            ]
            if spans is not None:
                entries += [
                    (
                        "create_span.attributes",
                        2,
                        lambda v: spans.create_span(
                            sample_span(trace_id=uid("t"), attributes={"k": v})
                        ),
                    ),
                    (
                        "create_span.input",
                        1,
                        lambda v: spans.create_span(sample_span(trace_id=uid("t"), input=v)),
                    ),
                    (
                        "update_span.metadata",
                        2,
                        lambda v: spans.update_span(span.trace_id, span.span_id, metadata={"k": v}),
                    ),
                ]
            for name, above, write in entries:
                allowed = MAX_JSON_DEPTH - above
                await out.check(
                    name,
                    HostileCase("at-limit", None, Expect.ROUND_TRIP),
                    lambda: write(n(allowed)),
                )
                await out.check(
                    name, HostileCase("limit+1", None, Expect.REJECT), lambda: write(n(allowed + 1))
                )
                await out.check(
                    name, HostileCase("900", None, Expect.REJECT), lambda: write(n(900))
                )
            # What was stored at the limit reads back whole.
            key = uid("deep-thread")
            await memory.save_thread(
                sample_thread(id=key, resource_id="deep", metadata={"k": n(MAX_JSON_DEPTH - 2)})
            )
            stored = await memory.get_thread_by_id(key)
            assert stored is not None and _canon(stored.metadata) == _canon(
                {"k": n(MAX_JSON_DEPTH - 2)}
            )

        await self._run(storage, body)

    async def test_hostile_forged_cursors(self, storage: MastraStorage) -> None:
        """Cursors forged out of range (time keys, tie-breaks), of the wrong kind, or not
        cursors at all: a ``ValidationError`` on every list method that takes one."""
        memory = await self.memory(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            tid = seed.thread_ids[0]
            calls: list[tuple[str, Callable[[Any], Awaitable[Any]], str]] = []
            threads_page = await memory.list_threads(per_page=1)
            assert threads_page.next_cursor is not None
            calls.append(
                (
                    "list_threads",
                    lambda c: memory.list_threads(per_page=1, cursor=c),
                    threads_page.next_cursor,
                )
            )
            messages_page = await memory.list_messages(thread_id=tid, per_page=1)
            assert messages_page.next_cursor is not None
            calls.append(
                (
                    "list_messages",
                    lambda c: memory.list_messages(thread_id=tid, per_page=1, cursor=c),
                    messages_page.next_cursor,
                )
            )
            for name, call, real in calls:
                genuine = decode_cursor(real, scope=_scope_of_token(real))
                forged: list[tuple[HostileCase, Any]] = [
                    (case, encode_cursor(msgspec.structs.replace(genuine, key=case.value)))
                    for case in FORGED_CURSOR_KEYS
                ]
                forged += [
                    (case, encode_cursor(msgspec.structs.replace(genuine, tie=case.value)))
                    for case in FORGED_CURSOR_TIES
                ]
                wrong_kind = 5 if isinstance(genuine.tie, str) else "not-a-seq"
                forged.append(
                    (
                        HostileCase("tie-wrong-kind", wrong_kind, Expect.REJECT),
                        encode_cursor(msgspec.structs.replace(genuine, tie=wrong_kind)),
                    )
                )
                forged += [(case, case.value) for case in FORGED_CURSOR_TOKENS]
                for case, token in forged:
                    await out.check(f"{name}(cursor)", case, lambda: call(token))
                # the genuine cursor still works
                await out.check(
                    f"{name}(cursor)",
                    HostileCase("genuine", real, Expect.ROUND_TRIP),
                    lambda: call(real),
                )

        await self._run(storage, body)

    async def test_hostile_argument_types(self, storage: MastraStorage) -> None:
        """A table of public methods x wrong argument types and out-of-range values (strings
        for lists, ints for strings, NUL in types, ints beyond int64 on write and update
        paths, naive and out-of-calendar datetimes, unknown enum values): each is a
        ``ValidationError`` before any I/O, and the seeded data is unchanged."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        spans = await self.observability_or_none(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            tid, rid, run_id = seed.thread_ids[0], seed.resource_ids[0], seed.run_ids[0]
            (first, *_) = (await memory.list_messages(thread_id=tid, per_page=None)).items
            big = 2**63
            east = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
            naive = datetime(2020, 1, 1)
            table: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                # memory
                (
                    "update_messages(type=int)",
                    lambda: memory.update_messages([MessageUpdate(id=first.id, type=5)]),
                ),
                (
                    "update_messages(type NUL)",
                    lambda: memory.update_messages([MessageUpdate(id=first.id, type="v\x002")]),
                ),
                (
                    "update_messages(role)",
                    lambda: memory.update_messages([MessageUpdate(id=first.id, role="root")]),
                ),
                (
                    "update_messages(content int64+)",
                    lambda: memory.update_messages(
                        [MessageUpdate(id=first.id, content={"metadata": {"n": big}})]
                    ),
                ),
                ("update_messages(str)", lambda: memory.update_messages("m")),
                (
                    "save_messages(content=str)",
                    lambda: memory.save_messages(
                        [_with(sample_message(thread_id=tid, resource_id=rid), content="x")]
                    ),
                ),
                (
                    "save_messages(created_at naive)",
                    lambda: memory.save_messages(
                        [_with(sample_message(thread_id=tid, resource_id=rid), created_at=naive)]
                    ),
                ),
                (
                    "save_messages(type=int)",
                    lambda: memory.save_messages(
                        [_with(sample_message(thread_id=tid, resource_id=rid), type=7)]
                    ),
                ),
                ("list_messages_by_id(str)", lambda: memory.list_messages_by_id("m1")),
                ("list_messages_by_id(int)", lambda: memory.list_messages_by_id(5)),
                ("delete_messages(str)", lambda: memory.delete_messages("m1")),
                ("delete_messages(None)", lambda: memory.delete_messages(None)),
                ("list_threads(order_by=str)", lambda: memory.list_threads(order_by="created_at")),
                (
                    "list_threads(include_total=str)",
                    lambda: memory.list_threads(include_total="no"),
                ),
                ("list_threads(metadata int64+)", lambda: memory.list_threads(metadata={"n": big})),
                (
                    "list_messages(date_range=dict)",
                    lambda: memory.list_messages(thread_id=tid, date_range={"start": "2020"}),
                ),
                (
                    "list_messages(include=str)",
                    lambda: memory.list_messages(thread_id=tid, include="m1"),
                ),
                (
                    "list_messages(order_by=dict)",
                    lambda: memory.list_messages(thread_id=tid, order_by={"field": "created_at"}),
                ),
                (
                    "list_messages(date_range east of year 1)",
                    lambda: memory.list_messages(thread_id=tid, date_range=DateRange(start=east)),
                ),
                (
                    "save_thread(created_at naive)",
                    lambda: memory.save_thread(
                        _with(sample_thread(resource_id=rid), created_at=naive)
                    ),
                ),
                (
                    "save_thread(metadata int64+)",
                    lambda: memory.save_thread(
                        sample_thread(resource_id=rid, metadata={"n": [big]})
                    ),
                ),
                (
                    "update_thread(metadata int64+)",
                    lambda: memory.update_thread(tid, metadata={"n": -big - 1}),
                ),
                ("update_thread(title=int)", lambda: memory.update_thread(tid, title=5)),
                (
                    "update_resource(working_memory=int)",
                    lambda: memory.update_resource(rid, working_memory=5),
                ),
                (
                    "update_resource(metadata int64+)",
                    lambda: memory.update_resource(rid, metadata={"n": big}),
                ),
                (
                    "save_resource(updated_at naive)",
                    lambda: memory.save_resource(
                        _with(
                            Resource(id=rid, created_at=BASE_TIME, updated_at=BASE_TIME),
                            updated_at=naive,
                        )
                    ),
                ),
                (
                    "clone_thread(message_limit=True)",
                    lambda: memory.clone_thread(tid, message_limit=True),
                ),
                (
                    "clone_thread(message_limit=2**64)",
                    lambda: memory.clone_thread(tid, message_limit=2**64),
                ),
                (
                    "clone_thread(message_filter=str)",
                    lambda: memory.clone_thread(tid, message_filter="all"),
                ),
                (
                    "clone_thread(metadata int64+)",
                    lambda: memory.clone_thread(tid, metadata={"n": big}),
                ),
                # workflows
                (
                    "persist_workflow_snapshot(created_at naive)",
                    lambda: workflows.persist_workflow_snapshot(
                        workflow_name="hostile-wf", run_id=run_id, snapshot={}, created_at=naive
                    ),
                ),
                (
                    "persist_workflow_snapshot(created_at str)",
                    lambda: workflows.persist_workflow_snapshot(
                        workflow_name="hostile-wf",
                        run_id=run_id,
                        snapshot={},
                        created_at="2020-01-01",
                    ),
                ),
                (
                    "persist_workflow_snapshot(updated_at east of year 1)",
                    lambda: workflows.persist_workflow_snapshot(
                        workflow_name="hostile-wf", run_id=run_id, snapshot={}, updated_at=east
                    ),
                ),
                (
                    "persist_workflow_snapshot(int64+)",
                    lambda: workflows.persist_workflow_snapshot(
                        workflow_name="hostile-wf", run_id=run_id, snapshot={"n": big}
                    ),
                ),
                (
                    "update_workflow_results(result=str)",
                    lambda: workflows.update_workflow_results(
                        workflow_name="hostile-wf", run_id=run_id, step_id="s", result="done"
                    ),
                ),
                (
                    "update_workflow_results(int64+)",
                    lambda: workflows.update_workflow_results(
                        workflow_name="hostile-wf", run_id=run_id, step_id="s", result={"n": big}
                    ),
                ),
                (
                    "update_workflow_results(request_context=list)",
                    lambda: workflows.update_workflow_results(
                        workflow_name="hostile-wf",
                        run_id=run_id,
                        step_id="s",
                        result={},
                        request_context=["a"],
                    ),
                ),
                (
                    "update_workflow_state(status unknown)",
                    lambda: workflows.update_workflow_state(
                        workflow_name="hostile-wf", run_id=run_id, status="exploded"
                    ),
                ),
                (
                    "update_workflow_state(status=int)",
                    lambda: workflows.update_workflow_state(
                        workflow_name="hostile-wf", run_id=run_id, status=1
                    ),
                ),
                (
                    "update_workflow_state(int64+)",
                    lambda: workflows.update_workflow_state(
                        workflow_name="hostile-wf",
                        run_id=run_id,
                        status="success",
                        result={"n": big},
                    ),
                ),
                (
                    "get_workflow_run_by_id(workflow_name=int)",
                    lambda: workflows.get_workflow_run_by_id(run_id, workflow_name=5),
                ),
                # retention
                (
                    "prune(age before year 1)",
                    lambda: prune(storage, threads_older_than=timedelta(days=999_999_999)),
                ),
                (
                    "prune(cutoff east of year 1)",
                    lambda: prune(storage, messages_older_than=east),
                ),
                (
                    "prune(workflow_runs_older_than=int)",
                    lambda: prune(storage, workflow_runs_older_than=30),
                ),
                (
                    "list_workflow_runs(from_date naive)",
                    lambda: workflows.list_workflow_runs(from_date=naive),
                ),
                # scores
                (
                    "save_score(entity_type=int)",
                    lambda: scores.save_score(_with(sample_score(), entity_type=5)),
                ),
                (
                    "save_score(source unknown)",
                    lambda: scores.save_score(_with(sample_score(), source="PROD")),
                ),
                (
                    "save_score(scorer=str)",
                    lambda: scores.save_score(_with(sample_score(), scorer="s")),
                ),
                (
                    "save_score(reason=int)",
                    lambda: scores.save_score(_with(sample_score(), reason=5)),
                ),
                (
                    "save_score(output int64+)",
                    lambda: scores.save_score(_with(sample_score(), output={"n": big})),
                ),
                (
                    "list_scores_by_scorer_id(source unknown)",
                    lambda: scores.list_scores_by_scorer_id("s", source="PROD"),
                ),
                (
                    "list_scores_by_scorer_id(entity_id=int)",
                    lambda: scores.list_scores_by_scorer_id("s", entity_id=5),
                ),
            ]
            if spans is not None:
                trace, span_id = seed.span if seed.span else ("t", "s")
                table += [
                    (
                        "create_span(entity_name=int)",
                        lambda: spans.create_span(sample_span(trace_id=uid("t"), entity_name=5)),
                    ),
                    (
                        "create_span(attributes int64+)",
                        lambda: spans.create_span(
                            sample_span(trace_id=uid("t"), attributes={"n": big})
                        ),
                    ),
                    (
                        "create_span(tags=str)",
                        lambda: spans.create_span(sample_span(trace_id=uid("t"), tags="a")),
                    ),
                    (
                        "create_span(is_event=str)",
                        lambda: spans.create_span(sample_span(trace_id=uid("t"), is_event="no")),
                    ),
                    (
                        "create_span(user_id NUL)",
                        lambda: spans.create_span(sample_span(trace_id=uid("t"), user_id="u\x00")),
                    ),
                    (
                        "create_span(started_at naive)",
                        lambda: spans.create_span(
                            _with(sample_span(trace_id=uid("t")), started_at=naive)
                        ),
                    ),
                    ("batch_create_spans(str)", lambda: spans.batch_create_spans("s")),
                    (
                        "update_span(entity_name=int)",
                        lambda: spans.update_span(trace, span_id, entity_name=5),
                    ),
                    (
                        "update_span(attributes int64+)",
                        lambda: spans.update_span(trace, span_id, attributes={"n": [big]}),
                    ),
                    (
                        "update_span(ended_at naive)",
                        lambda: spans.update_span(trace, span_id, ended_at=naive),
                    ),
                    (
                        "update_span(unknown field)",
                        lambda: spans.update_span(trace, span_id, colour="red"),
                    ),
                    ("batch_delete_traces(str)", lambda: spans.batch_delete_traces("t")),
                    (
                        "list_traces(filter=dict)",
                        lambda: spans.list_traces(filter={"entity_name": "x"}),
                    ),
                    (
                        "list_traces(filter.entity_name=int)",
                        lambda: spans.list_traces(filter=TraceFilter(entity_name=5)),
                    ),
                ]
            for name, call in table:
                await out.check(name, HostileCase(name, None, Expect.REJECT), call)

        await self._run(storage, body)

    async def test_hostile_id_arguments_every_method(self, storage: MastraStorage) -> None:
        """Every id argument of every public method (required or optional filter), given
        each rejected id of the corpus (empty, blank, NUL, surrogate, too long, int, bytes,
        list, and None where the id is required): ``ValidationError``, nothing changed."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        spans = await self.observability_or_none(storage)

        async def body(seed: _Seed, out: _Outcomes) -> None:
            tid, rid, run_id = seed.thread_ids[0], seed.resource_ids[0], seed.run_ids[0]
            # (method(argument), call with the hostile id, the argument may be None)
            table: list[tuple[str, Callable[[Any], Awaitable[Any]], bool]] = [
                ("get_thread_by_id(thread_id)", lambda v: memory.get_thread_by_id(v), False),
                ("update_thread(thread_id)", lambda v: memory.update_thread(v, title="t"), False),
                ("delete_thread(thread_id)", lambda v: memory.delete_thread(v), False),
                ("list_threads(resource_id)", lambda v: memory.list_threads(resource_id=v), True),
                (
                    "list_messages(resource_id)",
                    lambda v: memory.list_messages(thread_id=tid, resource_id=v),
                    True,
                ),
                (
                    "list_messages(include.id)",
                    lambda v: memory.list_messages(thread_id=tid, include=[IncludeSpec(id=v)]),
                    False,
                ),
                (
                    "list_messages(include.thread_id)",
                    lambda v: memory.list_messages(
                        thread_id=tid, include=[IncludeSpec(id="m", thread_id=v)]
                    ),
                    True,
                ),
                ("list_messages_by_id([id])", lambda v: memory.list_messages_by_id([v]), False),
                ("delete_messages([id])", lambda v: memory.delete_messages([v]), False),
                (
                    "update_messages(id)",
                    lambda v: memory.update_messages([MessageUpdate(id=v, role="user")]),
                    False,
                ),
                (
                    "update_messages(thread_id)",
                    lambda v: memory.update_messages([MessageUpdate(id="m", thread_id=v)]),
                    True,
                ),
                (
                    "update_messages(resource_id)",
                    lambda v: memory.update_messages([MessageUpdate(id="m", resource_id=v)]),
                    True,
                ),
                ("get_resource_by_id(resource_id)", lambda v: memory.get_resource_by_id(v), False),
                (
                    "update_resource(resource_id)",
                    lambda v: memory.update_resource(v, working_memory="w"),
                    False,
                ),
                ("clone_thread(source_thread_id)", lambda v: memory.clone_thread(v), False),
                (
                    "clone_thread(new_thread_id)",
                    lambda v: memory.clone_thread(tid, new_thread_id=v),
                    True,
                ),
                (
                    "clone_thread(resource_id)",
                    lambda v: memory.clone_thread(tid, resource_id=v),
                    True,
                ),
                (
                    "clone_thread(message_filter.message_ids)",
                    lambda v: memory.clone_thread(
                        tid, message_filter=MessageFilter(message_ids=[v])
                    ),
                    False,
                ),
                (
                    "persist_workflow_snapshot(resource_id)",
                    lambda v: workflows.persist_workflow_snapshot(
                        workflow_name="hostile-wf", run_id=run_id, snapshot={}, resource_id=v
                    ),
                    True,
                ),
                (
                    "load_workflow_snapshot(workflow_name)",
                    lambda v: workflows.load_workflow_snapshot(workflow_name=v, run_id=run_id),
                    False,
                ),
                (
                    "load_workflow_snapshot(run_id)",
                    lambda v: workflows.load_workflow_snapshot(
                        workflow_name="hostile-wf", run_id=v
                    ),
                    False,
                ),
                (
                    "update_workflow_results(step_id)",
                    lambda v: workflows.update_workflow_results(
                        workflow_name="hostile-wf", run_id=run_id, step_id=v, result={}
                    ),
                    False,
                ),
                (
                    "update_workflow_state(run_id)",
                    lambda v: workflows.update_workflow_state(
                        workflow_name="hostile-wf", run_id=v, status="success"
                    ),
                    False,
                ),
                (
                    "list_workflow_runs(status)",
                    lambda v: workflows.list_workflow_runs(status=v),
                    True,
                ),
                (
                    "get_workflow_run_by_id(workflow_name)",
                    lambda v: workflows.get_workflow_run_by_id(run_id, workflow_name=v),
                    True,
                ),
                (
                    "delete_workflow_run_by_id(run_id)",
                    lambda v: workflows.delete_workflow_run_by_id(v, workflow_name="hostile-wf"),
                    False,
                ),
                (
                    "delete_workflow_run_by_id(workflow_name)",
                    lambda v: workflows.delete_workflow_run_by_id(run_id, workflow_name=v),
                    False,
                ),
                (
                    "save_score(scorer_id)",
                    lambda v: scores.save_score(_with(sample_score(), scorer_id=v)),
                    False,
                ),
                (
                    "save_score(trace_id)",
                    lambda v: scores.save_score(_with(sample_score(), trace_id=v)),
                    True,
                ),
                (
                    "list_scores_by_scorer_id(scorer_id)",
                    lambda v: scores.list_scores_by_scorer_id(v),
                    False,
                ),
                (
                    "list_scores_by_scorer_id(entity_type)",
                    lambda v: scores.list_scores_by_scorer_id("s", entity_type=v),
                    True,
                ),
                ("list_scores_by_run_id(run_id)", lambda v: scores.list_scores_by_run_id(v), False),
                (
                    "list_scores_by_entity_id(entity_type)",
                    lambda v: scores.list_scores_by_entity_id(rid, entity_type=v),
                    False,
                ),
            ]
            table.append(
                (
                    "list_scores_by_span(span_id)",
                    lambda v: scores.list_scores_by_span(trace_id="t", span_id=v),
                    False,
                )
            )
            if spans is not None:
                table += [
                    (
                        "create_span(span_id)",
                        lambda v: spans.create_span(
                            _with(sample_span(trace_id=uid("t")), span_id=v)
                        ),
                        False,
                    ),
                    (
                        "create_span(parent_span_id)",
                        lambda v: spans.create_span(
                            sample_span(trace_id=uid("t"), parent_span_id=v)
                        ),
                        True,
                    ),
                    (
                        "create_span(resource_id)",
                        lambda v: spans.create_span(sample_span(trace_id=uid("t"), resource_id=v)),
                        True,
                    ),
                    ("get_span(span_id)", lambda v: spans.get_span("t", v), False),
                    ("get_root_span(trace_id)", lambda v: spans.get_root_span(v), False),
                    ("get_trace(trace_id)", lambda v: spans.get_trace(v), False),
                    ("update_span(trace_id)", lambda v: spans.update_span(v, "s", name="n"), False),
                    (
                        "update_span(thread_id)",
                        lambda v: spans.update_span("t", "s", thread_id=v),
                        True,
                    ),
                    ("batch_delete_traces([id])", lambda v: spans.batch_delete_traces([v]), False),
                    (
                        "list_traces(filter.resource_id)",
                        lambda v: spans.list_traces(filter=TraceFilter(resource_id=v)),
                        True,
                    ),
                ]
            for case in ID_CASES:
                if not out.rejects(case) or case.name == "huge":
                    continue  # accepted ids are covered by test_hostile_ids; huge is slow
                for name, call, optional in table:
                    if optional and case.value is None:
                        continue  # None means "not given" there
                    await out.check(name, case, lambda: call(case.value))

        await self._run(storage, body)

    # ---- tenant isolation ------------------------------------------------------------------

    async def test_tenant_isolation_with_colliding_resource_ids(
        self, storage: MastraStorage
    ) -> None:
        """Resource ids that collide in key encodings (``a:b`` vs ``a`` + ``b``), glob, LIKE
        and regex patterns, or prefixes (``user1``/``user10``) never see each other's rows."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        owned: dict[str, dict[str, list[str]]] = {}
        for n, rid in enumerate(COLLIDING_RESOURCE_IDS):
            thread = await memory.save_thread(sample_thread(resource_id=rid))
            message = sample_message(thread=thread, created_at=at(BASE_TIME, seconds=n))
            await memory.save_messages([message])
            run_id = uid("run")
            await workflows.persist_workflow_snapshot(
                workflow_name="iso", run_id=run_id, resource_id=rid, snapshot={"rid": rid}
            )
            score = await scores.save_score(sample_score(entity_id=rid, entity_type="AGENT"))
            owned[rid] = {
                "threads": [thread.id],
                "messages": [message.id],
                "runs": [run_id],
                "scores": [score.id],
            }
        # Colliding ids sit next to each other in the corpus, so each tenant's include list
        # holds the messages of its neighbours (every tenant on one call would cost
        # n**2 lookups on the emulated backends for no extra coverage).
        rids = list(owned)
        neighbours = {
            rid: [
                m
                for other in (rids[i - 2], rids[i - 1], rids[(i + 1) % len(rids)])
                for m in owned[other]["messages"]
            ]
            for i, rid in enumerate(rids)
        }
        problems: list[str] = []
        tried = 0
        for rid, mine in owned.items():
            tid = mine["threads"][0]
            checks: list[tuple[str, list[str], list[str]]] = [
                (
                    "list_threads",
                    ids((await memory.list_threads(resource_id=rid)).items),
                    mine["threads"],
                ),
                (
                    "list_workflow_runs",
                    [r.run_id for r in (await workflows.list_workflow_runs(resource_id=rid)).items],
                    mine["runs"],
                ),
                (
                    "list_scores_by_entity_id",
                    ids((await scores.list_scores_by_entity_id(rid, entity_type="AGENT")).items),
                    mine["scores"],
                ),
                (
                    "list_messages(include other tenants, resource_id)",
                    ids(
                        (
                            await memory.list_messages(
                                thread_id=tid,
                                resource_id=rid,
                                per_page=None,
                                include=[
                                    IncludeSpec(
                                        id=m, with_previous_messages=1, with_next_messages=1
                                    )
                                    for m in neighbours[rid]
                                ],
                            )
                        ).items
                    ),
                    mine["messages"],
                ),
            ]
            if resource_scoped_queries(memory):
                page = await memory.list_messages_by_resource_id(resource_id=rid, per_page=None)
                checks.append(("list_messages_by_resource_id", ids(page.items), mine["messages"]))
            for name, got, want in checks:
                tried += 1
                if sorted(got) != sorted(want):
                    problems.append(f"{name}({rid!r}) returned {got}, expected {want}")
        assert tried == len(owned) * (5 if resource_scoped_queries(memory) else 4)
        assert not problems, "tenant isolation broken:\n" + "\n".join(problems)


def _deep(levels: int) -> Any:
    """A JSON object nested ``levels`` deep (``_deep(1) == {"leaf": True}``)."""
    value: Any = {"leaf": True}
    for _ in range(levels - 1):
        value = {"n": value}
    return value


def _scope_of_token(token: str) -> str:
    """The scope a genuine cursor carries (to forge its other fields)."""
    import base64

    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return msgspec.msgpack.decode(raw, type=Cursor).scope


def _iso(read: Read) -> Read:
    async def as_iso(v: Any) -> Any:
        return to_iso(await read(v))

    return as_iso


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _with(record: Any, **changes: Any) -> Any:
    """``record`` with fields replaced as given, unchecked (the builders would replace a
    ``None`` id with a fresh one)."""
    return msgspec.structs.replace(record, **changes)


async def _listed(call: Awaitable[Any], want: list[Any]) -> str | None:
    got = await call
    return None if got == want else f"returned {got}, expected {want}"


async def _as_list(call: Awaitable[Any]) -> list[Any]:
    value = await call
    return [] if value is None else [value]


__all__ = ["HostileInputTests"]
