"""The CPU side of a crawl: decode, `process`, join parts, store, close the frontier row; in the crawl's
process or in a pool.

Fetching is I/O and stays on the crawl's event loop; extraction and the SQLite writes of essays are
CPU. With `workers=N` they run in N spawned processes, each with its own connection (WAL lets
readers and one writer at a time share the file), so a crawl uses more than one core. A worker
whose parent dies (kill -9) exits by itself.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import sqlite_utils

from pipeline import store
from pipeline.crawl import frontier
from pipeline.crawl.scheduler import Crawler, CrawlReport, PageDone, PageJob, Progress
from pipeline.crawl.settings import SiteConfig
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.jobs import site_pass
from pipeline.jobs.process import join_parts, process
from pipeline.jobs.run_context import write_run
from pipeline.jobs.signals import ignore_stop_signals
from pipeline.models import Result, RunStats
from pipeline.text.encoding import decode


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def work(db: sqlite_utils.Database, job: PageJob, write_lock: Any = None) -> PageDone:
    """Process and store one article; without `parts`, a multi-page article only reports its next pages."""
    text, codec = decode(job.body, job.content_type)
    result = process(text, job.url, codec, job.profile)
    if job.parts is None and result.page.next_pages and not result.page.error:
        return PageDone(saved=False, next_pages=result.page.next_pages)
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
    chrome_rows = None
    if job.site_chrome:
        site = site_pass.site_key(job.url, job.site)
        result, chrome_rows = site_pass.prepare(result, site, site_pass.learned_in_run(db, job.run_id, site, write_lock))
    if job.note:
        result = replace(result, incomplete=(result.incomplete + "; " if result.incomplete else "") + job.note)
    with write_lock or _NoLock():  # workers take turns at writing: no SQLite busy-wait sleeps
        frontier.begin_save(db, job.url)
        added, updated = store.save_result(db, result, job.run_id, job.info, (job.body, job.content_type), job.near_threshold,
                                          site=job.site, extra=chrome_rows)
        for url, body, ctype, part_codec in kept:
            store.save_raw(db, url, body, ctype, part_codec)
        if kept:
            frontier.mark_parts(db, job.site, [k[0] for k in kept], job.depth, job.run_id)
        frontier.close(db, job.url, "failed" if result.page.error else "done", job.run_id, result.page.error or None)
    return PageDone(saved=True, added=added, updated=updated, error=result.page.error)


_DB: sqlite_utils.Database | None = None
_LOCK: Any = None


def _init(db_path: str, parent: int, lock: Any) -> None:
    global _DB, _LOCK
    ignore_stop_signals()  # the parent run takes SIGINT/SIGTERM and shuts the pool down
    _LOCK = lock
    _DB = store.open_db(db_path)
    _DB.execute("PRAGMA synchronous = NORMAL")

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _pool_work(job: PageJob) -> PageDone:
    assert _DB is not None
    return work(_DB, job, _LOCK)


class Workers:
    """`await workers.run(job)`: in this process (n=0) or in a pool of n spawned processes."""

    def __init__(self, db: sqlite_utils.Database, db_path: str | Path, n: int = 0) -> None:
        self.db = db
        self.pool = None
        if n > 0:
            ctx = get_context("spawn")
            self.pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(str(db_path), os.getpid(), ctx.Lock()))

    async def run(self, job: PageJob) -> PageDone:
        if self.pool is None:
            return work(self.db, job)
        return await asyncio.get_running_loop().run_in_executor(self.pool, _pool_work, job)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


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
            report = asyncio.run(crawler.run())
            run.check()  # a SIGINT/SIGTERM stopped the crawl: the next run settles
            for site in (s for s in sites if s.site_chrome):  # what the run taught each site, applied where it changed
                settled = site_pass.settle(run.db, site.name, run.run_id, lambda *_: run.check())
                report.stats.essays_added += settled.essays_added
                report.stats.essays_updated += settled.essays_updated
        finally:
            pool.close()
            crawler.report.stats.seconds = store.elapsed(started)
        run.status = report.status
    return report
