"""``python -m benchmarks --peers``: each framework adapter beside that framework's own store.

Each module in :data:`PEER_MODULES` measures its framework's session/history on the same
backends as the framework's built-in store and appends its Markdown table to
``results/peers.md`` through its ``main(["--append-to", path, ("--quick")])``; a module
whose framework is not installed is reported and skipped. To add a framework: write
``benchmarks/peers_<name>.py`` with that ``main`` and add its module name here.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from pathlib import Path

PEER_MODULES: tuple[str, ...] = (
    "benchmarks.peers_openai",
    "benchmarks.peers_pydantic_ai",
    "benchmarks.peers_langchain",
    "benchmarks.peers_agno",
)


def _load() -> str:
    """The 1/5/15-minute load averages (a busy machine inflates every figure)."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(out_dir: Path, *, quick: bool) -> int:
    """Run every registered peer benchmark, writing ``out_dir/peers.md``; 0 when all ran."""
    os.environ.setdefault("MASTRA_TEST_NO_STANDARD_PORTS", "1")  # private servers, as runner
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "peers.md"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path.write_text(
        "# Framework adapters vs the frameworks' own stores\n\n"
        f"{stamp}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"quick: {quick}, load average at start {_load()}. Regenerate: "
        "`python -m benchmarks --peers`.\n",
        encoding="utf-8",
    )
    failed = []
    for name in PEER_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # the framework's extra is not installed
            print(f"{name}: skipped ({exc})", flush=True)
            failed.append(name)
            continue
        argv = ["--append-to", str(path)] + (["--quick"] if quick else [])
        if module.main(argv) != 0:
            failed.append(name)
    print(f"wrote {path}", flush=True)
    return 1 if failed else 0
