"""Is the database file sound? The cheap checks every write run makes at its start, and the full
check `pipeline check` runs on demand.

At the start of a run (`start_checks`): the file's header (magic string, page size, a size that is
a whole number of pages), read through the run's lock descriptor, never a second one; the schema
version (`migrations.check`, in `open_db`); and `PRAGMA quick_check` when the file is at most
QUICK_CHECK_MAX_BYTES, which SQLite checks in well under a second. On demand (`full_check`): the
full `PRAGMA integrity_check` (b-trees, indexes against their tables, constraints) and the search
index's own check (`INSERT INTO essays_fts(essays_fts) VALUES('integrity-check')`), which writes
nothing but needs SQLite's write lock for its duration: while a run writes, it waits up to the busy
timeout for it, and says so when it could not run.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError, DatabaseDamaged
from pipeline.store import faults, migrations, search_index
from pipeline.store.lock import forget, identity_fd

MAGIC = b"SQLite format 3\x00"
# quick_check reads every page: an 83 MiB file took 0.2-0.5 s from the page cache, 3-4 s from a cold
# disk on the 2-core test machine (~21 MiB/s), so 16 MiB stays under a second either way (README)
QUICK_CHECK_MAX_BYTES = 16 * 1024 * 1024
MAX_REPORTED = 100


def header_problem(header: bytes, size: int) -> str:
    """What is wrong with a database file's first 100 bytes and its size ("" when nothing is)."""
    if size == 0:
        return ""  # a new, empty file: SQLite initialises it
    if len(header) < 100 or not header.startswith(MAGIC):
        return "its header is not an SQLite header"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header gives an invalid page size ({page_size})"
    if size % page_size:
        return f"its size ({size} bytes) is not a whole number of {page_size}-byte pages"
    return ""


def quick_check(conn: sqlite3.Connection, path: str | Path, size: int, max_bytes: int = QUICK_CHECK_MAX_BYTES) -> None:
    """Run `PRAGMA quick_check` when the file is small enough; raises DatabaseDamaged on a problem."""
    if size > max_bytes:
        return
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    if rows != ["ok"]:
        raise DatabaseDamaged(faults.damaged_message(path, "quick_check says: " + "; ".join(rows)))


@dataclass
class CheckReport:
    """What `pipeline check` found: each check that ran, and each problem (empty: the file is sound)."""

    path: str
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def full_check(path: str | Path) -> CheckReport:
    """Check the whole database, read-only in effect (the search index check writes nothing).

    Raises ConfigError when there is no such file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}")
    report = CheckReport(str(path))
    fd, key = identity_fd(path)  # this process's one descriptor of it: no other is opened and closed
    try:
        problem = header_problem(os.pread(fd, 100, 0), os.fstat(fd).st_size)
    finally:
        forget(key)
    report.checks.append("header")
    if problem:
        report.problems.append(f"header: {problem}")
        return report
    conn = sqlite3.connect(str(path), timeout=faults.busy_timeout())
    try:
        _run_checks(conn, report)
    finally:
        conn.close()
    return report


def _run_checks(conn: sqlite3.Connection, report: CheckReport) -> None:
    try:
        report.checks.append("schema version")
        version = migrations.version_of(conn)
        if version is None:
            report.problems.append("schema: not one of this project's databases")
        elif version > migrations.SCHEMA_VERSION:
            report.problems.append(f"schema: version {version} is newer than this program's {migrations.SCHEMA_VERSION}")
        report.checks.append("integrity_check")
        rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({MAX_REPORTED})")]
        if rows != ["ok"]:
            report.problems.extend(f"integrity_check: {r}" for r in rows)
    except sqlite3.Error as exc:
        report.problems.append(f"integrity_check: {exc}")
        return
    fts = search_index.FTS
    try:
        if conn.execute("select 1 from sqlite_master where name = ?", [fts]).fetchone() is None:
            return
        report.checks.append(f"{fts} integrity-check")
        conn.execute(f"INSERT INTO [{fts}]([{fts}]) VALUES ('integrity-check')")
    except sqlite3.Error as exc:
        if faults.primary_code(exc) in (faults.SQLITE_BUSY, faults.SQLITE_LOCKED):  # not a damaged index
            report.checks[-1] += " (not run: a writer held the database)"
        else:
            report.problems.append(f"{fts}: {exc}")
    finally:
        if conn.in_transaction:
            conn.rollback()
