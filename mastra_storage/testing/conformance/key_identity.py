"""Key identity: distinct ids are distinct records, or the second is refused, never merged.

Backends derive storage keys from ids: DynamoDB lower-cases them (``Thread-1`` and
``thread-1`` share an item), Redis joins them with ``:`` (message ``c`` of thread ``a:id:b``
and message ``b:id:c`` of thread ``a`` share a key). Whatever the backend does, saving two
records whose ids differ only in case, or only in where a ``:`` separator falls, must either
keep both (each reads back exactly, owner included) or refuse the second write with
:class:`ValidationError` or :class:`KeyCollisionError`, leaving the first exactly as it was.
Overwriting, merging, or returning one record when the other is asked for fails the test.
Every id carries a fresh random part, so the tests share no data with each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from ...composite import MastraStorage
from ...errors import KeyCollisionError, ValidationError
from ...records import MessageUpdate, Thread
from ..data import BASE_TIME, at, sample_message, sample_resource, sample_thread, uid
from ._base import ConformanceBase

#: The typed refusals a backend may answer an id it cannot keep apart with.
REFUSALS = (ValidationError, KeyCollisionError)


async def _refused(write: Callable[[], Awaitable[Any]]) -> bool:
    """Run ``write``; ``True`` if the backend refused it with a typed key refusal."""
    try:
        await write()
    except REFUSALS:
        return True
    return False


def _case_twins(prefix: str) -> tuple[str, str]:
    upper = uid(prefix).upper()
    return upper, upper.lower()


class KeyIdentityTests(ConformanceBase):
    """Ids differing only in letter case or in ``:`` separators never share a record."""

    # ---- threads and messages ---------------------------------------------------------

    async def _thread_pair(
        self, storage: MastraStorage, first: tuple[str, str], second: tuple[str, str]
    ) -> tuple[Thread, Thread | None]:
        """Save thread ``first`` = (id, owner), then ``second``; ``None`` if it was refused."""
        memory = await self.memory(storage)
        one = await memory.save_thread(
            sample_thread(id=first[0], resource_id=first[1], title=f"of {first[1]}")
        )
        two = sample_thread(id=second[0], resource_id=second[1], title=f"of {second[1]}")
        if await _refused(lambda: memory.save_thread(two)):
            assert await memory.get_thread_by_id(second[0]) is None
            return one, None
        return one, two

    async def _check_threads(self, storage: MastraStorage, *threads: Thread | None) -> None:
        memory = await self.memory(storage)
        for thread in threads:
            if thread is None:
                continue
            got = await memory.get_thread_by_id(thread.id)
            assert got is not None, f"thread {thread.id!r} is gone"
            assert (got.id, got.resource_id, got.title) == (
                thread.id,
                thread.resource_id,
                thread.title,
            ), f"thread {thread.id!r} reads back as another record"
            listed = await memory.list_threads(resource_id=thread.resource_id)
            assert [t.id for t in listed.items] == [thread.id]

    async def test_threads_differing_only_in_case_stay_distinct(
        self, storage: MastraStorage
    ) -> None:
        upper, lower = _case_twins("Thread")
        alice, mallory = uid("alice"), uid("mallory")
        one, two = await self._thread_pair(storage, (upper, alice), (lower, mallory))
        await self._check_threads(storage, one, two)
        memory = await self.memory(storage)
        if two is None:  # refused: updates and deletes aimed at the twin find nothing
            await memory.delete_thread(lower)
            await self._check_threads(storage, one)

    async def test_messages_differing_only_in_case_stay_distinct(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        alice = await memory.save_thread(sample_thread(resource_id=uid("alice")))
        mallory = await memory.save_thread(sample_thread(resource_id=uid("mallory")))
        upper, lower = _case_twins("Msg")
        first = sample_message(id=upper, thread=alice, text="alice's", created_at=BASE_TIME)
        await memory.save_messages([first])
        second = sample_message(
            id=lower, thread=mallory, text="mallory's", created_at=at(BASE_TIME, seconds=1)
        )
        kept_apart = not await _refused(lambda: memory.save_messages([second]))
        page = await memory.list_messages(thread_id=alice.id)
        assert [(m.id, m.text, m.resource_id) for m in page.items] == [
            (upper, "alice's", alice.resource_id)
        ]
        page = await memory.list_messages(thread_id=mallory.id)
        want = [(lower, "mallory's", mallory.resource_id)] if kept_apart else []
        assert [(m.id, m.text, m.resource_id) for m in page.items] == want
        by_id = await memory.list_messages_by_id([upper, lower])
        assert sorted((m.id, m.thread_id) for m in by_id) == sorted(
            [(upper, alice.id)] + ([(lower, mallory.id)] if kept_apart else [])
        )
        # Updating the twin never touches the first one.
        if not kept_apart:
            assert await memory.update_messages([MessageUpdate(id=lower, role="system")]) == []
        assert [m.role for m in await memory.list_messages_by_id([upper])] == [first.role]

    async def test_colon_separated_ids_never_share_a_message(self, storage: MastraStorage) -> None:
        """Message ``b:id:c`` of thread ``a`` and message ``c`` of thread ``a:id:b``."""
        memory = await self.memory(storage)
        a, b, c = uid("a"), uid("b"), uid("c")
        alice, mallory = uid("alice"), uid("mallory")
        one, two = await self._thread_pair(storage, (a, alice), (f"{a}:id:{b}", mallory))
        first = sample_message(id=f"{b}:id:{c}", thread=one, text="alice's")
        await memory.save_messages([first])
        if two is not None:
            second = sample_message(id=c, thread=two, text="mallory's")
            if await _refused(lambda: memory.save_messages([second])):
                two = None
            else:
                page = await memory.list_messages(thread_id=two.id)
                assert [(m.id, m.text) for m in page.items] == [(c, "mallory's")]
        page = await memory.list_messages(thread_id=a)
        assert [(m.id, m.text, m.resource_id) for m in page.items] == [
            (f"{b}:id:{c}", "alice's", alice)
        ]
        await self._check_threads(storage, one, two)

    # ---- resources ----------------------------------------------------------------------

    async def test_resources_differing_only_in_case_stay_distinct(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        upper, lower = _case_twins("Res")
        await memory.save_resource(sample_resource(id=upper, working_memory="alice's"))
        saved = not await _refused(
            lambda: memory.save_resource(sample_resource(id=lower, working_memory="mallory's"))
        )
        updated = not await _refused(
            lambda: memory.update_resource(lower, working_memory="mallory's, updated")
        )
        first = await memory.get_resource_by_id(upper)
        assert first is not None and (first.id, first.working_memory) == (upper, "alice's")
        second = await memory.get_resource_by_id(lower)
        if saved or updated:
            assert second is not None and second.id == lower
            assert second.working_memory == ("mallory's, updated" if updated else "mallory's")
        else:
            assert second is None

    # ---- workflow runs ------------------------------------------------------------------

    async def _run_pair(
        self,
        storage: MastraStorage,
        first: tuple[str, str, str | None],
        second: tuple[str, str, str | None],
    ) -> None:
        """Persist run ``first`` = (workflow, run id, resource), then ``second``: both read
        back exactly, or the second was refused and reads as absent."""
        workflows = await self.workflows(storage)
        runs = [first, second]
        kept: list[tuple[str, str, str | None]] = []
        for n, (workflow_name, run_id, resource_id) in enumerate(runs):

            async def write(
                w: str = workflow_name, r: str = run_id, x: Any = resource_id, i: int = n
            ) -> None:
                await workflows.persist_workflow_snapshot(
                    workflow_name=w, run_id=r, resource_id=x, snapshot={"n": i}
                )

            if n == 0:
                await write()
                kept.append(runs[0])
            elif not await _refused(write):
                kept.append(runs[1])
            else:
                assert (
                    await workflows.load_workflow_snapshot(
                        workflow_name=workflow_name, run_id=run_id
                    )
                    is None
                )
        for workflow_name, run_id, resource_id in kept:
            run = await workflows.get_workflow_run_by_id(run_id, workflow_name=workflow_name)
            assert run is not None, f"run {workflow_name}/{run_id} is gone"
            assert (run.workflow_name, run.run_id, run.resource_id) == (
                workflow_name,
                run_id,
                resource_id,
            ), f"run {workflow_name}/{run_id} reads back as another run"
            assert run.snapshot == {"n": runs.index((workflow_name, run_id, resource_id))}

    async def test_runs_differing_only_in_case_stay_distinct(self, storage: MastraStorage) -> None:
        upper, lower = _case_twins("Run")
        workflow = uid("Flow")
        await self._run_pair(storage, (workflow, upper, None), (workflow, lower, None))
        await self._run_pair(
            storage, (workflow + "-x", upper, None), (workflow.lower() + "-x", upper, None)
        )

    async def test_colon_separated_run_ids_never_share_a_run(self, storage: MastraStorage) -> None:
        """Run ``w``/``r:resourceId:x`` and run ``w``/``r`` of resource ``x``."""
        w, r, x = uid("w"), uid("r"), uid("x")
        await self._run_pair(storage, (w, r, x), (w, f"{r}:resourceId:{x}", None))
        w2 = uid("w")
        await self._run_pair(storage, (w2, f"{r}:run_id:{x}", None), (f"{w2}:run_id:{r}", x, None))

    async def test_deleting_a_run_never_deletes_one_sharing_its_key(
        self, storage: MastraStorage
    ) -> None:
        """Deleting run ``a:run_id:b``/``c`` (or a case twin) leaves ``a``/``b:run_id:c``."""
        workflows = await self.workflows(storage)
        a, b, c = uid("A"), uid("B"), uid("C")
        await workflows.persist_workflow_snapshot(
            workflow_name=a, run_id=f"{b}:run_id:{c}", snapshot={"keep": True}
        )
        for workflow_name, run_id in (
            (f"{a}:run_id:{b}", c),
            (a.lower(), f"{b}:run_id:{c}".lower()),
        ):
            with contextlib.suppress(*REFUSALS):  # a refusal is fine; a deletion is not
                await workflows.delete_workflow_run_by_id(run_id, workflow_name=workflow_name)
            snapshot = await workflows.load_workflow_snapshot(
                workflow_name=a, run_id=f"{b}:run_id:{c}"
            )
            assert snapshot == {"keep": True}, f"deleting {workflow_name}/{run_id} removed it"


__all__ = ["REFUSALS", "KeyIdentityTests"]
