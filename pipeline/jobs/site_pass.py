"""The site pass: every stored page gives its line fingerprints; a site's lines that stand on a large
share of its pages are its chrome, taken out of its essays.

- `site_key`: the site a page counts under (the site config's name for crawls, the URL's host for
  imports, the folder for local files).
- `prepare`: a processed page -> the page without what its site has learned so far, and the writer
  of its fingerprints and removal record (run in the page's own transaction by `save_result`).
- `settle`: at the end of a run (crawl, import, reprocess): count the site's lines again, store
  what it learned, and clean again (through the reprocess path) exactly the pages whose essays
  disagree with it. Every step is its own transaction and the disagreement is read from the
  database, so after a kill -9 the next run's `settle` finishes the job, and pages that agree are
  never written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from pipeline import store
from pipeline.errors import ConfigError
from pipeline.fetch.warc import ArchiveError
from pipeline.jobs import stored_pages
from pipeline.models import Removed, Result
from pipeline.normalize.site_chrome import NO_TEXT, Prints, block_prints, clean_result, page_prints, settings
from pipeline.store import site_chrome as table
from pipeline.store.batch import Batch

KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1")


def site_key(url: str, crawl_site: str = "", host: str = "") -> str:
    """The site a page is counted under, as `pages.site` names it: the crawl's site config name; else
    the page's host; for a local file (no host), the folder it is in."""
    if crawl_site or host:
        return crawl_site or host
    parts = urlsplit(url)
    if parts.scheme == "file":
        return "file:" + parts.path.rsplit("/", 1)[0] + "/"
    return (parts.hostname or "").lower() or url


def prints_of(result: Result) -> Prints | None:
    """The fingerprints `prepare` counts for a processed page (None when it counts none): pure, so a
    Dask worker computes them and the writer only looks the learned lines up."""
    if result.page.error and result.page.error != NO_TEXT:  # nothing extracted: nothing to count
        return None
    return block_prints(result.page)


@dataclass(frozen=True)
class Cleaned:
    """A page cleaned of a site's learned chrome: the result, the page's fingerprints (what the store
    counts) and the removals; pure data, so a Dask worker makes it."""

    result: Result
    prints: dict[int, str]
    removed: list[tuple[int, Removed]]

    def writer(self, url: str, site: str) -> table.PageWriter:
        """The writer of this page's fingerprints and removals under `site`."""
        return table.page_writer(url, site, self.prints, self.removed)


def clean(result: Result, chrome: Mapping[int, str], prints: Prints | None = None) -> Cleaned:
    """The page cleaned of `chrome` (`prints`: `prints_of(result)` computed elsewhere, or None)."""
    if result.page.error and result.page.error != NO_TEXT:  # nothing extracted: nothing to count
        return Cleaned(result, {}, [])
    found = block_prints(result.page) if prints is None else prints
    cleaned, removed = clean_result(result, chrome, found)
    return Cleaned(cleaned, page_prints(result.page, found), removed)


@dataclass(frozen=True)
class Guess:
    """A page cleaned on a Dask worker of the chrome of the site it most likely counts under (its
    host, `site_key`), with its essays' signatures and search-index text; the writer takes it when
    `site_for` names that site."""

    site: str
    cleaned: Cleaned
    signatures: dict[str, bytes]
    grams: dict[str, str]


def learned_sites(db: sqlite_utils.Database) -> dict[str, dict[int, str]]:
    """Every site's learned chrome as `Learned` reads it (for the workers to clean with)."""
    sites = [str(site) for (site,) in db.execute("select distinct site from site_chrome where chrome = 1")]
    return {site: table.learned(db, site) for site in sites}


def sites_for_workers(client: Any, db: sqlite_utils.Database) -> Any:
    """Every site's learned chrome (`learned_sites`) sent to every Dask worker once, or None when no
    site has learned any (a list of one is scattered: a dict would be scattered value by value)."""
    learned = learned_sites(db)
    return client.scatter([learned], broadcast=True)[0] if learned else None


def worker_values(result: Result, cleaned: Result, guess: Guess | None, signatures: Mapping[str, bytes] | None,
                  grams: Mapping[str, str] | None) -> tuple[Mapping[str, bytes] | None, Mapping[str, str] | None]:
    """The signatures and search-index text a worker computed that still fit the page the writer
    stores: `cleaned`, the page as `Learned.clean` left it (None: computed again when storing)."""
    if cleaned is result:
        return signatures, grams
    if guess is not None and cleaned is guess.cleaned.result:  # the worker cleaned it for this site
        return guess.signatures, guess.grams
    return None, grams


def prepare(result: Result, site: str, chrome: dict[int, str], prints: Prints | None = None) -> tuple[Result, table.PageWriter]:
    """The page cleaned of the site's learned chrome, and the writer of its fingerprints and removals
    (`prints`: `prints_of(result)` computed elsewhere, or None to compute them here)."""
    done = clean(result, chrome, prints)
    return done.result, done.writer(result.page.url, site)


@dataclass
class Learned:
    """What each site had learned when a run started (read once per site and run); `sites` are the
    sites the run touched, to `settle` at its end.

    It also keeps, per host, the site most stored pages of that host have (`site_for`'s last
    resort, a GROUP BY over the host's pages), as long as the run's own writes cannot change it:
    a new page stored under that same site only adds to it; any other page write through `clean`
    drops the host's entry, and `forget` drops them all (for writes made elsewhere)."""

    db: sqlite_utils.Database
    sites: dict[str, dict[int, str]] = field(default_factory=dict)
    hosts: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, site: str) -> dict[int, str]:
        if site not in self.sites:
            self.sites[site] = table.learned(self.db, site)
        return self.sites[site]

    def clean(self, result: Result, url: str, prints: Prints | None = None,
              guess: Guess | None = None) -> tuple[Result, table.PageWriter]:
        """`prepare` for a page of an import (its site: `site_for`), about to be stored; `guess`'s
        cleaned page when it was cleaned for that site (as the run read it: the chrome is read once)."""
        site, known, host = _site_for(self.db, url, result.page.site, self.hosts)
        if known:  # stored before: its host and site may change with this write
            self.hosts.clear()
        else:  # a new page, stored under its host as its site (store.save_result)
            for key in (result.page.site, host):
                if key in self.hosts and self.hosts[key] != result.page.site:
                    del self.hosts[key]
        return self.for_site(site, result, prints, guess)

    def for_site(self, site: str, result: Result, prints: Prints | None = None,
                 guess: Guess | None = None) -> tuple[Result, table.PageWriter]:
        """`prepare` with what `site` learned (`guess`'s cleaned page when it was cleaned for that site)."""
        chrome = self(site)
        if guess is not None and guess.site == site:
            return guess.cleaned.result, guess.cleaned.writer(result.page.url, site)
        return prepare(result, site, chrome, prints)

    def forget(self) -> None:
        """Pages were written outside `clean` (a failure recorded): the hosts' sites are read again."""
        self.hosts.clear()


@dataclass
class _InRun:
    chrome: dict[int, str]
    seen: int = 0
    next_count: int = 0


_RUN: dict[tuple[int, str], _InRun] = {}


def learned_in_run(db: sqlite_utils.Database, run_id: int, site: str) -> dict[int, str]:
    """What the site has learned, for the next page of a run: read when the run starts and counted
    again each time this process has stored twice as many of the site's pages (from `min_pages`
    on), so a first crawl cleans most pages at once and `settle` redoes only the early ones."""
    key = (run_id, site)
    state = _RUN.get(key)
    if state is None:
        if any(k[0] != run_id for k in _RUN):
            _RUN.clear()
        state = _RUN[key] = _InRun(table.learned(db, site), 0, settings().min_pages)
    state.seen += 1
    if state.seen >= state.next_count:
        table.recount(db, site)
        state.chrome = table.learned(db, site)
        state.next_count *= 2
    return state.chrome


def site_for(db: sqlite_utils.Database, url: str, host: str = "") -> str:
    """The site a URL belongs to in this database: the one its page was counted under, else its
    stored `pages.site` (a crawl's site name stays through re-imports), else the site most stored
    pages of its host have, else `site_key`."""
    return _site_for(db, url, host)[0]


def _site_for(db: sqlite_utils.Database, url: str, host: str = "",
              hosts: dict[str, str | None] | None = None) -> tuple[str, bool, str]:
    """`site_for`, whether the page is stored already, and the URL's host (lower case) when the
    page is new; `hosts` caches each host's most common site."""
    found = table.stored_site(db, url)
    known = found is not None
    if found is None:
        row = db.execute("select site from pages where url = ?", [url]).fetchone()
        known = row is not None
        found = str(row[0]) if row and row[0] else None
    if found is not None:
        return found, known, ""
    parts = urlsplit(url)
    key = (parts.hostname or "").lower()
    if parts.scheme in ("http", "https") and key:
        if hosts is not None and key in hosts:
            found = hosts[key]
        else:
            found = store.common_site(db, key)
            if hosts is not None:
                hosts[key] = found
    return found or site_key(url, host=host), known, key


@dataclass
class Settled:
    site: str
    site_pages: int
    chrome_lines: int
    pages_cleaned: int = 0
    essays_added: int = 0
    essays_updated: int = 0
    failures: list[str] = field(default_factory=list)


# Redoing the pages `settle` cleans again: (url, its page cleaned of the chrome with the signatures
# and search-index text of its essays when computed elsewhere, or why it could not be redone), in
# the order of the urls; `redo_here` in this process, `settle_cluster.redo_on(client)` on Dask workers.
Redone = tuple[Cleaned, Mapping[str, bytes] | None, Mapping[str, str] | None]
Redo = Callable[[sqlite_utils.Database, list[str], Mapping[int, str]], Iterator[tuple[str, Redone | str]]]


def redo_here(db: sqlite_utils.Database, urls: list[str], chrome: Mapping[int, str]) -> Iterator[tuple[str, Redone | str]]:
    for url in urls:
        try:
            redone = stored_pages.rebuild(stored_pages.load(db, url))
        except ArchiveError as exc:  # no raw response left to redo it from: the page stays as stored
            yield url, str(exc)
            continue
        yield url, (clean(redone, chrome), None, None)


def settle(db: sqlite_utils.Database, site: str, run_id: int, on_page: Callable[[str, str], None] | None = None,
           redo: Redo = redo_here) -> Settled:
    """Learn the site's chrome from its stored lines and clean again the pages that disagree with it."""
    total, lines = table.recount(db, site)
    out = Settled(site, total, lines)
    chrome = table.learned(db, site)
    with Batch(db) as batch:  # pages grouped into larger transactions, each page atomic (store.batch)
        for url, outcome in redo(db, table.unsettled(db, site), chrome):
            _settle_one(db, site, run_id, url, outcome, out, on_page)
            batch.page_done()
    return out


def _settle_one(db: sqlite_utils.Database, site: str, run_id: int, url: str, outcome: Redone | str, out: Settled,
                on_page: Callable[[str, str], None] | None) -> None:
    if isinstance(outcome, str):
        out.failures.append(f"{url}: {outcome}")
        return
    done, sigs, grams = outcome
    result = done.result
    found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
    info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
    writer = done.writer(result.page.url, site)
    added, updated = store.save_result(db, result, run_id, info, extra=writer, signatures=sigs, grams=grams)
    out.pages_cleaned += 1
    out.essays_added += added
    out.essays_updated += updated
    if result.page.error:
        out.failures.append(f"{url}: {result.page.error}")
    if on_page:
        on_page(url, result.page.error)


def with_learned(db_path: str | Path, result: Result) -> Result:
    """A processed page cleaned of what the database learned for its site (`pipeline extract --db`)."""
    if not Path(db_path).exists():
        raise ConfigError(f"no such database: {db_path}")
    db = store.open_db(db_path)
    try:
        site = site_for(db, result.page.url)
        return clean_result(result, table.learned(db, site))[0]
    finally:
        db.conn.close()
