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
