"""Storage (layer 3): records -> SQLite, and back.

Takes `Result`s (a page and its essays), run counters and raw responses and writes them to one
SQLite file with sqlite-utils, in WAL mode, each page atomic (its own transaction, or a savepoint
in the larger transactions of a `batch.Batch`), idempotently: `database`
opens the file and keeps the schema, `pages` writes pages, essays, failures, raw responses and
duplicate marks (MinHash signatures from `pipeline.normalize.signatures`), `runs` the run rows,
`search_index` the Chinese-aware full-text index, `queries` the read side for the CLI, `lock` the
one-writer lock on the database, `migrations` (and `url_migration`) the numbered schema steps. Returns row counts, stored bodies and search hits.
"""

from pipeline.store.database import elapsed, now, open_db
from pipeline.store.pages import (
    RawPointer,
    common_site,
    duplicate_of,
    mark_error,
    mark_gone,
    raw_body,
    raw_pointer,
    record_failure,
    save_raw,
    save_result,
)
from pipeline.store.runs import finish_run, record_source_failure, start_run
from pipeline.store.schema import ESSAYS, PAGES, RAW, RUNS, ensure_schema

__all__ = [
    "ESSAYS", "PAGES", "RAW", "RUNS", "duplicate_of", "elapsed", "ensure_schema", "finish_run", "now", "open_db", "raw_body", "record_failure", "save_raw",
    "save_result", "start_run", "RawPointer", "common_site", "raw_pointer", "record_source_failure", "mark_error", "mark_gone",
]
