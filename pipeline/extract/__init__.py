"""Extraction (layer 1): page text -> `Page`.

Takes the decoded text of one page (HTML or a plain-text dump such as the seed), its URL and
encoding, and an optional site `Profile`; returns a frozen `pipeline.models.Page`: title, date,
site, breadcrumb, summary, author/source, the main content as ordered blocks with the site's
chrome removed (each removal recorded in `Page.removed`), and the links found. `html` is the
HTML front end (`dom` parses, `content` chooses the main block, `metadata` and `breadcrumbs` read
the page's facts), `plaintext` the text front end, `chrome` the line rules kept as data in
`pipeline/rules/chrome.toml`. Pure functions: no network, no database.
"""

from __future__ import annotations

import re

from pipeline.extract.html import extract_html
from pipeline.extract.plaintext import extract_text
from pipeline.models import Page, Profile

__all__ = ["EXTRACTOR_VERSION", "extract", "extract_html", "extract_text", "looks_like_html"]

# Bump when a change to extraction or normalisation changes what pages give: `pipeline reprocess
# --outdated` re-extracts the pages stored by an older version (pages.extractor_version).
EXTRACTOR_VERSION = 1

_HTML_SNIFF = re.compile(
    r"<\s*/?\s*(html|head|body|div|p|table|meta|title|article|section|span|br|h[1-6]|script|style|font|center|ul|li|img)\b"
    r"|<!doctype\s+html", re.I)


def looks_like_html(text: str) -> bool:
    """Whether the text is HTML (a tag of a page in its first 4 kB) rather than a text dump."""
    return bool(_HTML_SNIFF.search(text[:4096]))


def _without_surrogates(text: str) -> str:
    """Lone surrogates (never produced by decoding bytes, but possible in a str) become U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def extract(text: str, url: str = "", encoding: str = "", profile: Profile | None = None, *,
            with_links: bool = False) -> Page:
    """Any page text to a `Page`; raises ExtractError when nothing can be made of it. A site
    profile (CSS selectors) pins what the generic HTML path would otherwise find by itself;
    `with_links` fills `Page.links` with every link of an HTML page (for discovery)."""
    text = _without_surrogates(text)
    if looks_like_html(text):
        return extract_html(text, url, encoding, profile, with_links=with_links)
    return extract_text(text, url, encoding)
