"""Re-extract every stored raw page with the current code: no network, idempotent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.errors import ExtractError
from pipeline.extract import EXTRACTOR_VERSION, extract
from pipeline.fetch.warc import ArchiveError, read_response
from pipeline.jobs.process import join_parts, process
from pipeline.models import Result, RunStats
from pipeline.store.batch import Batch
from pipeline.store.lock import DbLock
from pipeline.text.encoding import decode

KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1")


def _part_urls(db: sqlite_utils.Database) -> set[str]:
    """Later pages of multi-page articles: re-processed with their first page, never alone."""
    out: set[str] = set()
    for (parts,) in db.execute("select parts from pages where parts is not null"):
        out.update(json.loads(parts)[1:])
    return out


def stored_raw(db: sqlite_utils.Database, url: str) -> tuple[bytes, str] | None:
    """The raw response of a page: the stored copy, or the WARC record its pointer names; raises
    ArchiveError when the archive has moved or changed."""
    raw = store.raw_body(db, url)
    if raw is not None:
        return raw
    pointer = store.raw_pointer(db, url)
    if pointer is None:
        return None
    resp = read_response(pointer.file, pointer.offset, pointer.length)
    if resp.url != url:
        raise ArchiveError(f"archive {pointer.file} at offset {pointer.offset} holds {resp.url}, not {url}: the file changed")
    return resp.body, resp.content_type or pointer.content_type


def reprocess_page(db: sqlite_utils.Database, url: str) -> Result:
    """The stored page (and its stored parts) through `process` again; raises ArchiveError (see stored_raw)."""
    raw = stored_raw(db, url)
    if raw is None:
        raise ArchiveError(f"no raw response stored for {url}")
    text, codec = decode(*raw)
    result = process(text, url, codec)
    row = db.execute("select parts from pages where url = ?", [url]).fetchone()
    part_urls = json.loads(row[0])[1:] if row and row[0] else []
    parts: list[Result] = []
    for part_url in part_urls:
        part_raw = store.raw_body(db, part_url)
        if part_raw is None:
            break
        part_text, part_codec = decode(*part_raw)
        try:
            parts.append(Result(page=extract(part_text, part_url, part_codec), essays=()))
        except ExtractError:
            break
    return join_parts(result, parts) if parts and not result.page.error else result


def reprocess_urls(db: sqlite_utils.Database, urls: list[str], run_id: int, stats: RunStats, batch: Batch,
                   on_page: Callable[[str, str], None] | None = None) -> None:
    """Re-extract and store each page (one savepoint each, committed by the batch)."""
    for url in urls:
        try:
            result = reprocess_page(db, url)
        except ArchiveError as exc:  # the page and its essays stay as they were
            store.mark_error(db, url, str(exc), run_id)
            stats.pages_failed += 1
            stats.failures.append(f"{url}: {exc}")
            if on_page:
                on_page(url, str(exc))
            continue
        found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
        info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
        added, updated = store.save_result(db, result, run_id, info)
        stats.essays_added += added
        stats.essays_updated += updated
        if result.page.error:
            stats.pages_failed += 1
            stats.failures.append(f"{url}: {result.page.error}")
        else:
            stats.pages_fetched += 1
        if on_page:
            on_page(url, result.page.error)
        batch.page_done()


def reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None = None, outdated: bool = False) -> RunStats:
    """Re-run extraction on every raw page; pages keep their fetch facts (status, validators, hash).

    `outdated`: only the pages stored by an older extractor (pages.extractor_version below
    `extract.EXTRACTOR_VERSION`, or none recorded)."""
    started = time.perf_counter()
    if not Path(db_path).exists():
        from pipeline.errors import ConfigError

        raise ConfigError(f"no such database: {db_path}")
    with DbLock(db_path):
        from pipeline.jobs.crawl_run import open_for_run

        db = open_for_run(db_path)
        stats = RunStats(kind="reprocess")
        run_id = store.start_run(db, "reprocess", {"outdated": True} if outdated else {})
        status = "interrupted"
        try:
            skip = _part_urls(db)
            sql = "select url from raw order by url"
            if outdated:
                sql = (f"select r.url from raw r left join pages p on p.url = r.url "
                       f"where coalesce(p.extractor_version, 0) < {int(EXTRACTOR_VERSION)} order by r.url")
            urls = [u for (u,) in db.execute(sql).fetchall() if u not in skip]
            with Batch(db) as batch:
                reprocess_urls(db, urls, run_id, stats, batch, on_page)
            status = "partial" if stats.pages_failed else "ok"
        finally:
            stats.seconds = store.elapsed(started)
            store.finish_run(db, run_id, stats, status)
            db.conn.close()
    return stats
