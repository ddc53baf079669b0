"""Re-extract every stored raw page with the current code: no network, idempotent."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.errors import ConfigError, ExtractError, StoreError
from pipeline.extract import extract
from pipeline.jobs.process import join_parts, process
from pipeline.jobs.run_context import write_run
from pipeline.models import Result, RunStats
from pipeline.text.encoding import decode

KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1")


def _part_urls(db: sqlite_utils.Database) -> set[str]:
    """Later pages of multi-page articles: re-processed with their first page, never alone."""
    out: set[str] = set()
    for (parts,) in db.execute("select parts from pages where parts is not null"):
        out.update(json.loads(parts)[1:])
    return out


def reprocess_page(db: sqlite_utils.Database, url: str) -> Result:
    """The stored page (and its stored parts) through `process` again."""
    raw = store.raw_body(db, url)
    if raw is None:
        raise LookupError("no stored raw body")
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


def reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None = None) -> RunStats:
    """Re-run extraction on every raw page; pages keep their fetch facts (status, validators, hash).

    A page whose stored raw body cannot be read (a damaged blob) is recorded as failed and the run
    goes on; a fault of the database itself stops it (see `run_context`)."""
    started = time.perf_counter()
    if not Path(db_path).is_file():
        raise ConfigError(f"no such database: {db_path}")
    stats = RunStats(kind="reprocess")
    with write_run(db_path, "reprocess", {}, stats) as run:
        db = run.db
        skip = _part_urls(db)
        urls = [u for (u,) in db.execute("select url from raw order by url").fetchall() if u not in skip]
        for url in urls:
            try:
                result = reprocess_page(db, url)
            except (zlib.error, ValueError, LookupError) as exc:  # a damaged stored body
                error = f"stored raw body unreadable: {exc}"
                store.record_failure(db, url, error, run.run_id)
                stats.pages_failed += 1
                stats.failures.append(f"{url}: {error}")
                if on_page:
                    on_page(url, error)
                run.check()
                continue
            found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
            info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
            try:
                added, updated = store.save_result(db, result, run.run_id, info)
            except StoreError as exc:  # this page's rows (a fault of the database itself raises StorageFault)
                store.record_failure(db, url, str(exc), run.run_id)
                stats.pages_failed += 1
                stats.failures.append(f"{url}: {exc}")
                run.check()
                continue
            stats.essays_added += added
            stats.essays_updated += updated
            if result.page.error:
                stats.pages_failed += 1
                stats.failures.append(f"{url}: {result.page.error}")
            else:
                stats.pages_fetched += 1
            if on_page:
                on_page(url, result.page.error)
            run.check()  # SIGINT/SIGTERM: stop here, with this page stored and counted
        stats.seconds = store.elapsed(started)
        run.status = "partial" if stats.pages_failed else "ok"
    return stats
