"""Chrome learned from a site's own pages: mask, fingerprint, decide, strip (pure; the counts live in the store).

One page alone cannot tell a site's promo line from prose; the site can. Every block of a page is
masked (the page's own title, numbers and dates become placeholders), so "《TITLE》由某网整理于
2023年5月6日" reads the same on every page, and fingerprinted. The store counts on how many of a
site's pages each fingerprint stands; `min_count` says how many make it the site's chrome
(settings and examples in `pipeline/rules/site_chrome.toml`): at least `min_share` of the site's
pages, and only once the site has `min_pages`. `clean_result` takes the learned lines out of a
processed page and builds its essays again, each removal with its reason.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from itertools import islice

from pipeline.models import Block, Page, Removed, Result
from pipeline.normalize.essays import normalize
from pipeline.normalize.split import match_marker
from pipeline.rules import load
from pipeline.text.clean import join_paragraphs
from pipeline.text.counts import count_claim

RULE = "site-repeated"
NO_TEXT = "no essay text on the page"  # the error `normalize` gives a page without essays
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Settings:
    min_pages: int
    min_share: float
    min_letters: int
    max_line: int
    exact_pages: int


@cache
def settings() -> Settings:
    cfg = load("site_chrome")
    return Settings(int(cfg["min_pages"]), float(cfg["min_share"]), int(cfg["min_letters"]), int(cfg["max_line"]),
                    int(cfg["exact_pages"]))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], str, str, int]:
    cfg = load("site_chrome")
    mark = re.escape(cfg["number_mark"])
    numbers = f"(?:{cfg['date']}|{cfg['number']})(?:\\s*(?:{cfg['date']}|{cfg['number']}|{mark}))*"
    return (re.compile(numbers), re.compile(cfg["title_split"]), cfg["title_mark"], cfg["number_mark"],
            int(cfg["min_title_part"]))


def title_variants(title: str) -> tuple[str, ...]:
    """The page's title, its core without a count claim, and its parts ("title - site"), longest first."""
    _, splitter, _, _, min_part = _patterns()
    title = title.strip()
    if not title:
        return ()
    found = {title}
    core = count_claim(title)[0]
    found.add(core)
    for text in (title, core):
        found.update(p for p in splitter.split(text) if len(p) >= min_part)
    return tuple(sorted((v for v in found if v), key=len, reverse=True))


def mask(line: str, title: str, variants: tuple[str, ...] | None = None) -> str:
    """The line with the page's title (and its parts) as one placeholder and every run of numbers and
    dates (2023年5月6日 8:05, 2015/6/6, 1,234) as another."""
    number, _, title_mark, number_mark, _ = _patterns()
    for variant in title_variants(title) if variants is None else variants:
        if variant in line:
            line = line.replace(variant, title_mark)
    return number.sub(number_mark, line)


def _has_letters(masked: str, least: int) -> bool:
    """Whether `least` letters or digits (Han characters count) are left beside the placeholders."""
    _, _, title_mark, number_mark, _ = _patterns()
    bare = masked.replace(title_mark, "").replace(number_mark, "")
    return next(islice(filter(str.isalnum, bare), least - 1, None), None) is not None


def fingerprint(masked: str) -> int:
    """A signed 64-bit fingerprint of a masked line (spaces and case do not count)."""
    key = _SPACE.sub("", masked).lower().encode("utf-8")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True)


_ORDINAL = re.compile("[0-9一二三四五六七八九十]")  # every essay marker holds one (rules/split.toml)

Prints = list[tuple[int, str] | None]


def block_prints(page: Page) -> Prints:
    """(fingerprint, masked line) of each block that may be chrome; None for blocks that never are:
    essay markers (篇一, 范文2：…), lines that are only the title, numbers and punctuation, long prose."""
    s = settings()
    variants = title_variants(page.title)
    core = count_claim(page.title)[0] or page.title
    heading_len = int(load("split")["max_heading_len"])
    out: Prints = []
    for block in page.blocks:
        text = block.text.strip()
        if not text or len(text) > s.max_line:
            out.append(None)
            continue
        if len(text) <= heading_len and _ORDINAL.search(text) and match_marker(text, core) is not None:
            out.append(None)
            continue
        masked = mask(text, page.title, variants)
        if not _has_letters(masked, s.min_letters):
            out.append(None)
            continue
        out.append((fingerprint(masked), masked))
    return out


def page_prints(page: Page, prints: Prints | None = None) -> dict[int, str]:
    """The page's distinct fingerprints with their masked lines (what the store counts)."""
    out: dict[int, str] = {}
    for found in block_prints(page) if prints is None else prints:
        if found is not None:
            out.setdefault(found[0], found[1])
    return out


def min_count(site_pages: int) -> int | None:
    """Pages a line must stand on to be the chrome of a site of `site_pages` pages; None: the site
    is too small to learn anything."""
    s = settings()
    if site_pages < s.min_pages:
        return None
    return max(2, math.ceil(s.min_share * site_pages - 1e-9))


def reason(pages: int, site_pages: int, site: str) -> str:
    return f"{RULE}: on {pages} of {site_pages} pages of {site}"


def _from_preface(page: Page) -> bool:
    """Whether `normalize` made the page's summary of the blocks before its first essay (it does when
    there are any): then it is built again from what is left, not kept."""
    if not page.summary:
        return False
    lead = page.blocks[: page.summary.count("\n") + 1]
    return page.summary == join_paragraphs([b.text for b in lead])


def clean_result(result: Result, chrome: Mapping[int, str], prints: Prints | None = None) -> tuple[Result, list[tuple[int, Removed]]]:
    """The result without the blocks whose fingerprint is learned chrome (`chrome`: fingerprint ->
    reason), its essays built again; the removals, each with its fingerprint. A page with nothing
    learned comes back as it was."""
    page = result.page
    if not chrome or not page.blocks or (page.error and page.error != NO_TEXT):
        return result, []
    kept: list[Block] = []
    gone: list[tuple[int, Removed]] = []
    for block, found in zip(page.blocks, block_prints(page) if prints is None else prints, strict=True):
        if found is not None and found[0] in chrome:
            gone.append((found[0], Removed(block.text, chrome[found[0]])))
        else:
            kept.append(block)
    if not gone:
        return result, []
    summary = "" if _from_preface(page) else page.summary
    base = replace(page, blocks=tuple(kept), removed=page.removed + tuple(r for _, r in gone), summary=summary, error="")
    again = normalize(base)
    if len(again.essays) == len(result.essays):
        again = replace(again, incomplete=result.incomplete)
    else:
        notes = [n for n in result.incomplete.split("; ") if n and not n.startswith("title claims")]
        again = replace(again, incomplete="; ".join([again.incomplete, *notes] if again.incomplete else notes))
    return again, gone
