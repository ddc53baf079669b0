"""Page metadata from HTML: title, published date, site, summary, author, source (breadcrumbs: `crumbs`)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from lxml import html

from pipeline.rules import caseless, load, regex, regexes
from pipeline.text.clean import clean_line

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def _iso(y: int, m: int, d: int, hh: str | None = None, mm: str | None = None) -> str:
    try:
        day = date(y, m, d)
    except ValueError:
        return ""
    if not 1990 <= y <= 2100:
        return ""
    if hh is not None and mm is not None and int(hh) < 24 and int(mm) < 60:
        return f"{day.isoformat()}T{int(hh):02d}:{int(mm):02d}"
    return day.isoformat()


def _first_date(text: str, with_time: bool = False) -> tuple[int, str] | None:
    """(offset, ISO date) of the first plausible date in a text."""
    best: tuple[int, str] | None = None
    for pattern in regexes("metadata", "date_patterns"):
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            iso = _iso(int(m["y"]), int(m["m"]), int(m["d"]), m["H"] if with_time else None, m["M"] if with_time else None)
            if iso:
                best = (m.start(), iso)
    for pattern in regexes("metadata", "date_patterns_year_last"):
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
            iso = _iso(y, b, a) or _iso(y, a, b)
            if iso:
                best = (m.start(), iso)
    for pattern in regexes("metadata", "date_patterns_en"):
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            iso = _iso(int(m["y"]), _MONTHS[m["mon"].lower()[:3]], int(m["d"]))
            if iso:
                best = (m.start(), iso)
    return best


def find_date(text: str, with_time: bool = False) -> str:
    """The first plausible date in a text, as ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM)."""
    found = _first_date(text, with_time)
    return found[1] if found else ""


def labelled_date(text: str) -> str:
    """The first date that directly follows a label such as 发布时间： or 发表于 (ISO 8601, or '')."""
    for m in regex("metadata", "date_labels").finditer(text):
        found = _first_date(text[m.end() : m.end() + 40])
        if found and found[0] <= 3:
            return found[1]
    return ""


def _jsonld(root: html.HtmlElement) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text.strip().rstrip(";"))
        except ValueError:
            continue
        stack = [data]
        while stack and len(out) < 50:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return out


def _metas(root: html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        value = (meta.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def cut_title(raw: str) -> str:
    """A <title> without its '_栏目_站名' or ' - Site' suffix."""
    parts = [p for p in regex("html", "title_separators").split(raw.strip()) if p.strip()]
    if not parts:
        return raw.strip()
    return max(parts[:2], key=len) if len(parts) > 1 and len(parts[0]) < 6 else parts[0]


def title_of(root: html.HtmlElement, metas: dict[str, str], ld: list[dict[str, Any]]) -> str:
    """The page's own heading: h1 when it agrees with <title>/og:title, else the best of those."""
    raw_title = clean_line(root.findtext(".//title") or "")
    og = clean_line(metas.get("og:title", ""))
    headline = next((clean_line(str(d["headline"])) for d in ld if isinstance(d.get("headline"), str)), "")
    refs = [t for t in (raw_title, og, headline) if t]
    h1s = [clean_line(h.text_content()) for h in root.iter("h1")]
    h1s = [h for h in h1s if 2 <= len(h) <= 200]
    for h in h1s:
        if any(_squash(h) in _squash(r) or _squash(r) in _squash(h) for r in refs):
            return h
    if headline:
        return headline
    if og:
        return cut_title(og)
    if h1s and not raw_title:
        return h1s[0]
    for level in ("h2", "h3"):
        for h in root.iter(level):
            text = clean_line(h.text_content())
            if text and _squash(text) in _squash(raw_title):
                return text
    return cut_title(raw_title) if raw_title else (h1s[0] if h1s else "")


_SPACE_RUNS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE_RUNS.sub("", text).lower()


def published_of(root: html.HtmlElement, metas: dict[str, str], ld: list[dict[str, Any]], head_text: str,
                 page_text: str = "", scripts: tuple[str, ...] = ()) -> str:
    """The publication date: JSON-LD, meta tags, <time>, a labelled date (near the title, then
    anywhere on the page), any date near the title, a publish time in an inline script's data,
    and last the modified date."""
    for d in ld:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if isinstance(d.get(key), str) and (iso := find_date(d[key])):
                return iso
    for key in load("metadata")["date_meta"]:
        if key in metas and (iso := find_date(metas[key])):
            return iso
    for t in root.iter("time"):
        for value in (t.get("datetime") or "", t.text_content()):
            if iso := find_date(value):
                return iso
    for text in (head_text, page_text):
        if iso := labelled_date(text):
            return iso
    if iso := find_date(head_text):
        return iso
    # last: the page's own data (a publish-time key in an inline script's JSON), then the date it
    # was last modified, which a page that never changed gives for both; relative dates ("3天前",
    # "yesterday") are never guessed
    if iso := _script_date(scripts):
        return iso
    for key in load("metadata")["date_meta_modified"]:
        if key in metas and (iso := find_date(metas[key])):
            return iso
    return ""


def site_of(url: str, metas: dict[str, str]) -> str:
    try:
        host = urlsplit(url).hostname if url and "://" in url else ""
    except ValueError:  # a malformed URL (http://[oops/) names no site
        return ""
    return host or ""


def summary_of(metas: dict[str, str]) -> str:
    return clean_line(metas.get("description") or metas.get("og:description") or "")


def author_source(text: str) -> tuple[str, str]:
    a = regex("metadata", "author_pattern").search(text)
    s = regex("metadata", "source_pattern").search(text)
    return (a["v"] if a else "", s["v"] if s else "")


def metas_and_ld(root: html.HtmlElement) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Meta tags (name/property/itemprop -> content) and the JSON-LD objects of a page (before
    scripts are stripped)."""
    return _metas(root), _jsonld(root)


def inline_scripts(root: html.HtmlElement) -> tuple[str, ...]:
    """The texts of a page's inline scripts (kept before scripts are stripped; searched for a
    publish time only when nothing else gives the date)."""
    return tuple(s.text for s in root.iter("script") if s.text and s.get("src") is None)


def _script_date(scripts: tuple[str, ...]) -> str:
    pattern = caseless("metadata", "script_date")
    for text in scripts:
        if (m := pattern.search(text)) and (iso := find_date(m["v"])):
            return iso
    return ""
