"""One writer run per database: an flock on the database file itself, held for the whole run.

The lock belongs to the file, not to a name: a symlink or a hard link to the database, or a
second spelling of its path, reaches the same inode and so the same lock, and there is no lock file
to delete. The kernel drops an flock when its process dies, even by kill -9, so a lock left by a
dead run is never in the way (no stale-lock guessing).

flock and SQLite's own POSIX (fcntl) locks do not interact on a local file system. But closing
*any* descriptor of a file drops every POSIX lock the process holds on it, SQLite's included
(SQLite's "How To Corrupt An SQLite Database File", 2.2). So the descriptor this module opens for a
database is opened once per process (`identity_fd`) and closed only when the process holds no
POSIX lock on the file (/proc/locks; elsewhere it stays open); the run reads the file's header
through it instead of opening another one. Two runs
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


def _proc_locks() -> list[list[str]] | None:
    try:
        return [line.split() for line in Path("/proc/locks").read_text().splitlines()]
    except OSError:
        return None


def _same_file(field: str, key: tuple[int, int]) -> bool:
    """Whether a /proc/locks "MAJOR:MINOR:INODE" field (major and minor in hex) names the file `key`."""
    bits = field.split(":")
    if len(bits) != 3 or bits[2] != str(key[1]):
        return False
    try:
        return os.makedev(int(bits[0], 16), int(bits[1], 16)) == key[0]
    except ValueError:
        return False


def posix_locks_held(key: tuple[int, int]) -> int | None:
    """How many POSIX locks this process holds on the file `key` (None: cannot tell here)."""
    rows = _proc_locks()
    if rows is None:
        return None
    pid = str(os.getpid())
    return sum(1 for b in rows if "->" not in b and len(b) >= 6 and b[1] == "POSIX" and b[4] == pid and _same_file(b[5], key))


def forget(key: tuple[int, int]) -> None:
    """Close this process's descriptor of the file `key` when no run holds it and closing drops no
    POSIX lock of the process (see the module docstring)."""
    with _GUARD:
        if key in _FDS and key not in _HELD and posix_locks_held(key) == 0:
            os.close(_FDS.pop(key))


def holder_pid(fd: int) -> int | None:
    """The pid that holds an flock on the file behind `fd` (Linux: /proc/locks), or None."""
    st = os.fstat(fd)
    for b in _proc_locks() or []:
        if "->" not in b and len(b) >= 6 and b[1] == "FLOCK" and b[4].isdigit() and _same_file(b[5], (st.st_dev, st.st_ino)):
            return int(b[4])
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
        """Unlock; close the descriptor only when this process holds no POSIX lock on the file (no
        SQLite connection of it is in a transaction there), as /proc/locks shows; else keep it open."""
        if self.fd is not None and self.key is not None:
            with _GUARD:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                _HELD.discard(self.key)
            forget(self.key)
            self.fd = self.key = None

    def __enter__(self) -> DbLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
