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
from pipeline.store import lsh, schema, search_index, site_chrome, url_migration

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


# essays as rebuilt by migration 3: an explicit INTEGER PRIMARY KEY (kept by VACUUM, the search index's key),
# the stable text id unique, and the essay's site identity (host always; site = the crawl's site name or the host)
_ESSAYS_V3 = """CREATE TABLE [{name}] (
   [num] INTEGER PRIMARY KEY,
   [id] TEXT NOT NULL UNIQUE,
   [page_url] TEXT REFERENCES [pages]([url]),
   [position] INTEGER,
   [title] TEXT,
   [text] TEXT,
   [chars] INTEGER,
   [text_sha1] TEXT,
   [duplicate_of] TEXT,
   [host] TEXT,
   [site] TEXT,
   [category] TEXT,
   [published] TEXT,
   [script] TEXT
)"""
_ESSAY_COPY = ["id", "page_url", "position", "title", "text", "chars", "text_sha1", "duplicate_of", "site", "category",
               "published", "script"]


def _host_sql(url: str) -> str:
    """SQL: the host of an http(s) URL column (lower case, without port or user), else NULL."""
    rest = f"substr({url}, instr({url}, '://') + 3)"
    upto = f"(case when instr({rest}, '/') then substr({rest}, 1, instr({rest}, '/') - 1) else {rest} end)"
    no_user = f"substr({upto}, instr({upto}, '@') + 1)"
    no_port = (f"(case when {no_user} like '[%' then substr({no_user}, 2, instr({no_user}, ']') - 2) "
               f"when instr({no_user}, ':') then substr({no_user}, 1, instr({no_user}, ':') - 1) else {no_user} end)")
    return f"(case when lower({url}) like 'http://%' or lower({url}) like 'https://%' then lower({no_port}) end)"


def _v3_essay_key_and_site(db: sqlite_utils.Database) -> None:
    """essays rebuilt with `num INTEGER PRIMARY KEY` (= the old rowid, so the search index and every id stay
    valid); pages and essays get `host`, and `site` becomes the crawl's site name where the frontier knows it."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        page_cols = {r[1] for r in conn.execute("PRAGMA table_info([pages])")}
        if "host" not in page_cols:
            conn.execute("ALTER TABLE [pages] ADD COLUMN [host] TEXT")
        conn.execute(f"UPDATE [pages] SET [host] = coalesce({_host_sql('[url]')}, nullif([site], '')) WHERE [host] IS NULL")
        if conn.execute("select 1 from sqlite_master where type = 'table' and name = 'frontier'").fetchone():
            conn.execute("UPDATE [pages] SET [site] = (select f.[site] from [frontier] f where f.[url] = [pages].[url]) "
                         "WHERE [url] IN (select [url] from [frontier] where [site] is not null and [site] != '')")
        conn.execute("UPDATE [pages] SET [site] = nullif([host], '') WHERE [site] IS NULL OR [site] = ''")
        essay_cols = {r[1] for r in conn.execute("PRAGMA table_info([essays])")}
        if "num" not in essay_cols:
            conn.execute(_ESSAYS_V3.format(name="essays_v3"))
            cols = ", ".join(f"[{c}]" for c in _ESSAY_COPY)
            conn.execute(f"INSERT INTO [essays_v3] ([num], {cols}) SELECT rowid, {cols} FROM [essays] ORDER BY rowid")
            conn.execute("DROP TABLE [essays]")  # its triggers and indexes go with it
            conn.execute("ALTER TABLE [essays_v3] RENAME TO [essays]")
            search_index.install_triggers(conn)
        for index in ("page_url, position", "text_sha1", "site", "duplicate_of"):
            conn.execute(f"CREATE INDEX IF NOT EXISTS [idx_essays_{index.replace(', ', '_')}] ON [essays] ({index})")
        conn.execute("UPDATE [essays] SET [host] = (select p.[host] from [pages] p where p.[url] = [essays].[page_url]), "
                     "[site] = (select p.[site] from [pages] p where p.[url] = [essays].[page_url]) WHERE [host] IS NULL")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _v4_change_times(db: sqlite_utils.Database) -> None:
    """essays.changed_at (when the row last changed: `export --since`) and pages.extractor_version
    (the extraction that made the page's essays: `reprocess --outdated`); rows written before stay null."""
    if "changed_at" not in db.table("essays").columns_dict:
        db.table("essays").add_column("changed_at", str)
    if "extractor_version" not in db.table("pages").columns_dict:
        db.table("pages").add_column("extractor_version", int)
    db.table("essays").create_index(["changed_at"], if_not_exists=True)


def _v5_canonical_urls(db: sqlite_utils.Database) -> None:
    url_migration.canonical_urls(db)


def _v6_site_chrome(db: sqlite_utils.Database) -> None:
    site_chrome.ensure(db)


def _v7_run_truth(db: sqlite_utils.Database) -> None:
    schema.ensure_run_truth(db)


def _v8_fewer_writes(db: sqlite_utils.Database) -> None:
    """The band keys in two levels (see `lsh`) and the search index merging 16 segments at a time
    (see `search_index.tune`): what made a bulk import write many times what it stores; an index on
    pages (host, site)."""
    lsh.create(db.conn)
    with db.conn:  # the site of a new page's host, found by index (`pages.common_site`)
        db.conn.execute("CREATE INDEX IF NOT EXISTS [idx_pages_host_site] ON [pages] ([host], [site])")
    if search_index.fts_ready(db.conn):
        with db.conn:
            search_index.tune(db.conn)


Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]

MIGRATIONS: list[Migration] = [
    (1, "pages, essays, runs, raw, signatures, LSH bands and the search index", _v1_base_schema),
    (2, "raw pointers into WARC files, source_failures, runs.skipped", _v2_archive_pointers),
    (3, "essays keyed on num INTEGER PRIMARY KEY (the search index's key); host and site of pages and essays",
     _v3_essay_key_and_site),
    (4, "essays.changed_at, pages.extractor_version", _v4_change_times),
    (5, "pages keyed on canonical URLs: variants merged, essay ids recomputed", _v5_canonical_urls),
    (6, "site chrome: line fingerprints per page, what each site learned, removal records", _v6_site_chrome),
    (7, "frontier in every database, runs.reason, pages.gone, essays.gone, the failures view", _v7_run_truth),
    (8, "LSH band keys in two levels (essay_lsh keyed (bkey, essay_id) WITHOUT ROWID, essay_lsh_recent); "
        "search index automerge 16; index on pages (host, site)", _v8_fewer_writes),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

# tables (with a column each) that only a database written by this project has
_OWN_TABLES = {"pages": "url", "essays": "text_sha1", "runs": "pages_fetched"}
# every table a database of this project had before the marker (migration 1's and the crawl's)
_V1_TABLES = {"runs", "pages", "essays", "raw", "essay_sigs", "essay_lsh", "frontier"}


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def version_of(conn: sqlite3.Connection) -> int | None:
    """The schema version of a project database; 0 for one written before the marker existed
    (or an empty file, or one whose first migration was cut short: only the project's tables);
    None for a file that is not the project's."""
    app_id = _pragma(conn, "application_id")
    if app_id == APPLICATION_ID:
        return _pragma(conn, "user_version")
    if app_id != 0:
        return None
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    if not tables:
        return 0
    # migration 1 commits table by table: one cut short (disk full, kill -9) leaves some of them
    if not tables & _OWN_TABLES.keys() or not all(_is_own_table(t) for t in tables):
        return None
    for table, column in _OWN_TABLES.items():
        if table not in tables:
            continue
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
        if column not in columns:
            return None
    return 0


def _is_own_table(name: str) -> bool:
    return name in _V1_TABLES or name.startswith(("essays_fts", "sqlite_"))


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
