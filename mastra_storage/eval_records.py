"""Records of the datasets, experiments and blobs domains (Mastra Studio's evals).

Field names are Python's; each encodes to Mastra's camelCase column name
(``input_schema`` -> ``inputSchema``), as every other record of :mod:`mastra_storage.records`.

* :class:`Dataset` (``mastra_datasets``): a named set of eval items with a ``version`` that
  every item mutation bumps by one.
* :class:`DatasetItem` (``mastra_dataset_items``): one *row* of an item's history (SCD-2):
  the row written at ``dataset_version`` stays current while ``valid_to`` is ``None``; an
  update or delete closes it (``valid_to`` = the version that replaced it) and writes the
  next row; a delete writes a tombstone row (``is_deleted``). An item's key is
  ``(id, dataset_version)``.
* :class:`DatasetVersion` (``mastra_dataset_versions``): one row per dataset version.
* :class:`Experiment` / :class:`ExperimentResult` (``mastra_experiments``,
  ``mastra_experiment_results``): a run of a target over a dataset and its per-item results.
* :class:`Blob` (``mastra_skill_blobs``): content addressed by its hash.

The ``*Input`` and ``*Update`` structs are what callers pass to the domain stores; in an
update, a field left :data:`msgspec.UNSET` is kept and ``None`` clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from .records import Record

ExperimentStatus = Literal["pending", "running", "completed", "failed"]
EXPERIMENT_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed")
TargetType = str

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class Dataset(Record, kw_only=True):
    """A dataset (``mastra_datasets``). ``version`` starts at 0 and grows by one per item
    mutation (a batch counts once)."""

    _datetime_fields = ("created_at", "updated_at")

    id: str
    name: str
    description: str | None = None
    metadata: dict[str, Any] | None = None
    input_schema: dict[str, Any] | None = None
    ground_truth_schema: dict[str, Any] | None = None
    request_context_schema: dict[str, Any] | None = None
    tags: list[str] | None = None
    target_type: str | None = None
    target_ids: list[str] | None = None
    scorer_ids: list[str] | None = None
    organization_id: str | None = None
    project_id: str | None = None
    candidate_key: str | None = None
    candidate_id: str | None = None
    version: int = 0
    created_at: datetime
    updated_at: datetime


class DatasetItem(Record, kw_only=True):
    """One row of a dataset item's history (``mastra_dataset_items``, key
    ``(id, dataset_version)``). Current while ``valid_to is None``; ``is_deleted`` marks the
    tombstone a delete writes."""

    _datetime_fields = ("created_at", "updated_at")

    id: str
    dataset_id: str
    dataset_version: int
    external_id: str | None = None
    organization_id: str | None = None
    project_id: str | None = None
    valid_to: int | None = None
    is_deleted: bool = False
    #: required on every write; ``None`` only on a purged row (a reader that drops nulls
    #: must still decode it)
    input: Any = None
    ground_truth: Any = None
    request_context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    source: Any = None
    expected_trajectory: Any = None
    tool_mocks: Any = None
    unmocked_tool_policy: str | None = None
    scorer_ids: list[str] | None = None
    created_at: datetime
    updated_at: datetime

    def visible_at(self, version: int | None) -> bool:
        """Whether this row is the item's live state at ``version`` (``None``: now)."""
        if self.is_deleted:
            return False
        if version is None:
            return self.valid_to is None
        return self.dataset_version <= version and (
            self.valid_to is None or self.valid_to > version
        )


#: The ``metadata`` key Mastra sets on every row a purge scrubbed (``{"__purged": true,
#: "purgedAt": "<ISO time>"}``); a purged item can no longer be updated.
PURGED_KEY = "__purged"

#: The item fields a purge clears and an ``external_id`` reuse compares (Mastra's payload).
ITEM_PAYLOAD_FIELDS: tuple[str, ...] = (
    "input",
    "ground_truth",
    "expected_trajectory",
    "tool_mocks",
    "unmocked_tool_policy",
    "scorer_ids",
    "request_context",
    "metadata",
    "source",
)
#: The result fields a purge of their item clears (``metadata`` becomes the purge marker).
RESULT_PURGED_FIELDS: tuple[str, ...] = (
    "input",
    "output",
    "ground_truth",
    "error",
    "tool_mock_report",
    "tags",
    "comment",
)


def is_purged(metadata: Any) -> bool:
    """Whether a row's ``metadata`` is the marker a purge leaves."""
    return isinstance(metadata, dict) and metadata.get(PURGED_KEY) is True


class ItemIdentityConflict(msgspec.Struct, kw_only=True, frozen=True):
    """Why one item of a batch could not take its ``external_id`` (Mastra's
    ``DatasetItemIdentityConflictDetail``): ``index`` in the batch, the ``external_id``, the
    item that holds it, and ``reason``: ``"payload_mismatch"`` (the id was first accepted
    with another payload) or ``"deleted"`` (its item is deleted)."""

    index: int
    external_id: str
    existing_item_id: str
    reason: Literal["payload_mismatch", "deleted"]


class DatasetVersion(Record, kw_only=True):
    """One version of a dataset (``mastra_dataset_versions``; ``(dataset_id, version)`` is
    unique)."""

    _datetime_fields = ("created_at",)

    id: str
    dataset_id: str
    version: int
    created_at: datetime


class Experiment(Record, kw_only=True):
    """An experiment (``mastra_experiments``): a target run over a dataset version."""

    _datetime_fields = ("started_at", "completed_at", "created_at", "updated_at")

    id: str
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    provenance: Any = None
    runner_attestation: Any = None
    experiment_set_id: str | None = None
    comparison_id: str | None = None
    variant_id: str | None = None
    trial_index: int | None = None
    dataset_id: str | None = None
    dataset_version: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    scorer_ids: list[str] | None = None
    status: str = "pending"
    total_items: int = 0
    succeeded_count: int = 0
    failed_count: int = 0
    skipped_count: int = 0
    started_at: datetime | None = None
    completed_at: datetime | None = None
    agent_version: str | None = None
    organization_id: str | None = None
    project_id: str | None = None
    created_at: datetime
    updated_at: datetime


class ExperimentResult(Record, kw_only=True):
    """One item's result in an experiment (``mastra_experiment_results``)."""

    _datetime_fields = ("started_at", "completed_at", "created_at")

    id: str
    experiment_id: str
    item_id: str
    item_dataset_version: int | None = None
    #: ``None`` on a result whose item was purged
    input: Any = None
    output: Any = None
    ground_truth: Any = None
    metadata: dict[str, Any] | None = None
    error: Any = None
    started_at: datetime
    completed_at: datetime
    retry_count: int = 0
    attempt: int | None = None
    trace_id: str | None = None
    status: str | None = None
    tags: list[str] | None = None
    comment: str | None = None
    tool_mock_report: Any = None
    organization_id: str | None = None
    project_id: str | None = None
    created_at: datetime


class Blob(Record, kw_only=True):
    """A content-addressed blob (``mastra_skill_blobs``): ``hash`` is the SHA-256 hex of
    ``content`` (UTF-8), ``size`` its length in bytes."""

    _datetime_fields = ("created_at",)

    hash: str
    content: str
    size: int
    mime_type: str | None = None
    created_at: datetime


# ---- what callers pass ---------------------------------------------------------------------


class DatasetInput(msgspec.Struct, kw_only=True):
    """A new dataset. ``id`` defaults to a UUID; ``input_schema`` (a JSON Schema) is applied
    to every item's ``input`` (``ground_truth_schema`` to ``ground_truth``)."""

    name: str
    id: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    input_schema: dict[str, Any] | None = None
    ground_truth_schema: dict[str, Any] | None = None
    request_context_schema: dict[str, Any] | None = None
    tags: list[str] | None = None
    target_type: str | None = None
    target_ids: list[str] | None = None
    scorer_ids: list[str] | None = None
    organization_id: str | None = None
    project_id: str | None = None
    candidate_key: str | None = None
    candidate_id: str | None = None


class DatasetUpdate(msgspec.Struct, kw_only=True):
    """Changes to a dataset's own fields (no version bump): UNSET keeps, ``None`` clears."""

    name: str | Unset = UNSET
    description: str | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET
    input_schema: dict[str, Any] | Unset | None = UNSET
    ground_truth_schema: dict[str, Any] | Unset | None = UNSET
    request_context_schema: dict[str, Any] | Unset | None = UNSET
    tags: list[str] | Unset | None = UNSET
    target_type: str | Unset | None = UNSET
    target_ids: list[str] | Unset | None = UNSET
    scorer_ids: list[str] | Unset | None = UNSET


class ItemInput(msgspec.Struct, kw_only=True):
    """A new dataset item."""

    input: Any
    ground_truth: Any = None
    external_id: str | None = None
    request_context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    source: Any = None
    expected_trajectory: Any = None
    tool_mocks: Any = None
    unmocked_tool_policy: str | None = None
    scorer_ids: list[str] | None = None


class ItemUpdate(msgspec.Struct, kw_only=True):
    """Changes to a dataset item (a new row at the next dataset version): UNSET keeps."""

    input: Any | Unset = UNSET
    ground_truth: Any | Unset = UNSET
    request_context: dict[str, Any] | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET
    source: Any | Unset = UNSET
    expected_trajectory: Any | Unset = UNSET
    tool_mocks: Any | Unset = UNSET
    unmocked_tool_policy: str | Unset | None = UNSET
    scorer_ids: list[str] | Unset | None = UNSET


class ExperimentInput(msgspec.Struct, kw_only=True):
    """A new experiment (status ``pending``, counters at 0 unless given)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    provenance: Any = None
    runner_attestation: Any = None
    experiment_set_id: str | None = None
    comparison_id: str | None = None
    variant_id: str | None = None
    trial_index: int | None = None
    dataset_id: str | None = None
    dataset_version: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    scorer_ids: list[str] | None = None
    total_items: int = 0
    agent_version: str | None = None
    organization_id: str | None = None
    project_id: str | None = None


class ExperimentUpdate(msgspec.Struct, kw_only=True):
    """Changes to an experiment: UNSET keeps."""

    name: str | Unset | None = UNSET
    description: str | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET
    status: str | Unset = UNSET
    total_items: int | Unset = UNSET
    succeeded_count: int | Unset = UNSET
    failed_count: int | Unset = UNSET
    skipped_count: int | Unset = UNSET
    started_at: datetime | Unset | None = UNSET
    completed_at: datetime | Unset | None = UNSET
    agent_version: str | Unset | None = UNSET


class ResultInput(msgspec.Struct, kw_only=True):
    """A new experiment result."""

    experiment_id: str
    item_id: str
    input: Any
    started_at: datetime
    completed_at: datetime
    id: str | None = None
    item_dataset_version: int | None = None
    output: Any = None
    ground_truth: Any = None
    metadata: dict[str, Any] | None = None
    error: Any = None
    retry_count: int = 0
    #: 0 when not given, as ``@mastra/pg`` writes it
    attempt: int = 0
    trace_id: str | None = None
    status: str | None = None
    tags: list[str] | None = None
    comment: str | None = None
    tool_mock_report: Any = None


class ResultUpdate(msgspec.Struct, kw_only=True):
    """Changes to an experiment result (review fields): UNSET keeps."""

    status: str | Unset | None = UNSET
    tags: list[str] | Unset | None = UNSET
    comment: str | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


__all__ = [
    "EXPERIMENT_STATUSES",
    "ITEM_PAYLOAD_FIELDS",
    "PURGED_KEY",
    "RESULT_PURGED_FIELDS",
    "UNSET",
    "Blob",
    "Dataset",
    "DatasetInput",
    "DatasetItem",
    "DatasetUpdate",
    "DatasetVersion",
    "Experiment",
    "ExperimentInput",
    "ExperimentResult",
    "ExperimentStatus",
    "ExperimentUpdate",
    "ItemIdentityConflict",
    "ItemInput",
    "ItemUpdate",
    "ResultInput",
    "ResultUpdate",
    "is_purged",
]
