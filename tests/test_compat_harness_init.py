"""The node harnesses' shared ``initialisedStore``: Mastra's own SQLITE_SCHEMA init race on
sqld is retried with a new store, and every other init error surfaces at once.

Why a test: the race shows only under load (one CI run in several), so the retry itself is
checked here with stand-in stores whose ``init()`` fails on demand."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.servers import skip_or_fail

COMMON = Path(__file__).parent / "compat" / "harness_common.mjs"

SCRIPT = """
const { initialisedStore } = await import(process.argv[1]);
const [failures, message] = [Number(process.argv[2]), process.argv[3]];
const made = [];
const make = async () => {
  const store = { n: made.length + 1, closed: false };
  store.init = async () => {
    if (store.n <= failures) {
      const cause = new Error(message);
      throw Object.assign(new Error('create failed', { cause }), { id: 'CREATE_TABLE_FAILED' });
    }
  };
  store.close = async () => { store.closed = true; };
  made.push(store);
  return store;
};
let result;
try {
  const store = await initialisedStore(make);
  result = { used: store.n };
} catch (err) {
  result = { error: String(err.cause && err.cause.message) };
}
result.closed = made.filter((s) => s.closed).map((s) => s.n);
process.stderr.write(JSON.stringify(result));
"""


def run(failures: int, message: str) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node", "`node` is not on PATH")
    proc = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, COMMON.as_uri(), str(failures), message],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # harness_common routes stdout to stderr; the result is the last line there
    result: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    return result


def test_a_schema_race_is_retried_with_a_new_store() -> None:
    # the SQLITE_SCHEMA text is only in the error's cause, as in @mastra/libsql's wrapper
    assert run(2, "SQLITE_SCHEMA: database schema has changed") == {"used": 3, "closed": [1, 2]}


def test_any_other_init_error_is_raised_at_once() -> None:
    assert run(1, "SQLITE_CONSTRAINT: boom") == {
        "error": "SQLITE_CONSTRAINT: boom",
        "closed": [1],
    }


def test_the_race_is_retried_five_times_at_most() -> None:
    message = "SQLITE_SCHEMA: database schema has changed"
    assert run(9, message) == {"error": message, "closed": [1, 2, 3, 4, 5]}
