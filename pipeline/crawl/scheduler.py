"""The async crawl loop: frontier -> fetch -> process -> store, under a lock, as one `runs` row.

Listing pages are read for links (kept in the frontier only); article pages go through the same
page processor the crawl-run job hands in (extract, normalize, store). Re-runs are incremental:
articles are fetched with the validators of their `pages` row, so an unchanged page costs a 304
(or, without validators, a body with the same hash) and no write.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import httpx
import sqlite_utils

from pipeline import store
from pipeline.crawl import frontier, sitemaps
from pipeline.crawl.discovery import discover
from pipeline.crawl.frontier import Row
from pipeline.crawl.report import CrawlReport, Outcome
from pipeline.crawl.settings import SiteConfig, host_of
from pipeline.errors import ExtractError, StorageFault, StoreError
from pipeline.extract import extract
from pipeline.fetch.async_client import Failed, Response, Retry, Skip, fetch, make_async_client
from pipeline.fetch.polite import ROBOTS_MIN_BYTES, ROBOTS_UNREACHABLE, Pacer, Robots, backoff
from pipeline.models import Profile, RunStats
from pipeline.text.encoding import decode
from pipeline.text.urls import safe_canonical

Progress = Callable[[CrawlReport], None]


@dataclass(frozen=True)
class PageJob:
    """One fetched article. `parts` None: its later pages are not fetched yet (ask for them)."""

    url: str
    body: bytes
    content_type: str
    run_id: int
    info: dict[str, Any] = field(default_factory=dict)
    parts: tuple[tuple[str, bytes, str], ...] | None = None
    note: str = ""
    site: str = ""
    depth: int = 0
    profile: Profile | None = None
    near_threshold: float = 0.7
    site_chrome: bool = True  # count the page's lines and remove what its site learned (jobs.site_pass)


@dataclass(frozen=True)
class PageDone:
    saved: bool
    next_pages: tuple[str, ...] = ()
    added: int = 0
    updated: int = 0
    error: str = ""
    essays: int = 0  # essays the page gave
    had_essays: bool = False  # the page, stored before, had essays then


class PageProcessor(Protocol):
    """What the crawl hands each fetched article to (the crawl-run job supplies it): it extracts,
    normalizes and stores the page and closes its frontier row, or asks for the later parts."""

    async def run(self, job: PageJob) -> PageDone: ...

    def close(self) -> None: ...



class Crawler:
    """One run over one or more sites; all SQLite writes happen on the event loop's thread."""

    def __init__(self, db: sqlite_utils.Database, sites: list[SiteConfig], run_id: int, max_fetches: int | None = None,
                 on_progress: Progress | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 workers: PageProcessor | None = None) -> None:
        if workers is None:
            raise ValueError("a crawl needs a page processor")
        self.db, self.sites, self.run_id = db, sites, run_id
        self.workers = workers
        self.max_fetches, self.on_progress, self.transport = max_fetches, on_progress, transport
        self.report = CrawlReport(stats=RunStats(kind="crawl", run_id=run_id), run_id=run_id)
        self.rng = random.Random()
        self.pacer = Pacer(self.rng)
        self.inflight: set[str] = set()
        self.site_inflight: dict[str, int] = {s.name: 0 for s in sites}
        self.buffers: dict[str, deque[Row]] = {s.name: deque() for s in sites}
        self.claimed = 0
        self.stopping = False
        self.client: httpx.AsyncClient | None = None
        self.robots: dict[str, Robots] = {}
        self.slowed: set[str] = set()
        self.counted = 0.0

    async def run(self) -> CrawlReport:
        connections = max(4, sum(s.fetch.concurrency for s in self.sites) * 2)
        async with make_async_client(transport=self.transport, max_connections=connections) as client:
            self.client = client
            for site in self.sites:
                self.report.site(site.name, site.start_urls)
                for host in site.allowed_hosts | {host_of(u) for u in site.start_urls}:
                    self.pacer.configure(host, site.fetch.concurrency, site.fetch.delay, site.fetch.jitter)
                self.robots[site.name] = Robots(site.fetch.user_agent, self._robots_getter(site))
                urls = [u for u in (safe_canonical(u) for u in site.start_urls) if u]
                starts = [(u, "article" if site.article.matches(u) else "listing") for u in urls]
                starts += await self._sitemap_starts(site)
                if frontier.begin_cycle(self.db, site.name, starts, self.run_id):
                    self.report.resumed.append(site.name)
            workers = [asyncio.create_task(self._worker(site)) for site in self.sites for _ in range(site.fetch.concurrency)]
            await asyncio.gather(*workers)
        self.report.left = frontier.pending(self.db)
        return self.report

    # --- scheduling ---

    async def _claim(self, site: SiteConfig) -> Row | None:
        buf = self.buffers[site.name]
        while not self.stopping:
            while buf:
                row = buf.popleft()
                if row.url in self.inflight:
                    continue
                if self.max_fetches is not None and self.claimed >= self.max_fetches:
                    self.stopping = True
                    return None
                self.claimed += 1
                self.inflight.add(row.url)
                self.site_inflight[site.name] += 1
                return row
            rows = frontier.due(self.db, site.name, 32, self.inflight)
            if rows:
                buf.extend(rows)
                continue
            wake = frontier.next_wake(self.db, site.name, self.inflight)
            if wake is None and not self.site_inflight[site.name]:
                return None
            await asyncio.sleep(0.02 if wake is None else min(max(wake - time.time(), 0.005), 0.5))
        return None

    async def _worker(self, site: SiteConfig) -> None:
        while (row := await self._claim(site)) is not None:
            try:
                await self._handle(site, row)
            except (sqlite3.Error, StoreError, StorageFault):
                raise  # a fault of the database itself stops the run (the job that runs the crawl says how)
            except (Exception, MemoryError) as exc:  # anything else is this URL's failure: recorded, the run goes on
                name = "BrokenExecutor" if isinstance(exc, BrokenExecutor) else type(exc).__name__
                self._fail(site, row, f"internal error: {name}: {exc}"[:300])
            finally:
                self.inflight.discard(row.url)
                self.site_inflight[site.name] -= 1
            if self.on_progress:
                now = time.monotonic()
                if now - self.counted >= 0.5:  # the frontier's pending count, at most twice a second
                    self.counted = now
                    self.report.left = frontier.pending(self.db)
                self.on_progress(self.report)

    # --- network ---

    def _robots_getter(self, site: SiteConfig) -> Callable[[str], Awaitable[tuple[int, str]]]:
        limit = max(site.fetch.max_bytes, ROBOTS_MIN_BYTES)

        async def get(url: str) -> tuple[int, str]:
            try:
                resp = await self._get(site, url, text_only=False, max_bytes=limit, truncate=True)
            except Failed as exc:
                return exc.status, ""
            body = resp.body
            if len(body) >= limit:  # cut: parse the complete lines of its first `limit` bytes
                body = body[:body.rfind(b"\n") + 1]
            return resp.status, body.decode("utf-8", "replace")
        return get

    async def _get(self, site: SiteConfig, url: str, etag: str | None = None, last_modified: str | None = None,
                   text_only: bool = True, max_bytes: int | None = None, truncate: bool = False) -> Response:
        assert self.client is not None
        if host_of(url) not in self.pacer.hosts:  # a port of a host allowed on any port: first met here
            self.pacer.configure(host_of(url), site.fetch.concurrency, site.fetch.delay, site.fetch.jitter)
        async with self.pacer.slot(host_of(url)):
            self.report.requests += 1
            self.report.conditional += bool(etag or last_modified)
            return await fetch(self.client, url, allowed=site.allows,
                               max_bytes=max_bytes or site.fetch.max_bytes, max_redirects=site.fetch.max_redirects,
                               etag=etag, last_modified=last_modified, text_only=text_only, timeout=site.fetch.timeout,
                               user_agent=site.fetch.user_agent, deadline=site.fetch.deadline, truncate=truncate)

    async def _robots_ok(self, site: SiteConfig, url: str) -> tuple[bool, str]:
        if not site.fetch.robots:
            return True, ""
        robots = self.robots[site.name]
        host = host_of(url)
        if host not in self.slowed:
            self.slowed.add(host)
            delay = await robots.crawl_delay(url)
            if delay:
                self.pacer.slow_down(host, delay)
        return await robots.allowed(url)

    # --- one frontier row ---

    async def _handle(self, site: SiteConfig, row: Row) -> None:
        ok, reason = await self._robots_ok(site, row.url)
        if not ok:
            self.report.skipped += 1
            self._note(site, row, "skipped", reason)
            if row.kind == "article" and reason.startswith(ROBOTS_UNREACHABLE):
                store.record_failure(self.db, row.url, f"skipped: {reason}", self.run_id)
            frontier.finish(self.db, row, "skipped", self.run_id, reason, keep_validators=True)
            return
        if row.saving:
            stored: tuple[str | None, str | None, str | None] = (None, None, None)
        else:
            stored = self._stored(row) if row.kind == "article" else (row.etag, row.last_modified, None)
        if row.kind == "sitemap":  # read in full each cycle: its <lastmod> dates spare the page requests
            stored = (None, None, None)
        try:
            resp = await self._get(site, row.url, stored[0], stored[1], text_only=row.kind != "sitemap")
            if resp.status == 304:
                self.report.stats.pages_unchanged += 1
                self._note(site, row, "reached")
                frontier.finish(self.db, row, "done", self.run_id, keep_validators=True)
                return
            self._note(site, row, "reached")
            if row.kind == "listing":
                self._listing(site, row, resp)
            elif row.kind == "sitemap":
                self._sitemap(site, row, resp)
            else:
                await self._article(site, row, resp, stored[2])
        except Retry as exc:
            self._retry(site, row, exc)
        except Skip as exc:
            self.report.skipped += 1
            self._note(site, row, "skipped", f"skipped: {exc}")
            if row.kind == "article":
                store.record_failure(self.db, row.url, f"skipped: {exc}", self.run_id, exc.status or None, site=site.name)
            frontier.finish(self.db, row, "skipped", self.run_id, str(exc), keep_validators=True)
        except Failed as exc:
            if row.kind == "article" and exc.status in (404, 410) and store.mark_gone(self.db, row.url, exc.status, self.run_id):
                self.report.gone += 1  # a page stored before is no longer there: marked gone, not a failure
                self._note(site, row, "reached")
                frontier.finish(self.db, row, "done", self.run_id, f"gone: {exc}", keep_validators=True)
                return
            self._fail(site, row, str(exc), exc.status or None)

    def _note(self, site: SiteConfig, row: Row, outcome: Outcome, reason: str = "") -> None:
        self.report.site(site.name, site.start_urls).note(row.url, outcome, reason)

    def _stored(self, row: Row) -> tuple[str | None, str | None, str | None]:
        found = self.db.execute("select etag, last_modified, content_sha1, error, gone from pages where url = ?", [row.url]).fetchone()
        if found is None or found[3] or found[4]:  # a page that failed or was gone last time is fetched in full
            return None, None, None
        return found[0], found[1], found[2]

    def _retry(self, site: SiteConfig, row: Row, exc: Retry) -> None:
        attempts = row.attempts + 1
        wait = exc.retry_after
        if wait is not None and wait > site.fetch.max_retry_after:
            self._fail(site, row, f"{exc} with Retry-After {wait:.0f}s (over {site.fetch.max_retry_after:.0f}s)", exc.status or None)
            return
        if attempts > site.fetch.retries:
            self._fail(site, row, f"{exc} (gave up after {attempts} attempts)", exc.status or None)
            return
        self._note(site, row, "retry", str(exc))
        if wait is not None:
            self.pacer.pause(host_of(row.url), wait)
        else:
            wait = backoff(site.fetch.backoff, attempts, self.rng)
        frontier.retry_later(self.db, row, attempts, time.time() + wait, str(exc))

    def _fail(self, site: SiteConfig, row: Row, error: str, status: int | None = None) -> None:
        self._note(site, row, "failed", error)
        self.report.stats.pages_failed += 1
        self.report.stats.failures.append(f"{row.url}: {error}")
        if row.kind == "article":
            store.record_failure(self.db, row.url, error, self.run_id, status, site=site.name)
        frontier.finish(self.db, row, "failed", self.run_id, error, keep_validators=True)

    def _listing(self, site: SiteConfig, row: Row, resp: Response) -> None:
        text, _ = decode(resp.body, resp.content_type)
        links = discover(text, resp.final_url, site)
        self.report.stats.pages_fetched += 1
        frontier.finish(self.db, row, "done", self.run_id, None, links, site.max_depth, site.max_pages,
                        resp.headers.get("etag"), resp.headers.get("last-modified"))

    async def _sitemap_starts(self, site: SiteConfig) -> list[tuple[str, str]]:
        """The site's sitemaps, with the Sitemap: lines of its hosts' robots.txt when it names "robots.txt"."""
        out = [(u, "sitemap") for u in site.sitemaps if u != "robots.txt"]
        if "robots.txt" in site.sitemaps:
            origins = dict.fromkeys(u.split("/", 3)[0] + "//" + host_of(u) + "/" for u in site.start_urls)
            for origin in origins:
                rules = await self.robots[site.name].parser(origin)
                out += [(u, "sitemap") for u in (rules.sitemaps if rules is not None else ()) if site.allows(u)]
        return out

    def _sitemap(self, site: SiteConfig, row: Row, resp: Response) -> None:
        try:
            found = sitemaps.parse(resp.body, site.fetch.max_bytes)
        except sitemaps.SitemapError as exc:
            self._fail(site, row, f"sitemap: {exc}")
            return
        self.report.stats.pages_fetched += 1
        frontier.finish(self.db, row, "done", self.run_id, None, sitemaps.links(found, site), site.max_depth, site.max_pages)
        closed = sitemaps.skip_unchanged(self.db, found)
        if closed:  # claimed into the buffer already: dropped there too
            self.report.stats.pages_unchanged += len(closed)
            self.buffers[site.name] = deque(r for r in self.buffers[site.name] if r.url not in closed)

    async def _article(self, site: SiteConfig, row: Row, resp: Response, old_sha1: str | None) -> None:
        sha1 = hashlib.sha1(resp.body).hexdigest()
        if old_sha1 == sha1:  # a server without validators, same bytes: nothing to write
            self.report.stats.pages_unchanged += 1
            frontier.finish(self.db, row, "done", self.run_id, keep_validators=True)
            return
        info = {"status": resp.status, "final_url": resp.final_url, "etag": resp.headers.get("etag"),
                "last_modified": resp.headers.get("last-modified"), "content_sha1": sha1}
        job = PageJob(row.url, resp.body, resp.content_type, self.run_id, info, site=site.name, depth=row.depth,
                      profile=site.profile, near_threshold=site.near_dup_threshold, site_chrome=site.site_chrome)
        done = await self.workers.run(job)  # writes the page and closes its frontier row
        if not done.saved:  # a multi-page article: fetch its later pages, then process the whole
            parts, note = await self._parts(site, row, resp, done.next_pages)
            done = await self.workers.run(replace(job, parts=tuple(parts), note=note))
        stats = self.report.stats
        stats.essays_added += done.added
        stats.essays_updated += done.updated
        self.report.site(site.name, site.start_urls).article(done.essays, done.had_essays)
        if done.error:
            stats.pages_failed += 1
            stats.failures.append(f"{row.url}: {done.error}")
        else:
            stats.pages_fetched += 1

    async def _parts(self, site: SiteConfig, row: Row, resp: Response,
                     next_pages: tuple[str, ...]) -> tuple[list[tuple[str, bytes, str]], str]:
        """Fetch the later pages of a multi-page article; a transient failure retries the whole article."""
        seen = {row.url, resp.final_url}
        parts: list[tuple[str, bytes, str]] = []
        next_urls = [u for u in (safe_canonical(n) for n in next_pages) if u]
        while next_urls:
            nxt = next_urls[0]
            if nxt in seen or not site.allows(nxt):
                break
            if len(parts) + 1 >= site.fetch.max_parts:
                return parts, f"stopped after {site.fetch.max_parts} parts"
            seen.add(nxt)
            ok, reason = await self._robots_ok(site, nxt)
            try:
                if not ok:
                    raise Failed(reason)
                part = await self._get(site, nxt)
                text, codec = decode(part.body, part.content_type)
                page = extract(text, nxt, codec)
            except Retry:
                raise
            except (Failed, ExtractError) as exc:
                return parts, f"part {nxt} failed: {exc}"
            parts.append((nxt, part.body, part.content_type))
            next_urls = [u for u in (safe_canonical(n) for n in page.next_pages) if u and u not in seen]
        return parts, ""
