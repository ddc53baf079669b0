"""The tables of the project's database (columns and their types) and migration 1, which creates them."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from pipeline.store import search_index as search

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


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the tables and indexes that are missing; add columns that are missing (migration 1)."""
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
    search.ensure_fts(db)  # essays_fts: the Chinese-aware full-text index, kept in sync by triggers + search.sync
    if not db.table("essay_lsh").exists():
        db.table("essay_lsh").create(LSH)
    db.table("essay_lsh").create_index(["bkey"], if_not_exists=True)
    db.table("essay_lsh").create_index(["essay_id"], if_not_exists=True)
