"""Dask clusters for distributed runs: where the work goes (`--dask local[:N]` or a scheduler address).

`local` starts a `LocalCluster` on this machine (one worker process per core, one thread each);
`local:N` starts N workers; `tcp://HOST:PORT` (or any address `dask.distributed.Client` takes)
joins a running scheduler (`dask scheduler` on one machine, `dask worker tcp://HOST:PORT` on each
of the others). An address that does not answer is a usage error: nothing is written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipeline.errors import ConfigError

CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler
# A LocalCluster's scheduler and nannies run in this process, beside the one SQLite writer: their
# timers (event-loop tick check every 20 ms, system monitor every 0.5 s, each nanny's memory check
# every 0.1 s by default) are spaced out so they take less of the writer's CPU; and the workers do
# not sample their own stacks every 10 ms (about 3% of a worker's CPU): no dashboard reads any of it.
LOCAL_CONFIG = {
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}


@dataclass(frozen=True)
class ClusterSpec:
    """A LocalCluster of `workers` processes (address ""), or the address of a running scheduler."""

    address: str = ""
    workers: int = 0

    def describe(self) -> str:
        return self.address or f"local:{self.workers}"


def parse_spec(text: str) -> ClusterSpec:
    """'local' -> a LocalCluster with one worker per core; 'local:3' -> 3 workers; 'tcp://h:8786' -> that scheduler."""
    text = text.strip()
    if text == "local":
        return ClusterSpec(workers=max(1, os.cpu_count() or 1))
    if text.startswith("local:"):
        count = text.partition(":")[2]
        if not count.isdigit() or not 1 <= int(count) <= 256:
            raise ConfigError(f"--dask {text}: the number of local workers must be a whole number from 1 to 256")
        return ClusterSpec(workers=int(count))
    if "://" in text and text.split("://", 1)[1]:
        return ClusterSpec(address=text)
    raise ConfigError(f"--dask {text!r}: give 'local', 'local:N' or a scheduler address such as tcp://127.0.0.1:8786")


@contextmanager
def connect(spec: ClusterSpec, timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A `dask.distributed.Client` on the cluster the spec names; the LocalCluster it starts ends with the block."""
    import dask
    from dask.distributed import Client, LocalCluster

    if spec.address:
        try:
            client = Client(spec.address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ConfigError(f"cannot reach the Dask scheduler at {spec.address}: {reason}") from None
        try:
            yield client
        finally:
            client.close()
        return
    with dask.config.set(LOCAL_CONFIG):
        cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster, set_as_default=False, direct_to_workers=True)  # results come straight from the workers
    try:
        yield client
    finally:
        client.close()
        cluster.close()
