"""Re-extract every stored raw page with the current code: no network, idempotent."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.errors import ConfigError, StoreError
from pipeline.extract import EXTRACTOR_VERSION
from pipeline.fetch.warc import ArchiveError
from pipeline.jobs import dask_tasks, settle_cluster, site_pass, stored_pages
from pipeline.jobs.cluster import ClusterSpec, connect
from pipeline.jobs.dask_tasks import Processed
from pipeline.jobs.distributed import chunked, describe_failure, ordered_map
from pipeline.jobs.run_context import WriteRun, write_run
from pipeline.jobs.stored_pages import StoredPage
from pipeline.models import Result, RunStats
from pipeline.store.batch import Batch

CHUNK = 128  # pages per Dask task (driver CPU per page, 2,000 pages: 0.44-0.47 ms with 32, 0.29-0.33 with 128, no less with 256)
KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1", "gone")


def _part_urls(db: sqlite_utils.Database) -> set[str]:
    """Later pages of multi-page articles: re-processed with their first page, never alone."""
    out: set[str] = set()
    for (parts,) in db.execute("select parts from pages where parts is not null"):
        out.update(json.loads(parts)[1:])
    return out


def reprocess_page(db: sqlite_utils.Database, url: str) -> Result:
    """The stored page (and its stored parts) through `process` again; raises ArchiveError (see stored_pages.load)."""
    return stored_pages.rebuild(stored_pages.load(db, url))


# what a stored page that cannot be read raises: a missing or changed archive, a damaged compressed
# body (zlib.error), a value SQLite cannot hand back (ValueError); the page keeps its stored essays
UNREADABLE = (ArchiveError, zlib.error, ValueError)


def _unreadable(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ArchiveError) else f"stored raw body unreadable: {exc}"


def _loaded(db: sqlite_utils.Database, urls: list[str]) -> Iterator[StoredPage | tuple[str, str]]:
    for url in urls:
        try:
            yield stored_pages.load(db, url, read=False)  # a WARC record is read by the worker
        except UNREADABLE as exc:
            yield url, _unreadable(exc)


def _results(db: sqlite_utils.Database, urls: list[str], client: Any) -> Iterator[tuple[str, Result | str, Processed | None]]:
    """(url, its new Result or why it could not be redone, what a worker computed for the writer) in
    the order of `urls`; with a Dask client the pages are rebuilt on the cluster."""
    if client is None:
        for url in urls:
            try:
                yield url, reprocess_page(db, url), None
            except UNREADABLE as exc:
                yield url, _unreadable(exc), None
        return
    sites = site_pass.sites_for_workers(client, db)
    for chunk, outcome in ordered_map(client, dask_tasks.rebuild_chunk, chunked(_loaded(db, urls), CHUNK), sites):
        if isinstance(outcome, BaseException):
            for item in chunk:
                yield (item.url if isinstance(item, StoredPage) else item[0]), describe_failure(outcome), None
            continue
        for item, done in zip(chunk, outcome, strict=True):
            if done is None:
                assert isinstance(item, tuple)
                yield item[0], item[1], None
            elif isinstance(done, str):  # its archive could not be read on the worker (as `_unreadable` says it)
                yield (item.url if isinstance(item, StoredPage) else item[0]), done, None
            else:
                yield done.result.page.url, done.result, done


def reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None = None,
              cluster: ClusterSpec | None = None, outdated: bool = False, on_total: Callable[[int], None] | None = None) -> RunStats:
    """Re-run extraction on every raw page; pages keep their fetch facts (status, validators, hash).

    A page whose stored raw response cannot be read (a damaged blob, a changed archive) is recorded
    as failed and the run goes on; a fault of the database itself stops it (see `run_context`).
    `outdated`: only the pages stored by an older extractor (pages.extractor_version below
    `extract.EXTRACTOR_VERSION`, or none recorded).

    With `cluster`, extraction runs on Dask workers and this process stores the results in the same
    order, so the database ends exactly as a single-process run leaves it."""
    if not Path(db_path).is_file():
        raise ConfigError(f"no such database: {db_path}")
    with ExitStack() as stack:
        client = stack.enter_context(connect(cluster)) if cluster else None
        return _reprocess(db_path, on_page, client, outdated, on_total)


def _reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None, client: Any, outdated: bool = False,
               on_total: Callable[[int], None] | None = None) -> RunStats:
    started = time.perf_counter()
    stats = RunStats(kind="reprocess")
    with write_run(db_path, "reprocess", {"outdated": True} if outdated else {}, stats) as run, ExitStack() as stack:
        if client is not None:  # results come from the cluster: no page boundary of ours to wait for
            stack.enter_context(run.stop_at_once())
        db = run.db
        skip = _part_urls(db)
        sql = "select url from raw order by url"
        if outdated:
            sql = (f"select r.url from raw r left join pages p on p.url = r.url "
                   f"where coalesce(p.extractor_version, 0) < {int(EXTRACTOR_VERSION)} order by r.url")
        urls = [u for (u,) in db.execute(sql).fetchall() if u not in skip]
        stats.run_id = run.run_id
        if on_total:
            on_total(len(urls))
        learned = site_pass.Learned(db)
        with Batch(db, stats=stats) as batch:  # pages grouped into larger transactions, each page atomic (store.batch)
            for url, result, done in _results(db, urls, client):
                _store(run, url, result, done, on_page, learned)
                batch.page_done()
                run.check()  # SIGINT/SIGTERM: stop here, with this page stored and counted
        redo = site_pass.redo_here if client is None else settle_cluster.redo_on(client)  # pages cleaned again
        for site in list(learned.sites):  # what the pages teach each site, applied where it changed
            settled = site_pass.settle(db, site, run.run_id, lambda *_: run.check(), redo)
            stats.essays_added += settled.essays_added
            stats.essays_updated += settled.essays_updated
        stats.seconds = store.elapsed(started)
        run.status = "partial" if stats.pages_failed else "ok"
    return stats


def _store(run: WriteRun, url: str, result: Result | str, done: Processed | None,
           on_page: Callable[[str, str], None] | None, learned: site_pass.Learned | None = None) -> None:
    """Store one page's new result (or why it could not be redone), counting it once written; with
    `learned`, cleaned of what its site learned (its lines counted again). `done`: what a Dask worker
    computed for the writer (signatures, line fingerprints, search-index text), or None."""
    db, stats = run.db, run.stats
    error = result if isinstance(result, str) else ""
    if isinstance(result, str):  # the page and its essays stay as they were
        store.mark_error(db, url, result, run.run_id)
    else:
        found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
        info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
        chrome_rows = None
        sigs: Mapping[str, bytes] | None = done.signatures if done else None
        grams: Mapping[str, str] | None = done.grams if done else None
        if learned is not None:
            guess = done.guess if done else None
            cleaned, chrome_rows = learned.for_site(site_pass.site_for(db, url), result, done.prints if done else None, guess)
            sigs, grams = site_pass.worker_values(result, cleaned, guess, sigs, grams)
            result = cleaned
        try:
            added, updated = store.save_result(db, result, run.run_id, info, signatures=sigs, extra=chrome_rows, grams=grams)
        except StoreError as exc:  # this page's rows (a fault of the database itself raises StorageFault)
            error = str(exc)
            store.mark_error(db, url, error, run.run_id)
        else:
            stats.essays_added += added
            stats.essays_updated += updated
            error = result.page.error
    if error:
        stats.pages_failed += 1
        stats.failures.append(f"{url}: {error}")
    else:
        stats.pages_fetched += 1
    if on_page:
        on_page(url, error)
