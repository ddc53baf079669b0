"""SIGINT and SIGTERM stop a writing run the same way, and never in the middle of a page.

While a run opens its database, a signal raises `Interrupted` at once (nothing is in hand). Once
the run is going (`graceful()`), the first signal only asks it to stop: the job finishes the page
in hand (a crawl stops claiming URLs, lets its fetches in flight end and stores them; an import or
reprocess stops before its next page, `check()`), so the counts the run records are exactly what
was committed. A second signal raises `Interrupted` at once: the page in hand is rolled back (each
page is one transaction, left by an exception). While the run is being recorded and closed
(`closing()`), signals are only counted. `Interrupted` is a KeyboardInterrupt, so `except
Exception` never swallows it; its exit status is 128 + the first signal's number (130 SIGINT,
143 SIGTERM).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from pipeline.errors import Interrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignals:
    """`with StopOnSignals() as guard:` the handlers above; the previous ones come back at the end.

    Outside the main thread (where Python takes no signals) it installs nothing."""

    def __init__(self) -> None:
        self.fired: list[int] = []
        self._mode = "raise"  # "raise" | "request" | "ignore"
        self._raised = False
        self._callbacks: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}

    def interrupted(self) -> Interrupted:
        signum = self.fired[0]
        return Interrupted(signum, signal.Signals(signum).name)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.fired.append(signum)
        if self._mode == "ignore" or self._raised:
            return
        if self._mode == "request" and len(self.fired) == 1:
            for callback in self._callbacks:
                callback()
            return
        self._raised = True
        raise self.interrupted()

    def graceful(self) -> None:
        """From now on the first signal asks the job to stop (see `check` and `on_stop`)."""
        self._mode = "request"

    def at_once(self) -> None:
        """From now on a signal raises Interrupted at once (for work with no page boundary to stop at)."""
        if self._mode != "ignore":
            self._mode = "raise"
            self.check()

    def closing(self) -> None:
        """From now on signals are only counted."""
        self._mode = "ignore"

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from the signal handler, in the main thread) when the first signal comes."""
        self._callbacks.append(callback)

    @property
    def stop_requested(self) -> bool:
        return bool(self.fired)

    def check(self) -> None:
        """Between two pages: raise Interrupted when a signal asked the run to stop."""
        if self.fired and not self._raised and self._mode != "ignore":
            self._raised = True
            raise self.interrupted()

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handler) for s in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, old in self._previous.items():
            signal.signal(s, old)
        self._previous = {}


def ignore_stop_signals() -> None:
    """For worker processes: the parent run takes the signal and shuts its workers down."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)
