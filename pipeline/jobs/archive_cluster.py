"""WARC/ARC import on a Dask cluster: the workers read and process the records, this process stores them.

Each archive is first indexed by a worker (`dask_tasks.index_archive`: every record's offset,
length, URL, date and whether the crawl would process it); then chunks of its records are read back
through their pointers and processed by the workers (`dask_tasks.process_records`: decode,
extract, normalize, MinHash signatures). Results come back in the order of the input files and
their records, and this process stores them with the same decisions as a single-process import
(`archive_import.take`, `archive_import.store_capture`), so the database ends identical, row for
row and id for id, `duplicate_of` included.

Input paths are read by the workers: on several machines they must be visible to every worker
(a shared file system). An archive a worker cannot read is recorded as that input's failure and
the run goes on; a task that fails for good after Dask's retries is recorded on each of its records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import sqlite_utils

from pipeline.fetch.warc import RecordFailure
from pipeline.jobs import dask_tasks, site_pass
from pipeline.jobs.archive_import import record_reader_failures, store_capture, take
from pipeline.jobs.dask_tasks import ArchiveIndex, Capture
from pipeline.jobs.distributed import describe_failure, ordered_map
from pipeline.models import Profile, RunStats

CHUNK = 64  # records per processing task


def _indexes(client: Any, files: list[str]) -> Iterator[tuple[str, ArchiveIndex | BaseException]]:
    for chunk, outcome in ordered_map(client, dask_tasks.index_archives, [[f] for f in files]):
        yield chunk[0], (outcome[0] if isinstance(outcome, list) else outcome)


def _work(indexes: list[tuple[str, ArchiveIndex | BaseException]]) -> Iterator[list[tuple[str, int, int]]]:
    """Chunks of (file, offset, length) of the records to process, in input order, never across files."""
    for file, index in indexes:
        if isinstance(index, BaseException):
            continue
        todo = [(file, e.offset, e.length) for e in index.entries if not e.skip]
        for start in range(0, len(todo), CHUNK):
            yield todo[start:start + CHUNK]


def import_archives(
    client: Any, db: sqlite_utils.Database, files: list[str], run_id: int, stats: RunStats, skipped: Counter[str],
    on_page: Callable[[str, str], None] | None, copy_raw: bool, near_threshold: float, profile: Profile | None,
    learned: site_pass.Learned | None = None,
) -> None:
    """Store the archives' responses, processed on the cluster (see the module docstring); `learned`: see `store_capture`."""
    indexes = list(_indexes(client, files))
    results = ordered_map(client, dask_tasks.process_records, _work(indexes), profile, copy_raw)
    pending: Iterator[tuple[Any, Any]] = iter(results)
    for file, index in indexes:
        if isinstance(index, BaseException):
            record_reader_failures(db, run_id, stats, skipped, {}, [RecordFailure(file, 0, describe_failure(index))], on_page)
            continue
        todo = [e for e in index.entries if not e.skip]
        for entry in index.entries:
            if entry.skip:
                skipped[entry.skip] += 1
        done = 0
        while done < len(todo):
            chunk, outcome = next(pending)
            if isinstance(outcome, BaseException):
                failures = [RecordFailure(f, offset, describe_failure(outcome)) for f, offset, _ in chunk]
                record_reader_failures(db, run_id, stats, skipped, {}, failures, on_page)
            else:
                for capture in outcome:
                    _store(db, capture, run_id, stats, skipped, on_page, copy_raw, near_threshold, learned)
            done += len(chunk)
        record_reader_failures(db, run_id, stats, skipped, index.skipped, index.failures, on_page)


def _store(db: sqlite_utils.Database, capture: Capture | RecordFailure, run_id: int, stats: RunStats,
           skipped: Counter[str], on_page: Callable[[str, str], None] | None, copy_raw: bool, near_threshold: float,
           learned: site_pass.Learned | None = None) -> None:
    if isinstance(capture, RecordFailure):
        record_reader_failures(db, run_id, stats, skipped, {}, [capture], on_page)
        return
    resp = capture.response
    if take(db, resp.url, resp.warc_date, capture.sha1, stats, skipped):
        done = capture.processed
        store_capture(db, resp, done.result, capture.sha1, run_id, stats, on_page, copy_raw, near_threshold,
                      done.signatures, learned, done.prints, done.grams)


