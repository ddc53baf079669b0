"""Page writes: a page and its essays in one transaction (idempotent upserts), failures, raw responses, duplicate marks."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from pipeline.errors import StoreError
from pipeline.extract import EXTRACTOR_VERSION
from pipeline.models import Result
from pipeline.normalize import signatures as dedupe
from pipeline.store import faults, lsh
from pipeline.store import search_index as search
from pipeline.store.database import now


@cache
def _upsert_sql(table: str, columns: tuple[str, ...], pk: str) -> str:
    cols = ", ".join(f"[{c}]" for c in columns)
    sets = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != pk)
    return f"INSERT INTO [{table}] ({cols}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT([{pk}]) DO UPDATE SET {sets}"


def _upsert(conn: sqlite3.Connection, table: str, row: dict[str, Any], pk: str) -> None:
    columns = tuple(row)
    conn.execute(_upsert_sql(table, columns, pk), [row[c] for c in columns])


def save_result(
    db: sqlite_utils.Database, result: Result, run_id: int, fetch_info: dict[str, Any] | None = None,
    raw: tuple[bytes, str] | None = None, near_threshold: float = dedupe.DEFAULT_THRESHOLD,
    signatures: Mapping[str, bytes] | None = None,
    raw_pointer: RawPointer | None = None, site: str = "",
    extra: Callable[[sqlite3.Connection], None] | None = None, grams: Mapping[str, str] | None = None,
) -> tuple[int, int]:
    """Store a page and its essays in one transaction; returns (essays added, essays updated).
    `extra` writes the page's other rows (its site-chrome lines) in the same transaction.
    `signatures` (essay id -> MinHash blob) and `grams` (text -> its search-index form) may be
    computed elsewhere (a Dask worker): what they lack is computed here.

    The raw response is kept as a copy (`raw`: body, content type) or as a pointer into the WARC
    file it was read from (`raw_pointer`), which `pipeline reprocess` reads through.
    `host` is the page's host; `site` is the crawl's site name, or the name the page already has, or its host.

    Re-saving a page replaces its essays: the same essays keep their ids, extra old ones go, and
    rows that did not change are not written again (so the search index has nothing to redo).
    A database error rolls the whole page back and raises StoreError (StorageFault for a fault of
    the database itself: disk full, read-only, locked, damaged).
    """
    page = result.page
    info = fetch_info or {}
    conn = db.conn
    try:
        return _save(db, conn, result, run_id, info, raw, near_threshold, signatures or {}, raw_pointer, site, extra, grams)
    except sqlite3.Error as exc:
        if faults.is_fault(exc):  # the database itself failed: the run stops (exit 4)
            raise faults.to_error(exc, faults.conn_path(conn), midway=True) from None
        raise StoreError(f"cannot store {page.url}: {exc}") from None


def _save(
    db: sqlite_utils.Database, conn: sqlite3.Connection, result: Result, run_id: int, info: dict[str, Any],
    raw: tuple[bytes, str] | None, near_threshold: float, signatures: Mapping[str, bytes], pointer: RawPointer | None = None,
    site: str = "", extra: Callable[[sqlite3.Connection], None] | None = None, grams: Mapping[str, str] | None = None,
) -> tuple[int, int]:
    page = result.page
    added = updated = 0
    with conn:  # plain SQL only inside: sqlite-utils' table methods would commit part-way
        if not site:  # a re-import or reprocess keeps the site name a crawl gave the page
            stored = conn.execute("select site from pages where url = ?", [page.url]).fetchone()
            site = (stored[0] if stored else "") or page.site
        row = {
            "url": page.url, "final_url": info.get("final_url", page.url), "host": page.site or None, "site": site or None,
            "status": info.get("status"), "fetched_at": info.get("fetched_at", now()), "etag": info.get("etag"),
            "last_modified": info.get("last_modified"), "content_sha1": info.get("content_sha1"),
            "encoding": page.encoding, "title": page.title, "published": page.published or None,
            "breadcrumb": json.dumps(list(page.breadcrumb), ensure_ascii=False), "category": page.category,
            "summary": page.summary, "author": page.author, "source": page.source,
            "essay_count": len(result.essays), "expected_count": result.expected_count,
            "incomplete": result.incomplete or None, "split_form": result.split_form,
            "parts": json.dumps(list(page.parts)) if page.parts else None, "error": page.error or None,
            "run_id": run_id, "gone": info.get("gone"), "extractor_version": EXTRACTOR_VERSION,
        }
        _upsert(conn, "pages", row, "url")
        if raw is not None:
            _put_raw(conn, page.url, raw[0], raw[1], page.encoding, row["fetched_at"])
        elif pointer is not None:
            _upsert(conn, "raw", {"url": page.url, "fetched_at": row["fetched_at"], "content_type": pointer.content_type,
                                  "encoding": page.encoding, "body": None, "warc_file": pointer.file,
                                  "warc_offset": pointer.offset, "warc_length": pointer.length}, "url")
        cursor = conn.execute("select * from essays where page_url = ?", [page.url])
        names = [d[0] for d in cursor.description]
        old = {r[names.index("id")]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
        for essay in result.essays:
            prev = old.get(essay.id)
            if prev is None:
                added += 1
            elif prev["text_sha1"] != essay.text_sha1:
                updated += 1
            same_text = prev is not None and prev["text_sha1"] == essay.text_sha1
            dup = _duplicate_of(conn, essay.id, essay.text, essay.text_sha1, page.url, near_threshold, same_text,
                                signatures.get(essay.id), prev["num"] if prev is not None else None)
            new = {
                "id": essay.id, "page_url": page.url, "position": essay.position, "title": essay.title,
                "text": essay.text, "chars": essay.chars, "text_sha1": essay.text_sha1,
                "duplicate_of": dup, "host": page.site or None, "site": site or None, "category": page.category,
                "published": page.published or None, "script": essay.script, "gone": row["gone"],
            }
            if prev is None or any(prev.get(k) != v for k, v in new.items()):
                _upsert(conn, "essays", {**new, "changed_at": now()}, "id")
        gone = [i for i in old if i not in {e.id for e in result.essays}]
        if gone:
            marks = ",".join("?" * len(gone))
            for essay_id, blob in conn.execute(f"select essay_id, sig from essay_sigs where essay_id in ({marks})", gone).fetchall():
                lsh.forget(conn, essay_id, dedupe.band_keys(dedupe.from_blob(blob)))
            conn.execute(f"delete from essays where id in ({marks})", gone)
            conn.execute(f"delete from essay_sigs where essay_id in ({marks})", gone)
        if extra is not None:
            extra(conn)
        search.sync(db, grams)  # index this page's new and changed essays (queued by triggers) in the same transaction
    return added, updated


def common_site(db: sqlite_utils.Database, host: str) -> str | None:
    """The site most stored pages of `host` have (None when no page of it has one). Read through the
    index on pages (host, site) of migration 8: two index seeks when the host has one site, as it
    nearly always has (counting its pages for every new page made an import quadratic)."""
    conn = db.conn
    first = conn.execute("select site from pages where host = ? and site is not null order by site limit 1", [host]).fetchone()
    if first is None:
        return None
    if conn.execute("select 1 from pages where host = ? and site > ? limit 1", [host, first[0]]).fetchone() is None:
        return str(first[0])
    row = conn.execute("select site, count(*) n from pages where host = ? and site is not null group by site "
                       "order by n desc limit 1", [host]).fetchone()
    return str(row[0]) if row else None


def record_failure(db: sqlite_utils.Database, url: str, error: str, run_id: int, status: int | None = None,
                   site: str = "") -> None:
    """A page that failed: its row says why; its stored essays (if any) stay as they were."""
    with db.conn:
        if db.table("pages").count_where("url = ?", [url]):
            db.table("pages").update(url, {"error": error, "status": status, "run_id": run_id, "fetched_at": now()})
        else:
            host = urlsplit(url).hostname if url.lower().startswith(("http://", "https://")) else None
            db.table("pages").insert({"url": url, "error": error, "status": status, "run_id": run_id, "fetched_at": now(),
                                      "essay_count": 0, "host": host or None, "site": site or host or None})


def mark_error(db: sqlite_utils.Database, url: str, error: str, run_id: int) -> None:
    """Note on a stored page that a later run could not redo it (its fetch facts and essays stay as they were)."""
    with db.conn:
        db.execute("update pages set error = ?, run_id = ? where url = ?", [error, run_id, url])


def mark_gone(db: sqlite_utils.Database, url: str, status: int, run_id: int) -> bool:
    """A stored page that now answers 404 or 410: the page and its essays get `gone` (the date it was
    first found gone), never kept silently as current. Returns False for a page never stored whole."""
    with db.conn:
        found = db.execute("select gone from pages where url = ? and error is null", [url]).fetchone()
        if found is None:
            return False
        when = found[0] or now()
        db.execute("update pages set gone = ?, status = ?, run_id = ?, fetched_at = ? where url = ?", [when, status, run_id, now(), url])
        db.execute("update essays set gone = ? where page_url = ? and gone is not ?", [when, url, when])
    return True


def _put_raw(conn: sqlite3.Connection, url: str, body: bytes, content_type: str, encoding: str, fetched_at: str) -> None:
    _upsert(conn, "raw", {"url": url, "fetched_at": fetched_at, "content_type": content_type, "encoding": encoding,
                          "body": zlib.compress(body, 6), "warc_file": None, "warc_offset": None, "warc_length": None}, "url")


def save_raw(db: sqlite_utils.Database, url: str, body: bytes, content_type: str, encoding: str) -> None:
    """Keep a raw response on its own (a later part of a multi-page article), for `pipeline reprocess`."""
    with db.conn:
        _put_raw(db.conn, url, body, content_type, encoding, now())


def raw_body(db: sqlite_utils.Database, url: str) -> tuple[bytes, str] | None:
    """A stored raw response: (body bytes, content type), or None (none kept, or only a pointer: see
    raw_pointer). A damaged body raises zlib.error (or ValueError); a fault of the database itself,
    StorageFault."""
    try:
        row = db.execute("select body, content_type from raw where url = ?", [url]).fetchone()
    except sqlite3.Error as exc:
        if faults.is_fault(exc):
            raise faults.to_error(exc, faults.conn_path(db.conn), midway=True) from None
        raise ValueError(str(exc)) from None  # a value SQLite cannot hand back (text that is not UTF-8)
    return (zlib.decompress(row[0]), row[1] or "") if row and row[0] is not None else None


@dataclass(frozen=True)
class RawPointer:
    """Where a raw response sits in a WARC file: the record at `offset`, `length` bytes long (gzip member or plain)."""

    file: str
    offset: int
    length: int
    content_type: str = ""


def raw_pointer(db: sqlite_utils.Database, url: str) -> RawPointer | None:
    """The WARC pointer of a page stored without a copy of its body, or None."""
    row = db.execute("select warc_file, warc_offset, warc_length, content_type from raw where url = ? and body is null "
                     "and warc_file is not null", [url]).fetchone()
    return RawPointer(row[0], int(row[1]), int(row[2]), row[3] or "") if row else None


def duplicate_of(
    db: sqlite_utils.Database, essay_id: str, text: str, sha1: str, page_url: str, threshold: float, unchanged: bool = False,
    computed: bytes | None = None,
) -> str | None:
    """The first stored essay of another page that this one copies (exactly, or nearly), indexing this one.

    Exact copies are found by `text_sha1`; near copies by MinHash LSH (see `dedupe`, `lsh`), checked
    against `threshold`. The essay's own signature and band keys are (re)written here.
    """
    own = db.conn.execute("select rowid from essays where id = ?", [essay_id]).fetchone()
    return _duplicate_of(db.conn, essay_id, text, sha1, page_url, threshold, unchanged, computed, int(own[0]) if own else None)


def _duplicate_of(
    conn: sqlite3.Connection, essay_id: str, text: str, sha1: str, page_url: str, threshold: float, unchanged: bool,
    computed: bytes | None, rowid: int | None,
) -> str | None:
    """`duplicate_of` for an essay whose stored row has `rowid` (None: not stored yet)."""
    stored = conn.execute("select sig from essay_sigs where essay_id = ?", [essay_id]).fetchone()
    keep = stored is not None and unchanged  # the same text: its signature and band keys stay as they are
    blob = stored[0] if keep else computed  # a signature computed elsewhere (a Dask worker) is used as is
    sig = dedupe.from_blob(blob) if blob else dedupe.signature(text)
    keys = dedupe.band_keys(sig)
    # Only essays stored before this one count (all of them when it is new): a re-save then finds
    # what the first save found. An exact copy stored *later* must not hide an older near copy.
    before = rowid if rowid is not None else 2 ** 63 - 1
    exact = conn.execute(
        "select id from essays where text_sha1 = ? and id != ? and page_url != ? and rowid < ? order by rowid limit 1",
        [sha1, essay_id, page_url, before],
    ).fetchone()
    found: str | None = exact[0] if exact else None
    if found is None:
        for other_id, _, other in lsh.candidates(conn, keys, page_url, before):
            if dedupe.similarity(sig, dedupe.from_blob(other)) >= threshold:
                found = other_id
                break
    if not keep:
        if stored is not None:  # the keys of the text it had (band keys are found through the signature)
            lsh.forget(conn, essay_id, dedupe.band_keys(dedupe.from_blob(stored[0])))
        conn.execute("insert or replace into essay_sigs (essay_id, sig) values (?, ?)", [essay_id, dedupe.to_blob(sig)])
        lsh.put(conn, essay_id, keys)
    return found
