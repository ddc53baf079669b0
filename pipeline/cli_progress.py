"""Progress of a long command, one API for every command (import, crawl, reprocess, batch extract,
export): on a terminal a live rich bar with done / total (or discovered), rate, ETA and failures;
off a terminal (cron, a pipe) one log line every `interval` seconds; nothing with `--quiet`.

    with track("importing", total=len(files), unit="pages") as bar:
        for f in files:
            ...
            bar.advance(failed=bool(error))
    # or, when the job counts for itself (the crawl): bar.update(done=n, total=known, failed=k)

Log lines go to the `pipeline` logger (see `setup_logging`), so `--log-file` keeps them too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

log = logging.getLogger("pipeline")
INTERVAL = 10.0  # seconds between progress lines off a terminal


class Tracker:
    """Counts of one long job; shown by a rich bar, by periodic log lines, or not at all."""

    def __init__(self, what: str, total: int | None, unit: str, bar: Any, interval: float) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.done = self.failed = 0
        self.bar, self.interval = bar, interval
        self.started = self.last_line = time.monotonic()
        self.task = bar.add_task(what, total=total, failed=0) if bar is not None else None

    def advance(self, n: int = 1, failed: bool = False) -> None:
        """`n` more items done (`failed`: the item failed)."""
        self.update(done=self.done + n, failed=self.failed + int(failed))

    def update(self, done: int | None = None, total: int | None = None, failed: int | None = None) -> None:
        """Set the counts (for a job that keeps its own, e.g. a crawl whose total grows as it discovers)."""
        if done is not None:
            self.done = done
        if total is not None:
            self.total = max(total, self.done)
        if failed is not None:
            self.failed = failed
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=self.done, total=self.total, failed=self.failed)
            return
        now = time.monotonic()
        if self.interval and now - self.last_line >= self.interval:
            self.last_line = now
            log.info(self.line())

    def line(self) -> str:
        """'importing: 120/400 pages, 35.2/s, ETA 8s, 2 failed' (the form logged off a terminal)."""
        seconds = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / seconds
        total = f"/{self.total}" if self.total is not None else " (total not known yet)"
        eta = ""
        if self.total is not None and rate > 0 and self.total > self.done:
            eta = f", ETA {_duration((self.total - self.done) / rate)}"
        return f"{self.what}: {self.done}{total} {self.unit}, {rate:.1f}/s{eta}, {self.failed} failed"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def on_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def track(what: str, total: int | None = None, unit: str = "pages", quiet: bool = False,
          interval: float = INTERVAL, live: bool | None = None) -> Iterator[Tracker]:
    """A progress display for one job (see the module docstring). `live`: force the terminal bar on
    or off (default: on when stderr is a terminal); `quiet`: nothing at all."""
    live = on_terminal() if live is None else live
    if quiet or not live:
        yield Tracker(what, total, unit, None, 0.0 if quiet else interval)
        return
    with _live_bar(unit) as bar:
        tracker = Tracker(what, total, unit, bar, 0.0)
        yield tracker
        bar.refresh()  # the last line shows the final counts, never a stale one


def crawl_progress(run: Callable[[Callable[[Any], None]], Any], max_pages: int | None, quiet: bool) -> Any:
    """Run a crawl (`run(show)` calls `show(report)` as it goes) under a progress display: done /
    discovered, that is URLs handled / handled + pending (capped by --max-pages); returns the report."""
    with track("crawling", unit="URLs", quiet=quiet) as bar:
        def show(report: Any) -> None:
            known = report.handled + report.left
            bar.update(done=report.handled, total=min(known, max_pages) if max_pages else known, failed=report.stats.pages_failed)

        report = run(show)
        bar.update(done=report.handled, total=report.handled, failed=report.stats.pages_failed)
    return report


def _live_bar(unit: str) -> Any:
    """A rich Progress on stderr (rich is imported only here: runs off a terminal never load it)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} {unit}/s" if speed else f"- {unit}/s")

    columns: list[Any] = [
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit), Rate(),
        TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[failed]} failed"),
    ]
    return Progress(*columns, console=Console(file=sys.stderr), transient=False, refresh_per_second=5)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a live progress bar, or a test, may replace it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def setup_logging(verbose: int = 0, quiet: bool = False, log_file: str | None = None) -> None:
    """The `pipeline` logger: messages to stderr (warnings only with --quiet, debug with -v), and all
    of them with times to `log_file` when given."""
    logger = logging.getLogger("pipeline")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    stderr = _CurrentStderr()
    stderr.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    stderr.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(stderr)
    if log_file:
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(logging.DEBUG if verbose else logging.INFO)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(to_file)
