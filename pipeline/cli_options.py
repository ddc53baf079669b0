"""Options and messages shared by the `pipeline` commands: --db, errors mapped to exit statuses."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from pipeline.errors import Interrupted, PipelineError

DEFAULT_DB = "output/essays.db"


def fail(exc: PipelineError | Interrupted) -> NoReturn:
    """One line on stderr, then the exit status of the error's class (see README "Exit statuses")."""
    if isinstance(exc, Interrupted):
        end_progress()
        click.echo(f"interrupted: {exc.summary or exc.name}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)


def db_option(f: Any) -> Any:
    return click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                        help="SQLite database file.")(f)


def end_progress() -> None:
    if sys.stderr.isatty():
        click.echo("", err=True)
