"""WARC/ARC import on a Dask cluster: the workers read and process the records, this process stores them.

Each archive is indexed by the workers part after part (`dask_tasks.index_part`: every record's
offset, length, URL, date and whether the crawl would process it; each part starts where the last
one ended, and is asked for as soon as the last one is in, ahead of the processing tasks); chunks of
the records a part found are read back through their pointers and processed by the workers
(`dask_tasks.process_records`: decode, extract, normalize, MinHash signatures, and what the
writer would compute: line fingerprints, search-index text) while the next part is read, so the
first records are stored at once, not after a pass over the whole archive. Results come back in the
order of the input files and their records, and this process stores them with the same decisions
as a single-process import (`archive_import.take`, `archive_import.store_capture`), so the database
ends identical, row for row and id for id, `duplicate_of` included.

Input paths are read by the workers: on several machines they must be visible to every worker
(a shared file system). An archive a worker cannot read is recorded as that input's failure and
the run goes on; a task that fails for good after Dask's retries is recorded on each of its records.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from pipeline.fetch.warc import RecordFailure
from pipeline.jobs import dask_tasks, site_pass
from pipeline.jobs.archive_import import record_reader_failures, store_capture, take
from pipeline.jobs.dask_tasks import Capture
from pipeline.jobs.distributed import RETRIES, describe_failure, ordered_map
from pipeline.models import Profile, RunStats

# Records per processing task: each task costs this process (scheduler, client) about 5 ms, so tasks
# are large (256: 0.19 ms of this process's CPU per page, against 0.26 with 64); the first ones are
# small, so the first records are stored at once, and so are those of the run's last index part, so
# the workers finish together.
CHUNK = 256
FIRST_CHUNK = 32  # then doubled task after task up to CHUNK
LAST_CHUNK = 64
PART = 1024  # responses per index part: read ahead of the processing, in the background
INDEX_PRIORITY = 10  # an index part runs before the processing tasks already waiting


@dataclass
class _FileEnd:
    """An archive read to its end (or to a failure): after `chunks` chunks of the run, what its reader
    skipped by type and could not read is recorded, as a single-process import records it."""

    chunks: int
    file: str
    skipped: Counter[str] = field(default_factory=Counter)
    failures: list[RecordFailure] = field(default_factory=list)


class _Work:
    """The chunks of (file, offset, length) to process, in input order and never across files, as the
    index parts come in; `ends` gets each file's `_FileEnd` before the chunks after it are handed out."""

    def __init__(self, client: Any, files: list[str], skipped: Counter[str]) -> None:
        self.client, self.files, self.skipped = client, files, skipped
        self.ends: deque[_FileEnd] = deque()
        self.handed = 0

    def _part(self, file: str, start: int) -> Any:
        return self.client.submit(dask_tasks.index_part, file, start, PART, retries=RETRIES, pure=False,
                                  priority=INDEX_PRIORITY)

    def __iter__(self) -> Iterator[list[tuple[str, int, int]]]:
        ahead = self._part(self.files[0], 0) if self.files else None
        for n, file in enumerate(self.files):
            end = _FileEnd(0, file)
            pending, start = ahead, 0
            while pending is not None:
                try:
                    part: dask_tasks.ArchiveIndex = pending.result()
                except Exception as exc:  # the part's task failed for good: the rest of the file is not read
                    end.failures.append(RecordFailure(file, start, describe_failure(exc)))
                    part = dask_tasks.ArchiveIndex()
                finally:
                    pending.release()
                start = part.next_offset or 0
                pending = self._part(file, start) if part.next_offset is not None else None
                if pending is None:  # the next archive's first part is read while this one's records are processed
                    ahead = self._part(self.files[n + 1], 0) if n + 1 < len(self.files) else None
                end.skipped.update(part.skipped)
                end.failures.extend(part.failures)
                for entry in part.entries:
                    if entry.skip:
                        self.skipped[entry.skip] += 1
                todo = [(file, e.offset, e.length) for e in part.entries if not e.skip]
                last = pending is None and ahead is None  # the run's last part
                first = 0
                while first < len(todo):
                    size = min(CHUNK, FIRST_CHUNK << min(self.handed, 8), LAST_CHUNK if last else CHUNK)
                    self.handed += 1
                    yield todo[first:first + size]
                    first += size
            end.chunks = self.handed
            self.ends.append(end)


def import_archives(
    client: Any, db: sqlite_utils.Database, files: list[str], run_id: int, stats: RunStats, skipped: Counter[str],
    on_page: Callable[[str, str], None] | None, copy_raw: bool, near_threshold: float, profile: Profile | None,
    learned: site_pass.Learned | None = None,
) -> None:
    """Store the archives' responses, processed on the cluster (see the module docstring); `learned`: see `store_capture`."""
    work = _Work(client, files, skipped)
    done = 0
    sites = site_pass.sites_for_workers(client, db) if learned is not None else None

    def ends() -> None:  # the files whose every chunk is stored
        while work.ends and work.ends[0].chunks <= done:
            end = work.ends.popleft()
            record_reader_failures(db, run_id, stats, skipped, end.skipped, end.failures, on_page)

    for chunk, outcome in ordered_map(client, dask_tasks.process_records, work, profile, copy_raw, sites):
        ends()
        if isinstance(outcome, BaseException):
            failures = [RecordFailure(f, offset, describe_failure(outcome)) for f, offset, _ in chunk]
            record_reader_failures(db, run_id, stats, skipped, {}, failures, on_page)
        else:
            for capture in outcome:
                _store(db, capture, run_id, stats, skipped, on_page, copy_raw, near_threshold, learned)
        done += 1
    ends()


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
                      done.signatures, learned, done.prints, done.grams, done.guess)


