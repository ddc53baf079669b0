"""SQLite storage with sqlite-utils: schema, idempotent upserts, runs."""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlite_utils

from . import dedupe
from .errors import StoreError
from .models import Result, RunStats

PAGES = {
    "url": str, "final_url": str, "site": str, "status": int, "fetched_at": str, "etag": str,
    "last_modified": str, "content_sha1": str, "encoding": str, "title": str, "published": str,
    "breadcrumb": str, "category": str, "summary": str, "author": str, "source": str, "essay_count": int,
    "expected_count": int, "incomplete": str, "split_form": str, "parts": str, "error": str, "run_id": int,
}
ESSAYS = {
    "id": str, "page_url": str, "position": int, "title": str, "text": str, "chars": int, "text_sha1": str,
    "duplicate_of": str, "site": str, "category": str, "published": str, "script": str,
}
RUNS = {
    "id": int, "kind": str, "started": str, "finished": str, "config": str, "pages_fetched": int,
    "pages_unchanged": int, "pages_failed": int, "essays_added": int, "essays_updated": int, "status": str,
}
RAW = {"url": str, "fetched_at": str, "content_type": str, "encoding": str, "body": bytes}
SIGS = {"essay_id": str, "sig": bytes}
LSH = {"bkey": int, "essay_id": str}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating when needed) the database, in WAL mode, with the project's schema."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        ensure_schema(db)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the tables and indexes that are missing; add columns that are missing."""
    tables: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
        ("runs", RUNS, "id", {}),
        ("pages", PAGES, "url", {}),
        ("essays", ESSAYS, "id", {"foreign_keys": [("page_url", "pages", "url")]}),
        ("raw", RAW, "url", {}),
        ("essay_sigs", SIGS, "essay_id", {}),
    ]
    for name, columns, pk, extra in tables:
        table = db.table(name)
        if not table.exists():
            table.create(columns, pk=pk, **extra)
        else:
            missing = {c: t for c, t in columns.items() if c not in table.columns_dict}
            for column, col_type in missing.items():
                table.add_column(column, col_type)
    db.table("essays").create_index(["page_url", "position"], if_not_exists=True)
    db.table("essays").create_index(["text_sha1"], if_not_exists=True)
    db.table("essays").create_index(["site"], if_not_exists=True)
    db.table("pages").create_index(["run_id"], if_not_exists=True)
    from . import search

    search.ensure_fts(db)  # essays_fts: the Chinese-aware full-text index, kept in sync by triggers + search.sync
    if not db.table("essay_lsh").exists():
        db.table("essay_lsh").create(LSH)
    db.table("essay_lsh").create_index(["bkey"], if_not_exists=True)
    db.table("essay_lsh").create_index(["essay_id"], if_not_exists=True)


def start_run(db: sqlite_utils.Database, kind: str, config: dict[str, Any]) -> int:
    row = {"kind": kind, "started": now(), "config": json.dumps(config, ensure_ascii=False), "status": "running"}
    with db.conn:
        return int(db.table("runs").insert(row).last_pk or 0)


def finish_run(db: sqlite_utils.Database, run_id: int, stats: RunStats, status: str) -> None:
    with db.conn:
        db.table("runs").update(run_id, {
            "finished": now(), "pages_fetched": stats.pages_fetched, "pages_unchanged": stats.pages_unchanged,
            "pages_failed": stats.pages_failed, "essays_added": stats.essays_added,
            "essays_updated": stats.essays_updated, "status": status,
        })


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
) -> tuple[int, int]:
    """Store a page and its essays in one transaction; returns (essays added, essays updated).

    Re-saving a page replaces its essays: the same essays keep their ids, extra old ones go, and
    rows that did not change are not written again (so the search index has nothing to redo).
    A database error rolls the whole page back and raises StoreError.
    """
    page = result.page
    info = fetch_info or {}
    conn = db.conn
    try:
        return _save(db, conn, result, run_id, info, raw, near_threshold)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot store {page.url}: {exc}") from None


def _save(
    db: sqlite_utils.Database, conn: sqlite3.Connection, result: Result, run_id: int, info: dict[str, Any],
    raw: tuple[bytes, str] | None, near_threshold: float,
) -> tuple[int, int]:
    from . import search

    page = result.page
    added = updated = 0
    with conn:  # plain SQL only inside: sqlite-utils' table methods would commit part-way
        row = {
            "url": page.url, "final_url": info.get("final_url", page.url), "site": page.site,
            "status": info.get("status"), "fetched_at": info.get("fetched_at", now()), "etag": info.get("etag"),
            "last_modified": info.get("last_modified"), "content_sha1": info.get("content_sha1"),
            "encoding": page.encoding, "title": page.title, "published": page.published or None,
            "breadcrumb": json.dumps(list(page.breadcrumb), ensure_ascii=False), "category": page.category,
            "summary": page.summary, "author": page.author, "source": page.source,
            "essay_count": len(result.essays), "expected_count": result.expected_count,
            "incomplete": result.incomplete or None, "split_form": result.split_form,
            "parts": json.dumps(list(page.parts)) if page.parts else None, "error": page.error or None,
            "run_id": run_id,
        }
        _upsert(conn, "pages", row, "url")
        if raw is not None:
            _put_raw(conn, page.url, raw[0], raw[1], page.encoding, row["fetched_at"])
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
            dup = duplicate_of(db, essay.id, essay.text, essay.text_sha1, page.url, near_threshold, same_text)
            new = {
                "id": essay.id, "page_url": page.url, "position": essay.position, "title": essay.title,
                "text": essay.text, "chars": essay.chars, "text_sha1": essay.text_sha1,
                "duplicate_of": dup, "site": page.site, "category": page.category,
                "published": page.published or None, "script": essay.script,
            }
            if prev is None or any(prev.get(k) != v for k, v in new.items()):
                _upsert(conn, "essays", new, "id")
        gone = [i for i in old if i not in {e.id for e in result.essays}]
        if gone:
            marks = ",".join("?" * len(gone))
            conn.execute(f"delete from essays where id in ({marks})", gone)
            conn.execute(f"delete from essay_sigs where essay_id in ({marks})", gone)
            conn.execute(f"delete from essay_lsh where essay_id in ({marks})", gone)
        search.sync(db)  # index this page's new and changed essays (queued by triggers) in the same transaction
    return added, updated


def record_failure(db: sqlite_utils.Database, url: str, error: str, run_id: int, status: int | None = None) -> None:
    """A page that failed: its row says why; its stored essays (if any) stay as they were."""
    with db.conn:
        if db.table("pages").count_where("url = ?", [url]):
            db.table("pages").update(url, {"error": error, "status": status, "run_id": run_id, "fetched_at": now()})
        else:
            db.table("pages").insert({"url": url, "error": error, "status": status, "run_id": run_id, "fetched_at": now(),
                                "essay_count": 0})


def _put_raw(conn: sqlite3.Connection, url: str, body: bytes, content_type: str, encoding: str, fetched_at: str) -> None:
    _upsert(conn, "raw", {"url": url, "fetched_at": fetched_at, "content_type": content_type, "encoding": encoding,
                          "body": zlib.compress(body, 6)}, "url")


def save_raw(db: sqlite_utils.Database, url: str, body: bytes, content_type: str, encoding: str) -> None:
    """Keep a raw response on its own (a later part of a multi-page article), for `pipeline reprocess`."""
    with db.conn:
        _put_raw(db.conn, url, body, content_type, encoding, now())


def raw_body(db: sqlite_utils.Database, url: str) -> tuple[bytes, str] | None:
    """A stored raw response: (body bytes, content type), or None."""
    row = db.execute("select body, content_type from raw where url = ?", [url]).fetchone()
    return (zlib.decompress(row[0]), row[1] or "") if row else None


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def duplicate_of(
    db: sqlite_utils.Database, essay_id: str, text: str, sha1: str, page_url: str, threshold: float, unchanged: bool = False,
) -> str | None:
    """The first stored essay of another page that this one copies (exactly, or nearly), indexing this one.

    Exact copies are found by `text_sha1`; near copies by MinHash LSH (see `dedupe`), checked
    against `threshold`. The essay's own signature and band keys are (re)written here.
    """
    stored = db.execute("select sig from essay_sigs where essay_id = ?", [essay_id]).fetchone() if unchanged else None
    sig = dedupe.from_blob(stored[0]) if stored else dedupe.signature(text)
    keys = dedupe.band_keys(sig)
    own = db.execute("select rowid from essays where id = ?", [essay_id]).fetchone()
    own_rowid = own[0] if own else None
    exact = db.execute(
        "select id, rowid from essays where text_sha1 = ? and id != ? and page_url != ? order by rowid limit 1",
        [sha1, essay_id, page_url],
    ).fetchone()
    found: tuple[str, int] | None = (exact[0], exact[1]) if exact else None
    if found is None:
        marks = ",".join("?" * len(keys))
        rows = db.execute(
            f"select distinct e.id, e.rowid, s.sig from essay_lsh l join essays e on e.id = l.essay_id "
            f"join essay_sigs s on s.essay_id = e.id where l.bkey in ({marks}) and e.page_url != ? order by e.rowid",
            [*keys, page_url],
        ).fetchall()
        for other_id, rowid, blob in rows:
            if dedupe.similarity(sig, dedupe.from_blob(blob)) >= threshold:
                found = (other_id, rowid)
                break
    if stored is None:
        db.execute("delete from essay_lsh where essay_id = ?", [essay_id])
        db.execute("insert or replace into essay_sigs (essay_id, sig) values (?, ?)", [essay_id, dedupe.to_blob(sig)])
        db.conn.executemany("insert into essay_lsh (bkey, essay_id) values (?, ?)", [(k, essay_id) for k in keys])
    if found is None or (own_rowid is not None and own_rowid < found[1]):
        return None
    return found[0]
