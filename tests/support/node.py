"""Run Mastra's own npm packages from the tests, to prove both sides read each other's data.

Each adapter's compatibility tests name the exact npm releases they drive (for example
``("@mastra/pg@1.27.1", "@mastra/core@1.71.0")``). :func:`mastra_npm_dir` finds them in
``$MASTRA_NPM_DIR`` or installs them once into ``.cache/mastra-npm/<first-package>`` under the
working directory; every package set gets its own directory, so adapters' tests running at
the same time never share an ``npm install``. Without ``node`` or ``npm`` the caller's test
skips with a one-line reason, or fails when ``MASTRA_TEST_REQUIRE`` names ``node``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .servers import skip_or_fail

__all__ = ["mastra_npm_dir", "run_node_harness"]

NPM_INSTALL_TIMEOUT_S = 600


def _split(spec: str) -> tuple[str, str]:
    """``"@mastra/pg@1.27.1"`` -> ``("@mastra/pg", "1.27.1")``."""
    name, _, version = spec.rpartition("@")
    if not name or not version:
        raise ValueError(f"npm package spec needs an exact version: {spec!r}")
    return name, version


def _has_packages(directory: Path, packages: Sequence[str]) -> bool:
    for spec in packages:
        name, version = _split(spec)
        manifest = directory / "node_modules" / name / "package.json"
        try:
            if json.loads(manifest.read_text())["version"] != version:
                return False
        except (OSError, ValueError, KeyError):
            return False
    return True


def _cache_root() -> Path:
    return Path(os.environ.get("MASTRA_NPM_CACHE", Path.cwd() / ".cache" / "mastra-npm"))


def mastra_npm_dir(packages: Sequence[str]) -> Path:
    """A directory whose ``node_modules`` holds exactly these package versions.

    Skips (or fails, when ``node`` is required) if ``node``/``npm`` are missing or the
    install fails.
    """
    if shutil.which("node") is None:
        skip_or_fail("node", "`node` is not on PATH (needed for the Mastra compatibility tests)")
    candidates = [Path(p) for p in os.environ.get("MASTRA_NPM_DIR", "").split(os.pathsep) if p]
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", packages[0]).strip("-")
    target = _cache_root() / slug
    for candidate in [*candidates, target]:
        if _has_packages(candidate, packages):
            return candidate
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("node", f"{list(packages)} not found and `npm` is not on PATH")
    target.mkdir(parents=True, exist_ok=True)
    # Parallel test workers ask for the same packages at once: one installs, the others
    # wait for it and then find them.
    with open(target.parent / f".{slug}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _has_packages(target, packages):
            _npm_install(npm, target, packages)
    return target


def _npm_install(npm: str, target: Path, packages: Sequence[str]) -> None:
    command = [npm, "install", "--prefix", str(target), "--no-audit", "--no-fund"]
    try:
        proc = subprocess.run(
            [*command, "--loglevel=error", *packages],
            capture_output=True,
            text=True,
            timeout=NPM_INSTALL_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        skip_or_fail("node", f"npm install {' '.join(packages)} timed out")
    if not _has_packages(target, packages):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        skip_or_fail("node", f"npm install {' '.join(packages)} failed: {last}")


def run_node_harness(
    script: Path,
    npm_dir: Path,
    *args: str,
    timeout: float = 180,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``node script *args`` with ``MASTRA_NPM_DIR=npm_dir``; its last stdout line is JSON.

    Fails the test (AssertionError) when the script exits non-zero or prints ``{"error"}``.
    """
    proc = subprocess.run(
        ["node", str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {}), "MASTRA_NPM_DIR": str(npm_dir)},
        stdin=subprocess.DEVNULL,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{script.name} printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    data: dict[str, Any] = json.loads(lines[-1])
    assert proc.returncode == 0 and set(data) != {"error"}, (data, proc.stderr[-2000:])
    return data
