"""Commands that look after the database itself: `pipeline check`."""

from __future__ import annotations

import sys

import click

from pipeline.cli_options import db_option, fail
from pipeline.errors import PipelineError


@click.command("check")
@db_option
def check_cmd(db: str) -> None:
    """Check the whole database: SQLite's full integrity_check and the search index's own check.

    Reads only; safe while a crawl runs. Exit status: 0 sound, 1 problems found (listed on
    stdout), 2 no such database.

    \b
    Example:
      pipeline check --db output/essays.db
    """
    from pipeline.store.health import full_check

    try:
        report = full_check(db)
    except PipelineError as exc:
        fail(exc)
    for problem in report.problems:
        click.echo(problem)
    verdict = "ok" if report.ok else f"{len(report.problems)} problems found"
    click.echo(f"checked {db} ({', '.join(report.checks)}): {verdict}", err=True)
    sys.exit(0 if report.ok else 1)
