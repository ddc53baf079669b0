"""The `runs` table: one row per import, crawl or reprocess run, with its counts and status."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pipeline.models import RunStats
from pipeline.store.database import now


def start_run(db: sqlite_utils.Database, kind: str, config: dict[str, Any]) -> int:
    row = {"kind": kind, "started": now(), "config": json.dumps(config, ensure_ascii=False), "status": "running"}
    with db.conn:
        return int(db.table("runs").insert(row).last_pk or 0)


def finish_run(db: sqlite_utils.Database, run_id: int, stats: RunStats, status: str) -> None:
    with db.conn:
        db.table("runs").update(run_id, {
            "finished": now(), "pages_fetched": stats.pages_fetched, "pages_unchanged": stats.pages_unchanged,
            "pages_failed": stats.pages_failed, "essays_added": stats.essays_added,
            "essays_updated": stats.essays_updated, "status": status,
            **({"skipped": json.dumps(stats.skipped, ensure_ascii=False, sort_keys=True)} if stats.skipped else {}),
        })


def record_source_failure(db: sqlite_utils.Database, run_id: int, source: str, error: str, offset: int | None = None) -> None:
    """A failure with no page to hang it on: a malformed archive record (file and byte offset), a bad list line."""
    with db.conn:
        db.execute("insert into source_failures (run_id, source, offset, error, at) values (?, ?, ?, ?, ?)",
                   [run_id, source, offset, error, now()])
