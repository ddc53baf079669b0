"""The `runs` table: one row per import, crawl or reprocess run, with its counts and status.

A storage fault in these writes never escapes as a traceback: it comes back as the pipeline's
error (see `faults.to_error`): start_run and close_stale_runs run before anything is written
(exit 2, or 4 for a damaged file), finish_run at the end of a run (exit 4).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils

from pipeline.models import RunStats
from pipeline.store import faults
from pipeline.store.database import now


def _path(db: sqlite_utils.Database) -> str:
    return faults.conn_path(db.conn)


def start_run(db: sqlite_utils.Database, kind: str, config: dict[str, Any]) -> int:
    row = {"kind": kind, "started": now(), "config": json.dumps(config, ensure_ascii=False), "status": "running"}
    try:
        with db.conn:
            return int(db.table("runs").insert(row).last_pk or 0)
    except sqlite3.Error as exc:
        raise faults.to_error(exc, _path(db), midway=False) from None


def close_stale_runs(db: sqlite_utils.Database) -> int:
    """Close as `interrupted` the runs of any kind left `running` by a dead process (kill -9, power
    loss); call it holding the database's lock, so that none of them is alive. Returns how many."""
    try:
        with db.conn:
            cur = db.execute("update runs set status = 'interrupted', finished = ? where status = 'running'", [now()])
            return cur.rowcount
    except sqlite3.Error as exc:
        raise faults.to_error(exc, _path(db), midway=False) from None


def finish_run(db: sqlite_utils.Database, run_id: int, stats: RunStats, status: str, reason: str = "") -> None:
    """Write the run's counts, status and why it failed or was degraded (`runs.reason`); raises StorageFault (or DatabaseDamaged) when it cannot."""
    conn = db.conn
    try:
        if conn.in_transaction:  # a page cut short by a signal or a fault: roll it back, keep the rest
            conn.rollback()
        with conn:
            db.table("runs").update(run_id, {
                "finished": now(), "pages_fetched": stats.pages_fetched, "pages_unchanged": stats.pages_unchanged,
                "pages_failed": stats.pages_failed, "essays_added": stats.essays_added,
                "essays_updated": stats.essays_updated, "status": status, "reason": reason or None,
                **({"skipped": json.dumps(stats.skipped, ensure_ascii=False, sort_keys=True)} if stats.skipped else {}),
            })
    except sqlite3.Error as exc:
        raise faults.to_error(exc, _path(db), midway=True) from None


def record_source_failure(db: sqlite_utils.Database, run_id: int, source: str, error: str, offset: int | None = None) -> None:
    """A failure with no page to hang it on: a malformed archive record (file and byte offset), a bad list line."""
    with db.conn:
        db.execute("insert into source_failures (run_id, source, offset, error, at) values (?, ?, ?, ?, ?)",
                   [run_id, source, offset, error, now()])
