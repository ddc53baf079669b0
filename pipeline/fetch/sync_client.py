"""HTTP fetching with httpx: timeouts, bounded redirects, a body cap, decoding."""

from __future__ import annotations

import time

import httpx

from pipeline.errors import FetchError
from pipeline.models import Fetched
from pipeline.text.encoding import decode

USER_AGENT = "essay-pipeline/0.1 (+https://github.com/; polite crawler)"
MAX_BYTES = 10 * 1024 * 1024
TEXT_TYPES = ("text/html", "text/plain", "application/xhtml+xml")


def request_headers(user_agent: str = USER_AGENT) -> dict[str, str]:
    """The headers every request of the pipeline sends (import and crawl alike)."""
    return {"User-Agent": user_agent, "Accept": "text/html,text/plain;q=0.9,*/*;q=0.1"}


def make_client(timeout: float = 20.0, transport: httpx.BaseTransport | None = None, user_agent: str = USER_AGENT) -> httpx.Client:
    """The shared synchronous client (the network sits behind `transport`, as in httpx)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=10,
        headers=request_headers(user_agent), transport=transport,
    )


def fetch(url: str, client: httpx.Client, max_bytes: int = MAX_BYTES) -> Fetched:
    """Fetch one URL; raises FetchError with a one-line reason on any failure."""
    started = time.perf_counter()
    try:
        with client.stream("GET", url) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"body larger than {max_bytes} bytes")
                chunks.append(chunk)
            body = b"".join(chunks)
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}".strip().rstrip(":")) from None
    headers = {k.lower(): v for k, v in response.headers.items()}
    if response.status_code >= 400:
        raise FetchError(f"HTTP {response.status_code}")
    content_type = headers.get("content-type", "")
    if content_type and not content_type.lower().startswith(TEXT_TYPES):
        raise FetchError(f"not a text page ({content_type.split(';')[0]})")
    text, codec = decode(body, content_type)
    return Fetched(
        url=url, final_url=str(response.url), status=response.status_code, headers=headers, content=body,
        text=text, encoding=codec, elapsed=time.perf_counter() - started,
    )
