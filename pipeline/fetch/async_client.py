"""Async fetching for crawls: one shared httpx.AsyncClient, conditional GET, caps, bounded redirects.

`fetch` never follows a redirect out of the allowed hosts, stops reading a body once it passes
the cap *after decompression* (a gzip bomb costs at most the cap), and sorts every failure into
`Retry` (timeouts, resets, truncated bodies, 429, 5xx: try again later), `Skip` (not a text page,
too large) or a plain `FetchError` (404, redirect loop, ...: give up).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from pipeline.errors import FetchError
from pipeline.fetch.decoding import BadEncoding, BoundedDecoder, TooLarge
from pipeline.fetch.sync_client import REDIRECTS, TEXT_TYPES, USER_AGENT, redirect_target, request_headers
from pipeline.text.encoding import is_binary


class Failed(FetchError):
    """A failure not worth retrying in this run (404, redirect loop, ...); `status` is the HTTP status or 0."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Retry(Failed):
    """A failure worth another attempt later; `retry_after` is the server's wish in seconds, if any."""

    def __init__(self, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class Skip(Failed):
    """A response that is not for us: not a text page, or larger than the cap."""


@dataclass(frozen=True)
class Response:
    """A fetched URL: status 200 with its body, or 304 (unchanged) with none."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _Redirect(Exception):  # noqa: N818  (a signal, not an error)
    """Raised by the response hook for a 3xx: httpx would otherwise build the next request from the
    Location itself (even with follow_redirects off) and raise InvalidURL for `data:` or `http://[oops/`."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(status)
        self.status, self.headers = status, headers


async def _stop_at_redirects(response: httpx.Response) -> None:
    if response.status_code in REDIRECTS:
        raise _Redirect(response.status_code, {k.lower(): v for k, v in response.headers.items()})


def make_async_client(timeout: float = 20.0, user_agent: str = USER_AGENT, transport: httpx.AsyncBaseTransport | None = None,
                      max_connections: int = 16) -> httpx.AsyncClient:
    """The crawl's one shared client; redirects are followed by `fetch` itself, host by host."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport,
        headers=request_headers(user_agent), event_hooks={"response": [_stop_at_redirects]},
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


async def fetch(
    client: httpx.AsyncClient, url: str, *, allowed: Callable[[str], bool], max_bytes: int, max_redirects: int,
    etag: str | None = None, last_modified: str | None = None, text_only: bool = True,
    timeout: float | None = None, user_agent: str | None = None, deadline: float | None = None, truncate: bool = False,
) -> Response:
    """GET one URL (conditionally when validators are given); raises Retry, Skip or FetchError.

    `deadline` bounds the whole request, redirects and body included (a server that drips a byte
    a second never holds a run); past it the URL is a Retry. `truncate` keeps the first `max_bytes`
    of a longer body instead of skipping it (robots.txt)."""
    if deadline is None:
        return await _fetch(client, url, allowed, max_bytes, max_redirects, etag, last_modified, text_only, timeout,
                            user_agent, truncate)
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, url, allowed, max_bytes, max_redirects, etag, last_modified, text_only, timeout,
                                user_agent, truncate)
    except TimeoutError:
        raise Retry(f"took longer than the {deadline:g}s deadline") from None


async def _fetch(
    client: httpx.AsyncClient, url: str, allowed: Callable[[str], bool], max_bytes: int, max_redirects: int,
    etag: str | None, last_modified: str | None, text_only: bool, timeout: float | None, user_agent: str | None,
    truncate: bool,
) -> Response:
    started = time.perf_counter()
    headers: dict[str, str] = {"User-Agent": user_agent} if user_agent else {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    seen = {url}
    for _ in range(max_redirects + 1):
        status, resp_headers, body = await _get(client, current, headers, max_bytes, text_only, timeout, truncate)
        if status in REDIRECTS and "location" in resp_headers:
            try:
                target = redirect_target(current, resp_headers["location"])
            except ValueError as exc:
                raise Failed(str(exc), status) from None
            if not allowed(target):
                raise Failed(f"redirect out of the allowed hosts: {target[:200]}", status)
            if target in seen:
                raise Failed(f"redirect loop at {target[:200]}", status)
            seen.add(target)
            current = target
            continue
        return Response(url=url, final_url=current, status=status, headers=resp_headers, body=body,
                        elapsed=time.perf_counter() - started)
    raise Failed(f"more than {max_redirects} redirects")


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int,
               text_only: bool, timeout: float | None, truncate: bool = False) -> tuple[int, dict[str, str], bytes]:
    status = 0
    try:
        async with client.stream("GET", url, headers=headers, timeout=timeout or client.timeout) as response:
            status = response.status_code
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            if status in REDIRECTS or status == 304:
                return status, resp_headers, b""
            _check_status(status, resp_headers)
            ctype = resp_headers.get("content-type", "")
            if text_only and ctype and not ctype.lower().startswith(TEXT_TYPES):
                raise Skip(f"not a text page ({ctype.split(';')[0].strip()})", status)
            declared = resp_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise Skip(f"body larger than {max_bytes} bytes", status)
            decoder = BoundedDecoder(resp_headers.get("content-encoding"), max_bytes, truncate)
            chunks: list[bytes] = []
            async for raw in response.aiter_raw():  # decoded here, under the cap, however the codings stack
                chunks.append(decoder.feed(raw))
                if decoder.full:
                    break
            if not decoder.full:
                chunks.append(decoder.finish())
            body = b"".join(chunks)
            if text_only and is_binary(body):
                raise Skip(f"binary data, not a page (served as {ctype.split(';')[0].strip() or 'no type'})", status)
            return status, resp_headers, body
    except _Redirect as redirect:
        return redirect.status, redirect.headers, b""
    except TooLarge as exc:
        raise Skip(str(exc), status) from None
    except BadEncoding as exc:
        raise Failed(f"bad content encoding: {exc}", status) from None
    except httpx.TimeoutException:
        raise Retry("timed out") from None
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise Retry(_reason(exc)) from None
    except httpx.DecodingError as exc:
        raise Failed(f"bad content encoding: {_reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise Failed(_reason(exc)) from None
    except (httpx.InvalidURL, httpx.StreamError, ValueError) as exc:  # not HTTPError subclasses
        raise Failed(_reason(exc)) from None


def _check_status(status: int, headers: dict[str, str]) -> None:
    if status in (429, 503):
        raise Retry(f"HTTP {status}", status, retry_after(headers.get("retry-after")))
    if status >= 500:
        raise Retry(f"HTTP {status}", status)
    if status < 200 or status >= 300:
        raise Failed(f"HTTP {status}", status)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300].rstrip(": ") if text else type(exc).__name__
