"""Stored raw pages (and the parts of multi-page articles) read back and run through `process` again.

`load(db, url)` reads what `pipeline reprocess` needs of one page into a `StoredPage` (plain bytes,
so it can travel to a Dask worker); `rebuild(page)` is the pure step that turns it into a `Result`.
`load(db, url, read=False)` leaves a response kept as a pointer into its WARC file unread: `rebuild`
reads it then, on the worker, and raises ArchiveError there when the archive has moved or changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from pipeline import store
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.fetch.warc import ArchiveError, read_response
from pipeline.jobs.process import join_parts, process
from pipeline.models import Result
from pipeline.text.encoding import decode


@dataclass(frozen=True)
class StoredPage:
    """A page's stored raw response and those of its later parts, in order (stopping at the first missing part)."""

    url: str
    body: bytes
    content_type: str
    parts: tuple[tuple[str, bytes, str], ...] = ()
    pointer: store.RawPointer | None = None  # the body is to be read from here (`load(..., read=False)`)


def stored_raw(db: sqlite_utils.Database, url: str) -> tuple[bytes, str] | None:
    """The raw response of a page: the stored copy, or the WARC record its pointer names; raises
    ArchiveError when the archive has moved or changed."""
    raw = store.raw_body(db, url)
    if raw is not None:
        return raw
    pointer = store.raw_pointer(db, url)
    return None if pointer is None else read_pointer(url, pointer)


def read_pointer(url: str, pointer: store.RawPointer) -> tuple[bytes, str]:
    """The raw response a WARC pointer names; raises ArchiveError when the archive has moved or changed."""
    resp = read_response(pointer.file, pointer.offset, pointer.length)
    if resp.url != url:
        raise ArchiveError(f"archive {pointer.file} at offset {pointer.offset} holds {resp.url}, not {url}: the file changed")
    return resp.body, resp.content_type or pointer.content_type


def load(db: sqlite_utils.Database, url: str, read: bool = True) -> StoredPage:
    """What reprocess needs of one stored page; raises ArchiveError when its raw response cannot be read
    (with `read` False, a WARC pointer is left for `rebuild` to read)."""
    pointer = None
    if read:
        raw = stored_raw(db, url)
    else:
        raw = store.raw_body(db, url)
        pointer = store.raw_pointer(db, url) if raw is None else None
        raw = (b"", pointer.content_type) if pointer is not None else raw
    if raw is None:
        raise ArchiveError(f"no raw response stored for {url}")
    row = db.execute("select parts from pages where url = ?", [url]).fetchone()
    part_urls = json.loads(row[0])[1:] if row and row[0] else []
    parts: list[tuple[str, bytes, str]] = []
    for part_url in part_urls:
        part_raw = store.raw_body(db, part_url)
        if part_raw is None:
            break
        parts.append((part_url, part_raw[0], part_raw[1]))
    return StoredPage(url, raw[0], raw[1], tuple(parts), pointer)


def rebuild(page: StoredPage) -> Result:
    """The stored page (and its stored parts) through `process` again; raises ArchiveError when its
    body is still to be read through a pointer that no longer holds it."""
    body, content_type = read_pointer(page.url, page.pointer) if page.pointer is not None else (page.body, page.content_type)
    text, codec = decode(body, content_type)
    result = process(text, page.url, codec)
    parts: list[Result] = []
    for part_url, body, content_type in page.parts:
        part_text, part_codec = decode(body, content_type)
        try:
            parts.append(Result(page=extract(part_text, part_url, part_codec), essays=()))
        except ExtractError:
            break
    return join_parts(result, parts) if parts and not result.page.error else result
