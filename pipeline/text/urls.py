"""URL canonicalisation: one spelling per resource, for the frontier, the store and essay ids.

`canonical_url` lets w3lib's `canonicalize_url` do the percent-encoding (UTF-8, upper-case hex,
unreserved characters decoded), the query order and the fragment, and adds what it leaves: the
scheme's default port, empty path segments (`//p.html`) and tracking parameters
(`pipeline/rules/urls.toml`). Only http(s) URLs are changed; `file:` and others pass through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from pipeline.rules import words

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SLASHES = re.compile(r"/{2,}")


@lru_cache(maxsize=1)
def _tracking() -> tuple[frozenset[str], tuple[str, ...]]:
    names = [w.lower() for w in words("urls", "tracking")]
    return frozenset(n for n in names if not n.endswith("*")), tuple(n[:-1] for n in names if n.endswith("*"))


def _is_tracking(name: str) -> bool:
    exact, prefixes = _tracking()
    low = name.lower()
    return low in exact or low.startswith(prefixes)


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL; others come back stripped of surrounding space.

    Raises ValueError for a URL that cannot be parsed (`http://[oops/`)."""
    url = url.strip()
    parts = urlsplit(url)  # ValueError on a malformed host
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        return url
    host = (parts.hostname or "").lower()
    port = parts.port  # ValueError on a port out of range
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _SLASHES.sub("/", parts.path) or "/"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0]))
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")))


def safe_canonical(url: str) -> str | None:
    """canonical_url, or None for a URL that cannot be parsed."""
    try:
        return canonical_url(url)
    except ValueError:
        return None

