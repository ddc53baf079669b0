"""The layout of a plain-text page dump, read from the evidence the page itself gives.

A text dump (a page's visible text, like the seed) has no markup: which line is the title, which
the trail, which the meta line, where the essay starts and where the site's furniture begins
again are told apart by position (relative to the title and the first prose line), repetition
across the page (the title shows again as a heading, at the end of the trail, in a footer),
shape (line length, punctuation, label:value pairs, runs of sibling lines that share a form) and
only then by the phrase rules of `rules/chrome.toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.extract.breadcrumbs import ends_with_title, text_trail
from pipeline.extract.chrome import chrome_rule, is_chrome, is_head_chrome
from pipeline.extract.metadata import find_date
from pipeline.rules import load
from pipeline.text.counts import count_claim

_PUNCT = re.compile(r"[。！？!?；;，,]")
_FINAL = re.compile(r"[。；;，,:：…]$")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
_CJK4 = re.compile(r"[\u3400-\u9fffA-Za-z0-9]{4,}")
_BULLET = re.compile(r"^[•●▪■□◦‣∙·]\s*")
_TABLE_ROW = re.compile(r"^(\S{1,6}?)\s*[|｜]\s*(.*?)\s*[|｜]?\s*$")
_KV = re.compile(r"([\u3400-\u9fffA-Za-z]{1,6})\s*[:：]")
_KV_LINE = re.compile(r"^\s*[\u3400-\u9fffA-Za-z]{1,6}\s*[:：]\s*([^。！？!?；;，,]{0,30})$")
_BYLINE = re.compile(r"^[\u3400-\u9fff]{1,3}\s*[/／]\s*[^\s/／。，,；;]{1,12}$")
_PHONE = re.compile(r"\d{3,4}-\d{3,4}-\d{3,4}|\d{7,}")
_URL = re.compile(r"https?://|www\.", re.I)
_LIST_DATE = re.compile(r"(\d{1,2}-\d{1,2}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s*$")
_DATED = re.compile(r"^(?P<t>[^:：|｜>»]{4,}?)\s+(?P<d>(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)$")
_MARK = r"(?:[【\[〔(（]\s*(?:第\s*)?{N}\s*篇?\s*[】\]〕)）]|第\s*{N}\s*篇|篇\s*{N}|范文\s*{N}|[0-9]{1,2}(?![0-9年月日号%.．:：篇个字]))"
PROSE_LEN = 30  # a line this long with sentence punctuation is running text, not a heading or a field
TITLE_MAX = 80
HEAD_WINDOW = 20  # the title is looked for among the first lines only


@cache
def _marker() -> re.Pattern[str]:
    return re.compile(_MARK.replace("{N}", load("split")["ordinal"]))


@cache
def _outline() -> re.Pattern[str]:
    return re.compile(load("split")["outline"])


def squash(text: str) -> str:
    return re.sub(r"[\s\u3000《》<>\"“”'‘’()（）【】\[\]:：·•\-—_,，.。!！?？]+", "", text).lower()


def is_prose(line: str) -> bool:
    """Running text: long with sentence punctuation, or very long."""
    return (len(line) >= PROSE_LEN and bool(_PUNCT.search(line))) or len(line) >= 2 * PROSE_LEN


def has_word(line: str) -> bool:
    return bool(_WORD.search(line))


def is_field_line(line: str) -> bool:
    """A key-value line (label: value) of a page's furniture: two or more labels in a short line,
    a byline (label/name), or a date with little else."""
    if len(line) > 100 or "。" in line:
        return False
    if len(_KV.findall(line)) >= 2 and not _PUNCT.search(_KV.sub("", line)):
        return True
    if _BYLINE.match(line):  # 文/李清风, 图／新华社
        return True
    date = find_date(line)
    if date and len(line) <= 60 and len(re.sub(r"[\d\s:：/.\-年月日()（）]", "", line)) <= 12:
        return True
    return False


def is_counter_line(line: str) -> bool:
    """A toolbar or counter line: three or more short space-separated pieces, none a sentence."""
    parts = line.split(" ")
    return len(parts) >= 3 and all(len(p) <= 10 for p in parts) and not _PUNCT.search(line) and any(
        re.search(r"\d", p) for p in parts)


def is_link_bar(line: str) -> bool:
    """Three or more short items separated by '|': a bar of links."""
    items = [p.strip() for p in re.split(r"[|｜]", line)]
    items = [p for p in items if p]
    return len(items) >= 3 and all(len(p) <= 20 and not _PUNCT.search(p) for p in items)


def is_meta(line: str) -> bool:
    """A line of the page's metadata or furniture, as found right under a title."""
    return is_field_line(line) or is_counter_line(line) or is_chrome(line)


def unwrap(lines: list[str]) -> tuple[list[str], set[int]]:
    """Lines without list bullets and table cell labels ('标题 | text |' -> 'text'), and the
    indices of the lines that are furniture by shape: no word at all (a lone '|'), a label-only cell."""
    out: list[str] = []
    furniture: set[int] = set()
    for line in lines:
        line = _BULLET.sub("", line).strip()
        m = _TABLE_ROW.match(line) if ("|" in line or "｜" in line) and not is_link_bar(line) else None
        if m and len(m.group(1)) <= 6:
            if not m.group(2):
                furniture.add(len(out))
            else:
                line = m.group(2)
        if not has_word(line):
            furniture.add(len(out))
        out.append(line)
    return out, furniture


def split_dated(lines: list[str]) -> list[str]:
    """A head line that is a title with its date after it ('《西游记》读后感 2023-03-02') as two
    lines, the title and the date, as most pages show them."""
    out: list[str] = []
    head = _window_end(lines)
    for i, line in enumerate(lines):
        m = _DATED.match(line) if i < head and len(line) <= TITLE_MAX else None
        if m and not _PUNCT.search(m["t"]) and not re.search(r"\w\.\w", m["t"]) and text_trail(m["t"]) is None \
                and not is_chrome(line):
            out.extend((m["t"].strip(), m["d"]))
        else:
            out.append(line)
    return out


def glued_title(line: str) -> tuple[str, int] | None:
    """(title, start of its heading) when a long line opens with a title that comes back later in
    the line with an ordinal after it ('X在学习中……X【第一篇】为了……'): a page without line breaks."""
    head = re.split(r"[。！？!?；;，,、：:\s]", line, maxsplit=1)[0][:40]
    for k in range(len(head), 3, -1):
        prefix = head[:k]
        for m in re.finditer(re.escape(prefix), line[k:]):
            at = k + m.start()
            if _marker().match(line, at + k):
                return prefix, at
    return None


def unglue(lines: list[str], core: str) -> list[str]:
    """Break a line where the title, followed by an ordinal, starts an essay heading inside it
    (a blurb and the heading on one line, or a heading run into its first sentence)."""
    if not core or len(core) < 4:
        return lines
    pattern = re.compile(re.escape(core) + r"\s*" + _marker().pattern)
    if not any(pattern.search(line) for line in lines):
        # headings that name the title without its last words (title 'X范文', headings 'X1'): a
        # shorter prefix of the title, only at a line's start or right after a sentence's end
        for k in range(len(core) - 1, max(4, -(-len(core) * 3 // 5)) - 1, -1):
            short = re.compile(r"(?:^|(?<=[。！？!?]))\s*" + re.escape(core[:k]) + r"\s*" + _marker().pattern)
            if any(short.search(line) for line in lines):
                pattern = short
                break
    out: list[str] = []
    for line in lines:
        m = pattern.search(line)
        if not m or (m.start() == 0 and m.end() == len(line)):
            out.append(line)
            continue
        before, heading, after = line[: m.start()].strip(), m.group(0).strip(), line[m.end():].strip()
        out.extend(x for x in (before, heading) if x)
        out.extend(_unglue_with(pattern, after) if after else [])
    return out


def _unglue_with(pattern: re.Pattern[str], line: str) -> list[str]:
    out: list[str] = []
    while line:
        m = pattern.search(line)
        if not m or (m.start() == 0 and m.end() == len(line)):
            out.append(line)
            break
        out.extend(x for x in (line[: m.start()].strip(), m.group(0).strip()) if x)
        line = line[m.end():].strip()
    return out


@dataclass
class Head:
    """What the top of a text page holds: its trail, title, meta lines and where the body starts."""

    crumbs: list[str] = field(default_factory=list)
    title: str = ""
    title_index: int = -1
    chrome: dict[int, str] = field(default_factory=dict)  # line index -> reason
    published: str = ""
    body_start: int = 0


def _opens_text(line: str, nxt: str) -> bool:
    """A salutation that opens the running text: a line ending in a colon, not a field, before prose."""
    return line.endswith((":", "：")) and not is_field_line(line) and ("、" in line or is_prose(nxt) or nxt.endswith(("!", "！")))


def _window_end(lines: list[str]) -> int:
    """Index of the first line of running text (or of a salutation that opens it)."""
    for i, line in enumerate(lines[:HEAD_WINDOW]):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if is_prose(line) and not (_PHONE.search(line) or _URL.search(line)):
            # running text starts here, unless the line stands alone between short lines
            # (a header quote or a banner above the title)
            if not nxt or is_prose(nxt) or nxt.endswith((":", "：")):
                return i
        if _opens_text(line, nxt):
            return i
    return min(len(lines), HEAD_WINDOW)


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
    grams = {run[k : k + 4] for run in _CJK4.findall(cand) for k in range(len(run) - 3)}
    return sum(1 for g in grams if g in others)


def kv_block(lines: list[str], end: int) -> set[int]:
    """Lines of a key-value block (two or more 'label: value' lines in a row) among the first `end`."""
    kv = [bool(_KV_LINE.match(line)) for line in lines[:end]]
    return {i for i, ok in enumerate(kv) if ok and ((i > 0 and kv[i - 1]) or (i + 1 < len(kv) and kv[i + 1]))}


def _title_score(lines: list[str], keys: list[str], i: int, crumb_at: int, last_crumb: str, first: int, fields: set[int]) -> int:
    line = lines[i]
    score = 0
    if last_crumb and ends_with_title(last_crumb, line):
        score += 3
    reps = sum(1 for j, other in enumerate(keys) if j != i and other and not is_chrome(lines[j]) and _related_keys(keys[i], other))
    score += 2 * min(reps, 2)
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if nxt and (is_meta(nxt) or (i + 1 in fields and not re.search(r"[:：]\s*$", nxt))):  # a field with a value
        score += 2
    if count_claim(line)[1] is not None:
        score += 2
    echoes = _echo(line, "\n".join(lines[:i] + lines[i + 1 :]))
    score += 2 if echoes >= 3 else 1 if echoes else 0
    stem = squash(count_claim(line)[0] or line)
    if len(stem) >= 4 and any(stem in squash(p) for p in lines[i + 1 :] if is_prose(p) and not is_chrome(p)):
        score += 2
    if crumb_at >= 0:
        score += 1 if i > crumb_at else -1
    if i == first:
        score += 1
    if len(line.split(" ")) >= 3:
        score -= 2
    if _PHONE.search(line) or _URL.search(line):
        score -= 3
    return score


def _title_candidate(line: str, sole_marker: bool) -> bool:
    """A line that may be the page title; an essay heading with an ordinal only when it is the one
    such line on the page (a site that shows one essay of a set per page)."""
    return (2 <= len(line) <= TITLE_MAX and has_word(line) and not _FINAL.search(line) and "。" not in line
            and not _outline().match(line) and not is_meta(line) and (sole_marker or not _marker_line(line))
            and bool(re.search(r"[\u3400-\u9fffA-Za-z]{2}", line)))


def _is_category(line: str) -> bool:
    """A category line: short, one word, no punctuation or digits, not a phrase of the chrome rules."""
    return 2 <= len(line) <= 12 and " " not in line and not re.search(r"[\W\d_]", line) and not is_chrome(line) \
        and not is_head_chrome(line) and bool(re.search(r"[\u3400-\u9fff]", line))


def _categories_above(lines: list[str], title_index: int, chrome: dict[int, str], stop: int) -> list[int]:
    """The run of category lines right above the title, down from the line after `stop` (the
    trail's last line, or -1): they carry the trail on, or stand for it when the page shows none."""
    run: list[int] = []
    i = title_index - 1
    while i > stop and (i not in chrome or chrome[i] == "head") and _is_category(lines[i]):
        run.insert(0, i)
        i -= 1
    return run


def read_head(lines: list[str]) -> Head:
    """Trail, title, meta lines and body start of a text page."""
    head = Head()
    end = _window_end(lines)
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
    fields = kv_block(lines, end + 1)
    cands = [i for i in range(end) if i not in head.chrome and i not in fields and _title_candidate(lines[i], sole_marker)]
    # a line that the line above or below repeats with more around it is a category of the title
    narrower = {i for i in cands if any(j in cands and squash(lines[i]) != squash(lines[j]) and squash(lines[i]) in squash(lines[j])
                                        for j in (i - 1, i + 1))}
    cands = [i for i in cands if i not in narrower]
    if cands:
        keys = [_key(line) for line in lines]
        scores = {i: _title_score(lines, keys, i, crumb_at, last_crumb, cands[0], fields) for i in cands}
        best = max(cands, key=lambda i: (scores[i], -i))
        head.title, head.title_index = lines[best], best
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
        if is_prose(line) or _marker_line(line) or (head.title and _related(line, head.title) and squash(line) == squash(head.title)):
            break
        if i == end and _opens_text(line, lines[i + 1] if i + 1 < len(lines) else ""):
            break  # a salutation ('亲爱的同学们：') opens the text
        kv_run = bool(_KV_LINE.match(line)) and any(
            0 <= j < len(lines) and (_KV_LINE.match(lines[j]) or j in head.chrome) for j in (i - 1, i + 1))
        if is_meta(line) or kv_run or _site_line(line) or _title_notice(line, head.title):
            head.chrome[i] = chrome_rule(line) or "meta"
    for i in sorted(head.chrome):
        if head.chrome[i] != "breadcrumb" and not head.published:
            head.published = find_date(lines[i])
    head.body_start = body
    return head


def _continuation(line: str) -> list[str]:
    """The items of a line that carries on a trail: separators between short items."""
    items = text_trail(line)
    if items is None and re.search(r"(>|»|›|＞|→)", line) and len(line) <= 60 and not _PUNCT.search(line):
        items = [p.strip() for p in re.split(r"\s*(?:>>|->|→|>|»|›|＞)\s*", line) if p.strip()]
    return items or []


def _site_line(line: str) -> bool:
    return is_head_chrome(line)


def _title_notice(line: str, title: str) -> bool:
    """'本文标题: <the title>': a footer or header field that repeats the title."""
    m = re.match(r"^\s*[\u3400-\u9fffA-Za-z]{1,8}\s*[:：]\s*(.+)$", line)
    return bool(title and m and squash(m.group(1)) == squash(title))


def tail_chrome(lines: list[str], start: int, title: str) -> dict[int, str]:
    """Furniture after the body: link bars, runs of related links (short lines ending in a date),
    the heading over such a list, fields repeating the title, and a last line after a run of them."""
    found: dict[int, str] = {}
    n = len(lines)
    for i in range(start, n):
        line = lines[i]
        if is_link_bar(line):
            found[i] = "link_bar"
        elif _title_notice(line, title):
            found[i] = "title_notice"
    i = start
    while i < n:
        j = i
        while j < n and len(lines[j]) <= 40 and "。" not in lines[j] and _LIST_DATE.search(lines[j]):
            j += 1
        if j - i >= 3:
            for k in range(i, j):
                found[k] = "related_list"
        i = max(j, i + 1)
    for i in sorted(found):
        prev = i - 1
        if prev >= start and prev not in found and len(lines[prev]) <= 40 and not is_prose(lines[prev]) and (
                lines[prev].endswith((":", "：")) or not _PUNCT.search(lines[prev])):
            if found[i] in ("link_bar", "related_list"):
                found[prev] = "list_heading"
    return found


def footer_after(lines: list[str], chrome: set[int], start: int) -> int | None:
    """A page that ends with a run of two or more furniture lines and then one more line: that
    line is the site's footer (a blurb about the site), not the essay's end."""
    n = len(lines)
    if n - start < 4 or (n - 1) in chrome:
        return None
    if (n - 2) in chrome and (n - 3) in chrome:
        return n - 1
    return None
