"""Crash-safe file writes and the store lock.

Every file is written to a temporary name in the same folder, fsync'ed, then renamed over the target
(os.replace is atomic on POSIX), and the folder is fsync'ed so the rename itself survives a crash. A
reader therefore sees the old file or the new one, never half of one; a run killed mid-write leaves only
a temporary file, which the next run deletes (TEMP_MARK).

The lock is an flock on `<store>/.lock`: the kernel releases it when the holder dies, even by kill -9,
so there is no stale lock to clean up by hand.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

TEMP_MARK = ".tmp-"


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically. `durable=False` skips both fsyncs: only for files that
    are derived from durable ones and rebuilt by the store's recovery (current.md), since after a power
    loss such a file may be the old one, or empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def write_text(path: Path, text: str, durable: bool = True) -> None:
    write_atomic(path, text.encode("utf-8"), durable)


def dumps(value) -> str:
    """Deterministic JSON: sorted keys, UTF-8 kept readable, one trailing newline."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def dumps_line(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class LockBusy(Exception):
    pass


class StoreLock:
    """Exclusive lock on a store for a writing run; `timeout` seconds of waiting (0: don't wait)."""

    def __init__(self, root: Path, timeout: float = 0.0):
        self.path = Path(root) / ".lock"
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                    os.close(fd)
                    raise LockBusy(f"another watch run is writing to {self.path.parent} ({holder}); "
                                   "wait for it to finish, or pass --lock-timeout SECONDS to wait") from None
                time.sleep(0.1)
        try:  # who holds it, for the message of a run that waits: helpful, not needed (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, since {utc_now()}\n".encode(), 0)
        except OSError:
            pass
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
