"""The life of every writing run (crawl, import, reprocess), in one place.

`with write_run(db_path, kind, config, stats) as run:` takes the database's lock (exit 3 when
another run holds it), checks the file (header, schema version, quick_check when it is small),
closes the runs a dead process left `running`, starts the `runs` row, and turns SIGINT and SIGTERM
into `Interrupted`. At the end of the block it records the run once, whatever happened:

- the block ended: the status the job set (`run.status`), with its counts;
- SIGINT / SIGTERM: the page in hand rolled back (or already committed), the run `interrupted`
  with its counts; Interrupted goes on to the CLI (exit 130 / 143) with a summary;
- a storage fault (disk full, file size limit, read-only, locked past the busy timeout,
  damaged): the run `failed` where the database still takes that write; StorageFault (exit 4) or
  DatabaseDamaged (exit 4, naming `pipeline check`) goes on. A fault met before the run row was
  written is a StoreError (exit 2), except a damaged file (exit 4).

The database is closed before the lock is released (see `pipeline.store.lock`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.errors import DatabaseDamaged, Interrupted, PipelineError, StorageFault, StoreError
from pipeline.jobs.signals import StopOnSignals
from pipeline.models import RunStats
from pipeline.store import faults, health
from pipeline.store.lock import DbLock
from pipeline.store.runs import close_stale_runs


@dataclass
class WriteRun:
    """What a job writes with: the database, its run id and counters, and the status to record."""

    db: sqlite_utils.Database
    run_id: int
    stats: RunStats
    path: str
    guard: StopOnSignals
    status: str = "ok"
    reason: str = ""  # why the run failed or was degraded (runs.reason), when it ends by itself

    def check(self) -> None:
        """Call between two pages: raises Interrupted when SIGINT/SIGTERM asked the run to stop."""
        self.guard.check()

    def is_own_file(self, path: str | Path) -> bool:
        """Whether `path` is the database or one of SQLite's files beside it (-wal, -shm, -journal), by
        identity: reading one would open and close a descriptor of it, which drops SQLite's locks."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                own = os.stat(self.path + suffix)
            except OSError:
                continue
            if (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino):
                return True
        return False

    @contextmanager
    def stop_at_once(self) -> Iterator[None]:
        """Within the block a signal raises Interrupted at once (the page in hand is rolled back): for
        steps that call code with no page boundary to stop at (archives, a cluster)."""
        self.guard.at_once()
        try:
            yield
        finally:
            self.guard.graceful()
        self.guard.check()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """For a job that stops by itself (a crawl): called when the first SIGINT/SIGTERM comes."""
        self.guard.on_stop(callback)


def open_checked(lock: DbLock, quick_check_max: int | None = None) -> sqlite_utils.Database:
    """Open the locked database after the cheap checks; close the runs left `running` by dead processes."""
    path = lock.path
    header, size = lock.header()
    problem = health.header_problem(header, size)
    if problem and not header.startswith(health.MAGIC):
        raise StoreError(f"{path} is not an SQLite database ({problem}); pass --db with a new file or one the project wrote")
    if problem:
        raise DatabaseDamaged(faults.damaged_message(path, problem))
    db = store.open_db(path)
    try:
        limit = health.QUICK_CHECK_MAX_BYTES if quick_check_max is None else quick_check_max
        health.quick_check(db.conn, path, size, limit)
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a kill -9 never loses a commit
        close_stale_runs(db)
    except sqlite3.Error as exc:
        close_quietly(db)
        raise faults.to_error(exc, path, midway=False) from None
    except BaseException:
        close_quietly(db)
        raise
    return db


def close_quietly(db: sqlite_utils.Database) -> None:
    """Close the connection; a checkpoint that fails on closing (disk full) leaves the WAL to the next run."""
    try:
        db.conn.close()
    except sqlite3.Error:
        pass


def _record(run: WriteRun, status: str) -> str:
    """Write the run's end; returns a note for the user when the database refused it."""
    try:
        store.finish_run(run.db, run.run_id, run.stats, status)
    except PipelineError as exc:
        return f"; the run could not be marked {status} ({exc}): the next run marks it interrupted"
    return ""


def _counts(stats: RunStats) -> str:
    return (f"{stats.pages_fetched} pages stored, {stats.pages_unchanged} unchanged, {stats.pages_failed} failed, "
            f"{stats.essays_added} essays added, {stats.essays_updated} updated")


@contextmanager
def write_run(db_path: str | Path, kind: str, config: dict[str, Any], stats: RunStats,
              quick_check_max: int | None = None) -> Iterator[WriteRun]:
    """See the module docstring. `stats` is the object the job counts in (it may swap it for its own
    by assigning `run.stats`)."""
    guard = StopOnSignals()
    with guard:
        try:
            with DbLock(db_path) as lock:
                db = open_checked(lock, quick_check_max)
                try:
                    run = WriteRun(db, store.start_run(db, kind, config), stats, str(db_path), guard)
                except BaseException:
                    close_quietly(db)
                    raise
                guard.graceful()
                try:
                    yield run
                    guard.closing()
                    if guard.stop_requested:  # the job stopped by itself after the first signal
                        raise guard.interrupted()
                except Interrupted as exc:
                    guard.closing()
                    note = _record(run, "interrupted")
                    exc.summary = f"{kind} run {run.run_id} interrupted by {exc.name}: {_counts(run.stats)}{note}"
                    raise
                except (StorageFault, StoreError, sqlite3.Error, OSError) as exc:
                    guard.closing()
                    if isinstance(exc, OSError) and not faults.is_fault(exc):
                        _record(run, "failed")
                        raise
                    if isinstance(exc, StorageFault):
                        error: PipelineError = exc
                    elif isinstance(exc, StoreError):  # a write that stopped the run midway: exit 4, not 2
                        error = StorageFault(str(exc))
                    else:
                        error = faults.to_error(exc, db_path, midway=True)
                    note = _record(run, "failed")
                    raise type(error)(f"{error}; {kind} run {run.run_id} stopped, what it committed is kept: {_counts(run.stats)}{note}") from None
                except BaseException:
                    guard.closing()
                    _record(run, "failed")
                    raise
                else:
                    store.finish_run(db, run.run_id, run.stats, run.status, run.reason)
                finally:
                    close_quietly(db)
        except Interrupted as exc:
            if not exc.summary:
                exc.summary = f"{kind} interrupted by {exc.name} before its run started (no run row written)"
            raise
