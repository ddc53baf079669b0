"""Re-extract every stored raw page with the current code: no network, idempotent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import store
from pipeline.jobs import site_pass
from pipeline.jobs.stored import stored_result
from pipeline.models import RunStats
from pipeline.store.lock import DbLock

KEEP = ("final_url", "status", "fetched_at", "etag", "last_modified", "content_sha1")


def _part_urls(db: sqlite_utils.Database) -> set[str]:
    """Later pages of multi-page articles: re-processed with their first page, never alone."""
    out: set[str] = set()
    for (parts,) in db.execute("select parts from pages where parts is not null"):
        out.update(json.loads(parts)[1:])
    return out


reprocess_page = stored_result  # the stored page (and its stored parts) through `process` again


def reprocess(db_path: str | Path, on_page: Callable[[str, str], None] | None = None) -> RunStats:
    """Re-run extraction on every raw page; pages keep their fetch facts (status, validators, hash)."""
    started = time.perf_counter()
    if not Path(db_path).exists():
        from pipeline.errors import ConfigError

        raise ConfigError(f"no such database: {db_path}")
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
            for url in urls:
                site = site_pass.site_for(db, url)
                sites.setdefault(site)
                result, chrome_rows = site_pass.prepare(reprocess_page(db, url), site, learned(site))
                found = db.execute(f"select {', '.join(KEEP)} from pages where url = ?", [url]).fetchone()
                info: dict[str, Any] = dict(zip(KEEP, found, strict=True)) if found else {}
                added, updated = store.save_result(db, result, run_id, info, extra=chrome_rows)
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
