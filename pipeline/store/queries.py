"""Read-side queries for the CLI: full-text search of the essays."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.store import search_index
from pipeline.store.database import open_readonly


def run_search(db_path: str | Path, query: str, limit: int = 20) -> tuple[list[search_index.Hit], list[str]]:
    """Open the database read-only and search; returns (hits, notes for the user: a long query cut,
    an index that is stale or behind).

    Raises ConfigError for a missing database, QueryError for a query with nothing to search.
    """
    path = Path(db_path)
    notes = []
    if len(query) > search_index.MAX_QUERY_CHARS:
        notes.append(f"the query is {len(query)} characters long; only its first {search_index.MAX_QUERY_CHARS} are searched")
    if len([t for t in search_index.split_terms(query[:search_index.MAX_QUERY_CHARS]) if search_index.searchable(t)]) > search_index.MAX_TERMS:
        notes.append(f"only the first {search_index.MAX_TERMS} words of the query are searched")
    conn, problems = open_readonly(path)  # a search never writes: no tables created, no index rebuilt
    try:
        if any(p.startswith("the search index is missing") for p in problems):
            raise ConfigError(f"the database {path} has no search index: run `pipeline index --db {path}` first")
        return search_index.search(conn, query, limit), notes + problems
    finally:
        conn.close()
