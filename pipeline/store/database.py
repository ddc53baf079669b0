"""The database file: opened in WAL mode and migrated to the current schema."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from pipeline.errors import PipelineError, StoreError
from pipeline.store import faults, migrations, search_index
from pipeline.store.batch import BatchConnection


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating when needed) the database, in WAL mode, with the project's schema.

    Raises StoreError (a refused or unwritable file: nothing was written) or DatabaseDamaged."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    timeout = faults.busy_timeout()
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False, factory=BatchConnection)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        migrations.check(conn, str(path))  # refuse another program's file before writing anything
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        migrations.migrate(db, str(path))
        search_index.ensure_fts(db)  # the index has its own version: rebuilt when its tokenising changed
    except PipelineError:
        conn.close()
        raise
    except (OSError, sqlite3.Error) as exc:
        conn.close()
        raise faults.to_error(exc, path, midway=False) from None
    return db
