"""Sitemaps for the crawl: <urlset> and <sitemapindex> documents, plain or gzip, read into frontier links.

A site config's `sitemaps` are queued as frontier rows of kind `sitemap` (with the Sitemap: lines of
robots.txt when it names "robots.txt"). A sitemap index queues its sitemaps one level deeper; a
urlset queues its URLs that the site's patterns accept, as listing links do, so `max_depth`,
`max_pages` and the allowed hosts bound them the same way. A URL whose <lastmod> is not after the
stored page's fetch time is closed for this cycle without a request (counted as unchanged).
At most MAX_ENTRIES entries of one sitemap are read, and a gzip sitemap is inflated to at most
`max_bytes`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils
from lxml import etree

from pipeline.crawl.settings import SiteConfig

MAX_ENTRIES = 50_000  # the sitemap protocol's own limit per file


class SitemapError(ValueError):
    """A sitemap that cannot be read (not XML, not a sitemap, bad gzip)."""


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap document holds: `index` True for a sitemap index (its entries are sitemaps)."""

    index: bool
    entries: tuple[tuple[str, str], ...]  # (loc, lastmod or "")


def inflate(body: bytes, max_bytes: int) -> bytes:
    """The body, gunzipped when it is gzip data (at most `max_bytes` out)."""
    if body[:2] != b"\x1f\x8b":
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes)
    except zlib.error as exc:
        raise SitemapError(f"bad gzip data: {exc}") from None
    if inflater.unconsumed_tail:
        raise SitemapError(f"larger than {max_bytes} bytes once unzipped")
    if not inflater.eof:
        raise SitemapError("bad gzip data: cut short")
    return out


def parse(body: bytes, max_bytes: int = 10 * 1024 * 1024) -> Sitemap:
    """A sitemap or sitemap index document; raises SitemapError."""
    data = inflate(body, max_bytes)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    tag = etree.QName(root).localname
    if tag not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: the document is <{tag}>, not <urlset> or <sitemapindex>")
    entries: list[tuple[str, str]] = []
    for item in root:
        if not isinstance(item.tag, str) or etree.QName(item).localname not in ("url", "sitemap"):
            continue
        loc = lastmod = ""
        for child in item:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            if name == "loc":
                loc = (child.text or "").strip()
            elif name == "lastmod":
                lastmod = (child.text or "").strip()
        if loc:
            entries.append((loc, lastmod))
        if len(entries) >= MAX_ENTRIES:
            break
    return Sitemap(index=tag == "sitemapindex", entries=tuple(entries))


def _when(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def links(sitemap: Sitemap, site: SiteConfig) -> list[tuple[str, str]]:
    """(url, kind) to queue: sitemaps of an index (on allowed hosts), or the URLs the site's patterns accept."""
    if sitemap.index:
        return [(loc, "sitemap") for loc, _ in sitemap.entries if _on_hosts(loc, site)]
    out = []
    for loc, _ in sitemap.entries:
        kind = site.kind_of(loc)
        if kind:
            out.append((loc, kind))
    return out


def _on_hosts(url: str, site: SiteConfig) -> bool:
    return url.startswith(("http://", "https://")) and site.allows(url)


def skip_unchanged(db: sqlite_utils.Database, sitemap: Sitemap) -> set[str]:
    """Close for this cycle the pending articles whose <lastmod> is not after their stored fetch; returns their URLs."""
    closed: set[str] = set()
    if sitemap.index:
        return closed
    with db.conn:
        for loc, lastmod in sitemap.entries:
            changed = _when(lastmod) if lastmod else None
            if changed is None:
                continue
            row = db.execute("select fetched_at from pages where url = ? and error is null and content_sha1 is not null",
                             [loc]).fetchone()
            fetched = _when(row[0]) if row and row[0] else None
            if fetched is None or changed > fetched:
                continue
            cursor = db.execute("update frontier set state = 'done', error = null where url = ? and kind = 'article' "
                                "and state = 'pending' and coalesce(saving, 0) = 0", [loc])
            if cursor.rowcount:
                closed.add(loc)
    return closed
