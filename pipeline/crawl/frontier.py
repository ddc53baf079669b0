"""The crawl's persisted queue: one row per URL a site's crawl knows, in table `frontier`.

States: `pending` (to fetch in this cycle, maybe not before `next_after`), `done`, `failed`,
`skipped`. A cycle ends when a site has no pending row; the next run then starts a new cycle by
putting every known listing and article URL back to pending (conditional GET makes that cheap).
A run that finds pending rows resumes the cycle a killed run left. Every write is one short
transaction and idempotent, so a kill between any two writes loses nothing and repeats nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlite_utils

from pipeline.store.schema import ensure_frontier


@dataclass(frozen=True)
class Row:
    url: str
    site: str
    depth: int
    kind: str
    attempts: int
    etag: str | None = None
    last_modified: str | None = None
    saving: int = 0  # 1: a save began and may not have finished (killed): fetch in full, write again


def ensure(db: sqlite_utils.Database) -> None:
    """The frontier table (a migration creates it; this brings a table of an older layout up to date)."""
    ensure_frontier(db)


def begin_cycle(db: sqlite_utils.Database, site: str, start_urls: list[tuple[str, str]], run_id: int) -> bool:
    """Resume the site's open cycle (True) or start a new one (False); start URLs are always queued."""
    with db.conn:
        resumed = db.execute("select 1 from frontier where site = ? and state = 'pending' limit 1", [site]).fetchone() is not None
        if not resumed:
            db.execute(
                "update frontier set state = 'pending', attempts = 0, next_after = 0, error = null "
                "where site = ? and kind in ('listing', 'article', 'sitemap')", [site])
        for url, kind in start_urls:
            db.execute(
                "insert into frontier (url, site, depth, kind, state, attempts, next_after, discovered_run) "
                "values (?, ?, 0, ?, 'pending', 0, 0, ?) on conflict(url) do update set depth = 0 "
                "where frontier.site = excluded.site", [url, site, kind, run_id])
    return resumed


def due(db: sqlite_utils.Database, site: str, limit: int, exclude: set[str], now: float | None = None) -> list[Row]:
    """Pending rows whose time has come, shallowest first, leaving out those in flight."""
    now = time.time() if now is None else now
    rows = db.execute(
        "select url, site, depth, kind, attempts, etag, last_modified, coalesce(saving, 0) from frontier "
        "where site = ? and state = 'pending' and next_after <= ? order by depth, rowid limit ?",
        [site, now, limit + len(exclude)]).fetchall()
    return [Row(*r) for r in rows if r[0] not in exclude][:limit]


def next_wake(db: sqlite_utils.Database, site: str, exclude: set[str]) -> float | None:
    """When the earliest pending row not in flight may go; None when nothing is pending."""
    rows = db.execute("select url, next_after from frontier where site = ? and state = 'pending' order by next_after limit ?",
                      [site, len(exclude) + 1]).fetchall()
    times = [t for u, t in rows if u not in exclude]
    return min(times) if times else None


def add_links(db: sqlite_utils.Database, site: str, links: list[tuple[str, str]], depth: int, run_id: int,
              max_pages: int) -> int:
    """Queue (url, kind) links found at `depth`; known URLs keep their state unless now found shallower.

    Returns how many were new. The site's frontier never holds more than `max_pages` URLs.
    Call inside a transaction (see `finish`).
    """
    count = db.execute("select count(*) from frontier where site = ?", [site]).fetchone()[0]
    added = 0
    for url, kind in links:
        known = db.execute("select depth, state, kind from frontier where url = ?", [url]).fetchone()
        if known is None:
            if count >= max_pages:
                continue
            db.execute("insert into frontier (url, site, depth, kind, state, attempts, next_after, discovered_run) "
                       "values (?, ?, ?, ?, 'pending', 0, 0, ?)", [url, site, depth, kind, run_id])
            count += 1
            added += 1
        elif known[0] > depth:
            # Found by a shorter path: a listing must be read again so its own links get the smaller depth.
            again = known[1] == "done" and known[2] == "listing"
            db.execute("update frontier set depth = ?" + (", state = 'pending'" if again else "") + " where url = ?", [depth, url])
    return added


def finish(db: sqlite_utils.Database, row: Row, state: str, run_id: int, error: str | None = None,
           links: list[tuple[str, str]] | None = None, max_depth: int = 0, max_pages: int = 0,
           etag: str | None = None, last_modified: str | None = None, keep_validators: bool = False) -> int:
    """Close a row (done / failed / skipped) and queue its links, in one transaction; returns links added."""
    added = 0
    with db.conn:
        if links and row.depth < max_depth:
            added = add_links(db, row.site, links, row.depth + 1, run_id, max_pages)
        if keep_validators:
            db.execute("update frontier set state = ?, error = ?, updated_run = ?, saving = 0 where url = ?",
                       [state, error, run_id, row.url])
        else:
            db.execute("update frontier set state = ?, error = ?, updated_run = ?, saving = 0, etag = ?, last_modified = ? "
                       "where url = ?", [state, error, run_id, etag, last_modified, row.url])
    return added


def begin_save(db: sqlite_utils.Database, url: str) -> None:
    """Flag a row before its page is written: the store's writes may span several transactions, and a
    kill among them must not leave a half-written page that a later 304 would call unchanged."""
    with db.conn:
        db.execute("update frontier set saving = 1 where url = ?", [url])


def close(db: sqlite_utils.Database, url: str, state: str, run_id: int, error: str | None = None) -> None:
    """Close a row whose page was written (clears the saving flag)."""
    with db.conn:
        db.execute("update frontier set state = ?, error = ?, updated_run = ?, saving = 0 where url = ?", [state, error, run_id, url])


def retry_later(db: sqlite_utils.Database, row: Row, attempts: int, next_after: float, error: str) -> None:
    with db.conn:
        db.execute("update frontier set attempts = ?, next_after = ?, error = ? where url = ?",
                   [attempts, next_after, error, row.url])


def mark_parts(db: sqlite_utils.Database, site: str, urls: list[str], depth: int, run_id: int) -> None:
    """Later pages of a multi-page article: known, never crawled on their own."""
    with db.conn:
        for url in urls:
            db.execute(
                "insert into frontier (url, site, depth, kind, state, attempts, next_after, discovered_run) "
                "values (?, ?, ?, 'part', 'done', 0, 0, ?) on conflict(url) do update set kind = 'part', state = 'done'",
                [url, site, depth, run_id])


def pending(db: sqlite_utils.Database, site: str | None = None) -> int:
    if site is None:
        return int(db.execute("select count(*) from frontier where state = 'pending'").fetchone()[0])
    return int(db.execute("select count(*) from frontier where site = ? and state = 'pending'", [site]).fetchone()[0])


def counts(db: sqlite_utils.Database, site: str) -> dict[str, int]:
    return {s: n for s, n in db.execute("select state, count(*) from frontier where site = ? group by state", [site]).fetchall()}
