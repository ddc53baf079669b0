"""The site chrome tables: each page's line fingerprints, the counts a site learns from them, and each
page's removal record (the learned lines taken out of its essays, with the reason).

- `chrome_pages`: one row per page that gave fingerprints: url, site, the fingerprints of its lines
  (`fps`, packed signed 64-bit integers) with the masked lines (`lines`, a JSON array in the same
  order), and the fingerprints its essays had removed (`removed_fps`). One row per page keeps the
  pass cheap: a page costs one row write.
- `site_chrome`: per site, every line on two pages or more: on how many of the site's pages it
  stands and whether that makes it chrome (`chrome` 1). This is the table to browse in datasette.
- `chrome_removed`: per page, the lines the learned chrome took out (text, fingerprint, reason).

A page's rows are written in the same transaction as the page and its essays (`page_writer`), so
the counts never disagree with the stored essays; `recount` turns the lines into `site_chrome` in
one transaction and `unsettled` names the pages whose removal record disagrees with what the site
has learned since (the ones to clean again).
"""

from __future__ import annotations

import json
import math
import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext

import sqlite_utils

from pipeline.models import Removed
from pipeline.normalize.site_chrome import min_count, reason, settings

PageWriter = Callable[[sqlite3.Connection], None]

_TABLES = """
create table if not exists chrome_pages (url text primary key, site text not null, fps blob not null, lines text not null,
    removed_fps blob not null);
create index if not exists chrome_pages_site on chrome_pages (site);
create table if not exists site_chrome (site text not null, fp integer not null, line text not null, pages integer not null,
    site_pages integer not null, chrome integer not null, primary key (site, fp));
create table if not exists chrome_removed (url text not null, n integer not null, fp integer not null, site text not null,
    text text not null, reason text not null, primary key (url, n));
"""


def ensure(db: sqlite_utils.Database) -> None:
    """Create the tables and indexes (idempotent: migration 2)."""
    db.conn.executescript(_TABLES)


def _pack(fps: list[int]) -> bytes:
    return array("q", fps).tobytes()


def _unpack(blob: bytes) -> array[int]:
    out = array("q")
    out.frombytes(blob)
    return out


def page_writer(url: str, site: str, prints: dict[int, str], removed: list[tuple[int, Removed]]) -> PageWriter:
    """What `save_result` runs inside the page's transaction: the page's fingerprints and removal
    record replace the ones stored before (a page without fingerprints, e.g. a failed one, leaves none)."""
    def write(conn: sqlite3.Connection) -> None:
        rows = [(url, n, fp, site, r.text, r.rule) for n, (fp, r) in enumerate(removed, 1)] if prints else []
        had = conn.execute("select url, n, fp, site, text, reason from chrome_removed where url = ? order by n", [url]).fetchall()
        if [tuple(r) for r in had] != rows:  # rewritten only when it changed: unchanged inputs leave the rows as they were
            conn.execute("delete from chrome_removed where url = ?", [url])
            conn.executemany("insert into chrome_removed (url, n, fp, site, text, reason) values (?, ?, ?, ?, ?, ?)", rows)
        if not prints:
            conn.execute("delete from chrome_pages where url = ?", [url])
            return
        conn.execute("insert into chrome_pages (url, site, fps, lines, removed_fps) values (?, ?, ?, ?, ?) "
                     "on conflict (url) do update set site = excluded.site, fps = excluded.fps, lines = excluded.lines, "
                     "removed_fps = excluded.removed_fps",
                     [url, site, _pack(list(prints)), json.dumps([line[:300] for line in prints.values()], ensure_ascii=False),
                      _pack(sorted({fp for fp, _ in removed}))])
    return write


def learned(db: sqlite_utils.Database, site: str) -> dict[int, str]:
    """The site's chrome as stored: fingerprint -> the reason a removal names."""
    rows = db.execute("select fp, pages, site_pages from site_chrome where site = ? and chrome = 1", [site]).fetchall()
    return {fp: reason(pages, total, site) for fp, pages, total in rows}


def stored_site(db: sqlite_utils.Database, url: str) -> str | None:
    """The site a stored page was counted under, or None."""
    row = db.execute("select site from chrome_pages where url = ?", [url]).fetchone()
    return str(row[0]) if row else None


def _count(conn: sqlite3.Connection, site: str, exact_pages: int) -> tuple[int, dict[int, int]]:
    """(the site's pages, fingerprint -> pages it stands on, for lines on two pages or more).

    A site of up to `exact_pages` pages is counted line by line. A larger one is first counted on an
    even sample of that many pages, and only the lines on half the chrome share of the sample or
    more are counted over every page: memory stays that of `exact_pages` pages, and a line rarer
    than that is not listed (it could never be chrome)."""
    total = int(conn.execute("select count(*) from chrome_pages where site = ?", [site]).fetchone()[0])
    pages = "select fps from chrome_pages where site = ? order by url"
    counts: Counter[int] = Counter()
    if total <= exact_pages:
        for (blob,) in conn.execute(pages, [site]):
            counts.update(_unpack(blob))
        return total, {fp: n for fp, n in counts.items() if n >= 2}
    step = math.ceil(total / exact_pages)
    sample: Counter[int] = Counter()
    sampled = 0
    for i, (blob,) in enumerate(conn.execute(pages, [site])):
        if i % step == 0:
            sample.update(_unpack(blob))
            sampled += 1
    least = max(2, math.floor(settings().min_share / 2 * sampled))
    wanted = {fp for fp, n in sample.items() if n >= least}
    del sample
    for (blob,) in conn.execute(pages, [site]):
        counts.update(fp for fp in _unpack(blob) if fp in wanted)
    return total, dict(counts)


def recount(db: sqlite_utils.Database, site: str, exact_pages: int | None = None) -> tuple[int, int]:
    """Count the site's lines over its pages and store what that makes chrome, in one transaction;
    returns (the site's pages, its chrome lines). Sites over `exact_pages` (rules/site_chrome.toml)
    are counted through a sample first (see `_count`)."""
    conn = db.conn
    with nullcontext() if conn.in_transaction else conn:  # inside an open batch: part of its transaction
        total, shared = _count(conn, site, settings().exact_pages if exact_pages is None else exact_pages)
        least = min_count(total)
        text = _lines_of(conn, site, set(shared))
        new = {fp: (text.get(fp, ""), n, int(least is not None and n >= least)) for fp, n in shared.items()}
        old = {fp: (line, pages, site_pages, chrome) for fp, line, pages, site_pages, chrome in conn.execute(
            "select fp, line, pages, site_pages, chrome from site_chrome where site = ?", [site])}
        gone = [(site, fp) for fp in old if fp not in new]
        conn.executemany("delete from site_chrome where site = ? and fp = ?", gone)
        changed = [(site, fp, line, pages, total, chrome) for fp, (line, pages, chrome) in new.items()
                   if old.get(fp) != (line, pages, total, chrome)]
        conn.executemany("insert or replace into site_chrome (site, fp, line, pages, site_pages, chrome) values (?, ?, ?, ?, ?, ?)",
                         changed)
    return total, sum(1 for _, _, chrome in new.values() if chrome)


def _lines_of(conn: sqlite3.Connection, site: str, wanted: set[int]) -> dict[int, str]:
    """The masked line of each wanted fingerprint (read from the site's pages until all are found)."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    for blob, lines in conn.execute("select fps, lines from chrome_pages where site = ?", [site]):
        fps = _unpack(blob)
        if wanted.isdisjoint(fps):
            continue
        for fp, line in zip(fps, json.loads(lines), strict=False):
            if fp in wanted and fp not in out:
                out[fp] = line
        if len(out) == len(wanted):
            break
    return out


def unsettled(db: sqlite_utils.Database, site: str) -> list[str]:
    """Pages of the site whose essays hold a line learned as chrome, or lack one no longer learned."""
    chrome = {fp for (fp,) in db.execute("select fp from site_chrome where site = ? and chrome = 1", [site])}
    out = []
    for url, fps, removed in db.execute("select url, fps, removed_fps from chrome_pages where site = ? order by url", [site]):
        if (chrome.intersection(_unpack(fps)) if chrome else set()) != set(_unpack(removed)):
            out.append(url)
    return out
