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
FRONTIER = {
    "url": str, "site": str, "depth": int, "kind": str, "state": str, "attempts": int, "next_after": float,
    "discovered_run": int, "etag": str, "last_modified": str, "error": str, "updated_run": int, "saving": int,
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


def ensure_frontier(db: sqlite_utils.Database) -> None:
    """The crawl's queue (see `pipeline.crawl.frontier`); created with the other tables so that the
    `failures` view can read it in every project database."""
    table = db.table("frontier")
    if not table.exists():
        table.create(FRONTIER, pk="url", not_null={"site", "state", "kind"}, defaults={"attempts": 0, "next_after": 0.0})
    for column, col_type in FRONTIER.items():
        if column not in table.columns_dict:
            table.add_column(column, col_type)
    db.execute("create index if not exists frontier_site_state on frontier (site, state, depth)")


# Every URL whose last attempt failed or was skipped, from pages (articles), the frontier (listing
# pages, robots.txt refusals) and source_failures (a malformed archive record: file@offset), with the
# run that tried it: `select * from failures where run_id = N`.
FAILURES_VIEW = """
CREATE VIEW IF NOT EXISTS failures AS
SELECT p.run_id AS run_id, p.url AS url, coalesce(f.site, p.site) AS site, coalesce(f.kind, 'page') AS kind,
       CASE WHEN p.error LIKE 'skipped:%' THEN 'skipped' ELSE 'failed' END AS state, p.status AS status,
       p.error AS error, p.fetched_at AS at
  FROM pages p LEFT JOIN frontier f ON f.url = p.url WHERE p.error IS NOT NULL
UNION ALL
SELECT f.updated_run, f.url, f.site, f.kind, f.state, NULL, f.error, NULL
  FROM frontier f WHERE f.state IN ('failed', 'skipped') AND f.error IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.url = f.url AND p.error IS NOT NULL)
UNION ALL
SELECT s.run_id, s.source || coalesce('@' || s.offset, ''), NULL, 'source', 'failed', NULL, s.error, s.at
  FROM source_failures s
"""


def ensure_run_truth(db: sqlite_utils.Database) -> None:
    """Migration 7: the frontier in every database, `runs.reason` (why a run failed or was degraded),
    `pages.gone` / `essays.gone` (the date a re-crawl found the page removed: 404 or 410) and the
    `failures` view."""
    ensure_frontier(db)
    for table, column in (("runs", "reason"), ("pages", "gone"), ("essays", "gone")):
        if column not in db.table(table).columns_dict:
            db.table(table).add_column(column, str)
    db.execute(FAILURES_VIEW)
