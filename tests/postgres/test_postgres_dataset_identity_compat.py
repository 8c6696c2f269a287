"""Dataset item identities (``external_id``) and purges shared with the real ``@mastra/pg``
1.27.1, both ways: Mastra resolves our items by their external ids, refuses the same id with
another payload and an update of an item we purged; we resolve the items Mastra adds and
refuse to update one it purged."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.domains.datasets import DatasetItemIdentityConflictError, DatasetsStore
from mastra_storage.errors import ConflictError
from mastra_storage.eval_records import DatasetInput, ItemInput, ItemUpdate
from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO
from tests.support.compat import Harness, harness_runner

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def identity_harness() -> Harness:
    return harness_runner(
        REPO / "tests" / "compat" / "mastra_dataset_identity_pg_harness.mjs", NPM_PACKAGES
    )


async def test_external_ids_and_purges_both_ways(
    pg_url: str, schema: str, identity_harness: Harness
) -> None:
    store = PostgresStore(pg_url, schema_name=schema, max_size=2)
    await store.init()
    try:
        ds: DatasetsStore = await store.require_store("datasets")
        await ds.create_dataset(DatasetInput(id="id-ds", name="identities"))
        e1 = await ds.add_item(
            "id-ds", ItemInput(input={"q": "one"}, ground_truth="1", external_id="e1")
        )
        e2 = await ds.add_item("id-ds", ItemInput(input={"q": "two"}, external_id="e2"))
        assert await ds.purge_item("id-ds", e2.id)

        mastra: dict[str, Any] = identity_harness(pg_url, schema, "id-ds")

        # Mastra resolved our e1, refused another payload for it and an update of our purge
        assert mastra["e1"] == [e1.id]
        assert mastra["e1Changed"]["error"] == "DATASET_ITEM_IDENTITY_CONFLICT"
        assert mastra["e1Changed"]["conflicts"] == [
            {"index": 0, "externalId": "e1", "existingItemId": e1.id, "reason": "payload_mismatch"}
        ]
        assert mastra["e2"]["id"] == e2.id and mastra["e2"]["input"] is None
        assert mastra["e2"]["groundTruth"] is None
        assert mastra["e2"]["metadata"]["__purged"] is True
        assert mastra["e2Update"]["error"] == "DATASET_ITEM_PURGED"
        # versions: ours 1, 2; Mastra's e3 and e4 3, 4 (resolving e1 and purging wrote none)
        assert mastra["version"] == 4

        # we resolve Mastra's e3, refuse another payload, and refuse to update its purge
        e3 = await ds.add_item(
            "id-ds", ItemInput(input={"q": "three"}, metadata={"by": "ts"}, external_id="e3")
        )
        assert e3.id == mastra["e3"]
        with pytest.raises(DatasetItemIdentityConflictError):
            await ds.add_item("id-ds", ItemInput(input={"q": "three"}, external_id="e3"))
        with pytest.raises(ConflictError):
            await ds.update_item("id-ds", mastra["e4"], ItemUpdate(input={"q": "x"}))
        history = await ds.get_item_history(mastra["e4"])
        assert [(r.input, (r.metadata or {}).get("__purged")) for r in history] == [(None, True)]
        assert (await ds.get_dataset("id-ds")).version == 4  # type: ignore[union-attr]
    finally:
        await store.close()
