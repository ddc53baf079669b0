"""One writer run per database: an flock on the database file itself, held for the whole run.

The lock belongs to the file, not to a name: a symlink or a hard link to the database, or a
second spelling of its path, reaches the same inode and so the same lock, and there is no lock file
to delete. The kernel drops an flock when its process dies, even by kill -9, so a lock left by a
dead run is never in the way (no stale-lock guessing).

flock and SQLite's own POSIX (fcntl) locks do not interact on a local file system. But closing
*any* descriptor of a file drops every POSIX lock the process holds on it, SQLite's included
(SQLite's "How To Corrupt An SQLite Database File", 2.2). So the descriptor this module opens for a
database is opened once per process and never closed (`identity_fd`): releasing the lock only
unlocks it; the run reads the file's header through it instead of opening another one. Two runs
in one process (threads) are kept apart by a set of the databases this process holds.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

from pipeline.errors import LockHeld, StoreError
from pipeline.store import faults

_FDS: dict[tuple[int, int], int] = {}  # (device, inode) -> the one descriptor this process keeps open
_SPARE: list[int] = []
_HELD: set[tuple[int, int]] = set()
_GUARD = threading.Lock()


def identity_fd(path: str | Path, create: bool = False) -> tuple[int, tuple[int, int]]:
    """This process's one descriptor of the file at `path` (opened on first use, never closed) and
    the file's identity (device, inode). Creates an empty file when `create` and it is missing."""
    path = Path(path)
    with _GUARD:
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in _FDS:
                return _FDS[key], key
        except FileNotFoundError:
            if not create:
                raise
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except PermissionError:  # a read-only file still locks; SQLite then says it is read-only
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        if key in _FDS:  # the file was renamed in between: keep both open (closing drops POSIX locks)
            _SPARE.append(fd)
            return _FDS[key], key
        _FDS[key] = fd
        return fd, key


def holder_pid(fd: int) -> int | None:
    """The pid that holds an flock on the file behind `fd` (Linux: /proc/locks), or None."""
    st = os.fstat(fd)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        bits = line.split()
        if "->" in bits or len(bits) < 6 or bits[1] != "FLOCK":
            continue
        dev_ino = bits[5].split(":")
        if len(dev_ino) == 3 and dev_ino[2] == str(st.st_ino) and bits[4].isdigit():
            major, minor = int(dev_ino[0], 16), int(dev_ino[1], 16)
            if os.makedev(major, minor) == st.st_dev:
                return int(bits[4])
    return None


class DbLock:
    """`with DbLock(db_path):` ... ; raises LockHeld when another process, or another run in this
    process, holds it. Creates the database file (empty) when it does not exist yet, so that it has
    an identity."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(db_path)
        self.fd: int | None = None
        self.key: tuple[int, int] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, key = identity_fd(self.path, create=True)
        except OSError as exc:  # a read-only file system, a full disk, a path through a file
            if faults.is_fault(exc):
                raise faults.to_error(exc, self.path, midway=False) from None
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        with _GUARD:
            if key in _HELD:
                raise LockHeld(f"another run (pid {os.getpid()}) holds the lock on {self.path}")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = holder_pid(fd)
                who = f"another run (pid {pid})" if pid is not None else "another run"
                raise LockHeld(f"{who} holds the lock on {self.path}") from None
            _HELD.add(key)
        self.fd, self.key = fd, key

    def header(self) -> tuple[bytes, int]:
        """The database file's first 100 bytes and its size, read through the lock's descriptor."""
        assert self.fd is not None
        return os.pread(self.fd, 100, 0), os.fstat(self.fd).st_size

    def release(self) -> None:
        """Unlock; the descriptor stays open (see the module docstring)."""
        if self.fd is not None and self.key is not None:
            with _GUARD:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                _HELD.discard(self.key)
            self.fd = self.key = None

    def __enter__(self) -> DbLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
