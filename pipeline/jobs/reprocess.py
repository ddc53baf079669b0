"""Re-extract every stored raw page with the current code: no network, idempotent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.errors import ConfigError
from pipeline.fetch.warc import ArchiveError
from pipeline.jobs import dask_tasks, site_pass, stored_pages
from pipeline.jobs.cluster import ClusterSpec, connect
from pipeline.jobs.distributed import chunked, describe_failure, ordered_map
from pipeline.jobs.stored_pages import StoredPage
from pipeline.models import Result, RunStats
from pipeline.store.lock import DbLock

CHUNK = 32  # pages per Dask task
KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1")


def _part_urls(db: sqlite_utils.Database) -> set[str]:
    """Later pages of multi-page articles: re-processed with their first page, never alone."""
    out: set[str] = set()
    for (parts,) in db.execute("select parts from pages where parts is not null"):
        out.update(json.loads(parts)[1:])
    return out


def reprocess_page(db: sqlite_utils.Database, url: str) -> Result:
    """The stored page (and its stored parts) through `process` again; raises ArchiveError (see stored_pages.load)."""
    return stored_pages.rebuild(stored_pages.load(db, url))


def _loaded(db: sqlite_utils.Database, urls: list[str]) -> Iterator[StoredPage | tuple[str, str]]:
    for url in urls:
        try:
            yield stored_pages.load(db, url)
        except ArchiveError as exc:
            yield url, str(exc)


def _results(db: sqlite_utils.Database, urls: list[str], client: Any) -> Iterator[tuple[str, Result | str, dict[str, bytes]]]:
    """(url, its new Result or why it could not be redone, the essays' signatures) in the order of
    `urls`; with a Dask client the pages are rebuilt on the cluster."""
    if client is None:
        for url in urls:
            try:
                yield url, reprocess_page(db, url), {}
            except ArchiveError as exc:
                yield url, str(exc), {}
        return
    for chunk, outcome in ordered_map(client, dask_tasks.rebuild_chunk, chunked(_loaded(db, urls), CHUNK)):
        if isinstance(outcome, BaseException):
            for item in chunk:
                yield (item.url if isinstance(item, StoredPage) else item[0]), describe_failure(outcome), {}
            continue
        for item, done in zip(chunk, outcome, strict=True):
            if done is None:
                assert isinstance(item, tuple)
                yield item[0], item[1], {}
            else:
                yield done.result.page.url, done.result, done.signatures


def reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None = None,
              cluster: ClusterSpec | None = None) -> RunStats:
    """Re-run extraction on every raw page; pages keep their fetch facts (status, validators, hash).

    With `cluster`, extraction runs on Dask workers and this process stores the results in the same
    order, so the database ends exactly as a single-process run leaves it."""
    if not Path(db_path).exists():
        raise ConfigError(f"no such database: {db_path}")
    with ExitStack() as stack:
        client = stack.enter_context(connect(cluster)) if cluster else None
        return _reprocess(db_path, on_page, client)


def _reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None, client: Any) -> RunStats:
    started = time.perf_counter()
    with DbLock(db_path):
        from pipeline.jobs.crawl_run import open_for_run

        db = open_for_run(db_path)
        stats = RunStats(kind="reprocess")
        run_id = store.start_run(db, "reprocess", {})
        status = "interrupted"
        try:
            skip = _part_urls(db)
            urls = [u for (u,) in db.execute("select url from raw order by url").fetchall() if u not in skip]
            learned = site_pass.Learned(db)
            sites: dict[str, None] = {}
            for url, redone, sigs in _results(db, urls, client):
                if isinstance(redone, str):  # the page and its essays stay as they were
                    store.mark_error(db, url, redone, run_id)
                    stats.pages_failed += 1
                    stats.failures.append(f"{url}: {redone}")
                    if on_page:
                        on_page(url, redone)
                    continue
                site = site_pass.site_for(db, url)
                sites.setdefault(site)
                result, chrome_rows = site_pass.prepare(redone, site, learned(site))
                found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
                info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
                added, updated = store.save_result(db, result, run_id, info, signatures=sigs if result is redone else None,
                                                   extra=chrome_rows)
                stats.essays_added += added
                stats.essays_updated += updated
                if result.page.error:
                    stats.pages_failed += 1
                    stats.failures.append(f"{url}: {result.page.error}")
                else:
                    stats.pages_fetched += 1
                if on_page:
                    on_page(url, result.page.error)
            for site in sites:  # what the pages teach each site, applied where it changed
                settled = site_pass.settle(db, site, run_id)
                stats.essays_added += settled.essays_added
                stats.essays_updated += settled.essays_updated
            status = "partial" if stats.pages_failed else "ok"
        finally:
            stats.seconds = store.elapsed(started)
            store.finish_run(db, run_id, stats, status)
            db.conn.close()
    return stats
