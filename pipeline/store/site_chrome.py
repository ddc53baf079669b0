"""The site chrome tables: each page's line fingerprints, the counts a site learns from them, and each
page's removal record (the learned lines taken out of its essays, with the reason).

- `chrome_pages`: one row per page that gave fingerprints (url, site, lines); a site's page count.
- `chrome_lines`: the page's masked lines and their fingerprints (url, fp, site, line).
- `site_chrome`: per site, every line on two pages or more: on how many of the site's pages it
  stands and whether that makes it chrome (`chrome` 1). This is the table to browse in datasette.
- `chrome_removed`: per page, the lines the learned chrome took out (text, fingerprint, reason).

A page's rows are written in the same transaction as the page and its essays (`page_writer`), so
the counts never disagree with the stored essays; `recount` turns the lines into `site_chrome` in
one transaction and `unsettled` names the pages whose removal record disagrees with what the site
has learned since (the ones to clean again).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from pipeline.models import Removed
from pipeline.normalize.site_chrome import min_count, reason

PageWriter = Callable[[sqlite3.Connection], None]

_TABLES = """
create table if not exists chrome_pages (url text primary key, site text not null, lines integer not null);
create index if not exists chrome_pages_site on chrome_pages (site);
create table if not exists chrome_lines (url text not null, fp integer not null, site text not null, line text not null,
    primary key (url, fp));
create index if not exists chrome_lines_site_fp on chrome_lines (site, fp);
create table if not exists site_chrome (site text not null, fp integer not null, line text not null, pages integer not null,
    site_pages integer not null, chrome integer not null, updated text, primary key (site, fp));
create table if not exists chrome_removed (url text not null, n integer not null, fp integer not null, site text not null,
    text text not null, reason text not null, primary key (url, n));
create index if not exists chrome_removed_site_fp on chrome_removed (site, fp);
"""


def ensure(db: sqlite_utils.Database) -> None:
    """Create the tables and indexes (idempotent: migration 2)."""
    db.conn.executescript(_TABLES)


def page_writer(url: str, site: str, prints: dict[int, str], removed: list[tuple[int, Removed]]) -> PageWriter:
    """What `save_result` runs inside the page's transaction: the page's fingerprints and removal
    record replace the ones stored before (a page without fingerprints, e.g. a failed one, leaves none)."""
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("delete from chrome_lines where url = ?", [url])
        conn.execute("delete from chrome_removed where url = ?", [url])
        if not prints:
            conn.execute("delete from chrome_pages where url = ?", [url])
            return
        conn.execute("insert or replace into chrome_pages (url, site, lines) values (?, ?, ?)", [url, site, len(prints)])
        conn.executemany("insert into chrome_lines (url, fp, site, line) values (?, ?, ?, ?)",
                         [(url, fp, site, line[:300]) for fp, line in prints.items()])
        conn.executemany("insert into chrome_removed (url, n, fp, site, text, reason) values (?, ?, ?, ?, ?, ?)",
                         [(url, n, fp, site, r.text, r.rule) for n, (fp, r) in enumerate(removed, 1)])
    return write


def learned(db: sqlite_utils.Database, site: str) -> dict[int, str]:
    """The site's chrome as stored: fingerprint -> the reason a removal names."""
    rows = db.execute("select fp, pages, site_pages from site_chrome where site = ? and chrome = 1", [site]).fetchall()
    return {fp: reason(pages, total, site) for fp, pages, total in rows}


def stored_site(db: sqlite_utils.Database, url: str) -> str | None:
    """The site a stored page was counted under, or None."""
    row = db.execute("select site from chrome_pages where url = ?", [url]).fetchone()
    return str(row[0]) if row else None


def site_of_host(db: sqlite_utils.Database, prefix: str) -> str | None:
    """The site most pages under a URL prefix (scheme://host/) were counted under, or None."""
    row = db.execute("select site, count(*) n from chrome_pages where url >= ? and url < ? group by site order by n desc limit 1",
                     [prefix, prefix + "\U0010ffff"]).fetchone()
    return str(row[0]) if row else None


def recount(db: sqlite_utils.Database, site: str) -> tuple[int, int]:
    """Count the site's lines over its pages and store what that makes chrome, in one transaction;
    returns (the site's pages, its chrome lines)."""
    conn = db.conn
    with conn:
        total = int(conn.execute("select count(*) from chrome_pages where site = ?", [site]).fetchone()[0])
        least = min_count(total)
        rows = conn.execute("select fp, count(*), min(line) from chrome_lines where site = ? group by fp having count(*) >= 2",
                            [site]).fetchall()
        new = {fp: (line, pages, int(least is not None and pages >= least)) for fp, pages, line in rows}
        old = {fp: (line, pages, site_pages, chrome) for fp, line, pages, site_pages, chrome in conn.execute(
            "select fp, line, pages, site_pages, chrome from site_chrome where site = ?", [site])}
        gone = [(site, fp) for fp in old if fp not in new]
        conn.executemany("delete from site_chrome where site = ? and fp = ?", gone)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        changed = [(site, fp, line, pages, total, chrome, stamp) for fp, (line, pages, chrome) in new.items()
                   if old.get(fp) != (line, pages, total, chrome)]
        conn.executemany("insert or replace into site_chrome (site, fp, line, pages, site_pages, chrome, updated) "
                         "values (?, ?, ?, ?, ?, ?, ?)", changed)
    return total, sum(1 for _, _, chrome in new.values() if chrome)


_UNSETTLED = """
select l.url from chrome_lines l join site_chrome c on c.site = l.site and c.fp = l.fp
 where l.site = :site and c.chrome = 1
   and not exists (select 1 from chrome_removed r where r.url = l.url and r.fp = l.fp)
union
select r.url from chrome_removed r where r.site = :site
   and not exists (select 1 from site_chrome c where c.site = r.site and c.fp = r.fp and c.chrome = 1)
order by 1
"""


def unsettled(db: sqlite_utils.Database, site: str) -> list[str]:
    """Pages of the site whose essays hold a line learned as chrome, or lack one no longer learned."""
    return [url for (url,) in db.execute(_UNSETTLED, {"site": site}).fetchall()]
