"""Migration: pages keyed on canonical URLs (`pipeline.text.urls`), essay ids recomputed from them.

A database written before URLs were canonicalised may hold one resource as several pages
(`a b.html` and `a%20b.html`, `?utm_source=` variants, `//p.html`, `:80`). Each group of pages
whose URLs canonicalise to one is merged into the page fetched last without an error (else the
last fetched): the other pages' essays, signatures, band keys and raw bodies go, the kept page
takes the canonical URL, its essays the ids `sha1(canonical#position)`, and every `duplicate_of`
that named an old id names the new one (for an essay that went, its counterpart on the kept page,
when that one was stored earlier; else none). The search index follows through its triggers and queue; the frontier's
rows are merged the same way. One transaction: a kill leaves the database as it was, and a
second run finds nothing to do.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict

import sqlite_utils

from pipeline.store import search_index as search
from pipeline.text.urls import safe_canonical


def essay_id(page_url: str, position: int) -> str:
    """The id of an essay (as `models.Essay.id` computes it)."""
    return hashlib.sha1(f"{page_url}#{position}".encode()).hexdigest()[:16]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def _lsh_tables(conn: sqlite3.Connection) -> list[str]:
    """The band-key tables: essay_lsh, and essay_lsh_recent in a database that already has it
    (migration 8's layout, when this migration is run again on it)."""
    return ["essay_lsh", *(["essay_lsh_recent"] if "essay_lsh_recent" in _tables(conn) else [])]


def _groups(conn: sqlite3.Connection, table: str, order: str) -> dict[str, list[str]]:
    """canonical URL -> the table's URLs that canonicalise to it (best first), where that is not just itself."""
    groups: dict[str, list[str]] = defaultdict(list)
    for (url,) in conn.execute(f"select url from [{table}] where url like 'http%' order by {order}"):
        canon = safe_canonical(url)
        if canon is not None:
            groups[canon].append(url)
    return {c: urls for c, urls in groups.items() if urls != [c]}


def _merge_pages(conn: sqlite3.Connection, canon: str, urls: list[str], renamed: dict[str, str]) -> None:
    keep, drop = urls[0], urls[1:]
    lsh_tables = _lsh_tables(conn)
    kept = {p for (p,) in conn.execute("select position from essays where page_url = ?", [keep])}
    for url in drop:
        for old_id, position in conn.execute("select id, position from essays where page_url = ?", [url]).fetchall():
            renamed[old_id] = essay_id(canon, position) if position in kept else ""  # its counterpart on the kept page
            conn.execute("delete from essay_sigs where essay_id = ?", [old_id])
            for table in lsh_tables:
                conn.execute(f"delete from [{table}] where essay_id = ?", [old_id])
        conn.execute("delete from essays where page_url = ?", [url])
        conn.execute("delete from pages where url = ?", [url])
    raw_urls = [u for u in urls if conn.execute("select 1 from raw where url = ?", [u]).fetchone()]
    for url in raw_urls[1:]:  # the raw body of the best page stays
        conn.execute("delete from raw where url = ?", [url])
    if raw_urls and raw_urls[0] != canon:
        conn.execute("update raw set url = ? where url = ?", [canon, raw_urls[0]])
    conn.execute("update pages set url = ? where url = ?", [canon, keep])
    for old_id, position in conn.execute("select id, position from essays where page_url = ?", [keep]).fetchall():
        new_id = essay_id(canon, position)
        renamed[old_id] = new_id
        if new_id != old_id:
            conn.execute("update essays set id = ?, page_url = ? where id = ?", [new_id, canon, old_id])
            conn.execute("update essay_sigs set essay_id = ? where essay_id = ?", [new_id, old_id])
            for table in lsh_tables:
                conn.execute(f"update [{table}] set essay_id = ? where essay_id = ?", [new_id, old_id])
        else:
            conn.execute("update essays set page_url = ? where id = ?", [canon, old_id])


def _fix_duplicates(conn: sqlite3.Connection, renamed: dict[str, str]) -> None:
    """Point every duplicate_of that named an old id at the new one (for an essay that went, its
    counterpart on the kept page); an essay is only ever a copy of one stored before it."""
    rows = conn.execute("select id, rowid, duplicate_of from essays where duplicate_of is not null").fetchall()
    for own_id, own_rowid, target in rows:
        if target not in renamed:
            continue
        new = renamed[target]
        found = conn.execute("select rowid from essays where id = ?", [new]).fetchone() if new else None
        keep = new if found is not None and new != own_id and found[0] < own_rowid else None
        conn.execute("update essays set duplicate_of = ? where id = ?", [keep, own_id])


def _merge_frontier(conn: sqlite3.Connection) -> None:
    columns = {r[1] for r in conn.execute("PRAGMA table_info([frontier])")}
    order = ", ".join(([
        "case state when 'done' then 0 when 'failed' then 1 when 'skipped' then 2 else 3 end"] if "state" in columns else [])
        + (["depth"] if "depth" in columns else []) + ["rowid"])
    for canon, urls in _groups(conn, "frontier", order).items():
        for url in urls[1:]:
            conn.execute("delete from frontier where url = ?", [url])
        if urls[0] != canon:
            conn.execute("delete from frontier where url = ?", [canon])
            conn.execute("update frontier set url = ? where url = ?", [canon, urls[0]])


def canonical_urls(db: sqlite_utils.Database) -> None:
    """Migration 4 (see the module docstring)."""
    conn = db.conn
    tables = _tables(conn)
    if "pages" not in tables:
        return
    with conn:
        renamed: dict[str, str] = {}
        order = "(error is not null), fetched_at desc, rowid desc"
        for canon, urls in _groups(conn, "pages", order).items():
            _merge_pages(conn, canon, urls, renamed)
        if renamed:
            _fix_duplicates(conn, renamed)
        if "frontier" in tables:
            _merge_frontier(conn)
        if search.fts_ready(conn):
            search.sync(conn)
