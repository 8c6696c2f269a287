"""A stand-in Upstash Vector REST server for tests (no local Upstash Vector exists).

Built from Upstash's public REST reference: ``upsert``, ``query``, ``fetch``, ``delete``
(ids, prefix or filter), ``range``, ``update``, ``info``, ``list-namespaces``,
``delete-namespace`` and ``reset`` (one namespace or ``?all``), each at ``/<op>`` for the
default namespace and ``/<op>/<namespace>`` for another one; answers are
``{"result": ...}`` or ``{"error": ...}``. One index has one dimension and one
similarity function, as a real one does; scores are Upstash's normalised ones (cosine
``(1 + cos) / 2``, euclidean ``1 / (1 + d²)``, dot product ``(1 + dot) / 2``).

Filters are parsed and evaluated per Upstash's filtering reference: ``AND`` binds tighter
than ``OR``; operators, ``AND``/``OR`` and booleans are case-insensitive; ``=``/``!=``/
``IN`` apply to strings, numbers and booleans (same type only); ranges to numbers;
``GLOB`` to strings; ``CONTAINS`` to arrays; ``HAS FIELD`` to any present key. Where the
reference is silent, each negated operator is taken as the complement of its positive
among present fields (``!=``, ``NOT IN``, ``NOT CONTAINS``, ``NOT GLOB``): the
assumption ``UpstashVector`` relies on, to be checked against the real service.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op>!=|<=|>=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z_0-9.\[\]#-]*))"
)
_MISSING = object()


class FilterSyntaxError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterSyntaxError(f"unexpected character at {pos}")
        pos = match.end()
        if match.group("num") is not None:
            raw = match.group("num")
            out.append(("lit", float(raw) if "." in raw else int(raw)))
        elif match.group("str") is not None:
            body = match.group("str")[1:-1]
            out.append(("lit", re.sub(r"\\(.)", r"\1", body)))
        elif match.group("op") is not None:
            out.append(("op", match.group("op")))
        else:
            word = match.group("word")
            low = word.lower()
            if low in ("true", "false"):
                out.append(("lit", low == "true"))
            elif low in ("and", "or", "not", "in", "glob", "contains", "has", "field"):
                out.append(("kw", low))
            else:
                out.append(("id", word))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: Any = None) -> Any:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise FilterSyntaxError(f"expected {value or kind}, got {tok}")
        self.i += 1
        return tok[1]

    def accept(self, kind: str, value: Any) -> bool:
        tok = self.peek()
        if tok is not None and tok == (kind, value):
            self.i += 1
            return True
        return False

    def parse(self) -> Any:
        tree = self.or_()
        if self.peek() is not None:
            raise FilterSyntaxError(f"trailing input {self.peek()}")
        return tree

    def or_(self) -> Any:
        parts = [self.and_()]
        while self.accept("kw", "or"):
            parts.append(self.and_())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def and_(self) -> Any:
        parts = [self.atom()]
        while self.accept("kw", "and"):
            parts.append(self.atom())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def atom(self) -> Any:
        if self.accept("op", "("):
            inner = self.or_()
            self.take("op", ")")
            return inner
        if self.accept("kw", "has"):
            negated = self.accept("kw", "not")
            self.take("kw", "field")
            return ("has", self.take("id"), negated)
        path = self.take("id")
        negated = self.accept("kw", "not")
        tok = self.peek()
        if tok == ("kw", "in"):
            self.i += 1
            self.take("op", "(")
            values = [self.take("lit")]
            while self.accept("op", ","):
                values.append(self.take("lit"))
            self.take("op", ")")
            return ("in", path, values, negated)
        if tok in (("kw", "glob"), ("kw", "contains")):
            self.i += 1
            return (tok[1], path, self.take("lit"), negated)
        if negated:
            raise FilterSyntaxError("NOT must be followed by IN, GLOB or CONTAINS")
        op = self.take("op")
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise FilterSyntaxError(f"bad operator {op}")
        return ("cmp", path, op, self.take("lit"))


def parse_filter(text: str) -> Any:
    """The filter's tree; :class:`FilterSyntaxError` when it is not valid syntax."""
    return _Parser(text).parse()


def _lookup(metadata: Any, path: str) -> Any:
    value = metadata
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if part.startswith("["):
            index = part[1:-1]
            if not isinstance(value, list):
                return _MISSING
            n = len(value) + int(index[1:]) if index.startswith("#") else int(index)
            if not 0 <= n < len(value):
                return _MISSING
            value = value[n]
        else:
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _equal(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) != "other" and a == b


def _positive(tree: Any, value: Any) -> bool:
    kind = tree[0]
    if kind == "cmp":
        op, lit = tree[2], tree[3]
        if op == "=":
            return _equal(value, lit)
        if _kind(value) != "number" or _kind(lit) != "number":
            return False
        return {"<": value < lit, "<=": value <= lit, ">": value > lit, ">=": value >= lit}[op]
    if kind == "in":
        return any(_equal(value, lit) for lit in tree[2])
    if kind == "glob":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, tree[2])
    # contains
    return isinstance(value, list) and any(_equal(item, tree[2]) for item in value)


def evaluate(tree: Any, metadata: Any) -> bool:
    """Whether ``metadata`` matches the parsed filter."""
    kind = tree[0]
    if kind == "or":
        return any(evaluate(t, metadata) for t in tree[1])
    if kind == "and":
        return all(evaluate(t, metadata) for t in tree[1])
    if kind == "has":
        present = _lookup(metadata, tree[1]) is not _MISSING
        return present != tree[2]
    value = _lookup(metadata, tree[1])
    if value is _MISSING:
        return False
    if kind == "cmp" and tree[2] == "!=":
        return not _equal(value, tree[3])
    matched = _positive(tree, value)
    return not matched if kind != "cmp" and tree[3] else matched


def _similarity(function: str, a: list[float], b: list[float]) -> float:
    if function == "EUCLIDEAN":
        return 1.0 / (1.0 + sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if function == "DOT_PRODUCT":
        return (1.0 + dot) / 2.0
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return (1.0 + (dot / norms if norms else 0.0)) / 2.0


class _Index:
    def __init__(self, dimension: int, similarity: str, token: str) -> None:
        self.dimension = dimension
        self.similarity = similarity
        self.token = token
        self.lock = threading.Lock()
        #: namespace -> id -> (vector, metadata or None); "" always exists.
        self.spaces: dict[str, dict[str, tuple[list[float], Any]]] = {"": {}}
        self.requests: list[str] = []


class UpstashError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _handle(index: _Index, op: str, namespace: str, body: Any, query: str) -> Any:
    spaces = index.spaces
    if op == "info":
        return {
            "vectorCount": sum(len(s) for s in spaces.values()),
            "pendingVectorCount": 0,
            "indexSize": 0,
            "dimension": index.dimension,
            "similarityFunction": index.similarity,
            "namespaces": {
                ns: {"vectorCount": len(s), "pendingVectorCount": 0} for ns, s in spaces.items()
            },
        }
    if op == "list-namespaces":
        return sorted(spaces)
    if op == "delete-namespace":
        if namespace == "":
            raise UpstashError("Cannot delete the default namespace")
        if namespace not in spaces:
            raise UpstashError(f"Namespace {namespace} does not exist", 404)
        del spaces[namespace]
        return "Success"
    if op == "reset":
        if query == "all":
            spaces.clear()
            spaces[""] = {}
        else:
            spaces.get(namespace, {}).clear()
        return "Success"
    space = spaces.get(namespace, {})
    if op == "upsert":
        items = body if isinstance(body, list) else [body]
        checked = []
        for item in items:
            vector = item.get("vector")
            if not isinstance(vector, list) or len(vector) != index.dimension:
                raise UpstashError(
                    f"Invalid vector dimension: {len(vector or [])}, expected: {index.dimension}"
                )
            checked.append((str(item["id"]), [float(x) for x in vector], item.get("metadata")))
        space = spaces.setdefault(namespace, {})
        for vid, vector, metadata in checked:  # all checked first: the batch is atomic
            space[vid] = (vector, metadata)
        return "Success"
    if op == "update":
        vid = str(body["id"])
        if vid not in space:
            return {"updated": 0}
        vector, metadata = space[vid]
        if "vector" in body:
            if len(body["vector"]) != index.dimension:
                raise UpstashError("Invalid vector dimension")
            vector = [float(x) for x in body["vector"]]
        if "metadata" in body:
            if body.get("metadataUpdateMode", "OVERWRITE") == "PATCH":
                raise UpstashError("PATCH is not implemented by the stand-in")
            metadata = body["metadata"]
        space[vid] = (vector, metadata)
        return {"updated": 1}
    filter_tree = parse_filter(body["filter"]) if (body or {}).get("filter") else None

    def shape(vid: str, include_vectors: bool, include_metadata: bool) -> dict[str, Any]:
        vector, metadata = space[vid]
        out: dict[str, Any] = {"id": vid}
        if include_vectors:
            out["vector"] = vector
        if include_metadata and metadata is not None:
            out["metadata"] = metadata
        return out

    if op == "query":
        vector = body.get("vector")
        if not isinstance(vector, list) or len(vector) != index.dimension:
            raise UpstashError("Invalid vector dimension")
        top_k = int(body.get("topK", 10))
        if not 1 <= top_k <= 1000:
            raise UpstashError("topK must be between 1 and 1000")
        scored = [
            (_similarity(index.similarity, vector, stored), vid)
            for vid, (stored, metadata) in space.items()
            if filter_tree is None or evaluate(filter_tree, metadata or {})
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        out = []
        for score, vid in scored[:top_k]:
            item = shape(vid, body.get("includeVectors", False), body.get("includeMetadata", False))
            item["score"] = score
            out.append(item)
        return out
    if op == "fetch":
        return [
            shape(vid, body.get("includeVectors", False), body.get("includeMetadata", False))
            if vid in space
            else None
            for vid in body.get("ids", [])
        ]
    if op == "delete":
        if "ids" in body:
            doomed = [vid for vid in body["ids"] if vid in space]
        elif "prefix" in body:
            doomed = [vid for vid in space if vid.startswith(body["prefix"])]
        elif filter_tree is not None:
            doomed = [vid for vid, (_, m) in space.items() if evaluate(filter_tree, m or {})]
        else:
            raise UpstashError("ids, prefix or filter is required")
        for vid in doomed:
            del space[vid]
        return {"deleted": len(doomed)}
    if op == "range":
        limit = int(body.get("limit", 1))
        ordered = sorted(space)
        cursor = body.get("cursor") or ""
        start = int(cursor) if cursor else 0
        page = ordered[start : start + limit]
        nxt = str(start + limit) if start + limit < len(ordered) else ""
        return {
            "nextCursor": nxt,
            "vectors": [
                shape(v, body.get("includeVectors", False), body.get("includeMetadata", False))
                for v in page
            ],
        }
    raise UpstashError(f"unknown endpoint {op}", 404)


class StandInUpstashVector:
    """One stand-in index served over HTTP on 127.0.0.1 (``url``, ``token``)."""

    def __init__(self, dimension: int = 4, similarity: str = "COSINE") -> None:
        self.index = _Index(dimension, similarity, "stand-in-token")
        index = self.index

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != f"Bearer {index.token}":
                    self._send(401, {"error": "Unauthorized", "status": 401})
                    return
                path, _, query = self.path.partition("?")
                parts = path.strip("/").split("/", 1)
                op, namespace = parts[0], (parts[1] if len(parts) > 1 else "")
                try:
                    body = json.loads(raw) if raw.strip() else None
                    with index.lock:
                        index.requests.append(op)
                        result = _handle(index, op, namespace, body, query)
                except FilterSyntaxError as exc:
                    self._send(400, {"error": f"Invalid filter: {exc}", "status": 400})
                except UpstashError as exc:
                    self._send(exc.status, {"error": str(exc), "status": exc.status})
                except (KeyError, TypeError, ValueError) as exc:
                    self._send(400, {"error": f"bad request: {exc}", "status": 400})
                else:
                    self._send(200, {"result": result})

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.token = index.token

    def reset(self) -> None:
        with self.index.lock:
            self.index.spaces = {"": {}}
            self.index.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def iter_standins(*configs: tuple[int, str]) -> Iterator[StandInUpstashVector]:
    for dimension, similarity in configs:
        yield StandInUpstashVector(dimension, similarity)
