"""Database maintenance commands of `pipeline`: `check` (integrity), `index` (rebuild the search index
that `serve` and `search` only read) and `backup` (a consistent copy through SQLite's online backup API)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.cli_options import db_option, fail, log, log_options, start
from pipeline.errors import ConfigError, PipelineError


@click.command("check")
@db_option
@log_options
def check_cmd(db: str) -> None:
    """Check the whole database: SQLite's full integrity_check and the search index's own check.

    Reads only; safe while a crawl runs. Exit status: 0 sound, 1 problems found (listed on
    stdout), 2 no such database.

    \b
    Example:
      pipeline check --db output/essays.db
    """
    from pipeline.store.health import full_check

    start()
    try:
        report = full_check(db)
    except PipelineError as exc:
        fail(exc)
    for problem in report.problems:
        click.echo(problem)
    verdict = "ok" if report.ok else f"{len(report.problems)} problems found"
    click.echo(f"checked {db} ({', '.join(report.checks)}): {verdict}", err=True)
    sys.exit(0 if report.ok else 1)


@click.command("index")
@db_option
@log_options
def index_cmd(db: str) -> None:
    """Rebuild the full-text search index from the essays (and bring the database's schema up to date).

    The write commands keep the index current; run this when `serve` or `search` says the index is
    missing, stale (built by an older version) or behind (essays written by another program).

    \b
    Example:
      pipeline index --db output/essays.db
    """
    from pipeline.store.database import rebuild_index
    from pipeline.store.lock import DbLock

    start()
    if not Path(db).is_file():
        fail(ConfigError(f"no database at {db}: import something first (pipeline import PATH --db {db})"))
    try:
        with DbLock(db):
            n = rebuild_index(db)
    except PipelineError as exc:
        fail(exc)
    log.info(f"indexed {n} essays -> {db}")


@click.command("backup")
@click.argument("dest", type=click.Path())
@db_option
@log_options
def backup_cmd(dest: str, db: str) -> None:
    """Write a consistent copy of the database to DEST (a new file, or a folder), through SQLite's
    online backup API: safe while a crawl or an import is writing. The copy is one file (no -wal).

    \b
    Examples:
      pipeline backup backups/essays-$(date +%F).db
      PIPELINE_DB=crawl.db pipeline backup /mnt/backups/
    """
    from pipeline.store.database import backup

    start()
    try:
        target, size = backup(db, dest)
    except PipelineError as exc:
        fail(exc)
    log.info(f"backed up {db} -> {target} ({size} bytes)")
