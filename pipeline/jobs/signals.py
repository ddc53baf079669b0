"""SIGINT and SIGTERM stop a writing run the same way: the first one raises `Interrupted` in the
main thread (a KeyboardInterrupt, so `except Exception` never swallows it), wherever the run is.

The page in hand is then either committed already or rolled back (each page is one transaction:
the exception leaves `with conn:` and SQLite rolls it back); the run's context marks the run
`interrupted` with its counts, closes the database and releases the lock; the CLI exits 130
(SIGINT) or 143 (SIGTERM). Signals that arrive while the run is being closed are ignored, so a
second Ctrl-C or `kill` cannot cut the closing short.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from pipeline.errors import Interrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignals:
    """`with StopOnSignals() as guard:` SIGINT/SIGTERM raise Interrupted once; after `guard.closing()`
    (the run is being recorded and closed) they are only counted. The previous handlers come back
    at the end of the block. Outside the main thread (where Python takes no signals) it does nothing."""

    def __init__(self) -> None:
        self.fired: list[int] = []
        self._closing = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.fired.append(signum)
        if len(self.fired) == 1 and not self._closing:
            raise Interrupted(signum, signal.Signals(signum).name)

    def closing(self) -> None:
        self._closing = True

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
