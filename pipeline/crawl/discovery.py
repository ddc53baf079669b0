"""Links of a listing page: which of them the crawl follows, as canonical absolute URLs with their kind."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from pipeline.crawl.settings import SiteConfig
from pipeline.text.urls import safe_canonical


def discover(text: str, base_url: str, site: SiteConfig) -> list[tuple[str, str]]:
    """(url, kind) of the links on a listing page that the site's patterns accept, in page order."""
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    base = root.find(".//base")
    if base is not None and base.get("href"):
        base_url = _join(base_url, base.get("href") or "") or base_url
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in root.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = _join(base_url, href)
        if url is None or url in seen:  # a malformed href loses only itself
            continue
        seen.add(url)
        kind = site.kind_of(url)
        if kind:
            out.append((url, kind))
    return out


def _join(base: str, href: str) -> str | None:
    """The canonical absolute URL of a link, or None when it cannot be parsed (`http://[oops/`)."""
    try:
        return safe_canonical(urljoin(base, href))
    except ValueError:
        return None
