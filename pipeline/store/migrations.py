"""Numbered schema migrations and the marker that says a SQLite file is the project's.

A project database carries `PRAGMA application_id` = APPLICATION_ID and its schema version in
`PRAGMA user_version`. `migrate(db)` brings any database up to SCHEMA_VERSION by running, in
order, the migrations numbered above its version; each one is idempotent, so a migration cut
short (kill -9) is simply run again. An empty file is initialised; a file written by an earlier
version of the project (its tables, no marker) is taken as version 0 and migrated; any other
SQLite file with tables is refused before anything is written.

To change the schema: append a `(number, description, function)` to MIGRATIONS; never edit one
that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from pipeline.errors import StoreError
from pipeline.store import schema, site_chrome

APPLICATION_ID = 0x45535359  # "ESSY"


class ForeignDatabase(StoreError):
    """A SQLite file that is not the project's (other tables, or another program's marker)."""


def _v1_base_schema(db: sqlite_utils.Database) -> None:
    schema.ensure_schema(db)


def _v2_archive_pointers(db: sqlite_utils.Database) -> None:
    """Raw bodies kept as pointers into WARC files (file, offset, length) instead of copies; the
    failures of a run that have no page (a malformed archive record, a bad line of a URL list);
    the counts of what a run skipped."""
    raw = db.table("raw")
    for column, col_type in (("warc_file", str), ("warc_offset", int), ("warc_length", int)):
        if column not in raw.columns_dict:
            raw.add_column(column, col_type)
    if "skipped" not in db.table("runs").columns_dict:
        db.table("runs").add_column("skipped", str)
    if not db.table("source_failures").exists():
        db.table("source_failures").create(
            {"id": int, "run_id": int, "source": str, "offset": int, "error": str, "at": str}, pk="id")
        db.table("source_failures").create_index(["run_id"], if_not_exists=True)


def _v3_site_chrome(db: sqlite_utils.Database) -> None:
    site_chrome.ensure(db)


Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]

MIGRATIONS: list[Migration] = [
    (1, "pages, essays, runs, raw, signatures, LSH bands and the search index", _v1_base_schema),
    (2, "raw pointers into WARC files, source_failures, runs.skipped", _v2_archive_pointers),
    (3, "site chrome: line fingerprints per page, what each site learned, removal records", _v3_site_chrome),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

# tables (with a column each) that only a database written by this project has
_OWN_TABLES = {"pages": "url", "essays": "text_sha1", "runs": "pages_fetched"}


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def version_of(conn: sqlite3.Connection) -> int | None:
    """The schema version of a project database; 0 for one written before the marker existed
    (or an empty file); None for a file that is not the project's."""
    app_id = _pragma(conn, "application_id")
    if app_id == APPLICATION_ID:
        return _pragma(conn, "user_version")
    if app_id != 0:
        return None
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    if not tables:
        return 0
    for table, column in _OWN_TABLES.items():
        if table not in tables:
            return None
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
        if column not in columns:
            return None
    return 0


def check(conn: sqlite3.Connection, path: str = "") -> int:
    """The database's schema version; raises ForeignDatabase for another program's file and for a
    file written by a newer version of the project."""
    version = version_of(conn)
    where = f" {path}" if path else ""
    if version is None:
        raise ForeignDatabase(f"the database{where} is not one of this project's (it holds other tables); "
                              "pass --db with a new file or one the project wrote")
    if version > SCHEMA_VERSION:
        raise ForeignDatabase(f"the database{where} has schema version {version}, newer than this program's "
                              f"{SCHEMA_VERSION}: upgrade essay-pipeline")
    return version


def migrate(db: sqlite_utils.Database, path: str = "") -> int:
    """Bring the database to SCHEMA_VERSION (see the module docstring); returns the version it had."""
    conn = db.conn
    start = check(conn, path)
    for number, _, step in MIGRATIONS:
        if number > start:
            step(db)
            with conn:
                conn.execute(f"PRAGMA user_version = {int(number)}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return start
