"""The database file: opened in WAL mode and migrated to the current schema."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from pipeline.errors import StoreError
from pipeline.store import migrations, search_index
from pipeline.store.batch import BatchConnection


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating when needed) the database, in WAL mode, with the project's schema."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, factory=BatchConnection)
        conn.execute("PRAGMA busy_timeout = 30000")
        migrations.check(conn, str(path))  # refuse another program's file before writing anything
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        migrations.migrate(db, str(path))
        search_index.ensure_fts(db)  # the index has its own version: rebuilt when its tokenising changed
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    return db
