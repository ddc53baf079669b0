"""Text front end: plain-text dumps of pages (like the seed) to a `Page`.

The layout is read by `textlayout` (trail, title, meta lines, lists, footers); the phrase rules of
`rules/chrome.toml` then clean what is left, block by block, as on HTML pages.
"""

from __future__ import annotations

import re

from pipeline.errors import ExtractError
from pipeline.extract import texthead
from pipeline.extract import textlayout as layout
from pipeline.extract.chrome import clean_blocks, is_chrome
from pipeline.models import Block, Page, Removed
from pipeline.rules import rules
from pipeline.text.clean import clean_line
from pipeline.text.counts import count_claim

_DOMAIN = re.compile(r"((?:[a-z0-9-]+\.)+[a-z]{2,})", re.I)
LONG_LINE = 300  # a first line this long on a page of few lines is a page without line breaks


def _rule(name: str) -> re.Pattern[str]:
    return next(r.pattern for r in rules("chrome") if r.name == name)


_SENTENCE = re.compile(r"(?<=[。！？!?])(?![。！？!?”’」』）)])")


def _opening(lines: list[str]) -> list[str]:
    """A page whose text runs on without breaks: its opening title, the text up to the first essay
    heading (where the title comes back with an ordinal) and the rest, as separate lines; a page of
    a few very long lines is read a sentence a line."""
    if not lines:
        return lines
    if len(lines[0]) > layout.TITLE_MAX:
        found = layout.glued_title(lines[0])
        if found is not None:
            title, at = found
            intro = lines[0][len(title) : at].strip()
            lines = [title, *([intro] if intro else []), lines[0][at:], *lines[1:]]
    if len(lines) <= 3 and any(len(line) >= LONG_LINE for line in lines):
        lines = [part.strip() for line in lines for part in _SENTENCE.split(line) if part.strip()]
    return lines


def _lead(blocks: list[Block]) -> list[Block]:
    """An opening paragraph that the next paragraph repeats (a news lead run together from the
    first paragraphs) is the page's summary, not essay text."""
    if len(blocks) < 2 or blocks[0].kind != "paragraph":
        return blocks
    first, nxt = blocks[0].text, blocks[1].text
    probe = re.sub(r"\s+", "", nxt)[:20]
    if len(probe) >= 12 and probe in re.sub(r"\s+", "", first) and len(first) > len(probe) + 10:
        return [Block("lead", first, blocks[0].level, blocks[0].bold), *blocks[1:]]
    return blocks


def extract_text(text: str, url: str = "", encoding: str = "") -> Page:
    """A page from a text dump: trail, title, meta lines, then the body without the site's furniture."""
    lines = [clean_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ExtractError("empty text page")
    lines = layout.split_dated(_opening(lines))
    lines, furniture, labels = layout.unwrap(lines)
    head = texthead.read_head([line if i not in furniture else "" for i, line in enumerate(lines)])
    for i in furniture:
        head.chrome[i] = "furniture"
    removed: list[Removed] = [Removed(label, "table_label") for label in labels]
    site = ""
    domain_date = _rule("domain_date")
    for i, reason in head.chrome.items():
        if reason != "breadcrumb" and domain_date.search(lines[i]) and not site:
            host = _DOMAIN.search(lines[i])
            site = host.group(1).lower() if host else ""
    title = head.title
    core = count_claim(title)[0] or title
    body_idx = [i for i in range(len(lines)) if i not in head.chrome and i != head.title_index]
    for i in sorted(head.chrome):
        removed.append(Removed(lines[i], head.chrome[i]))
    first_body = min(body_idx) if body_idx else len(lines)
    tail = layout.tail_chrome(lines, first_body, title)
    ruled = {i for i in body_idx if i not in tail and len(lines[i]) <= 200 and is_chrome(lines[i])}
    cut = layout.furniture_again(lines, set(tail) | set(head.chrome) | ruled, first_body, title)
    for i in range(cut, len(lines)):
        tail.setdefault(i, "after_furniture")
    for i in sorted(tail):
        removed.append(Removed(lines[i], tail[i]))
    body = layout.unglue([lines[i] for i in body_idx if i not in tail], core)
    blocks, gone = clean_blocks([Block("paragraph", line) for line in body])
    blocks = _lead(blocks)
    published = head.published  # a date line further down is a letter's or a list's, not the page's
    return Page(
        url=url,
        title=title,
        site=site,
        published=published,
        breadcrumb=tuple(head.crumbs),
        blocks=tuple(blocks),
        removed=tuple(removed + gone),
        encoding=encoding,
    )
