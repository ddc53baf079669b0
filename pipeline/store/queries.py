"""Read-side queries for the CLI: full-text search of the essays."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.store import search_index
from pipeline.store.database import open_db


def run_search(db_path: str | Path, query: str, limit: int = 20) -> tuple[list[search_index.Hit], list[str]]:
    """Open the database, index whatever is queued and search; returns (hits, notes for the user).

    Raises ConfigError for a missing database, QueryError for a query with nothing to search.
    """
    path = Path(db_path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}: import something first (pipeline import PATH --db {path})")
    notes = []
    if len(query) > search_index.MAX_QUERY_CHARS:
        notes.append(f"the query is {len(query)} characters long; only its first {search_index.MAX_QUERY_CHARS} are searched")
    if len([t for t in search_index.split_terms(query[:search_index.MAX_QUERY_CHARS]) if search_index.searchable(t)]) > search_index.MAX_TERMS:
        notes.append(f"only the first {search_index.MAX_TERMS} words of the query are searched")
    db = open_db(path)
    try:
        search_index.catch_up(db)
        return search_index.search(db, query, limit), notes
    finally:
        db.conn.close()
