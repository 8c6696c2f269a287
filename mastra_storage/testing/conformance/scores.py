"""Scores domain (spec 12.9 and 7)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ...composite import MastraStorage
from ...domains.scores import ScoresStore
from ...errors import ValidationError
from ...records import Score
from ..data import sample_score, uid
from ._base import ConformanceBase

_GENERATED = ("id", "createdAt", "updatedAt")


def _non_null(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and k not in _GENERATED}


def _score_ids(scores: Any) -> list[str]:
    return [s.id for s in scores]


class ScoreTests(ConformanceBase):
    """Saving scores and listing them by scorer, run, entity and span."""

    async def test_list_scores_by_scorer_id(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        scorer = uid("scorer")
        saved = [await scores.save_score(sample_score(scorer_id=scorer)) for _ in range(3)]
        await scores.save_score(sample_score())
        page = await scores.list_scores_by_scorer_id(scorer)
        assert sorted(_score_ids(page.items)) == sorted(_score_ids(saved))
        assert (page.total, page.page, page.per_page, page.has_more) == (3, 0, 100, False)
        assert all(s.scorer_id == scorer for s in page.items)
        missing = await scores.list_scores_by_scorer_id("no-such-scorer")
        assert (missing.items, missing.total) == ([], 0)

    async def test_saved_score_round_trips_without_extra_keys(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        payload = sample_score(
            trace_id="trace-1",
            span_id="span-1",
            resource_id="res-1",
            thread_id="thread-1",
            structured_output=True,
            additional_context={"ctx": [1, 2]},
            extract_step_result={"e": 1},
            extract_prompt="extract",
            analyze_prompt="analyze",
            preprocess_prompt="pre",
            generate_score_prompt="gen",
            generate_reason_prompt="reason?",
            reason_prompt="why",
        )
        saved = await scores.save_score(payload)
        fetched = await scores.get_score_by_id(saved.id)
        assert fetched is not None
        expected = _non_null(payload.to_dict())
        for record in (saved, fetched):
            actual = _non_null(record.to_dict())
            assert set(actual) == set(expected), "missing or extra non-null keys"
            assert math.isclose(actual.pop("score"), expected["score"])
            assert actual == {k: v for k, v in expected.items() if k != "score"}
        assert fetched == saved

    async def test_minimal_score_has_no_extra_keys(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        payload = sample_score().replace(
            input=None,
            entity=None,
            entity_type=None,
            metadata=None,
            request_context=None,
            preprocess_step_result=None,
            analyze_step_result=None,
            reason=None,
        )
        saved = await scores.save_score(payload)
        fetched = await scores.get_score_by_id(saved.id)
        assert fetched is not None
        assert _non_null(fetched.to_dict()) == _non_null(payload.to_dict())

    async def test_list_scores_by_source(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        scorer = uid("scorer")
        await scores.save_score(sample_score(scorer_id=scorer, source="LIVE"))
        test_score = await scores.save_score(sample_score(scorer_id=scorer, source="TEST"))
        page = await scores.list_scores_by_scorer_id(scorer, source="TEST")
        assert _score_ids(page.items) == [test_score.id]
        assert page.total == 1
        live = await scores.list_scores_by_scorer_id(scorer, source="LIVE")
        assert live.total == 1

    async def test_list_scores_by_scorer_with_entity_filters(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        scorer = uid("scorer")
        hit = await scores.save_score(
            sample_score(scorer_id=scorer, entity_id="agent-a", entity_type="AGENT")
        )
        await scores.save_score(
            sample_score(scorer_id=scorer, entity_id="agent-a", entity_type="WORKFLOW")
        )
        await scores.save_score(
            sample_score(scorer_id=scorer, entity_id="agent-b", entity_type="AGENT")
        )
        page = await scores.list_scores_by_scorer_id(
            scorer, entity_id="agent-a", entity_type="AGENT"
        )
        assert _score_ids(page.items) == [hit.id]
        assert (await scores.list_scores_by_scorer_id(scorer, entity_id="agent-a")).total == 2

    async def test_list_scores_by_run_id(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        run_id = uid("run")
        saved = await scores.save_score(sample_score(run_id=run_id))
        await scores.save_score(sample_score())
        page = await scores.list_scores_by_run_id(run_id, page=0, per_page=10)
        assert _score_ids(page.items) == [saved.id]
        assert (page.total, page.page, page.per_page, page.has_more) == (1, 0, 10, False)

    async def test_get_score_by_returned_id(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        saved = await scores.save_score(sample_score())
        other = await scores.save_score(sample_score())
        assert saved.id and saved.id != other.id
        assert saved.created_at == saved.updated_at
        fetched = await scores.get_score_by_id(saved.id)
        assert fetched == saved
        assert await scores.get_score_by_id("no-such-score") is None

    async def test_list_scores_by_entity_id_paginated(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        entity = uid("entity")
        saved = [
            await scores.save_score(sample_score(entity_id=entity, entity_type="AGENT"))
            for _ in range(3)
        ]
        await scores.save_score(sample_score(entity_id=entity, entity_type="WORKFLOW"))
        page = await scores.list_scores_by_entity_id(
            entity, entity_type="AGENT", page=0, per_page=2
        )
        assert len(page.items) == 2
        assert (page.total, page.page, page.per_page, page.has_more) == (3, 0, 2, True)
        rest = await scores.list_scores_by_entity_id(
            entity, entity_type="AGENT", page=1, per_page=2
        )
        assert (len(rest.items), rest.has_more) == (1, False)
        assert sorted(_score_ids(page.items) + _score_ids(rest.items)) == sorted(_score_ids(saved))
        everything = await scores.list_scores_by_entity_id(
            entity, entity_type="AGENT", per_page=None
        )
        assert (len(everything.items), everything.per_page, everything.has_more) == (3, None, False)

    async def test_scores_newest_first(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        scorer = uid("scorer")
        saved = [await scores.save_score(sample_score(scorer_id=scorer)) for _ in range(4)]
        page = await scores.list_scores_by_scorer_id(scorer)
        assert _score_ids(page.items) == list(reversed(_score_ids(saved)))

    async def test_invalid_scores_are_rejected(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        scorer = uid("scorer")
        for bad in (
            sample_score(scorer_id=scorer).replace(score=True),
            sample_score(scorer_id=scorer).replace(score="0.5"),
            sample_score(scorer_id=scorer).replace(entity_id=""),
            sample_score(scorer_id=scorer).replace(run_id="  "),
            sample_score(scorer_id=scorer, metadata={"bad": object()}),
        ):
            with pytest.raises(ValidationError):
                await scores.save_score(bad)
        with pytest.raises(ValidationError):
            await scores.save_score(sample_score(scorer_id=""))
        assert (await scores.list_scores_by_scorer_id(scorer)).total == 0
        with pytest.raises(ValidationError):
            await scores.list_scores_by_scorer_id(scorer, per_page=-1)
        with pytest.raises(ValidationError):
            await scores.list_scores_by_run_id("")

    # ---- by span ------------------------------------------------------------------------------

    async def test_list_scores_by_span_of_nothing_is_empty(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        page = await scores.list_scores_by_span(trace_id="t", span_id="s")
        assert (page.items, page.total) == ([], 0)

    async def _span_fixture(self, scores: ScoresStore) -> tuple[str, str, list[Score]]:
        trace, span = uid("trace"), uid("span")
        targets = [
            await scores.save_score(sample_score(trace_id=trace, span_id=span)) for _ in range(5)
        ]
        for decoy_trace, decoy_span in (
            (uid("trace"), span),
            (trace, uid("span")),
            (uid("trace"), uid("span")),
        ):
            await scores.save_score(sample_score(trace_id=decoy_trace, span_id=decoy_span))
        await scores.save_score(sample_score())
        return trace, span, targets

    async def test_list_scores_by_span(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        trace, span = uid("trace"), uid("span")
        saved = await scores.save_score(sample_score(trace_id=trace, span_id=span))
        await scores.save_score(sample_score(trace_id=trace, span_id=uid("span")))
        page = await scores.list_scores_by_span(trace_id=trace, span_id=span)
        assert _score_ids(page.items) == [saved.id]
        assert (page.items[0].trace_id, page.items[0].span_id) == (trace, span)

    async def test_list_multiple_scores_by_span(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        trace, span, targets = await self._span_fixture(scores)
        page = await scores.list_scores_by_span(trace_id=trace, span_id=span)
        assert _score_ids(page.items) == list(reversed(_score_ids(targets)))
        assert (page.total, page.has_more) == (5, False)

    async def test_scores_by_span_first_page(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        trace, span, targets = await self._span_fixture(scores)
        page = await scores.list_scores_by_span(trace_id=trace, span_id=span, page=0, per_page=2)
        assert _score_ids(page.items) == [targets[4].id, targets[3].id]
        assert (page.total, page.page, page.per_page, page.has_more) == (5, 0, 2, True)

    async def test_scores_by_span_middle_page(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        trace, span, targets = await self._span_fixture(scores)
        page = await scores.list_scores_by_span(trace_id=trace, span_id=span, page=1, per_page=2)
        assert _score_ids(page.items) == [targets[2].id, targets[1].id]
        assert (page.total, page.page, page.per_page, page.has_more) == (5, 1, 2, True)

    async def test_scores_by_span_last_page(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        trace, span, targets = await self._span_fixture(scores)
        page = await scores.list_scores_by_span(trace_id=trace, span_id=span, page=2, per_page=2)
        assert _score_ids(page.items) == [targets[0].id]
        assert (page.total, page.page, page.per_page, page.has_more) == (5, 2, 2, False)

    async def test_dangerously_clear_all_empties_scores(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        saved = await scores.save_score(sample_score())
        await scores.dangerously_clear_all()
        assert await scores.get_score_by_id(saved.id) is None
        assert (await scores.list_scores_by_scorer_id(saved.scorer_id)).total == 0


__all__ = ["ScoreTests"]
