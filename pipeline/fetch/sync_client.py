"""HTTP fetching with httpx: timeouts, a deadline per request, bounded redirects, a body cap, decoding."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urljoin

import httpx

from pipeline.errors import FetchError
from pipeline.fetch.decoding import ACCEPT_ENCODING, BadEncoding, BoundedDecoder, TooLarge
from pipeline.models import Fetched
from pipeline.text.encoding import decode, is_binary
from pipeline.text.urls import canonical_url

USER_AGENT = "essay-pipeline/0.1 (+https://github.com/; polite crawler)"
MAX_BYTES = 10 * 1024 * 1024
TEXT_TYPES = ("text/html", "text/plain", "application/xhtml+xml")
DEADLINE_READS = 6  # a request may take at most this many read timeouts in all


def request_headers(user_agent: str = USER_AGENT) -> dict[str, str]:
    """The headers every request of the pipeline sends (import and crawl alike)."""
    return {"User-Agent": user_agent, "Accept": "text/html,text/plain;q=0.9,*/*;q=0.1", "Accept-Encoding": ACCEPT_ENCODING}


REDIRECTS = (301, 302, 303, 307, 308)


def redirect_target(current: str, location: str) -> str:
    """The canonical http(s) URL a Location header leads to; raises ValueError saying why not."""
    location = location.strip()
    try:
        target = canonical_url(urljoin(current, location))
    except ValueError:
        raise ValueError(f"redirect to a malformed URL: {location[:200]!r}") from None
    if not target.startswith(("http://", "https://")):
        raise ValueError(f"redirect to a non-http URL: {target[:200]}")
    return target


def _check_redirect(response: httpx.Response) -> None:
    if response.status_code in REDIRECTS and "location" in response.headers:
        try:
            redirect_target(str(response.url), response.headers["location"])
        except ValueError as exc:
            raise FetchError(str(exc)) from None


def make_client(timeout: float = 20.0, transport: httpx.BaseTransport | None = None, user_agent: str = USER_AGENT) -> httpx.Client:
    """The shared synchronous client (the network sits behind `transport`, as in httpx)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=10,
        headers=request_headers(user_agent), transport=transport, event_hooks={"response": [_check_redirect]},
    )


def fetch(url: str, client: httpx.Client, max_bytes: int = MAX_BYTES, deadline: float | None = None) -> Fetched:
    """Fetch one URL; raises FetchError with a one-line reason on any failure.

    The whole request takes at most `deadline` seconds (default: DEADLINE_READS read timeouts of the
    client), however slowly the server sends its headers or body: it runs in a daemon thread that is
    abandoned at the deadline (a body read stops there by itself). The body is decoded under the
    `max_bytes` cap however its content codings are stacked, and refused when it is binary."""
    if deadline is None:
        deadline = DEADLINE_READS * (client.timeout.read or 20.0)
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["result"] = _fetch(url, client, max_bytes, deadline)
        except BaseException as exc:  # handed to the caller's thread as it is
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"fetch {url[:80]}", daemon=True).start()
    if not done.wait(deadline + 0.5):
        raise FetchError(f"took longer than the {deadline:g}s deadline")
    if "error" in box:
        raise box["error"]
    result: Fetched = box["result"]
    return result


def _fetch(url: str, client: httpx.Client, max_bytes: int, deadline: float) -> Fetched:
    started = time.perf_counter()
    try:
        with client.stream("GET", url) as response:
            decoder = BoundedDecoder(response.headers.get("content-encoding"), max_bytes)
            chunks: list[bytes] = []
            for raw in response.iter_raw():
                chunks.append(decoder.feed(raw))
                if time.perf_counter() - started > deadline:
                    raise FetchError(f"took longer than the {deadline:g}s deadline")
            chunks.append(decoder.finish())
            body = b"".join(chunks)
    except TooLarge as exc:
        raise FetchError(str(exc)) from None
    except BadEncoding as exc:
        raise FetchError(f"bad content encoding: {exc}") from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}".strip().rstrip(":")) from None
    except (httpx.InvalidURL, httpx.StreamError, ValueError) as exc:  # a redirect to a malformed URL, ...
        raise FetchError(f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:300]) from None
    headers = {k.lower(): v for k, v in response.headers.items()}
    if response.status_code >= 400:
        raise FetchError(f"HTTP {response.status_code}")
    content_type = headers.get("content-type", "")
    if content_type and not content_type.lower().startswith(TEXT_TYPES):
        raise FetchError(f"not a text page ({content_type.split(';')[0]})")
    text, codec = decode(body, content_type)
    if is_binary(body, text):
        raise FetchError(f"binary data, not a page (served as {content_type.split(';')[0].strip() or 'no type'})")
    return Fetched(
        url=url, final_url=str(response.url), status=response.status_code, headers=headers, content=body,
        text=text, encoding=codec, elapsed=time.perf_counter() - started,
    )
