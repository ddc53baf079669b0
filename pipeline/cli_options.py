"""Options and messages shared by the `pipeline` commands: --db (and $PIPELINE_DB), -v/-q/--log-file,
errors mapped to exit statuses, and the end-of-run summary that names failures."""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

import click

from pipeline.errors import ConfigError, Interrupted, PipelineError

DEFAULT_DB = "output/essays.db"
SHOWN_FAILURES = 20  # failures named one by one in a summary (all of them with -v)
log = logging.getLogger("pipeline")


def fail(exc: PipelineError | Interrupted) -> NoReturn:
    """One line on stderr, then the exit status of the error's class (2 usage or config, 3 locked,
    4 storage fault, 130/143 interrupted; see README "Exit statuses")."""
    if isinstance(exc, Interrupted):
        log.error(f"interrupted: {exc.summary or exc.name}")
    else:
        log.error(f"error: {exc}")
    sys.exit(exc.exit_code)


def db_option(f: Any) -> Any:
    return click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), envvar="PIPELINE_DB",
                        show_envvar=True, help="SQLite database file (default from $PIPELINE_DB when set).")(f)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value:  # given on the group or on the command: either counts
        ctx.meta.setdefault("pipeline.log", {})[param.name] = value
    return value


def log_options(f: Any) -> Any:
    """-v/--verbose, -q/--quiet and --log-file, accepted before or after the command's name."""
    for option in reversed([
        click.option("-v", "--verbose", count=True, expose_value=False, callback=_remember,
                     help="Say more: every failure by name, debug messages."),
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                     help="Only warnings and errors: no progress, no summary of a sound run."),
        click.option("--log-file", type=click.Path(dir_okay=False), expose_value=False, callback=_remember,
                     help="Also write every message, with times, to this file (appended)."),
    ]):
        f = option(f)
    return f


def start() -> dict[str, Any]:
    """Set up the messages of the running command from its options; returns them (verbose, quiet, log_file)."""
    from pipeline.cli_progress import setup_logging

    given: dict[str, Any] = click.get_current_context().meta.get("pipeline.log", {})
    opts: dict[str, Any] = {"verbose": 0, "quiet": False, "log_file": None} | given
    if opts["verbose"] and opts["quiet"]:
        fail(ConfigError("give -v or -q, not both"))
    try:
        setup_logging(opts["verbose"], opts["quiet"], opts["log_file"])
    except OSError as exc:
        fail(ConfigError(f"cannot write the log file {opts['log_file']}: {exc.strerror or exc}"))
    return opts


def summarize(failures: list[str], run_id: int, db: str, summary: str, sound: bool, verbose: int) -> None:
    """Name the failures (all with -v, else the first SHOWN_FAILURES and where to query the rest),
    then the summary line: info for a sound run, a warning otherwise (so --quiet still shows it)."""
    shown = failures if verbose else failures[:SHOWN_FAILURES]
    for line in shown:
        log.warning(f"failed: {line}")
    if len(failures) > len(shown):
        log.warning(f"... and {len(failures) - len(shown)} more failures: every one is in the failures view: "
                    f"sqlite3 {db} \"select url, error from failures where run_id = {run_id}\" (or -v)")
    if sound:
        log.info(summary)
    else:
        log.warning(summary)


def report_crawl(report: Any, db: str, verbose: int) -> None:
    """After a crawl (or a URL list): the failures, then the summary line (with the reason of a failed or degraded run)."""
    summarize(report.stats.failures, report.run_id, db, report.summary(db), report.exit_code == 0 and not report.nothing_stored,
              verbose)
