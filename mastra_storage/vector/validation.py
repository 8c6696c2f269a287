"""Input checks every vector store shares, run before any I/O so bad input writes nothing.

Error ids follow Mastra's ``createVectorErrorId`` convention
(``MASTRA_VECTOR_<STORE>_<OPERATION>_<STATUS>``) and every error carries
``domain='MASTRA_VECTOR'``, so callers can tell vector failures from storage ones.
"""

from __future__ import annotations

import math
import uuid
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from ..codec import dumps, loads
from ..errors import NotFoundError, ValidationError, to_upper_snake
from ..validation import validate_identifier
from .records import METRICS, Metric

VECTOR_DOMAIN = "MASTRA_VECTOR"
#: pgvector's ``vector`` type stops at 16,000 dimensions; no backend here goes further.
MAX_DIMENSION = 16_000
#: Upper bound on ``top_k``: larger result sets belong to an export, not a similarity query.
MAX_TOP_K = 10_000
MAX_ID_LENGTH = 512
#: Metadata is stored as JSON next to the vector; one row's JSON may not exceed this.
MAX_METADATA_BYTES = 1_000_000


def vector_error_id(store: str, operation: str, status: str) -> str:
    """``('PG', 'upsert', 'invalid vector')`` -> ``MASTRA_VECTOR_PG_UPSERT_INVALID_VECTOR``."""
    parts = (to_upper_snake(store), to_upper_snake(operation), to_upper_snake(status))
    return "MASTRA_VECTOR_" + "_".join(p for p in parts if p)


def invalid(
    store: str,
    operation: str,
    status: str,
    message: str,
    **details: str | int | float | bool | None,
) -> ValidationError:
    """A :class:`ValidationError` in the vector domain (the caller raises it)."""
    return ValidationError(
        message,
        id=vector_error_id(store, operation, status),
        domain=VECTOR_DOMAIN,
        details=details,
    )


def index_not_found(store: str, operation: str, index_name: str) -> NotFoundError:
    return NotFoundError(
        f'Index "{index_name}" does not exist',
        id=vector_error_id(store, operation, "index not found"),
        domain=VECTOR_DOMAIN,
        details={"indexName": index_name},
    )


def check_index_name(store: str, operation: str, index_name: Any) -> str:
    """Index names become table/collection names: plain identifiers of at most 63 chars."""
    try:
        return validate_identifier(index_name, kind="index name")
    except ValidationError as exc:
        raise invalid(store, operation, "invalid index name", exc.message) from None


def check_dimension(store: str, dimension: Any) -> int:
    if (
        isinstance(dimension, bool)
        or not isinstance(dimension, int)
        or not 0 < dimension <= MAX_DIMENSION
    ):
        raise invalid(
            store,
            "createIndex",
            "invalid args",
            f"Dimension must be a positive integer (at most {MAX_DIMENSION})",
            dimension=repr(dimension)[:40],
        )
    return dimension


def check_metric(store: str, metric: Any, supported: Sequence[Metric] = METRICS) -> Metric:
    if metric not in supported:
        raise invalid(
            store,
            "createIndex",
            "invalid args",
            f"metric must be one of {', '.join(supported)}; got {metric!r}"[:200],
        )
    chosen: Metric = metric
    return chosen


def check_top_k(store: str, top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 0 < top_k <= MAX_TOP_K:
        raise invalid(
            store,
            "query",
            "invalid top k",
            f"topK must be a positive integer (at most {MAX_TOP_K})",
            topK=repr(top_k)[:40],
        )
    return top_k


def check_min_score(store: str, min_score: Any) -> float | None:
    if min_score is None:
        return None
    if isinstance(min_score, bool) or not isinstance(min_score, (int, float)):
        raise invalid(store, "query", "invalid args", "minScore must be a number")
    if not math.isfinite(min_score):
        raise invalid(store, "query", "invalid args", "minScore must be finite")
    return float(min_score)


def to_float32(values: Sequence[float]) -> list[float]:
    """Round to float32, as every backend stores vectors (so results compare equal)."""
    return array("f", values).tolist()


def check_vector(
    store: str,
    operation: str,
    vector: Any,
    *,
    dimension: int | None,
    metric: Metric | None,
    index_name: str = "",
    position: int | None = None,
) -> list[float]:
    """A list of finite numbers of the index's dimension, as float32-rounded floats.

    A zero vector is refused for cosine indexes: it has no direction, so its cosine
    similarity is undefined (backends would return NaN or an error).
    """
    where = "" if position is None else f" at position {position}"
    if isinstance(vector, (str, bytes, Mapping)) or not isinstance(vector, Sequence):
        raise invalid(
            store,
            operation,
            "invalid vector",
            f"vector{where} must be a list of numbers",
            vectorIndex=position,
        )
    if len(vector) == 0:
        raise invalid(
            store, operation, "empty vector", f"vector{where} is empty", vectorIndex=position
        )
    for i, value in enumerate(vector):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(
                store,
                operation,
                "invalid vector value",
                f"vector{where} has a non-numeric value at component {i}",
                vectorIndex=position,
                componentIndex=i,
            )
        if not math.isfinite(value):
            raise invalid(
                store,
                operation,
                "invalid vector value",
                f"vector{where} has a non-finite value ({value}) at component {i}",
                vectorIndex=position,
                componentIndex=i,
            )
    if dimension is not None and len(vector) != dimension:
        raise invalid(
            store,
            operation,
            "dimension mismatch",
            f'Vector dimension mismatch: Index "{index_name}" expects {dimension} dimensions '
            f"but got {len(vector)} dimensions. Either use a matching embedding model or "
            "delete and recreate the index with the new dimension.",
            expected=dimension,
            actual=len(vector),
            vectorIndex=position,
        )
    try:
        rounded = to_float32(vector)
    except OverflowError:
        raise invalid(
            store,
            operation,
            "invalid vector value",
            f"vector{where} has a value outside the float32 range",
            vectorIndex=position,
        ) from None
    if any(math.isinf(x) for x in rounded):
        raise invalid(
            store,
            operation,
            "invalid vector value",
            f"vector{where} has a value outside the float32 range",
            vectorIndex=position,
        )
    if metric == "cosine" and not any(rounded):
        raise invalid(
            store,
            operation,
            "zero vector",
            f"vector{where} is all zeros: cosine similarity is undefined for it",
            vectorIndex=position,
        )
    return rounded


def check_metadata(store: str, operation: str, metadata: Any, *, position: int | None) -> str:
    """A JSON object (``None`` = ``{}``), returned as its JSON text.

    Refused: non-objects, values JSON cannot carry (functions, circular structures),
    NUL characters (PostgreSQL's jsonb cannot store them) and more than 1 MB of JSON.
    """
    if metadata is None:
        return "{}"
    where = "" if position is None else f" at position {position}"
    if not isinstance(metadata, Mapping):
        raise invalid(
            store,
            operation,
            "invalid metadata",
            f"metadata{where} must be an object",
            vectorIndex=position,
        )
    try:
        text = dumps(dict(metadata))
    except (ValidationError, RecursionError):
        raise invalid(
            store,
            operation,
            "invalid metadata",
            f"metadata{where} is not JSON-serialisable",
            vectorIndex=position,
        ) from None
    if "\\u0000" in text:
        raise invalid(
            store,
            operation,
            "invalid metadata",
            f"metadata{where} contains a NUL character",
            vectorIndex=position,
        )
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise invalid(
            store,
            operation,
            "invalid metadata",
            f"metadata{where} exceeds {MAX_METADATA_BYTES} bytes of JSON",
            vectorIndex=position,
        )
    return text


def check_id(store: str, operation: str, value: Any, *, field: str = "id") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise invalid(
            store,
            operation,
            "invalid id",
            f"{field} must be a non-empty string of at most {MAX_ID_LENGTH} characters",
        )
    if "\x00" in value:
        raise invalid(store, operation, "invalid id", f"{field} contains a NUL character")
    return value


def new_id() -> str:
    return str(uuid.uuid4())


def metadata_from_json(text: Any) -> dict[str, Any]:
    """Stored metadata back to a dict (``{}`` for NULL or non-objects)."""
    if text is None:
        return {}
    value = loads(text) if isinstance(text, (str, bytes)) else text
    return value if isinstance(value, dict) else {}


__all__ = [
    "MAX_DIMENSION",
    "MAX_METADATA_BYTES",
    "MAX_TOP_K",
    "VECTOR_DOMAIN",
    "check_dimension",
    "check_id",
    "check_index_name",
    "check_metadata",
    "check_metric",
    "check_min_score",
    "check_top_k",
    "check_vector",
    "index_not_found",
    "invalid",
    "metadata_from_json",
    "new_id",
    "to_float32",
    "vector_error_id",
]
