"""The head of a plain-text page dump: its trail, title, meta lines and where the body starts.

The title is the line the page is about, scored on the evidence the page gives: the trail's end
names it, headings and fields repeat it, the running text names it, a meta line sits under it,
and it is the first candidate; banners, categories (a narrower neighbour of the title, a run of
one-word lines above it), trails, key-value blocks and meta lines are no candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.extract.breadcrumbs import ends_with_title, text_trail
from pipeline.extract.chrome import chrome_rule, is_chrome, is_head_chrome
from pipeline.extract.metadata import find_date
from pipeline.extract.textlayout import (
    CJK4,
    FINAL,
    HEAD_WINDOW,
    KV_LINE,
    PHONE,
    PUNCT,
    TITLE_MAX,
    URL,
    has_word,
    is_link_bar,
    is_meta,
    is_prose,
    menu_lines,
    opens_text,
    outline,
    squash,
    title_notice,
    window_end,
)
from pipeline.rules import load
from pipeline.text.counts import count_claim

_ORDINAL_ONLY = re.compile(r"^[第篇0-9一二三四五六七八九十]+$")
_TITLE_PARTS = re.compile(r"\s*[_|｜]\s*|\s+[-–—]\s+")
_SUBTITLE = re.compile(r"^\s*(——|—|--|－－)")  # '——记我和爸爸的黄山之旅': the subtitle under a title


@dataclass
class Head:
    """What the top of a text page holds: its trail, title, meta lines and where the body starts."""

    crumbs: list[str] = field(default_factory=list)
    title: str = ""
    title_index: int = -1
    chrome: dict[int, str] = field(default_factory=dict)  # line index -> reason
    published: str = ""
    body_start: int = 0


@cache
def _heading_marker() -> re.Pattern[str]:
    n = load("split")["ordinal"]
    end = rf"(?:[【\[〔(（]\s*(?:第\s*)?{n}\s*篇?\s*[】\]〕)）]|第\s*{n}\s*篇|篇\s*{n}|范文\s*{n}|[\u3400-\u9fff]\s*[0-9]{{1,2}})\s*$"
    start = rf"^\s*(?:[【\[〔(（]\s*(?:第\s*)?(?:{n}\s*篇|篇\s*{n})\s*[】\]〕)）]|第\s*{n}\s*篇|篇\s*{n}(?:\s|[:：、.]|$)|范文\s*{n})"
    return re.compile(f"{end}|{start}")


def _marker_line(line: str) -> bool:
    """A line that is an essay heading with an ordinal (篇一, 第2篇, 【篇3】, title + 1)."""
    return len(line) <= TITLE_MAX and count_claim(line)[1] is None and bool(_heading_marker().search(line))


def _key(line: str) -> str:
    return squash(count_claim(line)[0] or line) if len(line) <= TITLE_MAX + 20 else ""


def _related(a: str, b: str) -> bool:
    """Two lines that name the same thing: one holds the other with little around it."""
    return _related_keys(_key(a), _key(b))


def _related_keys(x: str, y: str) -> bool:
    if len(x) < 4 or len(y) < 4:
        return x == y and bool(x)
    short, long = sorted((x, y), key=len)
    return short in long and len(long) - len(short) <= 8


def _echo(cand: str, others: str) -> int:
    """How many distinct four-character runs of the candidate recur elsewhere on the page."""
    grams = {run[k : k + 4] for run in CJK4.findall(cand) for k in range(len(run) - 3)}
    return sum(1 for g in grams if g in others)


def _narrower(a: str, b: str) -> bool:
    """Whether line a is a category of line b: b holds it with more words around it ('述职报告' of
    '2023年度个人述职报告'), not merely with a number (b is then the first essay's heading) and not
    as one part of a '<title>' line."""
    x, y = squash(a), squash(b)
    return x != y and x in y and not _ORDINAL_ONLY.match(y.replace(x, "", 1)) and not _part_of(a, b)


def _own_name(line: str) -> str:
    """The page's own name in a '<title>' line ('我的妈妈作文_三年级作文_好作文网' -> '我的妈妈作文'):
    parts joined by '_' or '|' whose last part is the site's name; the line itself otherwise."""
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*", line)]
    if len(parts) >= 2 and len(parts[0]) >= 2 and (is_head_chrome(parts[-1]) or is_chrome(parts[-1])):
        return parts[0]
    return line


def _part_of(a: str, b: str) -> bool:
    """Whether line b is line a joined with other parts by title separators ('a_分类_网站')."""
    parts = [squash(p) for p in _TITLE_PARTS.split(b)]
    return len(parts) >= 2 and squash(a) in parts


def kv_block(lines: list[str], end: int, skip: set[int]) -> set[int]:
    """Lines of a key-value block (two or more 'label: value' lines in a row) among the first `end`;
    the lines in `skip` (the trail: '您的位置：…') are none of it."""
    kv = [bool(KV_LINE.match(line)) and i not in skip for i, line in enumerate(lines[:end])]
    return {i for i, ok in enumerate(kv) if ok and ((i > 0 and kv[i - 1]) or (i + 1 < len(kv) and kv[i + 1]))}


def _title_score(lines: list[str], keys: list[str], i: int, crumb_at: int, last_crumb: str, first: int, fields: set[int],
                 echoes: int, running: list[tuple[int, str]]) -> int:
    line = lines[i]
    score = 0
    if last_crumb and ends_with_title(last_crumb, line):
        score += 3
    reps = sum(1 for j, other in enumerate(keys) if j != i and other and _related_keys(keys[i], other) and not is_chrome(lines[j]))
    score += 2 * min(reps, 2)
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if nxt and (is_meta(nxt) or (i + 1 in fields and not re.search(r"[:：]\s*$", nxt))):  # a field with a value
        score += 2
    if count_claim(line)[1] is not None:
        score += 2
    score += 2 if echoes >= 3 else 1 if echoes else 0
    stem = squash(count_claim(line)[0] or line)
    if len(stem) >= 4 and any(stem in text for j, text in running if j > i):
        score += 2
    if crumb_at >= 0:
        score += 1 if i > crumb_at else -1
    if i == first:
        score += 1
    if len(line.split(" ")) >= 3:
        score -= 2
    if PHONE.search(line) or URL.search(line):
        score -= 3
    return score


def _title_candidate(line: str, sole_marker: bool) -> bool:
    """A line that may be the page title; an essay heading with an ordinal only when it is the one
    such line on the page (a site that shows one essay of a set per page)."""
    return (2 <= len(line) <= TITLE_MAX and has_word(line) and not FINAL.search(line) and "。" not in line
            and not outline().match(line) and not is_meta(line) and not _SUBTITLE.match(line) and not is_link_bar(line) and (sole_marker or not _marker_line(line))
            and bool(re.search(r"[\u3400-\u9fffA-Za-z]{2}", line)))


def _is_category(line: str) -> bool:
    """A category line: short, one word, no punctuation or digits, not a phrase of the chrome rules."""
    return 2 <= len(line) <= 12 and " " not in line and not re.search(r"[\W\d_]", line) and not is_chrome(line) \
        and not is_head_chrome(line) and bool(re.search(r"[\u3400-\u9fff]", line))


def _categories_above(lines: list[str], title_index: int, chrome: dict[int, str], stop: int) -> list[int]:
    """The run of category lines right above the title, down from the line after `stop` (the
    trail's last line, or -1): they carry the trail on, or stand for it when the page shows none.
    A longer run than a section and its subsection is a list of links (a sidebar), not a trail."""
    run: list[int] = []
    i = title_index - 1
    while i > stop and (i not in chrome or chrome[i] == "head") and _is_category(lines[i]):
        run.insert(0, i)
        i -= 1
    return run if len(run) <= 2 else []


def read_head(lines: list[str]) -> Head:
    """Trail, title, meta lines and body start of a text page."""
    head = Head()
    end = window_end(lines)
    menu = menu_lines(lines[:end])
    head.chrome.update((i, "menu") for i in menu)
    crumb_at = -1
    for i, line in enumerate(lines[: max(end, 1)]):
        items = text_trail(line)
        if items is None:
            continue
        crumb_at = i
        head.chrome[i] = "breadcrumb"
        wrapped = bool(re.search(r"(>|»|›|＞|→)\s*$", line))  # a trail that goes on on the next line
        if (not items or wrapped) and i + 1 < len(lines):
            nxt = text_trail(lines[i + 1]) if not items else _continuation(lines[i + 1])
            if nxt:
                head.chrome[i + 1] = "breadcrumb"
                crumb_at, items = i + 1, items + nxt
        head.crumbs = items
        break
    last_crumb = head.crumbs[-1] if head.crumbs else ""
    sole_marker = sum(1 for line in lines if _marker_line(line)) == 1
    fields = kv_block(lines, end + 1, set(head.chrome))
    cands = [i for i in range(end) if i not in head.chrome and i not in fields and _title_candidate(lines[i], sole_marker)]
    # a line that the line above or below repeats with more around it is a category of the title
    narrower = {i for i in cands if any(j in cands and _narrower(lines[i], lines[j]) for j in (i - 1, i + 1))}
    # the page's <title> line ('X_三年级作文_好作文网') beside the title it is made of
    composite = {j for j in cands if any(i in cands and _part_of(lines[i], lines[j]) for i in (j - 1, j + 1))}
    cands = [i for i in cands if i not in narrower and i not in composite]
    if cands:
        keys = [_key(line) for line in lines]
        echo = {i: _echo(lines[i], "\n".join(lines[:i] + lines[i + 1 :])) for i in cands}
        running = [(j, squash(text)) for j, text in enumerate(lines) if is_prose(text) and not is_chrome(text)]  # the running text, squashed
        scores = {i: _title_score(lines, keys, i, crumb_at, last_crumb, cands[0], fields, echo[i], running) for i in cands}
        top = max(echo.values())
        if top >= 3:  # compared across candidates: the one the page echoes most, against one it never echoes
            scores = {i: s + (1 if echo[i] == top else -1 if echo[i] == 0 else 0) for i, s in scores.items()}
        best = max(cands, key=lambda i: (scores[i], -i))
        head.title, head.title_index = _own_name(lines[best]), best
        head.chrome.update((i, "category") for i in narrower if i == best + 1)
        after = lines[best + 1] if best + 1 < len(lines) else ""
        framed = scores[best] >= 2 and (0 <= crumb_at < best or is_meta(after))  # a header block around the title
        for i in range(best):
            if i not in head.chrome and (framed or not is_prose(lines[i])):
                head.chrome[i] = "head"
    if head.crumbs and head.title and ends_with_title(head.crumbs[-1], head.title):
        head.crumbs = head.crumbs[:-1]
    above = head.title_index - 1
    if crumb_at < 0 and above >= 0 and head.chrome.get(above, "head") == "head":
        items = _continuation(lines[above])  # a short trail without a label or a home item ('散文 > 抒情散文')
        if len(items) >= 2 and all(len(item) <= 12 for item in items):
            head.crumbs, crumb_at = items, above
            head.chrome[above] = "breadcrumb"
            if head.crumbs and ends_with_title(head.crumbs[-1], head.title):
                head.crumbs = head.crumbs[:-1]
    if head.title_index > 0:
        run = _categories_above(lines, head.title_index, head.chrome, crumb_at)
        if run and (crumb_at < 0 or run[0] == crumb_at + 1):
            head.crumbs = head.crumbs + [lines[i] for i in run]
            head.chrome.update((i, "category") for i in run)
    body = max(head.title_index + 1, crumb_at + 1)
    for i in range(body, min(len(lines), body + HEAD_WINDOW)):
        line = lines[i]
        if (is_prose(line) and not is_chrome(line)) or _marker_line(line) or (head.title and _related(line, head.title) and squash(line) == squash(head.title)):
            break
        if i == end and opens_text(line, lines[i + 1] if i + 1 < len(lines) else ""):
            break  # a salutation ('亲爱的同学们：') opens the text
        kv_run = bool(KV_LINE.match(line)) and any(
            0 <= j < len(lines) and (KV_LINE.match(lines[j]) or j in head.chrome) for j in (i - 1, i + 1))
        if is_meta(line) or kv_run or _site_line(line) or title_notice(line, head.title):
            head.chrome[i] = chrome_rule(line) or "meta"
    for i in sorted(head.chrome):
        if head.chrome[i] != "breadcrumb" and not head.published:
            head.published = find_date(lines[i])
    head.body_start = body
    return head


def _continuation(line: str) -> list[str]:
    """The items of a line that carries on a trail: separators between short items."""
    items = text_trail(line)
    if items is None and re.search(r"(>|»|›|＞|→)", line) and len(line) <= 60 and not PUNCT.search(line):
        items = [p.strip() for p in re.split(r"\s*(?:>>|->|→|>|»|›|＞)\s*", line) if p.strip()]
    return items or []


def _site_line(line: str) -> bool:
    return is_head_chrome(line)
