"""One writer run per database: an flock on the database file itself, held for the whole run.

The lock belongs to the file, not to a name: a symlink or a hard link to the database, or a
second path spelling, reaches the same inode and so the same lock, and there is no lock file to
delete. The kernel drops an flock when its process dies, even by kill -9, so a lock left by a
dead run is never in the way (no stale-lock guessing).

flock and SQLite's own POSIX (fcntl) locks do not interact on a local file system. But closing
*any* descriptor of a file drops every POSIX lock the process holds on it, so the descriptor
is opened before SQLite opens the database and closed only after the run's connection is closed;
the run reads the file's header through it (`header`) instead of opening another one.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from pipeline.errors import LockHeld, StoreError
from pipeline.store import faults


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
    """`with DbLock(db_path):` ... ; raises LockHeld when another process (or descriptor) holds it.

    Creates the database file (empty) when it does not exist yet, so that it has an identity."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(db_path)
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except PermissionError:  # a read-only file still locks; SQLite says it is read-only
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:  # a read-only file system, a full disk, a path through a file
            if faults.is_fault(exc):
                raise faults.to_error(exc, self.path, midway=False) from None
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = holder_pid(fd)
            os.close(fd)  # no SQLite connection of this run has the file open yet
            who = f"another run (pid {pid})" if pid is not None else "another run"
            raise LockHeld(f"{who} holds the lock on {self.path}") from None
        self.fd = fd

    def header(self) -> tuple[bytes, int]:
        """The database file's first 100 bytes and its size, read through the lock's descriptor."""
        assert self.fd is not None
        return os.pread(self.fd, 100, 0), os.fstat(self.fd).st_size

    def release(self) -> None:
        """Call only after this process's connections to the database are closed."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DbLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
