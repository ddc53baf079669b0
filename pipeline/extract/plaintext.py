"""Text front end: plain-text dumps of pages (like the seed) to a `Page`."""

from __future__ import annotations

import re

from pipeline.errors import ExtractError
from pipeline.extract.breadcrumbs import from_text as crumbs_from_text
from pipeline.extract.chrome import clean_blocks
from pipeline.extract.metadata import find_date
from pipeline.models import Block, Page, Removed
from pipeline.rules import rules
from pipeline.text.clean import clean_line

_DOMAIN = re.compile(r"((?:[a-z0-9-]+\.)+[a-z]{2,})", re.I)
_SENTENCE_END = re.compile(r"[。！？!?；;，,]$")


def _rule(name: str) -> re.Pattern[str]:
    return next(r.pattern for r in rules("chrome") if r.name == name)


def extract_text(text: str, url: str = "", encoding: str = "") -> Page:
    """A page from a text dump: breadcrumb, title, 'domain date' line, then paragraphs."""
    lines = [clean_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ExtractError("empty text page")
    crumbs: list[str] = []
    site, published, title = "", "", ""
    removed: list[Removed] = []
    body: list[str] = []
    crumb_res = (_rule("breadcrumb"), _rule("breadcrumb_path"))
    domain_date = _rule("domain_date")
    head_done = False
    for line in lines:
        if not head_done and not crumbs and any(p.search(line) for p in crumb_res):
            crumbs = crumbs_from_text(line)
            removed.append(Removed(line, "breadcrumb"))
            continue
        if not head_done and domain_date.search(line) and len(line) <= 80:
            host = _DOMAIN.search(line)
            site = host.group(1).lower() if host else ""
            published = find_date(line)
            removed.append(Removed(line, "domain_date"))
            continue
        if not title and len(line) <= 80 and not _SENTENCE_END.search(line):
            title = line
            continue
        head_done = head_done or bool(title)
        body.append(line)
    if title and crumbs and crumbs[-1] == title:
        crumbs = crumbs[:-1]
    blocks, gone = clean_blocks([Block("paragraph", line) for line in body])
    if not published:
        published = next((d for d in (find_date(r.text) for r in gone) if d), "")
    return Page(
        url=url,
        title=title,
        site=site,
        published=published,
        breadcrumb=tuple(crumbs),
        blocks=tuple(blocks),
        removed=tuple(removed + gone),
        encoding=encoding,
    )
