"""The logical tables of the datasets, experiments and blobs domains.

As ``@mastra/core`` 1.71.0 declares them (``DATASETS_SCHEMA``, ``DATASET_ITEMS_SCHEMA``,
``DATASET_VERSIONS_SCHEMA``, ``EXPERIMENTS_SCHEMA``, ``EXPERIMENT_RESULTS_SCHEMA``,
``SKILL_BLOBS_SCHEMA``), in Mastra's column order. Like observational memory they are not
part of :data:`mastra_storage.layout.TABLES`: an adapter that provides these domains
creates them. ``mastra_dataset_items`` has a composite primary key ``(id,
datasetVersion)`` (Mastra's ``TABLE_CONFIGS``), declared in :data:`COMPOSITE_KEYS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .layout import LogicalTable, columns

TABLE_DATASETS = "mastra_datasets"
TABLE_DATASET_ITEMS = "mastra_dataset_items"
TABLE_DATASET_VERSIONS = "mastra_dataset_versions"
TABLE_EXPERIMENTS = "mastra_experiments"
TABLE_EXPERIMENT_RESULTS = "mastra_experiment_results"
TABLE_SKILL_BLOBS = "mastra_skill_blobs"

DATASETS = LogicalTable(
    TABLE_DATASETS,
    columns(
        "id:text!* name:text! description:text metadata:jsonb inputSchema:jsonb "
        "groundTruthSchema:jsonb requestContextSchema:jsonb tags:jsonb targetType:text "
        "targetIds:jsonb scorerIds:jsonb organizationId:text projectId:text "
        "candidateKey:text candidateId:text version:integer! createdAt:timestamp! "
        "updatedAt:timestamp!"
    ),
)
DATASET_ITEMS = LogicalTable(
    TABLE_DATASET_ITEMS,
    columns(
        "id:text! datasetId:text! datasetVersion:integer! externalId:text "
        "organizationId:text projectId:text validTo:integer isDeleted:boolean! input:jsonb! "
        "groundTruth:jsonb requestContext:jsonb metadata:jsonb source:jsonb "
        "expectedTrajectory:jsonb toolMocks:jsonb unmockedToolPolicy:text scorerIds:jsonb "
        "createdAt:timestamp! updatedAt:timestamp!"
    ),
)
DATASET_VERSIONS = LogicalTable(
    TABLE_DATASET_VERSIONS,
    columns("id:text!* datasetId:text! version:integer! createdAt:timestamp!"),
)
EXPERIMENTS = LogicalTable(
    TABLE_EXPERIMENTS,
    columns(
        "id:text!* name:text description:text metadata:jsonb provenance:jsonb "
        "runnerAttestation:jsonb experimentSetId:text comparisonId:text variantId:text "
        "trialIndex:integer datasetId:text datasetVersion:integer targetType:text "
        "targetId:text scorerIds:jsonb status:text! totalItems:integer! "
        "succeededCount:integer! failedCount:integer! skippedCount:integer! "
        "startedAt:timestamp completedAt:timestamp agentVersion:text organizationId:text "
        "projectId:text createdAt:timestamp! updatedAt:timestamp!"
    ),
)
EXPERIMENT_RESULTS = LogicalTable(
    TABLE_EXPERIMENT_RESULTS,
    columns(
        "id:text!* experimentId:text! itemId:text! itemDatasetVersion:integer input:jsonb! "
        "output:jsonb groundTruth:jsonb metadata:jsonb error:jsonb startedAt:timestamp! "
        "completedAt:timestamp! retryCount:integer! attempt:integer traceId:text "
        "status:text tags:jsonb comment:text toolMockReport:jsonb organizationId:text "
        "projectId:text createdAt:timestamp!"
    ),
)
SKILL_BLOBS = LogicalTable(
    TABLE_SKILL_BLOBS,
    columns("hash:text!* content:text! size:integer! mimeType:text createdAt:timestamp!"),
)

#: Tables per domain, in creation order.
DATASET_TABLES: tuple[LogicalTable, ...] = (DATASETS, DATASET_ITEMS, DATASET_VERSIONS)
EXPERIMENT_TABLES: tuple[LogicalTable, ...] = (EXPERIMENTS, EXPERIMENT_RESULTS)
BLOB_TABLES: tuple[LogicalTable, ...] = (SKILL_BLOBS,)
EVAL_TABLES: tuple[LogicalTable, ...] = DATASET_TABLES + EXPERIMENT_TABLES + BLOB_TABLES

#: Tables whose primary key spans several columns (the others mark theirs with ``*``).
COMPOSITE_KEYS: dict[str, tuple[str, ...]] = {TABLE_DATASET_ITEMS: ("id", "datasetVersion")}
#: The exact-match filters of the dataset, experiment and result listings, as (query
#: attribute, column) pairs; a filter the query leaves ``None`` selects everything.
DATASET_FILTERS: tuple[tuple[str, str], ...] = (
    ("organization_id", "organizationId"),
    ("project_id", "projectId"),
    ("target_type", "targetType"),
    ("candidate_key", "candidateKey"),
    ("candidate_id", "candidateId"),
)
EXPERIMENT_FILTERS: tuple[tuple[str, str], ...] = (
    ("dataset_id", "datasetId"),
    ("status", "status"),
)
RESULT_FILTERS: tuple[tuple[str, str], ...] = (
    ("experiment_id", "experimentId"),
    ("status", "status"),
)


def equal_filters(query: object, filters: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``{column: value}`` of each of ``filters`` that ``query`` sets (not ``None``), in
    the order of ``filters``: what a backend matches exactly."""
    found = ((column, getattr(query, attr)) for attr, column in filters)
    return {column: value for column, value in found if value is not None}


__all__ = [
    "BLOB_TABLES",
    "COMPOSITE_KEYS",
    "DATASETS",
    "DATASET_FILTERS",
    "DATASET_ITEMS",
    "DATASET_TABLES",
    "DATASET_VERSIONS",
    "EVAL_TABLES",
    "EXPERIMENTS",
    "EXPERIMENT_FILTERS",
    "EXPERIMENT_RESULTS",
    "EXPERIMENT_TABLES",
    "RESULT_FILTERS",
    "SKILL_BLOBS",
    "TABLE_DATASETS",
    "TABLE_DATASET_ITEMS",
    "TABLE_DATASET_VERSIONS",
    "TABLE_EXPERIMENTS",
    "TABLE_EXPERIMENT_RESULTS",
    "TABLE_SKILL_BLOBS",
    "equal_filters",
]
