"""The HTML front end: a page's HTML (lxml) -> `Page`; content choice, metadata, breadcrumbs and chrome rules applied."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from cssselect import ExpressionError, SelectorError
from lxml import html

from pipeline.errors import ExtractError
from pipeline.extract import breadcrumbs, content, dom, metadata
from pipeline.extract.chrome import clean_blocks
from pipeline.extract.measure import param as _param
from pipeline.models import Block, Page, Profile, Removed
from pipeline.rules import regex
from pipeline.text.clean import clean_line


def _links(root: html.HtmlElement, url: str, with_links: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every link, made absolute, only `with_links`; the next-page links: rel=next or a short
    'next page' text). Joining every link of every page is a tenth of extraction time, and only a
    caller that discovers pages needs them."""
    next_re = regex("links", "next_text")
    links: list[str] = []
    nexts: list[str] = []
    seen: set[str] = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        is_next = (a.get("rel") or "").lower() == "next"
        if not is_next and not with_links:
            text = a.text_content()
            if len(text) > 40 or not next_re.match(clean_line(text)):
                continue
            is_next = True
        absolute = dom.join_url(url, href).split("#", 1)[0]
        if not absolute:
            continue
        if with_links and absolute not in seen:
            seen.add(absolute)
            links.append(absolute)
        if is_next or next_re.match(clean_line(a.text_content())):
            if absolute not in nexts:
                nexts.append(absolute)
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "next" and link.get("href"):
            absolute = dom.join_url(url, link.get("href") or "")
            if absolute and absolute not in nexts:
                nexts.append(absolute)
    return tuple(links), tuple(nexts)


def _squeeze(text: str) -> str:
    """re.sub(r"\\s+", " ", text), by split and join (str.split and \\s know the same whitespace)."""
    out = " ".join(text.split())
    if not out:
        return " " if text else ""
    if text[0].isspace():
        out = " " + out
    if text[-1].isspace():
        out += " "
    return out


def _page_text(root: html.HtmlElement, title: str) -> tuple[str, str]:
    """The page's visible text, whitespace squeezed, and the part of it from the title on, where
    'site + date' and 发布时间 lines live."""
    body = root.find("body")
    text = _squeeze(" ".join((body if body is not None else root).itertext()))
    at = text.find(title[:20]) if title else -1
    if at >= 0:
        return text, text[at : at + 400]
    return text, text[:3000]


_INVISIBLE = re.compile(r"<(script|style|head|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BREAKING_TAG = re.compile(r"<\s*/?\s*(p|div|br|tr|li|h[1-6]|table|section|article|blockquote|dd|dt|pre|center)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")


def _flat_text(text: str) -> str:
    """The visible text of markup by regexes alone, one line per block tag (for trees the parser cut short)."""
    text = _INVISIBLE.sub("", text)
    text = _ANY_TAG.sub("", _BREAKING_TAG.sub("\n", text))
    return unescape(text)


def _flat_page(text: str, url: str, encoding: str, title: str) -> Page:
    """A page from markup the HTML parser could not hold (nesting past the parser's depth limit):
    its visible text, one paragraph a line, through the chrome rules."""
    lines = [clean_line(line) for line in _flat_text(text).splitlines()]
    blocks, removed = clean_blocks([Block("paragraph", line) for line in lines if line and line != title])
    if not blocks:
        raise ExtractError("no main content found")
    return Page(url=url, title=title, site=metadata.site_of(url, {}), blocks=tuple(blocks), removed=tuple(removed),
                encoding=encoding, markup=True)


def extract_html(text: str, url: str = "", encoding: str = "", profile: Profile | None = None, *,
                 with_links: bool = False) -> Page:
    """An HTML page to a `Page`: metadata from the whole tree, blocks from the main content
    (or from the element a site profile pins); `Page.links` (every link, absolute) only
    `with_links`, the next-page links always."""
    try:
        return _extract_tree(text, url, encoding, profile, with_links)
    except ExtractError as exc:
        if str(exc) != "no main content found":
            raise
    if profile is None:
        try:  # once more, with the tags that are chrome on most pages (<aside>) dropped only when small
            return _extract_tree(text, url, encoding, None, with_links, lenient=True)
        except ExtractError as exc:
            if str(exc) != "no main content found":
                raise
    root = dom.parse(text)
    body = root.find("body")  # the visible text the tree holds (a <head> full of CSS is no text)
    parsed = len(dom.text_of(body if body is not None else root))
    flat = len("".join(_flat_text(text).split()))
    if flat <= 2 * parsed:
        raise ExtractError("no main content found")
    title = clean_line(root.findtext(".//title") or "")
    return _flat_page(text, url, encoding, title)


def _select(root: html.HtmlElement, selector: str) -> list[html.HtmlElement]:
    try:
        found: list[html.HtmlElement] = root.cssselect(selector)
    except (SelectorError, ExpressionError):
        raise ExtractError(f"bad selector in site profile: {selector!r}") from None
    return found


def _extract_tree(text: str, url: str, encoding: str, profile: Profile | None = None, with_links: bool = False,
                  lenient: bool = False) -> Page:
    root = dom.parse(text)
    pinned: html.HtmlElement | None = None
    if profile is not None:
        for selector in profile.drop:
            for el in _select(root, selector):
                dom.remove(el)
        found = _select(root, profile.content) if profile.content else []
        pinned = found[0] if found else None
    metas, ld = metadata.metas_and_ld(root)
    scripts = metadata.inline_scripts(root)
    title = metadata.title_of(root, metas, ld)
    if profile is not None and profile.title:
        heading = _select(root, profile.title)
        title = clean_line(heading[0].text_content()) if heading else title
    crumbs = breadcrumbs.breadcrumb_of(root, title, url, ld)
    links, next_pages = _links(root, url, with_links)
    stripped = dom.strip_chrome(root, lenient=lenient)
    page_text, head = _page_text(root, title)
    published = metadata.published_of(root, metas, ld, head, page_text, scripts)
    author, source = metadata.author_source(head)
    if pinned is not None:  # the profile's element, trusted as it is (scripts and hidden nodes went above)
        blocks, trimmed = content.main_blocks(pinned, trim=False)
    else:
        blocks, trimmed = content.main_blocks(content.content_nodes(root))
    if blocks and title and blocks[0].kind == "heading" and metadata.cut_title(blocks[0].text) and _same(blocks[0].text, title):
        blocks = blocks[1:]
    blocks, removed = clean_blocks(blocks)
    if not blocks and pinned is None:
        # never an empty record from a page with prose: the prose container, untrimmed, then the body
        body = root.find("body")
        prose = content.prose_map(root)
        for node in (content.prose_container(root, prose), body if body is not None else root):
            if prose.get(node):
                blocks, removed = clean_blocks(content.main_blocks(node, trim=False)[0])
                if blocks:
                    break
    if pinned is None:
        blocks, removed = _ld_body(blocks, removed, ld)
    removed = stripped + trimmed + removed
    if not blocks:
        raise ExtractError("no main content found")
    return Page(
        url=url,
        title=title,
        site=metadata.site_of(url, metas),
        published=published,
        breadcrumb=tuple(crumbs),
        summary=metadata.summary_of(metas),
        author=author,
        source=source,
        blocks=tuple(blocks),
        links=links,
        next_pages=tuple(n for n in next_pages if _same_site(n, url)),
        removed=tuple(removed),
        encoding=encoding,
        markup=True,
    )


def _ld_body(blocks: list[Block], removed: list[Removed], ld: list[dict[str, Any]]) -> tuple[list[Block], list[Removed]]:
    """A second, independent candidate: the article text the page states in its JSON-LD
    (`articleBody`), taken instead of the chosen blocks when it is several times longer (the
    article is filled in by script, or the choice missed most of it); one paragraph a line."""
    body = max((d["articleBody"] for d in ld if isinstance(d.get("articleBody"), str)), key=len, default="")
    have = sum(len(b.text) for b in blocks)
    if len(body) < _param("ld_body_min_len") or len(body) < have * _param("ld_body_ratio"):
        return blocks, removed
    lines = [clean_line(unescape(line)) for line in body.splitlines()]
    found, gone = clean_blocks([Block("paragraph", line) for line in lines if line])
    if not found:
        return blocks, removed
    return found, removed + [Removed(b.text, "ld_body") for b in blocks] + gone


_SPACE_RUNS = re.compile(r"\s+")


def _same(a: str, b: str) -> bool:
    return _SPACE_RUNS.sub("", a) == _SPACE_RUNS.sub("", b)


def _same_site(link: str, url: str) -> bool:
    if not url or "://" not in url:
        return True
    try:
        return urlsplit(link).netloc == urlsplit(url).netloc
    except ValueError:
        return False


