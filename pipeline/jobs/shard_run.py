"""`pipeline import WARC... --dask ... --output parquet:DIR`: archives into Parquet shards written by the workers.

No single writer: each worker processes a chunk of records and writes it as one shard; this process
only indexes, orders and counts. The captures kept are those a single-process import keeps (a URL
captured several times: its latest capture by WARC-Date, placed where the URL first occurs), in the
order of the input files and their records; then the duplicate pass marks copies across all shards
in that order (`shards.mark_duplicates`). A task that fails for good after Dask's retries is
recorded on each of its records (a pages shard of failures written here).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.jobs import dask_tasks, shards
from pipeline.jobs.archive_import import is_archive, replaces
from pipeline.jobs.cluster import ClusterSpec, connect
from pipeline.jobs.distributed import chunked, describe_failure, ordered_map
from pipeline.models import Page, Profile, Result, RunStats
from pipeline.normalize.signatures import DEFAULT_THRESHOLD

CHUNK = 256  # records per shard


def choose(indexes: list[tuple[str, dask_tasks.ArchiveIndex]], skipped: Counter[str]) -> list[tuple[int, str, int, int]]:
    """(seq, file, offset, length) of the captures to keep, in global order; skips and superseded counted."""
    first: dict[str, int] = {}
    kept: dict[str, tuple[dask_tasks.IndexEntry, str]] = {}
    for file, index in indexes:
        for entry in index.entries:
            if entry.skip:
                skipped[entry.skip] += 1
                continue
            if entry.url not in kept:
                first[entry.url] = len(first)
                kept[entry.url] = (entry, file)
                continue
            skipped["superseded"] += 1
            if replaces(kept[entry.url][0].warc_date, entry.warc_date):
                kept[entry.url] = (entry, file)
        for kind, n in index.skipped.items():
            skipped[f"{kind} record"] += n
    return [(first[url], file, e.offset, e.length) for url, (e, file) in sorted(kept.items(), key=lambda kv: first[kv[0]])]


def import_to_shards(client: Any, files: list[str], folder: Path, overwrite: bool, threshold: float,
                     profile: Profile | None) -> RunStats:
    started = time.perf_counter()
    shards.prepare(folder, overwrite, {"inputs": files})
    stats = RunStats(kind="import")
    skipped: Counter[str] = Counter()
    indexes: list[tuple[str, dask_tasks.ArchiveIndex]] = []
    for chunk, found in ordered_map(client, dask_tasks.index_archives, [[f] for f in files]):
        if isinstance(found, BaseException):
            stats.pages_failed += 1
            stats.failures.append(f"{chunk[0]}@0: {describe_failure(found)}")
            continue
        indexes.append((chunk[0], found[0]))
        for failure in found[0].failures:
            stats.pages_failed += 1
            stats.failures.append(str(failure))
    work = list(enumerate(chunked(choose(indexes, skipped), CHUNK)))
    for job, outcome in ordered_map(client, dask_tasks.shard_records, work, profile, str(folder)):
        number, items = job
        if isinstance(outcome, BaseException):  # recorded on each record, in a pages shard of its own
            error = describe_failure(outcome)
            rows = [shards.ShardRow(seq, "", 0, file, offset, length, Result(page=Page(url=f"{file}@{offset}", error=error),
                                                                             essays=()), {}) for seq, file, offset, length in items]
            shards.write_shard(str(folder), number, rows)
            stats.pages_failed += len(items)
            stats.failures.extend(f"{file}@{offset}: {error}" for _, file, offset, _ in items)
            continue
        pages, essays, failures = outcome
        stats.pages_fetched += pages - len(failures)
        stats.pages_failed += len(failures)
        stats.essays_added += essays
        stats.failures.extend(failures)
    shards.mark_duplicates(folder, threshold)
    stats.skipped = dict(skipped)
    stats.seconds = round(time.perf_counter() - started, 2)
    return stats


def run(files: list[str], folder: str | Path, cluster: ClusterSpec, overwrite: bool = False,
        threshold: float = DEFAULT_THRESHOLD, profile: Profile | None = None) -> RunStats:
    """Connect to the cluster, then `import_to_shards`; raises ConfigError (nothing written) for an
    unreachable scheduler, an input that is not an archive, or a folder that may not be written."""
    bad = [f for f in files if not is_archive(f)]
    if bad:
        raise ConfigError(f"--output parquet: takes WARC/ARC archives only, not {bad[0]}")
    with connect(cluster) as client:
        return import_to_shards(client, [str(Path(f).resolve()) for f in files], Path(folder), overwrite, threshold, profile)
