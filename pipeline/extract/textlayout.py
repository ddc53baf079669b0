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
from functools import cache

from pipeline.extract.breadcrumbs import text_trail
from pipeline.extract.chrome import is_chrome
from pipeline.extract.metadata import find_date
from pipeline.rules import load

PUNCT = re.compile(r"[。！？!?；;，,]")
FINAL = re.compile(r"[。；;，,:：…]$")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
CJK4 = re.compile(r"[\u3400-\u9fffA-Za-z0-9]{4,}")
_BULLET = re.compile(r"^[•●▪■□◦‣∙·]\s*")
_TABLE_ROW = re.compile(r"^(\S{1,6}?)\s*[|｜]\s*(.*?)\s*[|｜]?\s*$")
_KV = re.compile(r"([\u3400-\u9fffA-Za-z]{1,6})\s*[:：]")
KV_LINE = re.compile(r"^\s*[\u3400-\u9fffA-Za-z]{1,6}\s*[:：]\s*([^。！？!?；;，,]{0,30})$")
_BRACKETED = re.compile(r"^(?:\s*[【\[（(][^】\]）)]{1,24}[】\]）)])+\s*$")
_BYLINE = re.compile(r"^[\u3400-\u9fff]{1,3}\s*[/／]\s*[^\s/／。，,；;]{1,12}$")
PHONE = re.compile(r"\d{3,4}-\d{3,4}-\d{3,4}|\d{7,}")
URL = re.compile(r"https?://|www\.", re.I)
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
def outline() -> re.Pattern[str]:
    return re.compile(load("split")["outline"])


def squash(text: str) -> str:
    return re.sub(r"[\s\u3000《》<>\"“”'‘’()（）【】\[\]:：·•\-—_,，.。!！?？]+", "", text).lower()


def is_prose(line: str) -> bool:
    """Running text: long with sentence punctuation, or very long."""
    return (len(line) >= PROSE_LEN and bool(PUNCT.search(line))) or len(line) >= 2 * PROSE_LEN


def has_word(line: str) -> bool:
    return bool(_WORD.search(line))


def is_field_line(line: str) -> bool:
    """A key-value line (label: value) of a page's furniture: two or more labels in a short line,
    a byline (label/name), bracketed fields ('（本文来源：X）'), or a date with little else."""
    if len(line) > 100 or "。" in line:
        return False
    if len(_KV.findall(line)) >= 2 and not PUNCT.search(_KV.sub("", line)):
        return True
    if _BYLINE.match(line):  # 文/李清风, 图／新华社
        return True
    if _BRACKETED.match(line) and re.search(r"[\u3400-\u9fffA-Za-z]{1,6}\s*[:：]", line):  # （本文来源：X） 【纠错】【责任编辑：Y】
        return True
    date = find_date(line)
    if date and len(line) <= 60 and len(re.sub(r"[\d\s:：/.\-年月日()（）]", "", line)) <= 12:
        return True
    return False


def is_counter_line(line: str) -> bool:
    """A toolbar or counter line: three or more short space-separated pieces, none a sentence."""
    parts = line.split(" ")
    return len(parts) >= 3 and all(len(p) <= 10 for p in parts) and not PUNCT.search(line) and any(
        re.search(r"\d", p) for p in parts)


def is_link_bar(line: str) -> bool:
    """Three or more short items separated by '|': a bar of links."""
    items = [p.strip() for p in re.split(r"[|｜]", line)]
    items = [p for p in items if p]
    return len(items) >= 3 and all(len(p) <= 20 and not PUNCT.search(p) for p in items)


def is_meta(line: str) -> bool:
    """A line of the page's metadata or furniture, as found right under a title."""
    return is_field_line(line) or is_counter_line(line) or is_chrome(line)


def unwrap(lines: list[str]) -> tuple[list[str], set[int], list[str]]:
    """Lines without list bullets and table cell labels ('标题 | text |' -> 'text'), the indices of
    the lines that are furniture by shape (no word at all: a lone '|'; a label-only cell), and the
    cell labels taken off."""
    out: list[str] = []
    furniture: set[int] = set()
    labels: list[str] = []
    for line in lines:
        line = _BULLET.sub("", line).strip()
        m = _TABLE_ROW.match(line) if ("|" in line or "｜" in line) and not is_link_bar(line) else None
        if m and len(m.group(1)) <= 6:
            if not m.group(2):
                furniture.add(len(out))
            else:
                labels.append(m.group(1))
                line = m.group(2)
        if not has_word(line):
            furniture.add(len(out))
        out.append(line)
    return out, furniture, labels


def split_dated(lines: list[str]) -> list[str]:
    """A head line that is a title with its date after it ('《西游记》读后感 2023-03-02') as two
    lines, the title and the date, as most pages show them."""
    out: list[str] = []
    head = window_end(lines)
    for i, line in enumerate(lines):
        m = _DATED.match(line) if i < head and len(line) <= TITLE_MAX else None
        if m and not PUNCT.search(m["t"]) and not re.search(r"\w\.\w", m["t"]) and text_trail(m["t"]) is None \
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


@cache
def _lead_marker() -> re.Pattern[str]:
    n = load("split")["ordinal"]
    return re.compile(rf"^\s*(?:[【\[〔]\s*(?:第\s*{n}\s*篇|篇\s*{n}|范文\s*{n}|{n})\s*[】\]〕]|(?:第\s*{n}\s*篇|篇\s*{n}|范文\s*{n})(?:\s*[:：]|\s+))")


@cache
def _essay_marker() -> re.Pattern[str]:
    n = load("split")["ordinal"]
    return re.compile(rf"{_lead_marker().pattern}|^\s*(?:第\s*{n}\s*篇|篇\s*{n}|范文\s*{n})\s*$")


def unglue_markers(lines: list[str]) -> list[str]:
    """Break an explicit essay marker ('【篇一】', '范文二：') off the running text it leads, when two
    or more lines of the page open with one (a set of essays whose headings run into their text)."""
    found = [_lead_marker().match(line) for line in lines]
    led = {i for i, m in enumerate(found) if m and is_prose(lines[i][m.end():].strip())}
    if len(led) < 2:
        return lines
    out: list[str] = []
    for i, (line, m) in enumerate(zip(lines, found, strict=True)):
        if i in led and m:
            out.extend([m.group(0).strip().rstrip(":："), line[m.end():].strip()])
        else:
            out.append(line)
    return out


def unglue(lines: list[str], core: str) -> list[str]:
    """Break a line where the title, followed by an ordinal, starts an essay heading inside it
    (a blurb and the heading on one line, or a heading run into its first sentence)."""
    lines = unglue_markers(lines)
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


def opens_text(line: str, nxt: str) -> bool:
    """A salutation that opens the running text: a line ending in a colon, not a field, before prose."""
    return line.endswith((":", "：")) and not is_field_line(line) and ("、" in line or is_prose(nxt) or nxt.endswith(("!", "！")))


MENU_RUN = 5  # this many short link lines in a row, before the trail or the meta lines, are a menu
SCAN_MAX = 200  # lines a menu may take before the head


def _menu_item(line: str) -> bool:
    return 0 < len(line) <= 8 and has_word(line) and not PUNCT.search(line) and not line.endswith((":", "："))


def menu_lines(lines: list[str]) -> set[int]:
    """Lines of the site's menus at the top of the page: runs of MENU_RUN or more short link lines
    that a trail or a meta line follows before any running text (the last line of a run may be
    the title and is left out). A run after the meta lines is the text's own (a poem's lines)."""
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate(lines[:SCAN_MAX]):
        if _menu_item(line):
            run.append(i)
            continue
        if is_prose(line) and not (PHONE.search(line) or URL.search(line)):
            break
        if len(run) >= MENU_RUN:
            found.update(run[:-1])
        if text_trail(line) is not None or is_meta(line):
            return found
        run = []
    return set()  # no trail or meta line after the runs: nothing tells a menu from the text


def window_end(lines: list[str]) -> int:
    """Index of the first line of running text (or of a salutation that opens it), looked for
    among the first HEAD_WINDOW lines after the site's menus."""
    menu = menu_lines(lines)
    seen = 0
    for i, line in enumerate(lines[: SCAN_MAX]):
        if i in menu:
            continue
        seen += 1
        if seen > HEAD_WINDOW:
            return i
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if is_prose(line) and not (PHONE.search(line) or URL.search(line)):
            # running text starts here, unless the line stands alone between short lines
            # (a header quote or a banner above the title)
            if not nxt or is_prose(nxt) or nxt.endswith((":", "：")):
                return i
        if opens_text(line, nxt):
            return i
    return min(len(lines), SCAN_MAX)


def title_notice(line: str, title: str) -> bool:
    """'本文标题: <the title>': a footer or header field that repeats the title."""
    m = re.match(r"^\s*[\u3400-\u9fffA-Za-z]{1,8}\s*[:：]\s*(.+)$", line)
    return bool(title and m and squash(m.group(1)) == squash(title))


def tail_chrome(lines: list[str], start: int, title: str) -> dict[int, str]:
    """Furniture after the body: link bars, runs of related links (short lines ending in a date, or
    short lines under a furniture line after the last running text), the heading over such a list,
    fields repeating the title."""
    found: dict[int, str] = {}
    n = len(lines)
    last = max((i for i in range(start, n) if is_prose(lines[i]) and not is_chrome(lines[i])), default=start - 1)
    for i in range(start, n):
        line = lines[i]
        if is_link_bar(line):
            found[i] = "link_bar"
        elif title_notice(line, title):
            found[i] = "title_notice"
        elif i > last and is_field_line(line) and (_BRACKETED.match(line) or len(_KV.findall(line)) >= 2):
            # '（本文来源：X）', '【纠错】【责任编辑：Y】', '来源：X 编辑：Y' after the text (not a signed date)
            found[i] = "meta"
    i = start
    while i < n:
        j = i
        while j < n and len(lines[j]) <= 40 and "。" not in lines[j] and _LIST_DATE.search(lines[j]):
            j += 1
        if j - i >= 3:
            for k in range(i, j):
                found[k] = "related_list"
        i = max(j, i + 1)
    # after the last running text: a run of two or more short lines without sentence punctuation
    # under a furniture line, up to the page's end or more furniture, is a list of links
    for i in range(last + 1, n):
        label = len(lines[i]) <= 40 and lines[i].endswith((":", "：")) and not is_prose(lines[i])  # 'X相关文章：'
        if i in found or label or is_chrome(lines[i]):
            j = i + 1
            while j < n and j not in found and len(lines[j]) <= 30 and not PUNCT.search(lines[j]) and has_word(lines[j]) \
                    and not outline().match(lines[j]):
                j += 1
            if j - i > 2 and (j == n or (not label and (j in found or is_chrome(lines[j])))):
                found.update((k, "related_list") for k in range(i + 1, j))
                found.setdefault(i, "list_heading")
    for i in sorted(found):
        prev = i - 1
        if prev >= start and prev not in found and len(lines[prev]) <= 40 and not is_prose(lines[prev]) and (
                lines[prev].endswith((":", "：")) or not PUNCT.search(lines[prev])):
            if found[i] in ("link_bar", "related_list"):
                found[prev] = "list_heading"
    return found


def furniture_again(lines: list[str], chrome: set[int], start: int, title: str) -> int:
    """Where the site's furniture takes over for good: after the running text, the first two
    furniture lines in a row (a toolbar, a comment or list heading, a share bar) end the page's
    own text, unless an essay heading follows (a paywall between essays); the page's length when
    there is no such run."""
    n = len(lines)
    prose = False
    for i in range(start, n - 1):
        prose = prose or (i not in chrome and is_prose(lines[i]))
        if prose and i in chrome and i + 1 in chrome:
            stem = squash(title)[:4] if len(squash(title)) >= 4 else "\0"
            if not any(not is_prose(lines[j]) and (squash(lines[j]).startswith(stem) or _essay_marker().match(lines[j]))
                       for j in range(i + 2, n) if j not in chrome):
                return i + 2  # no other essay follows
    return n
