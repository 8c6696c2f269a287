"""Files the CLI and the transfer engine create: private, exclusive, never through a link.

* :func:`private_temp` creates a temporary file beside its target with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode ``0600`` (``tempfile.mkstemp``), so a
  symlink or a file planted at a predictable name is never written through.
* :func:`publish` moves the finished temporary file onto the target: ``os.replace``
  when overwriting is allowed, otherwise a hard link, which fails if the target appeared
  meanwhile (no check-then-write race), falling back to a checked rename where the file
  system has no hard links.
* :func:`create_private_file` creates a new empty file (a SQLite database to be) with
  mode ``0600``; SQLite gives its ``-wal``/``-shm`` files the database file's mode.
* :func:`local_file_path` reads the path out of a ``file:``/``sqlite:`` URL.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import urllib.parse
from pathlib import Path

from ..errors import ValidationError

#: Mode of every file the CLI creates: exports, checkpoints, SQLite databases.
PRIVATE_MODE = 0o600


def local_file_path(url: str) -> Path | None:
    """The local path of a ``file:`` / ``sqlite:`` URL (``None`` for ``:memory:`` and others)."""
    stripped = url.strip()
    scheme, sep, rest = stripped.partition(":")
    if not sep or scheme.lower() not in ("file", "sqlite") or stripped == ":memory:":
        return None
    rest = rest.split("?", 1)[0]
    if scheme.lower() == "sqlite" and rest.startswith("//"):
        # SQLAlchemy style, as the libSQL adapter reads it: sqlite:///rel, sqlite:////abs.
        rest = rest[3:] if rest.startswith("///") else rest[2:]
    elif rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):  # file://host/path: the host must be empty or localhost
            host, _, tail = rest.partition("/")
            if host not in ("", "localhost"):
                return None
            rest = "/" + tail
    rest = urllib.parse.unquote(rest)
    if not rest or rest == ":memory:":
        return None
    return Path(rest).expanduser()


def target_exists_error(target: Path) -> ValidationError:
    return ValidationError(
        f"{target} already exists (use --force to replace it)",
        id="MASTRA_STORAGE_TRANSFER_TARGET_EXISTS",
        details={"path": str(target)},
    )


def refuse_existing(target: Path) -> None:
    """Raise if anything (a file, a directory, a symlink, even a dangling one) is there."""
    if os.path.lexists(target):
        raise target_exists_error(target)


def private_temp(target: Path) -> tuple[int, Path]:
    """A new ``0600`` file beside ``target`` (same directory, so the rename is atomic)."""
    directory = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    return fd, Path(name)


def publish(temp: Path, target: Path, *, overwrite: bool) -> None:
    """Move the finished ``temp`` onto ``target``; without ``overwrite`` an existing target
    (checked atomically) is an error and ``temp`` is removed."""
    try:
        if overwrite:
            os.replace(temp, target)  # replaces a symlink itself, never its destination
            return
        try:
            os.link(temp, target, follow_symlinks=False)
        except FileExistsError:
            raise target_exists_error(target) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            refuse_existing(target)  # no hard links here: a checked rename instead
            os.rename(temp, target)
            return
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    os.unlink(temp)


def write_atomically(target: Path, payload: bytes) -> None:
    """Replace ``target`` with ``payload`` through a private temporary file (checkpoints)."""
    fd, temp = private_temp(target)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    publish(temp, target, overwrite=True)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode ``0600`` unless something is already there
    (never through a symlink). Returns whether it was created."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


__all__ = [
    "PRIVATE_MODE",
    "create_private_file",
    "local_file_path",
    "private_temp",
    "publish",
    "refuse_existing",
    "write_atomically",
]
