"""Politeness: per-host concurrency and delay (with jitter), Retry-After pauses, backoff, robots.txt."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

MAX_BACKOFF = 300.0
ROBOTS_MIN_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB
ROBOTS_UNREACHABLE = "robots.txt unreachable"  # the start of the error recorded on each URL it holds back


def backoff(base: float, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempt + 1`: base * 2**(attempt-1), with +-50% jitter, capped."""
    r = rng or random
    spread: float = r.uniform(0.5, 1.5)
    return min(MAX_BACKOFF, base * (2.0 ** max(0, attempt - 1)) * spread)


@dataclass
class _Host:
    concurrency: int
    delay: float
    jitter: float
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        """Made at the first request, once every config naming the host has been seen."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots


class Pacer:
    """Per-host gate: at most `concurrency` requests in flight, request starts `delay` apart."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.hosts: dict[str, _Host] = {}
        self.rng = rng or random.Random()

    def configure(self, host: str, concurrency: int, delay: float, jitter: float) -> None:
        """Settings for a host; when several sites name it, the strictest of each setting wins, in any
        order (call for every site before the first request: the slots are made then)."""
        known = self.hosts.get(host)
        if known is None:
            self.hosts[host] = _Host(concurrency, delay, jitter)
            return
        if known._slots is not None and concurrency < known.concurrency:
            raise RuntimeError(f"host {host} configured after its first request")
        known.concurrency = min(known.concurrency, concurrency)
        known.delay = max(known.delay, delay)
        known.jitter = min(known.jitter, jitter)  # the smaller spread keeps requests closer to the larger delay

    def slow_down(self, host: str, delay: float) -> None:
        """Raise a host's delay (robots.txt Crawl-delay)."""
        h = self._host(host)
        h.delay = max(h.delay, delay)

    def pause(self, host: str, seconds: float) -> None:
        """No request starts on this host for `seconds` (Retry-After)."""
        h = self._host(host)
        h.next_start = max(h.next_start, time.monotonic() + seconds)

    def _host(self, host: str) -> _Host:
        if host not in self.hosts:
            self.configure(host, 1, 0.0, 0.0)
        return self.hosts[host]

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for a request that starts when the host's delay allows."""
        h = self._host(host)
        async with h.slots:
            async with h.lock:
                wait = h.next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                spread = self.rng.uniform(1 - h.jitter, 1 + h.jitter) if h.jitter else 1.0
                h.next_start = max(time.monotonic(), h.next_start) + h.delay * spread
            yield


Getter = Callable[[str], Awaitable[tuple[int, str]]]


class Robots:
    """robots.txt per host, fetched once a run, as RFC 9309 says: a 2xx body is parsed (its first
    max_bytes, at least 500 KiB, when longer); 4xx means allow all; 5xx or no answer at all
    disallows every URL of the host for this run, each recorded with ROBOTS_UNREACHABLE."""

    def __init__(self, user_agent: str, get: Getter) -> None:
        self.user_agent = user_agent
        self.get = get
        self.rules: dict[str, Protego | None] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.errors: dict[str, str] = {}

    async def parser(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self.rules:
                status, text = await self.get(key + "/robots.txt")
                if 200 <= status < 300:
                    self.rules[key] = Protego.parse(text)
                elif 400 <= status < 500:
                    self.rules[key] = None
                else:
                    self.rules[key] = Protego.parse("User-agent: *\nDisallow: /\n")
                    why = f"HTTP {status}" if status else "no response"
                    self.errors[key] = f"{ROBOTS_UNREACHABLE} ({why}): the host's URLs are not fetched in this run"
            return self.rules[key]

    async def allowed(self, url: str) -> tuple[bool, str]:
        """(allowed, reason when not)."""
        rules = await self.parser(url)
        if rules is None or rules.can_fetch(url, self.user_agent):
            return True, ""
        parts = urlsplit(url)
        return False, self.errors.get(f"{parts.scheme}://{parts.netloc.lower()}", "disallowed by robots.txt")

    async def crawl_delay(self, url: str) -> float:
        rules = await self.parser(url)
        if rules is None:
            return 0.0
        delay = rules.crawl_delay(self.user_agent)
        return float(delay) if delay else 0.0
