"""Work spread over a Dask cluster, results taken back in input order.

`ordered_map(client, fn, chunks)` submits `fn(chunk)` for each chunk (Dask retries a failed task
`retries` times and re-runs the tasks of a worker that died), keeps at most `window` chunks in
flight so memory stays bounded, and yields `(chunk, result)` in the order of the chunks; a chunk
whose task failed for good yields the exception instead, for the caller to record on each of its
items. The task functions that run on the workers are plain, importable, pure functions
(`pipeline.jobs.dask_tasks`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 2


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ordered_map(client: Any, fn: Callable[..., R], chunks: Iterable[Sequence[Any]], *args: Any, window: int = 0,
                retries: int = RETRIES) -> Iterator[tuple[Sequence[Any], R | BaseException]]:
    """`fn(chunk, *args)` on the cluster for each chunk; (chunk, result or exception) in chunk order."""
    limit = window or max(4, 4 * _worker_count(client))
    pending: deque[tuple[Sequence[Any], Any]] = deque()
    source = iter(chunks)

    def submit() -> bool:
        chunk = next(source, None)
        if chunk is None:
            return False
        pending.append((chunk, client.submit(fn, chunk, *args, retries=retries, pure=False)))
        return True

    while len(pending) < limit and submit():
        pass
    while pending:
        chunk, future = pending.popleft()
        try:
            outcome: R | BaseException = future.result()
        except Exception as exc:  # the task failed after its retries (or its workers kept dying)
            outcome = exc
        finally:
            future.release()
        submit()
        yield chunk, outcome


def _worker_count(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except (OSError, AttributeError, TypeError):
        return 1


def describe_failure(exc: BaseException) -> str:
    """One line for a task that failed for good, as it is recorded on each of its records."""
    text = " ".join(str(exc).split())[:240]
    return f"distributed task failed: {type(exc).__name__}" + (f": {text}" if text else "")
