"""Score ids (issue 16): a supplied id is kept, an existing one is replaced as a whole."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ...composite import MastraStorage
from ...errors import ValidationError
from ...records import ScorePayload
from ..data import sample_score, uid
from ._base import ConformanceBase


class ScoreIdTests(ConformanceBase):
    """``save_score`` keeps a supplied id and generates one only when it is absent."""

    async def test_supplied_score_id_is_kept(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        score_id = uid("score")
        saved = await scores.save_score(sample_score().replace(id=score_id))
        assert saved.id == score_id
        fetched = await scores.get_score_by_id(score_id)
        assert fetched == saved
        page = await scores.list_scores_by_run_id(saved.run_id)
        assert [s.id for s in page.items] == [score_id]

    async def test_score_id_generated_only_when_absent(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        payload = sample_score()
        first = await scores.save_score(payload)
        second = await scores.save_score(payload)
        assert first.id and second.id and first.id != second.id
        page = await scores.list_scores_by_run_id(payload.run_id)
        assert sorted(s.id for s in page.items) == sorted([first.id, second.id])

    async def test_supplied_existing_id_replaces_the_score(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        score_id = uid("score")
        first = await scores.save_score(sample_score(scorer_id="s-old").replace(id=score_id))
        await asyncio.sleep(0.005)  # a later write has a later timestamp
        replacement = sample_score(scorer_id="s-new").replace(
            id=score_id, score=0.25, reason=None, metadata=None, input="plain text"
        )
        second = await scores.save_score(replacement)
        assert second.created_at >= first.created_at + timedelta(milliseconds=1)
        fetched = await scores.get_score_by_id(score_id)
        assert fetched == second
        assert (fetched.scorer_id, fetched.score, fetched.reason, fetched.metadata) == (
            "s-new",
            0.25,
            None,
            None,
        )
        assert fetched.input == "plain text"
        assert score_id not in [
            s.id for s in (await scores.list_scores_by_scorer_id("s-old")).items
        ]
        assert [s.id for s in (await scores.list_scores_by_run_id(first.run_id)).items] == []
        assert [s.id for s in (await scores.list_scores_by_run_id(second.run_id)).items] == [
            score_id
        ]

    async def test_replacing_one_id_leaves_other_scores_alone(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        run = uid("run")
        kept = await scores.save_score(sample_score(run_id=run).replace(id=uid("keep")))
        other = uid("other")
        await scores.save_score(sample_score(run_id=run).replace(id=other))
        await scores.save_score(sample_score(run_id=run).replace(id=other, score=0.1))
        assert await scores.get_score_by_id(kept.id) == kept
        page = await scores.list_scores_by_run_id(run)
        assert sorted(s.id for s in page.items) == sorted([kept.id, other])

    async def test_concurrent_saves_of_one_supplied_id_leave_one_score(
        self, storage: MastraStorage
    ) -> None:
        scores = await self.scores(storage)
        score_id, run = uid("score"), uid("run")
        saved = await asyncio.gather(
            *(
                scores.save_score(sample_score(run_id=run).replace(id=score_id, score=i / 10))
                for i in range(8)
            )
        )
        page = await scores.list_scores_by_run_id(run)
        assert [s.id for s in page.items] == [score_id]
        assert page.items[0] in saved  # one of the writes, whole: latest write wins

    @pytest.mark.parametrize("bad", ["", "   ", "a\x00b", 5])
    async def test_invalid_supplied_id_is_refused(
        self, storage: MastraStorage, bad: object
    ) -> None:
        scores = await self.scores(storage)
        run = uid("run")
        with pytest.raises(ValidationError):
            await scores.save_score(sample_score(run_id=run).replace(id=bad))
        assert (await scores.list_scores_by_run_id(run)).total == 0

    async def test_payload_from_dict_keeps_id_and_refuses_unknown_keys(
        self, storage: MastraStorage
    ) -> None:
        scores = await self.scores(storage)
        wire = sample_score().to_dict()
        with pytest.raises(ValidationError, match="traceID"):
            ScorePayload.from_dict({**wire, "traceID": "t-1"})
        payload = ScorePayload.from_dict({**wire, "id": "wire-id-" + uid(), "reason": None})
        assert payload.reason is None
        saved = await scores.save_score(payload)
        assert saved.id == payload.id
        assert await scores.get_score_by_id(saved.id) == saved
