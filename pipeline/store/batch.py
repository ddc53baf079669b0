"""Fewer, larger writes: pages grouped into transactions of up to N pages or T seconds, each page atomic.

    with Batch(db, max_pages=200, max_seconds=1.0) as batch:
        for page in pages:
            store.save_result(db, ...)      # its `with db.conn:` block becomes a savepoint
            batch.page_done()               # commits when 200 pages or 1 s have gathered

Every writer of the store wraps one page's writes in `with db.conn:` (the page row, its essays,
signatures, search index, and for a crawl its frontier row). Connections opened by
`store.open_db` are `BatchConnection`s: outside a batch that block is a transaction of its own,
as sqlite3 makes it; inside one it is a SAVEPOINT in the batch's transaction, released when the
block ends and rolled back alone when it fails. So a page is all there or not there, a kill -9
loses at most the pages of the open batch (not yet committed: a run started again redoes them,
since their frontier rows and "stored unchanged" checks were not committed either), and SQLite
writes each touched database page, search-index segment and WAL frame once per batch instead of
once per page. Leaving the batch commits what it holds (every block in it has ended, so only
whole pages). `maybe_commit()` commits when the time is up, for loops that wait between pages.
A commit first merges the recent LSH band keys when there are many (`lsh.settle`), in the same
transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from types import TracebackType
from typing import Any

import sqlite_utils

from pipeline.errors import StoreError
from pipeline.models import RunStats
from pipeline.store import faults, lsh

# pages per transaction at most, and seconds; PIPELINE_BATCH_PAGES / PIPELINE_BATCH_SECONDS override them
# (1 page: every page its own transaction, as the bench measures page-by-page writing)
DEFAULT_PAGES = int(os.environ.get("PIPELINE_BATCH_PAGES") or 200)
DEFAULT_SECONDS = float(os.environ.get("PIPELINE_BATCH_SECONDS") or 1.0)
CACHE_KIB = 16384  # page cache while a batch is open: dirty pages stay in memory until the commit
# WAL pages before a checkpoint while a batch is open (SQLite's default is 1000: after nearly every commit).
# A page that several commits change (an index leaf, the search index's structure) is then copied into
# the database once per checkpoint, not once per commit.
CHECKPOINT_PAGES = 8192


class BatchConnection(sqlite3.Connection):
    """A sqlite3 connection whose `with conn:` blocks nest as savepoints while a Batch is open."""

    batch: Batch | None = None
    depth: int = 0
    lsh_recent: object = None  # the connection's map of the recent band keys (store.lsh)

    def __enter__(self) -> BatchConnection:
        if self.batch is None:
            super().__enter__()
            return self
        if not self.in_transaction:
            self.execute("BEGIN")
        self.depth += 1
        self.execute(f"SAVEPOINT page_{self.depth}")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> Any:
        if self.batch is None or self.depth == 0:
            return super().__exit__(exc_type, exc, tb)
        name = f"page_{self.depth}"
        self.depth -= 1
        if not self.in_transaction:  # SQLite rolled the whole transaction back itself (disk full, ...)
            return False
        if exc_type is not None:
            self.execute(f"ROLLBACK TO {name}")
        self.execute(f"RELEASE {name}")
        return False


class Batch:
    """Group the page writes on `db` (opened by `store.open_db`) into larger transactions; see the module docstring."""

    def __init__(self, db: sqlite_utils.Database, max_pages: int | None = None, max_seconds: float | None = None,
                 stats: RunStats | None = None) -> None:
        self.db = db
        self.stats = stats  # the run's counters: put back to the last commit when a commit fails
        self._committed = _counters(stats)
        self.max_pages = DEFAULT_PAGES if max_pages is None else max_pages
        self.max_seconds = DEFAULT_SECONDS if max_seconds is None else max_seconds
        self.pages = 0
        self.commits = 0
        self.started = time.monotonic()
        self._cache: int | None = None
        self._checkpoint = 1000

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self.db.conn
        return conn

    def __enter__(self) -> Batch:
        conn = self.conn
        if isinstance(conn, BatchConnection):
            if conn.batch is not None:
                raise RuntimeError("a batch is open on this connection already")
            if conn.in_transaction:
                conn.commit()
            conn.batch = self
            self._cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
            self._checkpoint = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        self.started = time.monotonic()
        return self

    def page_done(self) -> None:
        """One page's writes are complete: commit when the batch is full or its time is up."""
        self.pages += 1
        if self.pages >= self.max_pages or time.monotonic() - self.started >= self.max_seconds:
            self.commit()

    def maybe_commit(self) -> None:
        """Commit when the batch's time is up (for a loop that waits between pages)."""
        if self.conn.in_transaction and time.monotonic() - self.started >= self.max_seconds:
            self.commit()

    def commit(self) -> None:
        conn = self.conn
        if isinstance(conn, BatchConnection) and conn.depth:
            return  # inside a page's block: never commit half a page
        if conn.in_transaction:
            try:
                lsh.settle(conn)  # the recent band keys merged into the settled ones when there are many
                conn.commit()
            except sqlite3.Error as exc:  # disk full, I/O error: the batch's pages are not stored
                _restore(self.stats, self._committed)  # so the run counts exactly what it kept
                if faults.is_fault(exc):  # the database itself failed: the run stops (exit 4)
                    _free_wal(conn)
                    raise faults.to_error(exc, faults.conn_path(conn), midway=True) from None
                raise StoreError(f"cannot commit a batch of {self.pages} pages: {exc}") from None
            self.commits += 1
        self._committed = _counters(self.stats)
        self.pages = 0
        self.started = time.monotonic()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        conn = self.conn
        try:
            if not isinstance(conn, BatchConnection) or conn.depth == 0:
                self.commit()  # whole pages only (every page block has ended), also when the run stops on an error
        finally:
            if isinstance(conn, BatchConnection):
                conn.batch = None
                conn.depth = 0
                if self._cache is not None:
                    conn.execute(f"PRAGMA cache_size = {self._cache}")
                    conn.execute(f"PRAGMA wal_autocheckpoint = {self._checkpoint}")


def _free_wal(conn: sqlite3.Connection) -> None:
    """After a commit failed for want of space: copy the committed WAL into the database, so the WAL
    starts again from its beginning and the run can still be marked failed (best effort)."""
    try:
        if conn.in_transaction:
            conn.rollback()
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass


def page_done(db: sqlite_utils.Database) -> None:
    """Tell the batch open on `db`, if any, that a page is complete."""
    batch = getattr(db.conn, "batch", None)
    if batch is not None:
        batch.page_done()


_COUNTERS = ("pages_fetched", "pages_unchanged", "pages_failed", "essays_added", "essays_updated")


def _counters(stats: RunStats | None) -> tuple[tuple[int, ...], int, dict[str, int]] | None:
    if stats is None:
        return None
    return tuple(getattr(stats, name) for name in _COUNTERS), len(stats.failures), dict(stats.skipped)


def _restore(stats: RunStats | None, saved: tuple[tuple[int, ...], int, dict[str, int]] | None) -> None:
    if stats is None or saved is None:
        return
    values, failures, skipped = saved
    for name, value in zip(_COUNTERS, values, strict=True):
        setattr(stats, name, value)
    del stats.failures[failures:]
    stats.skipped = skipped
