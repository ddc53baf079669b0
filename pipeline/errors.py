"""The exception tree; the CLI maps each class to an exit status once."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""

    exit_code = 1


class ConfigError(PipelineError):
    """Bad usage or configuration: nothing was written."""

    exit_code = 2


class FetchError(PipelineError):
    """A page could not be fetched."""


class ExtractError(PipelineError):
    """A page gave nothing extractable."""


class StoreError(PipelineError):
    """The database could not be opened or written."""

    exit_code = 2


class LockHeld(PipelineError):
    """Another run holds the database's lock."""

    exit_code = 3


class StorageFault(PipelineError):
    """The database's storage failed while a run was writing (disk full, file size limit, read-only,
    locked past the busy timeout, damaged): the run stops; committed pages are kept."""

    exit_code = 4


class DatabaseDamaged(StorageFault):
    """SQLite found the database file damaged (SQLITE_CORRUPT / SQLITE_NOTADB)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped a run: raised once from the signal handler, like KeyboardInterrupt.

    `exit_code` is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM); `summary` is set by
    the run that was stopped (what it had done, how it was recorded).
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name
        self.summary = ""

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
