"""`site_pass.settle` with the pages it cleans again redone on Dask workers.

At the end of an import or reprocess on a cluster, the pages whose essays disagree with what their
site has learned are read back (WARC records by the workers), processed again and cleaned of the
site's chrome on the workers (`dask_tasks.settle_chunk`); this process stores them in the same order
as `site_pass.redo_here` would, so the database ends as a single-process run leaves it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlite_utils

from pipeline.fetch.warc import ArchiveError
from pipeline.jobs import dask_tasks, site_pass, stored_pages
from pipeline.jobs.distributed import chunked, describe_failure, ordered_map
from pipeline.jobs.stored_pages import StoredPage

CHUNK = 64  # pages per task: a page costs a worker as much as an imported one, and the writer more


def _loaded(db: sqlite_utils.Database, urls: list[str]) -> Iterator[StoredPage | tuple[str, str]]:
    for url in urls:
        try:
            yield stored_pages.load(db, url, read=False)  # a WARC record is read by the worker
        except ArchiveError as exc:  # no raw response left to redo it from: the page stays as stored
            yield url, str(exc)


def redo_on(client: Any) -> site_pass.Redo:
    """A `site_pass.Redo` that rebuilds and cleans the pages on the cluster behind `client`."""

    def redo(db: sqlite_utils.Database, urls: list[str],
             chrome: Mapping[int, str]) -> Iterator[tuple[str, site_pass.Redone | str]]:
        for chunk, outcome in ordered_map(client, dask_tasks.settle_chunk, chunked(_loaded(db, urls), CHUNK), dict(chrome)):
            for item, done in zip(chunk, outcome if isinstance(outcome, list) else [outcome] * len(chunk), strict=True):
                url = item.url if isinstance(item, StoredPage) else item[0]
                if isinstance(done, BaseException):  # the task failed for good
                    yield url, describe_failure(done)
                elif done is None:
                    assert isinstance(item, tuple)
                    yield url, item[1]
                else:
                    yield url, done

    return redo
