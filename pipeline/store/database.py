"""The database file: opened in WAL mode and migrated to the current schema."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from pipeline.errors import ConfigError, PipelineError, StoreError
from pipeline.store import faults, migrations, search_index
from pipeline.store.batch import BatchConnection


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating when needed) the database, in WAL mode, with the project's schema.

    Raises StoreError (a refused or unwritable file: nothing was written) or DatabaseDamaged."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    timeout = faults.busy_timeout()
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False, factory=BatchConnection)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        migrations.check(conn, str(path))  # refuse another program's file before writing anything
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        migrations.migrate(db, str(path))
        search_index.ensure_fts(db)  # the index has its own version: rebuilt when its tokenising changed
    except PipelineError:
        conn.close()
        raise
    except (OSError, sqlite3.Error) as exc:
        conn.close()
        raise faults.to_error(exc, path, midway=False) from None
    return db


def open_readonly(path: str | Path) -> tuple[sqlite3.Connection, list[str]]:
    """Open an existing project database for reading only (`serve`, `search`): nothing is created,
    migrated or indexed. Returns the connection and notes for the user (an older schema, a search
    index that is missing, stale or behind: `pipeline index` fixes each).

    Raises ConfigError for a missing or empty file, StoreError for one that cannot be read or is
    another program's (ForeignDatabase).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}: import something first (pipeline import PATH --db {path})")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        version = migrations.check(conn, str(path))
        if not conn.execute("select 1 from sqlite_master where type = 'table' and name = 'essays'").fetchone():
            conn.close()
            raise ConfigError(f"the database {path} is empty: import something first (pipeline import PATH --db {path})")
        notes = []
        if version < migrations.SCHEMA_VERSION:
            notes.append(f"the database {path} has schema version {version}, older than {migrations.SCHEMA_VERSION}: "
                         f"`pipeline index --db {path}` (or any write command) brings it up to date")
        problem = index_problem(conn)
        if problem:
            notes.append(f"{problem}: run `pipeline index --db {path}`")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read database {path}: {exc}") from None
    return conn, notes


def index_problem(conn: sqlite3.Connection) -> str:
    """What is wrong with the search index, read without writing: missing, stale, or behind; '' when current."""
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    if search_index.FTS not in names or search_index.PENDING not in names:
        return "the search index is missing"
    if not search_index.fts_ready(conn):
        return "the search index was built by an older version (stale)"
    behind = int(conn.execute(f"select count(*) from [{search_index.PENDING}]").fetchone()[0])
    if behind:
        return f"the search index is behind by {behind} essays written by another program"
    return ""


def rebuild_index(path: str | Path) -> int:
    """`pipeline index`: migrate the database and rebuild its search index from the essays; returns
    how many essays were indexed."""
    db = open_db(path)
    try:
        return search_index.rebuild(db)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot rebuild the search index of {path}: {exc}") from None
    finally:
        db.conn.close()


def backup(path: str | Path, dest: str | Path) -> tuple[Path, int]:
    """`pipeline backup`: a consistent copy of the database through SQLite's online backup API, taken
    in one step from a read snapshot, so a crawl writing meanwhile neither waits nor tears the copy.
    The copy is written beside `dest` and renamed into place, in rollback-journal mode (one file).
    Returns the copy's path and size in bytes. Refuses to overwrite an existing file."""
    path, dest = Path(path), Path(dest)
    if dest.is_dir():
        dest = dest / path.name
    if dest.exists():
        raise ConfigError(f"{dest} exists: give a new file name (a backup never overwrites)")
    if dest.resolve() == path.resolve():
        raise ConfigError("the backup must go to another file")
    source, _ = open_readonly(path)
    tmp = dest.with_name(dest.name + ".part")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        target = sqlite3.connect(str(tmp))
        try:
            source.backup(target)  # pages=-1: every page in one step, from one snapshot
            target.execute("PRAGMA journal_mode = DELETE")
            check = target.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target.close()
        if check != "ok":
            raise StoreError(f"the backup of {path} failed its check: {check}")
        tmp.replace(dest)
    except (OSError, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot back up {path} to {dest}: {exc}") from None
    finally:
        source.close()
    return dest, dest.stat().st_size
