"""Storage faults: what a failed SQLite or file-system call means, said once, in one clear message.

A fault of the database itself (disk full, the file size limit, a read-only file or file system,
another writer holding the database past the busy timeout, a damaged file) stops a run: met
before anything was written it is a StoreError (exit 2); met midway, a StorageFault (exit 4);
a damaged file is always a DatabaseDamaged (exit 4), whose message names `pipeline check`.
Any other SQLite error (a constraint, a value too big) belongs to the page being written.
"""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
from pathlib import Path

from pipeline.errors import DatabaseDamaged, PipelineError, StorageFault, StoreError

BUSY_TIMEOUT_ENV = "PIPELINE_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0

# primary SQLite result codes (https://sqlite.org/rescode.html)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26
_FAULT_CODES = {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN,
                SQLITE_NOTADB}


def busy_timeout() -> float:
    """Seconds a write waits for another writer before giving up: $PIPELINE_BUSY_TIMEOUT, default 30."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT
    return max(0.0, value)


def conn_path(conn: sqlite3.Connection) -> str:
    """The file a connection has open (for messages)."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "(unknown path)"
    return str(row[2]) if row and row[2] else "(unknown path)"


def primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_fault(exc: BaseException) -> bool:
    """Whether an exception is a fault of the database's storage (not of one page's data)."""
    if isinstance(exc, sqlite3.Error):
        return primary_code(exc) in _FAULT_CODES
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EDQUOT, errno.EIO)
    return False


def _size_limit() -> str:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return "" if soft == resource.RLIM_INFINITY else f"; this process may write files of at most {soft} bytes (ulimit -f)"


def describe(exc: BaseException, path: str | Path) -> str:
    """One line that says what failed and what to do about it."""
    name = getattr(exc, "sqlite_errorname", "") or (errno.errorcode.get(exc.errno or 0, "") if isinstance(exc, OSError) else "")
    detail = f"{exc} ({name})" if name else str(exc)
    code = primary_code(exc) if isinstance(exc, sqlite3.Error) else None
    err = exc.errno if isinstance(exc, OSError) else None
    if code == SQLITE_FULL or err in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding the database {path} is full: {detail}; free some space and run again"
    if err == errno.EFBIG or (code == SQLITE_IOERR and _size_limit()):
        return f"cannot write the database {path}: {detail}{_size_limit()}"
    if code == SQLITE_IOERR or err == errno.EIO:
        return f"cannot write the database {path}: {detail}; is the disk full or failing?"
    if code == SQLITE_READONLY or err == errno.EROFS:
        return f"the database {path} is read-only: {detail}; use a writable file (or file system)"
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return (f"the database {path} stayed locked by another writer for more than {busy_timeout():g}s: {detail}; "
                f"stop the other writer, or set {BUSY_TIMEOUT_ENV} to wait longer")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return damaged_message(path, detail)
    if code == SQLITE_CANTOPEN:
        return f"cannot open the database {path}: {detail}"
    return f"database {path}: {detail}"


def damaged_message(path: str | Path, detail: str) -> str:
    return (f"the database {path} is damaged: {detail}; run `pipeline check --db {path}` for the full report, "
            f"and restore it from a backup (or start a new file)")


def to_error(exc: BaseException, path: str | Path, midway: bool) -> PipelineError:
    """The pipeline's error for a storage fault: StoreError (exit 2) before anything was written,
    StorageFault (exit 4) midway, DatabaseDamaged (exit 4) whenever the file is damaged (a file that
    is not SQLite's at all, met on opening it, is refused: exit 2)."""
    code = primary_code(exc) if isinstance(exc, sqlite3.Error) else None
    if code == SQLITE_NOTADB and not midway:  # the header is not SQLite's: refused, nothing written
        return StoreError(f"cannot open database {path}: {exc}: not an SQLite database, or its header is damaged "
                          f"(`pipeline check --db {path}` says which); pass --db with a new file or one the project wrote")
    message = describe(exc, path)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DatabaseDamaged(message)
    return StorageFault(message) if midway else StoreError(message)
