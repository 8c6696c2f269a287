"""Datasets (SCD-2 item versions), experiments and blobs (spec 10.1-10.3, 12.10).

Each test covers one rule group densely. A storage without one of these domains skips the
tests of that domain.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ...composite import MastraStorage
from ...domains.blobs import BlobsStore, blob_hash
from ...domains.datasets import DatasetItemIdentityConflictError, DatasetsStore
from ...domains.experiments import ExperimentsStore
from ...errors import ConflictError, NotFoundError, ValidationError
from ...eval_records import (
    DatasetInput,
    DatasetUpdate,
    ExperimentInput,
    ExperimentUpdate,
    ItemInput,
    ItemUpdate,
    ResultInput,
    ResultUpdate,
)
from ..data import uid
from ._base import ConformanceBase
from .retention import CUT, RetentionTests

_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}},
    "required": ["question"],
}


def _at(seconds: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)


class EvalsTests(ConformanceBase):
    """Datasets with versioned items, experiments with results, content-addressed blobs."""

    @staticmethod
    async def datasets(storage: MastraStorage) -> DatasetsStore:
        result: DatasetsStore = await ConformanceBase.optional_domain(storage, "datasets")
        return result

    @staticmethod
    async def experiments(storage: MastraStorage) -> ExperimentsStore:
        result: ExperimentsStore = await ConformanceBase.optional_domain(storage, "experiments")
        return result

    @staticmethod
    async def blobs(storage: MastraStorage) -> BlobsStore:
        result: BlobsStore = await ConformanceBase.optional_domain(storage, "blobs")
        return result

    async def test_dataset_create_get_update_list(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        created = await ds.create_dataset(
            DatasetInput(name="Support QA", input_schema=_SCHEMA, tags=["a"], metadata={"k": 1})
        )
        assert uuid.UUID(created.id) and created.version == 0
        assert await ds.get_dataset(created.id) == created
        assert await ds.get_dataset("no-such-dataset") is None
        custom = await ds.create_dataset(
            DatasetInput(name="other qa", id=uid("ds"), organization_id="org", candidate_key="k")
        )
        # a caller-defined id is an identity: compatible reuse returns the stored dataset
        again = DatasetInput(name="dup", id=custom.id, organization_id="org", candidate_key="k")
        assert await ds.create_dataset(again) == custom
        for clash in (
            DatasetInput(name="dup", id=custom.id, organization_id="org"),
            DatasetInput(name="dup", id=custom.id, organization_id="other", candidate_key="k"),
        ):
            with pytest.raises(ConflictError):
                await ds.create_dataset(clash)
        assert await ds.get_dataset(custom.id) == custom
        for bad in (
            DatasetInput(name=""),
            DatasetInput(name="x", input_schema={"type": "no-such-type"}),
            DatasetInput(name="x", metadata={"k": object()}),
        ):
            with pytest.raises(ValidationError):
                await ds.create_dataset(bad)
        updated = await ds.update_dataset(
            created.id, DatasetUpdate(description="d", metadata=None, tags=["b"])
        )
        assert (updated.description, updated.metadata, updated.tags) == ("d", None, ["b"])
        assert updated.version == 0 and updated.updated_at >= created.updated_at
        assert await ds.get_dataset(created.id) == updated
        with pytest.raises(NotFoundError):
            await ds.update_dataset("no-such-dataset", DatasetUpdate(name="x"))
        with pytest.raises(ValidationError):
            await ds.update_dataset(created.id, DatasetUpdate(input_schema={"type": 5}))
        assert await ds.get_dataset(created.id) == updated
        page = await ds.list_datasets(name="QA", per_page=1)
        assert (page.total, len(page.items), page.has_more) == (2, 1, True)
        rest = await ds.list_datasets(name="QA", per_page=1, cursor=page.next_cursor)
        assert {page.items[0].id, rest.items[0].id} == {created.id, custom.id}

    async def test_item_versions_scd2_and_time_travel(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds"), input_schema=_SCHEMA))
        first = await ds.add_item(dataset.id, ItemInput(input={"question": "a"}, ground_truth=1))
        assert (first.dataset_version, first.valid_to, first.is_deleted) == (1, None, False)
        other = await ds.add_item(dataset.id, ItemInput(input={"question": "b"}))
        updated = await ds.update_item(dataset.id, first.id, ItemUpdate(input={"question": "a2"}))
        assert (updated.dataset_version, updated.ground_truth) == (3, 1)
        assert updated.created_at == first.created_at
        await ds.delete_item(dataset.id, other.id)
        assert (await ds.get_dataset(dataset.id)).version == 4  # type: ignore[union-attr]
        history = await ds.get_item_history(first.id)
        assert [(r.dataset_version, r.valid_to, r.is_deleted) for r in history] == [
            (3, None, False),
            (1, 3, False),
        ]
        tomb = await ds.get_item_history(other.id)
        assert [(r.dataset_version, r.valid_to, r.is_deleted) for r in tomb] == [
            (4, None, True),
            (2, 4, False),
        ]
        assert (await ds.get_item(first.id)).input == {"question": "a2"}  # type: ignore[union-attr]
        assert (await ds.get_item(first.id, version=2)).input == {"question": "a"}  # type: ignore[union-attr]
        assert await ds.get_item(other.id) is None
        assert (await ds.get_item(other.id, version=3)).input == {"question": "b"}  # type: ignore[union-attr]
        assert await ds.get_item(first.id, version=0) is None

        async def inputs(version: int | None) -> list[Any]:
            page = await ds.list_items(dataset.id, version=version, per_page=None)
            assert page.total == len(page.items)
            return sorted(i.input["question"] for i in page.items)

        assert [await inputs(v) for v in (0, 1, 2, 3, 4, None)] == [
            [],
            ["a"],
            ["a", "b"],
            ["a2", "b"],
            ["a2"],
            ["a2"],
        ]
        assert len(await ds.get_items_by_version(dataset.id, 2)) == 2
        versions = await ds.list_dataset_versions(dataset.id, per_page=3)
        assert [v.version for v in versions.items] == [4, 3, 2] and versions.total == 4
        more = await ds.list_dataset_versions(dataset.id, per_page=3, cursor=versions.next_cursor)
        assert [v.version for v in more.items] == [1] and not more.has_more

    async def test_batches_bump_once_and_are_all_or_nothing(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds"), input_schema=_SCHEMA))
        items = await ds.batch_insert_items(
            dataset.id, [ItemInput(input={"question": str(i)}) for i in range(3)]
        )
        assert {i.dataset_version for i in items} == {1}
        with pytest.raises(ValidationError):  # the third item breaks the schema: none written
            await ds.batch_insert_items(
                dataset.id,
                [ItemInput(input={"question": "ok"}), ItemInput(input={"question": 5})],
            )
        with pytest.raises(NotFoundError):  # one unknown id: nothing deleted
            await ds.batch_delete_items(dataset.id, [items[0].id, "no-such-item"])
        assert (await ds.get_dataset(dataset.id)).version == 1  # type: ignore[union-attr]
        await ds.batch_delete_items(dataset.id, [items[0].id, items[1].id])
        assert (await ds.get_dataset(dataset.id)).version == 2  # type: ignore[union-attr]
        current = await ds.list_items(dataset.id)
        assert [i.id for i in current.items] == [items[2].id]
        versions = await ds.list_dataset_versions(dataset.id)
        assert [v.version for v in versions.items] == [2, 1]
        big = [ItemInput(input={"question": f"q{i}"}) for i in range(60)]
        with pytest.raises(ValidationError):  # a large batch is validated the same way
            await ds.batch_insert_items(dataset.id, [*big, ItemInput(input={"other": 1})])
        added = await ds.batch_insert_items(dataset.id, big)
        assert {i.dataset_version for i in added} == {3} and len(added) == 60
        assert (await ds.list_items(dataset.id, include_total=True)).total == 61

    async def test_item_errors_write_nothing(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        one = await ds.create_dataset(DatasetInput(name=uid("ds"), input_schema=_SCHEMA))
        two = await ds.create_dataset(DatasetInput(name=uid("ds")))
        item = await ds.add_item(one.id, ItemInput(input={"question": "q"}))
        with pytest.raises(NotFoundError):  # the item belongs to another dataset
            await ds.update_item(two.id, item.id, ItemUpdate(input={"x": 1}))
        with pytest.raises(NotFoundError):
            await ds.delete_item(two.id, item.id)
        with pytest.raises(NotFoundError):
            await ds.update_item(one.id, "no-such-item", ItemUpdate(input={"question": "x"}))
        with pytest.raises(NotFoundError):
            await ds.add_item("no-such-dataset", ItemInput(input={"question": "q"}))
        with pytest.raises(ValidationError):  # the merged item breaks the schema
            await ds.update_item(one.id, item.id, ItemUpdate(input={"question": 1}))
        with pytest.raises(ValidationError):
            await ds.add_item(one.id, ItemInput(input=None))
        with pytest.raises(ValidationError):
            await ds.list_items(one.id, version=-1)
        await ds.delete_item(one.id, item.id)
        with pytest.raises(NotFoundError):  # deleted: no current row to update
            await ds.update_item(one.id, item.id, ItemUpdate(input={"question": "x"}))
        assert [(await ds.get_dataset(d.id)).version for d in (one, two)] == [2, 0]  # type: ignore[union-attr]
        assert len(await ds.get_item_history(item.id)) == 2

    async def test_concurrent_item_writers_never_share_a_version(
        self, storage: MastraStorage
    ) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        seed = await ds.add_item(dataset.id, ItemInput(input={"n": 0}))
        writes = [ds.add_item(dataset.id, ItemInput(input={"n": i})) for i in range(1, 9)]
        writes += [
            ds.update_item(dataset.id, seed.id, ItemUpdate(input={"n": -i})) for i in range(4)
        ]
        done = await asyncio.gather(*writes)
        versions = sorted(r.dataset_version for r in done)
        assert versions == list(range(2, 14))
        assert (await ds.get_dataset(dataset.id)).version == 13  # type: ignore[union-attr]
        history = await ds.get_item_history(seed.id)
        assert sum(r.valid_to is None for r in history) == 1 and len(history) == 5
        rows = await ds.list_dataset_versions(dataset.id, per_page=None)
        assert sorted(v.version for v in rows.items) == list(range(1, 14))

    async def test_external_ids_are_item_identities(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        payload = {"q": "a", "n": 1, "flags": {"x": True, "y": [1, 2.5]}}
        first = await ds.add_item(dataset.id, ItemInput(input=payload, external_id="e1"))
        # key order is free, 1 and 1.0 are one number: the same payload, nothing written
        again = await ds.add_item(
            dataset.id,
            ItemInput(
                input={"flags": {"y": [1.0, 2.5], "x": True}, "n": 1, "q": "a"}, external_id="e1"
            ),
        )
        assert again == first
        assert (await ds.get_dataset(dataset.id)).version == 1  # type: ignore[union-attr]
        for other in (
            ItemInput(input=payload, external_id="e1", ground_truth="g"),
            ItemInput(input={**payload, "n": True}, external_id="e1"),  # True is not 1
        ):
            with pytest.raises(DatasetItemIdentityConflictError) as caught:
                await ds.add_item(dataset.id, other)
            assert [
                (c.index, c.external_id, c.existing_item_id, c.reason)
                for c in caught.value.conflicts
            ] == [(0, "e1", first.id, "payload_mismatch")]
        # a batch: a new id twice (one item), a known id, no id; one version bump
        batch = await ds.batch_insert_items(
            dataset.id,
            [
                ItemInput(input={"q": "b"}, external_id="e2"),
                ItemInput(input=payload, external_id="e1"),
                ItemInput(input={"q": "b"}, external_id="e2"),
                ItemInput(input={"q": "c"}),
            ],
        )
        assert batch[1] == first and batch[0] == batch[2] and batch[0].id != batch[3].id
        assert {batch[0].dataset_version, batch[3].dataset_version} == {2}
        assert (await ds.list_items(dataset.id)).total == 3
        # one conflict anywhere fails the whole batch; every conflict is reported
        with pytest.raises(DatasetItemIdentityConflictError) as caught:
            await ds.batch_insert_items(
                dataset.id,
                [
                    ItemInput(input={"q": "d"}, external_id="e3"),
                    ItemInput(input={"q": "other"}, external_id="e2"),
                    ItemInput(input={"q": "d2"}, external_id="e3"),
                ],
            )
        assert [(c.index, c.reason) for c in caught.value.conflicts] == [
            (1, "payload_mismatch"),
            (2, "payload_mismatch"),
        ]
        assert caught.value.conflicts[1].existing_item_id not in {first.id, batch[0].id}
        assert (await ds.get_dataset(dataset.id)).version == 2  # type: ignore[union-attr]
        # an update keeps the identity: the first payload still resolves, to the item now
        updated = await ds.update_item(dataset.id, first.id, ItemUpdate(input={"q": "a2"}))
        assert updated.external_id == "e1"
        assert await ds.add_item(dataset.id, ItemInput(input=payload, external_id="e1")) == updated
        with pytest.raises(DatasetItemIdentityConflictError):
            await ds.add_item(dataset.id, ItemInput(input={"q": "a2"}, external_id="e1"))
        await ds.delete_item(dataset.id, first.id)
        with pytest.raises(DatasetItemIdentityConflictError) as caught:
            await ds.add_item(dataset.id, ItemInput(input=payload, external_id="e1"))
        assert caught.value.conflicts[0].reason == "deleted"
        # identities are per dataset
        elsewhere = await ds.create_dataset(DatasetInput(name=uid("ds")))
        moved = await ds.add_item(elsewhere.id, ItemInput(input={"q": "z"}, external_id="e1"))
        assert moved.id != first.id
        with pytest.raises(ValidationError):
            await ds.add_item(dataset.id, ItemInput(input={"q": "x"}, external_id=""))

    async def test_concurrent_external_ids_make_one_item_each(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        same = [
            ds.add_item(dataset.id, ItemInput(input={"q": 1}, external_id="x")) for _ in range(5)
        ]
        distinct = [
            ds.add_item(dataset.id, ItemInput(input={"q": i}, external_id=f"d{i}"))
            for i in range(5)
        ]
        done = await asyncio.gather(*same, *distinct)
        assert len({i.id for i in done[:5]}) == 1
        assert len({i.id for i in done[5:]}) == 5
        current = await ds.list_items(dataset.id, per_page=None)
        assert sorted(i.external_id or "" for i in current.items) == sorted(
            ["x", *(f"d{i}" for i in range(5))]
        )
        assert (await ds.get_dataset(dataset.id)).version == 6  # type: ignore[union-attr]

    async def test_purge_item_scrubs_history_and_results(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        item = await ds.add_item(
            dataset.id,
            ItemInput(input={"q": "secret"}, ground_truth="g", metadata={"m": 1}, external_id="p1"),
        )
        await ds.update_item(dataset.id, item.id, ItemUpdate(input={"q": "secret2"}))
        keep = await ds.add_item(dataset.id, ItemInput(input={"q": "keep"}))
        ex = await storage.get_store("experiments")
        results = []
        if ex is not None:
            run = await ex.create_experiment(
                ExperimentInput(dataset_id=dataset.id, dataset_version=3)
            )
            for target in (item, keep):
                results.append(
                    await ex.add_experiment_result(
                        ResultInput(
                            experiment_id=run.id,
                            item_id=target.id,
                            input=target.input,
                            output={"a": 1},
                            tags=["t"],
                            comment="c",
                            metadata={"r": 1},
                            started_at=_at(0),
                            completed_at=_at(1),
                        )
                    )
                )
        other = await ds.create_dataset(DatasetInput(name=uid("ds")))
        assert await ds.purge_item(other.id, item.id) is False  # not an item of that dataset
        assert await ds.purge_item(dataset.id, "no-such-item") is False
        assert len(await ds.get_item_history(item.id)) == 2
        assert (await ds.get_item_history(item.id))[0].input == {"q": "secret2"}
        assert await ds.purge_item(dataset.id, item.id) is True
        history = await ds.get_item_history(item.id)
        assert [(r.dataset_version, r.valid_to) for r in history] == [(2, None), (1, 2)]
        for row in history:
            assert (row.input, row.ground_truth, row.external_id) == (None, None, "p1")
            assert row.metadata is not None and row.metadata["__purged"] is True
            assert isinstance(row.metadata["purgedAt"], str)
        assert (await ds.get_dataset(dataset.id)).version == 3  # type: ignore[union-attr]
        assert (await ds.get_item(keep.id)) == keep
        if ex is not None:
            scrubbed = await ex.get_experiment_result(results[0].id)
            assert scrubbed is not None
            assert (scrubbed.input, scrubbed.output, scrubbed.tags, scrubbed.comment) == (
                None,
                None,
                None,
                None,
            )
            assert scrubbed.metadata is not None and scrubbed.metadata["__purged"] is True
            assert scrubbed.item_id == item.id and scrubbed.started_at == results[0].started_at
            assert await ex.get_experiment_result(results[1].id) == results[1]
        with pytest.raises(ConflictError):
            await ds.update_item(dataset.id, item.id, ItemUpdate(input={"q": "back"}))
        with pytest.raises(DatasetItemIdentityConflictError):  # the first payload is gone
            await ds.add_item(
                dataset.id,
                ItemInput(
                    input={"q": "secret"}, ground_truth="g", metadata={"m": 1}, external_id="p1"
                ),
            )
        assert await ds.purge_item(dataset.id, item.id) is True  # idempotent
        await ds.delete_item(dataset.id, item.id)  # a purged item can still be deleted
        assert await ds.get_item(item.id) is None
        with pytest.raises(ValidationError):
            await ds.purge_item(dataset.id, "")

    async def test_listing_filters_of_mastra(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        key, a, b, c = uid("key"), uid("t"), uid("t"), uid("t")
        d1 = await ds.create_dataset(
            DatasetInput(name=uid("ds"), candidate_key=key, candidate_id="c1", target_ids=[a, b])
        )
        d2 = await ds.create_dataset(
            DatasetInput(name=uid("ds"), candidate_key=key, candidate_id="c2", target_ids=[c])
        )
        d3 = await ds.create_dataset(DatasetInput(name=uid("ds")))

        async def ids(**filters: Any) -> set[str]:
            return {d.id for d in (await ds.list_datasets(per_page=None, **filters)).items}

        assert await ids(candidate_key=key) == {d1.id, d2.id}
        assert await ids(candidate_key=key, candidate_id="c2") == {d2.id}
        assert await ids(target_ids=[a, c]) == {d1.id, d2.id}
        assert await ids(target_ids=[b, uid("t")]) == {d1.id}
        assert {d1.id, d2.id, d3.id} <= await ids(target_ids=[])  # empty: no filter
        first = await ds.list_datasets(target_ids=[a, c], per_page=1)
        rest = await ds.list_datasets(target_ids=[a, c], per_page=1, cursor=first.next_cursor)
        assert first.total == 2 and {first.items[0].id, rest.items[0].id} == {d1.id, d2.id}
        with pytest.raises(ValidationError):
            await ds.list_datasets(target_ids="abc")  # type: ignore[arg-type]

        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        refund = await ds.add_item(
            dataset.id,
            ItemInput(input={"question": "What is the Refund policy?"}, ground_truth="30 days"),
        )
        shipping = await ds.add_item(
            dataset.id, ItemInput(input={"question": "shipping"}, ground_truth={"a": "two DAYS"})
        )
        plain = await ds.add_item(dataset.id, ItemInput(input="plain text about refunds"))
        percent = await ds.add_item(dataset.id, ItemInput(input={"question": "100% sure_ok"}))

        async def found(search: str, **kw: Any) -> set[str]:
            page = await ds.list_items(dataset.id, search=search, per_page=None, **kw)
            assert page.total == len(page.items)
            return {i.id for i in page.items}

        assert await found("REFUND") == {refund.id, plain.id}
        assert await found("days") == {refund.id, shipping.id}  # ground truth searched too
        assert await found("%") == {percent.id}  # LIKE wildcards are literal
        assert await found("1_0") == set()  # "_" too (it would match "100")
        assert await found("no such text") == set()
        assert len(await found("")) == 4  # an empty search filters nothing
        await ds.update_item(dataset.id, refund.id, ItemUpdate(input={"question": "returns"}))
        assert await found("refund") == {plain.id}
        assert await found("refund", version=4) == {refund.id, plain.id}  # time travel
        page = await ds.list_items(dataset.id, search="s", per_page=2)
        more = await ds.list_items(dataset.id, search="s", per_page=2, cursor=page.next_cursor)
        assert len({i.id for i in [*page.items, *more.items]}) == page.total == 4

    async def test_delete_dataset_cascades(self, storage: MastraStorage) -> None:
        ds = await self.datasets(storage)
        dataset = await ds.create_dataset(DatasetInput(name=uid("ds")))
        item = await ds.add_item(dataset.id, ItemInput(input={"q": 1}))
        ex = await storage.get_store("experiments")
        experiment = None
        if ex is not None:
            experiment = await ex.create_experiment(
                ExperimentInput(dataset_id=dataset.id, dataset_version=1)
            )
            await ex.add_experiment_result(
                ResultInput(
                    experiment_id=experiment.id,
                    item_id=item.id,
                    input={"q": 1},
                    started_at=_at(0),
                    completed_at=_at(1),
                )
            )
        await ds.delete_dataset(dataset.id)
        await ds.delete_dataset(dataset.id)  # idempotent
        assert await ds.get_dataset(dataset.id) is None
        assert await ds.get_item_history(item.id) == []
        assert (await ds.list_dataset_versions(dataset.id)).total == 0
        if ex is not None and experiment is not None:
            kept = await ex.get_experiment(experiment.id)
            assert kept is not None and (kept.dataset_id, kept.dataset_version) == (None, None)
            assert (await ex.list_experiment_results(experiment.id)).total == 0

    async def test_experiments_and_results(self, storage: MastraStorage) -> None:
        ex = await self.experiments(storage)
        created = await ex.create_experiment(
            ExperimentInput(id=uid("exp"), dataset_id=None, dataset_version=3, name="run")
        )
        assert created.status == "pending" and created.dataset_version == 3
        assert (created.succeeded_count, created.failed_count, created.skipped_count) == (0, 0, 0)
        assert await ex.get_experiment(created.id) == created
        with pytest.raises(ConflictError):
            await ex.create_experiment(ExperimentInput(id=created.id))
        with pytest.raises(NotFoundError):
            await ex.update_experiment("no-such-exp", ExperimentUpdate(status="running"))
        with pytest.raises(ValidationError):
            await ex.update_experiment(created.id, ExperimentUpdate(status="bogus"))
        with pytest.raises(ValidationError):
            await ex.update_experiment(created.id, ExperimentUpdate(failed_count=-1))
        running = await ex.update_experiment(
            created.id, ExperimentUpdate(status="running", started_at=_at(0), total_items=3)
        )
        assert (running.status, running.total_items, running.name) == ("running", 3, "run")
        with pytest.raises(NotFoundError):
            await ex.add_experiment_result(
                ResultInput(
                    experiment_id="no-such-exp",
                    item_id="i",
                    input=1,
                    started_at=_at(0),
                    completed_at=_at(0),
                )
            )
        results = [
            await ex.add_experiment_result(
                ResultInput(
                    experiment_id=created.id,
                    item_id=f"item-{n}",
                    input={"n": n},
                    output="out",
                    started_at=_at(10 - n),
                    completed_at=_at(11 - n),
                    status="passed" if n else "failed",
                )
            )
            for n in range(3)
        ]
        page = await ex.list_experiment_results(created.id)
        assert [r.id for r in page.items] == [r.id for r in reversed(results)]
        assert (await ex.list_experiment_results(created.id, status="failed")).total == 1
        reviewed = await ex.update_experiment_result(
            results[0].id, ResultUpdate(comment="ok", tags=["x"])
        )
        assert (reviewed.comment, reviewed.tags, reviewed.output) == ("ok", ["x"], "out")
        assert await ex.get_experiment_result(results[0].id) == reviewed
        other = await ex.create_experiment(ExperimentInput(dataset_id=uid("ds")))
        listed = await ex.list_experiments(dataset_id=other.dataset_id)
        assert [e.id for e in listed.items] == [other.id]
        await ex.delete_experiment_results(other.id)
        await ex.delete_experiment(created.id)
        assert await ex.get_experiment(created.id) is None
        assert await ex.get_experiment_result(results[1].id) is None

    async def test_blobs_are_content_addressed(self, storage: MastraStorage) -> None:
        blobs = await self.blobs(storage)
        text = "# Skill\nnaïve ✓ " + uid("c")
        stored = await blobs.put(text, mime_type="text/markdown")
        assert stored.hash == blob_hash(text) and stored.size == len(text.encode())
        again = await blobs.put(text)  # same content: kept as stored
        assert (await blobs.get(again.hash)) == stored
        assert await blobs.has(stored.hash) and not await blobs.has("0" * 64)
        binary = await blobs.put_bytes(b"\x00\xff" + uid("b").encode(), mime_type="image/png")
        found = await blobs.get_many([stored.hash, binary.hash, "f" * 64])
        assert set(found) == {stored.hash, binary.hash} and found[binary.hash] == binary
        with pytest.raises(ValidationError):
            await blobs.get("not-a-hash")
        with pytest.raises(ValidationError):
            await blobs.put("bad\x00nul")
        assert await blobs.delete(stored.hash) and not await blobs.delete(stored.hash)
        assert await blobs.get(stored.hash) is None

    async def test_prune_experiments_batched_resumable(self, storage: MastraStorage) -> None:
        ex = await self.experiments(storage)
        await ex.dangerously_clear_all()
        old = datetime.now(timezone.utc) - timedelta(days=40)
        ids = []
        for n in range(5):
            e = await ex.create_experiment(ExperimentInput())
            await ex.update_experiment(e.id, ExperimentUpdate(status="completed", completed_at=old))
            await ex.add_experiment_result(
                ResultInput(
                    experiment_id=e.id, item_id="i", input=n, started_at=old, completed_at=old
                )
            )
            ids.append(e.id)
        running = await ex.create_experiment(ExperimentInput())
        fresh = await ex.create_experiment(ExperimentInput())
        await ex.update_experiment(
            fresh.id, ExperimentUpdate(status="completed", completed_at=datetime.now(timezone.utc))
        )
        policies = {"experiments": {"max_age": timedelta(days=30), "batch_size": 2}}
        first = await storage.prune(policies, max_batches=1)
        by_table = {r.table: r for r in first}
        assert (
            by_table["mastra_experiments"].deleted == 2 and not by_table["mastra_experiments"].done
        )
        assert by_table["mastra_experiment_results"].deleted == 2
        rest = await storage.prune(policies)
        assert {r.table: (r.deleted, r.done) for r in rest}["mastra_experiments"] == (3, True)
        remaining = await ex.list_experiments(per_page=None)
        assert {e.id for e in remaining.items} == {running.id, fresh.id}
        cancelled = asyncio.Event()
        cancelled.set()
        stopped = await storage.prune(policies, cancel=cancelled)
        assert all(not r.done and r.deleted == 0 for r in stopped)

    async def test_composite_prune_memory_and_runs_in_batches(self, storage: MastraStorage) -> None:
        """``storage.prune`` over threads, messages and runs: batch by batch with
        ``max_batches=1`` until done, same survivors as the retention walk; bad policies and
        unknown kinds are refused before anything is deleted."""
        world = await RetentionTests._world(self, storage)  # type: ignore[arg-type]
        policy = {"before": CUT, "batch_size": 1}
        policies = {"threads": policy, "messages": policy, "workflow_runs": policy}
        for bad in (
            {"threads": {"batch_size": 1}},
            {"threads": {"before": CUT, "batch_size": 0}},
            {"nope": policy},
            {"threads": {"before": CUT.replace(tzinfo=None)}},
        ):
            with pytest.raises(ValidationError):
                await storage.prune(bad)
        totals: dict[str, int] = {}
        for _ in range(30):
            results = await storage.prune(policies, max_batches=1)
            for r in results:
                totals[r.table] = totals.get(r.table, 0) + r.deleted
            if all(r.done for r in results):
                break
        assert totals == {
            "mastra_threads": 2,
            "mastra_messages": 2,  # the old threads' messages went with their threads
            "mastra_workflow_snapshot": 4,
        }
        memory = await self.memory(storage)
        for _resource, old, new, _m1, _m2, m3, *_runs in world.values():
            assert await memory.get_thread_by_id(old) is None
            page = await memory.list_messages(thread_id=[old, new], per_page=None)
            assert [m.id for m in page.items] == [m3]
        limited = await storage.prune({"threads": policy}, max_rows=5)
        assert [(r.deleted, r.done) for r in limited] == [(0, True)]


__all__ = ["EvalsTests"]
