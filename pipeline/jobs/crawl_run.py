"""The CPU side of a crawl: decode, `process`, join parts (`prepare`), then store and close the frontier
row (`commit`); in the crawl's process or with the CPU side in a pool.

Fetching is I/O and stays on the crawl's event loop. With `workers=N` the extraction and the essays'
MinHash signatures run in N spawned processes, so a crawl uses more than one core, and the crawl's
process stays the one writer: every page and frontier row goes into its batches (`store.batch`, up
to 200 pages or 1 s a transaction), so no two processes wait on the database's write lock. A worker
whose parent dies (kill -9) exits by itself.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context, resource_tracker
from pathlib import Path

import httpx
import sqlite_utils

from pipeline import store
from pipeline.crawl import frontier
from pipeline.crawl.report import CrawlReport
from pipeline.crawl.scheduler import Crawler, PageDone, PageJob, Progress
from pipeline.crawl.settings import SiteConfig
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.jobs import site_pass
from pipeline.jobs.process import join_parts, process
from pipeline.jobs.run_context import write_run
from pipeline.jobs.signals import ignore_stop_signals
from pipeline.models import Result, RunStats
from pipeline.normalize import signatures
from pipeline.store.batch import Batch, page_done
from pipeline.text.encoding import decode


@dataclass(frozen=True)
class Prepared:
    """A processed article, ready to store: `result` None asks for its later parts (`next_pages`)."""

    result: Result | None
    next_pages: tuple[str, ...] = ()
    kept: tuple[tuple[str, bytes, str, str], ...] = ()  # (url, body, content type, codec) of the parts joined
    signatures: dict[str, bytes] = field(default_factory=dict)  # essay id -> MinHash blob, when computed here


def prepare(job: PageJob, with_signatures: bool = False) -> Prepared:
    """The CPU side of one article: decode, process, join its parts (no database)."""
    text, codec = decode(job.body, job.content_type)
    result = process(text, job.url, codec, job.profile)
    if job.parts is None and result.page.next_pages and not result.page.error:
        return Prepared(None, result.page.next_pages)
    parts: list[Result] = []
    kept: list[tuple[str, bytes, str, str]] = []
    for url, body, ctype in job.parts or ():
        part_text, part_codec = decode(body, ctype)
        try:
            parts.append(Result(page=extract(part_text, url, part_codec, job.profile), essays=()))
        except ExtractError:
            break
        kept.append((url, body, ctype, part_codec))
    if parts and not result.page.error:
        result = join_parts(result, parts)
    if job.note:
        result = replace(result, incomplete=(result.incomplete + "; " if result.incomplete else "") + job.note)
    sigs = {e.id: signatures.to_blob(signatures.signature(e.text)) for e in result.essays} if with_signatures else {}
    return Prepared(result, kept=tuple(kept), signatures=sigs)


def commit(db: sqlite_utils.Database, job: PageJob, prep: Prepared) -> PageDone:
    """Store a prepared article and close its frontier row (one page: one savepoint of the open batch)."""
    result = prep.result
    if result is None:
        return PageDone(saved=False, next_pages=prep.next_pages)
    page_done(db)  # the pages before this one are stored and counted: the batch open on db (if any) may commit them
    before = db.execute("select essay_count from pages where url = ? and error is null", [job.url]).fetchone()
    sigs, chrome_rows = prep.signatures, None
    if job.site_chrome:  # cleaned of what the site learned so far; its lines counted (jobs.site_pass)
        site = site_pass.site_key(job.url, job.site)
        cleaned, chrome_rows = site_pass.prepare(result, site, site_pass.learned_in_run(db, job.run_id, site))
        sigs, result = (sigs if cleaned is result else {}), cleaned
    frontier.begin_save(db, job.url)
    added, updated = store.save_result(db, result, job.run_id, job.info, (job.body, job.content_type), job.near_threshold,
                                       signatures=sigs, site=job.site, extra=chrome_rows)
    for url, body, ctype, part_codec in prep.kept:
        store.save_raw(db, url, body, ctype, part_codec)
    if prep.kept:
        frontier.mark_parts(db, job.site, [k[0] for k in prep.kept], job.depth, job.run_id)
    frontier.close(db, job.url, "failed" if result.page.error else "done", job.run_id, result.page.error or None)
    return PageDone(saved=True, added=added, updated=updated, error=result.page.error, essays=len(result.essays),
                    had_essays=bool(before and before[0]))


def work(db: sqlite_utils.Database, job: PageJob) -> PageDone:
    """Process and store one article; without `parts`, a multi-page article only reports its next pages."""
    return commit(db, job, prepare(job))


def _init(parent: int) -> None:
    ignore_stop_signals()  # the parent run takes SIGINT/SIGTERM and shuts the pool down

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _pool_prepare(job: PageJob) -> Prepared:
    return prepare(job, with_signatures=True)


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with /dev/null as its stderr: when the crawl is killed
    (kill -9) the tracker outlives it and would print a traceback and "leaked semaphore" warnings about
    the pool's queues into the crawl's log."""
    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved


class Workers:
    """`await workers.run(job)`: processed in this process (n=0) or in a pool of n spawned processes;
    either way stored by this process, the run's one writer, in its batches."""

    def __init__(self, db: sqlite_utils.Database, db_path: str | Path, n: int = 0) -> None:
        self.db = db
        self.pool = None
        if n > 0:
            _quiet_resource_tracker()
            ctx = get_context("spawn")
            self.pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(os.getpid(),))

    async def run(self, job: PageJob) -> PageDone:
        if self.pool is None:
            return work(self.db, job)
        prep = await asyncio.get_running_loop().run_in_executor(self.pool, _pool_prepare, job)
        return commit(self.db, job, prep)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


async def _batched(crawler: Crawler, batch: Batch) -> CrawlReport:
    """Run the crawl with its writes grouped in `batch`; a timer commits while the crawl waits on the
    network (between awaits no page is half-written: every write of a page happens in one step)."""
    async def flush() -> None:
        while True:
            await asyncio.sleep(0.2)
            batch.maybe_commit()

    timer = asyncio.create_task(flush())
    try:
        return await crawler.run()
    finally:
        timer.cancel()


def crawl(sites: list[SiteConfig], db_path: str | Path, max_fetches: int | None = None, on_progress: Progress | None = None,
          transport: httpx.AsyncBaseTransport | None = None, workers: int = 0) -> CrawlReport:
    """Crawl the sites into the database; raises LockHeld when another run holds it, Interrupted on
    SIGINT/SIGTERM, StorageFault when the database fails midway (see `run_context`).

    `workers` > 0 extracts and stores in that many extra processes (for large crawls on several cores).
    """
    started = time.perf_counter()
    config = {"sites": [s.describe() for s in sites], "max_pages": max_fetches}
    with write_run(db_path, "crawl", config, RunStats(kind="crawl")) as run:
        frontier.ensure(run.db)
        pool = Workers(run.db, db_path, workers)
        crawler = Crawler(run.db, sites, run.run_id, max_fetches, on_progress, transport, pool)
        run.stats = crawler.report.stats  # what the run row records, however the run ends

        def stop() -> None:  # SIGINT/SIGTERM: claim no more URLs, store the pages in flight, end
            crawler.stopping = True

        run.on_stop(stop)
        try:
            with Batch(run.db, stats=crawler.report.stats) as batch:  # this process writes everything: pages and frontier rows, in batches
                report = asyncio.run(_batched(crawler, batch))
            run.check()  # a SIGINT/SIGTERM stopped the crawl: the next run settles
            for site in (s for s in sites if s.site_chrome):  # what the run taught each site, applied where it changed
                settled = site_pass.settle(run.db, site.name, run.run_id, lambda *_: run.check())
                report.stats.essays_added += settled.essays_added
                report.stats.essays_updated += settled.essays_updated
        finally:
            pool.close()
            crawler.report.stats.seconds = store.elapsed(started)
        _earlier_essays(run.db, report)
        run.status, run.reason = report.status, report.reason
    return report


def _earlier_essays(db: sqlite_utils.Database, report: CrawlReport) -> None:
    """For a site whose pages gave no essay in this run: did its pages stored by earlier runs give some?"""
    for site in report.sites.values():
        if site.articles and site.empty * 2 > site.articles and not site.empty_was_full:
            site.earlier_full = int(db.execute(
                "select count(*) from pages p join frontier f on f.url = p.url where f.site = ? and p.run_id < ? "
                "and p.essay_count > 0", [site.name, report.run_id]).fetchone()[0])
