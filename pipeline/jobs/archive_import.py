"""WARC/ARC files into the database: each HTTP response record stored as a page, as the crawl stores one.

A response is taken as the crawl takes a fetched page: status 200 and a text content type
(`fetch.sync_client.TEXT_TYPES`), decoded with its HTTP Content-Type charset by `text.encoding`,
then `process` and `store.save_result`, with WARC-Date as the fetch time. Other records (request,
metadata, revisit, warcinfo, ...) and other responses (redirects, errors, images) are skipped and
counted by reason. A URL captured more than once keeps its latest capture by WARC-Date: an older
capture than the stored one is skipped as `superseded`, and a stored capture replaced by a newer
one is counted so too. A capture stored already (same date, same body) is `unchanged`: a run
killed part-way and started again goes on where it stopped without rewriting a page.

The raw body is kept as a pointer (WARC file, offset, length; `store.RawPointer`) unless
`copy_raw` is set; the file path is stored absolute so `pipeline reprocess` finds it from anywhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import sqlite_utils

from pipeline import store
from pipeline.fetch.sync_client import TEXT_TYPES
from pipeline.fetch.warc import ArchivedResponse, ArchiveReader, RecordFailure
from pipeline.jobs import site_pass
from pipeline.jobs.process import process
from pipeline.models import Profile, Result, RunStats
from pipeline.normalize.signatures import DEFAULT_THRESHOLD
from pipeline.normalize.site_chrome import Prints
from pipeline.store.batch import page_done
from pipeline.text.encoding import decode

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def is_archive(ref: str) -> bool:
    """Whether a source given to `import` names a WARC/ARC file (by its name)."""
    return ref.lower().endswith(ARCHIVE_SUFFIXES)


def _when(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def replaces(held: str, capture: str) -> bool:
    """Whether a capture (its WARC-Date) takes the place of the one held for its URL: unless the held
    one is known to be later (equal dates, or a date that cannot be read: the one met last wins)."""
    old, new = _when(held), _when(capture)
    return not (old is not None and new is not None and old > new)


def skip_reason(resp: ArchivedResponse) -> str:
    """Why the crawl would not process this response ("" when it would)."""
    if resp.status != 200:
        return f"HTTP {resp.status}" if resp.status else "no HTTP status"
    ctype = resp.content_type
    if ctype and not ctype.lower().startswith(TEXT_TYPES):
        return "not a text page"
    return ""


def _stored(db: sqlite_utils.Database, url: str) -> tuple[str, str] | None:
    row = db.execute("select fetched_at, content_sha1 from pages where url = ? and content_sha1 is not null", [url]).fetchone()
    return (row[0] or "", row[1] or "") if row else None


def take(db: sqlite_utils.Database, url: str, warc_date: str, sha1: str, stats: RunStats, skipped: Counter[str]) -> bool:
    """Whether a capture is stored: not when the same capture is stored already (counted unchanged)
    or a later one is (counted superseded); a stored earlier capture gives way (counted superseded)."""
    stored = _stored(db, url)
    if stored is None:
        return True
    if stored == (warc_date, sha1):
        stats.pages_unchanged += 1
        return False
    skipped["superseded"] += 1
    return replaces(stored[0], warc_date)


def store_capture(
    db: sqlite_utils.Database, resp: ArchivedResponse, result: Result, sha1: str, run_id: int, stats: RunStats,
    on_page: Callable[[str, str], None] | None, copy_raw: bool, near_threshold: float,
    signatures: Mapping[str, bytes] | None = None, learned: site_pass.Learned | None = None,
    prints: Prints | None = None, grams: Mapping[str, str] | None = None, guess: site_pass.Guess | None = None,
) -> None:
    """Store one processed capture as the crawl stores a fetched page (`resp.body` is needed only with `copy_raw`);
    with `learned`, cleaned of what its site (host) learned so far, its lines counted (`site_pass`).
    `signatures`, `prints`, `grams` and `guess`: computed by a Dask worker (`dask_tasks.Processed`), or here when None."""
    info = {"status": resp.status, "final_url": resp.url, "etag": resp.headers.get("etag"),
            "last_modified": resp.headers.get("last-modified"), "content_sha1": sha1, "fetched_at": resp.warc_date or store.now()}
    pointer = None if copy_raw else store.RawPointer(resp.file, resp.offset, resp.length, resp.content_type)
    raw = (resp.body, resp.content_type) if copy_raw else None
    rows = None
    if learned is not None:
        cleaned, rows = learned.clean(result, resp.url, prints, guess)
        signatures, grams = site_pass.worker_values(result, cleaned, guess, signatures, grams)
        result = cleaned
    added, updated = store.save_result(db, result, run_id, info, raw, near_threshold, raw_pointer=pointer, signatures=signatures,
                                       extra=rows, grams=grams)
    stats.essays_added += added
    stats.essays_updated += updated
    page_done(db)  # the batch open on db (if any) may commit here: never inside a page
    if result.page.error:
        stats.pages_failed += 1
        stats.failures.append(f"{resp.url}: {result.page.error}")
    else:
        stats.pages_fetched += 1
    if on_page:
        on_page(resp.url, result.page.error)


def record_reader_failures(db: sqlite_utils.Database, run_id: int, stats: RunStats, skipped: Counter[str],
                           kinds: Mapping[str, int], failures: list[RecordFailure],
                           on_page: Callable[[str, str], None] | None) -> None:
    """What the reader skipped (by record type) and could not read, counted and recorded."""
    for kind, n in kinds.items():
        skipped[f"{kind} record"] += n
    for failure in failures:
        stats.pages_failed += 1
        stats.failures.append(str(failure))
        store.record_source_failure(db, run_id, failure.file, failure.error, failure.offset)
        if on_page:
            on_page(f"{failure.file}@{failure.offset}", failure.error)


def import_archive(
    db: sqlite_utils.Database, path: str | Path, run_id: int, stats: RunStats, skipped: Counter[str],
    on_page: Callable[[str, str], None] | None = None, copy_raw: bool = False,
    near_threshold: float = DEFAULT_THRESHOLD, profile: Profile | None = None, learned: site_pass.Learned | None = None,
) -> None:
    """Store the HTTP responses of one archive (see the module docstring); counts go into `stats` and `skipped`."""
    file = str(Path(path).resolve())
    reader = ArchiveReader(file)
    for resp in reader:
        reason = skip_reason(resp)
        if reason:
            skipped[reason] += 1
            continue
        sha1 = hashlib.sha1(resp.body).hexdigest()
        if not take(db, resp.url, resp.warc_date, sha1, stats, skipped):
            continue
        text, codec = decode(resp.body, resp.content_type)
        store_capture(db, resp, process(text, resp.url, codec, profile), sha1, run_id, stats, on_page, copy_raw, near_threshold,
                      learned=learned)
    record_reader_failures(db, run_id, stats, skipped, reader.skipped, reader.failures, on_page)
