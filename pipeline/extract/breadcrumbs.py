"""Breadcrumb trails from HTML: the category path without home, the page's own title or 正文."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import html

from pipeline.rules import caseless, load
from pipeline.text.clean import clean_line
from pipeline.text.counts import count_claim


@cache
def _cfg() -> dict[str, Any]:
    cfg = dict(load("crumbs"))
    for key in ("label", "separators", "between", "text_separators"):
        cfg[key + "_re"] = re.compile(cfg[key], re.I)
    cfg["home_set"] = frozenset(h.lower() for h in cfg["home"])
    cfg["current_set"] = frozenset(cfg["current"])
    return cfg


_SPACE_RUNS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE_RUNS.sub("", text).lower()


_TEXT_PUNCT = re.compile(r"[。！？!?；;，,]")
_INNER_LABEL = re.compile(r"(?<=\s)(当前|當前|所在|您的|你的)?位置\s*[:：]\s*")  # a label after the site's name


def _trail_items(rest: str) -> list[str]:
    """The items of a trail's text, split at its separators; an item that holds a home word after
    other words (a column name or the site's name before '首页') keeps only what follows it."""
    cfg = _cfg()
    out: list[str] = []
    for part in cfg["text_separators_re"].split(rest):
        words = clean_line(part).split(" ")
        homes = [k for k, w in enumerate(words) if w.lower() in cfg["home_set"]]
        if homes:
            words = words[homes[-1] + 1 :]
        part = " ".join(words).strip()
        if part:
            out.append(part)
    return out


def _joined(url: str, href: str) -> str:
    try:
        return urljoin(url, href)
    except ValueError:
        return ""


def text_trail(line: str) -> list[str] | None:
    """The raw items of a plain-text line that is a breadcrumb trail, or None when it is not one.

    A trail is told by its shape, not its words: a location label ("当前位置:", "您的当前位置:"), or
    two strong separators between short items ("语文查网 > 教案教学 > 教学分析 > title"), or one
    separator or plain spaces after a home word ("首页 > 调研", "首页 精品范文 title"). An empty
    list is a label standing alone (its items are on the next line). Home items are dropped; the
    title at the end, if any, is left to the caller."""
    cfg = _cfg()
    text = clean_line(line)
    if not text or len(text) > cfg["max_text"]:
        return None
    label = cfg["label_re"].match(text) or _INNER_LABEL.search(text[:24])
    rest = text[label.end():] if label and label.end() > 0 and ("位置" in label.group(0) or "here" in label.group(0).lower()) else text
    labelled = rest is not text
    parts = [clean_line(p) for p in cfg["text_separators_re"].split(rest)]
    seps = len(parts) - 1
    max_item = int(cfg["text_item_max"])
    short = all(len(p) <= max_item and not _TEXT_PUNCT.search(p) for p in parts[:-1])
    words = rest.split(" ")
    home_first = any(w.lower() in cfg["home_set"] for w in words[:2])
    if labelled and not rest.strip():
        return [] if len(text) <= 12 else None
    colon = labelled and label is not None and label.group(0).rstrip()[-1:] in (":", "：")
    if labelled and (seps or home_first or (colon and len(rest) <= max_item and not _TEXT_PUNCT.search(rest))):
        pass
    elif seps >= 2 and short:
        pass
    elif seps == 1 and short and home_first:
        pass
    elif not seps and len(words) == 1 and len(text) <= 14 and not _TEXT_PUNCT.search(text) and any(
            text.lower().startswith(h) and len(text) > len(h) for h in cfg["home_set"]):
        rest_word = next(text[len(h):] for h in sorted(cfg["home_set"], key=len, reverse=True) if text.lower().startswith(h))
        return [] if rest_word in cfg["current_set"] else [rest_word]
    elif not seps and home_first and len(words) >= 2 and len(text) <= 60 and not _TEXT_PUNCT.search(text) \
            and not re.search(r"[|｜]", text) and len([w for w in words if w]) <= 5:  # not a menu: no bars, a trail's depth
        return [w for w in words if w and w.lower() not in cfg["home_set"] and w not in cfg["current_set"]]
    else:
        return None
    return [p for p in _trail_items(rest) if p.lower() not in cfg["home_set"] and p not in cfg["current_set"]]


def ends_with_title(item: str, title: str) -> bool:
    """A trail's last item that is the page itself: the title, the title with 正文 after it, or the
    title cut short with an ellipsis."""
    a, t = _squash(item), _squash(title)
    if not a or not t:
        return False
    stem = a.rstrip(".…")
    if stem != a and len(stem) >= 4 and t.startswith(stem):  # the title cut short in the trail
        return True
    for cur in _cfg()["current"]:
        if a.endswith(cur) and len(a) > len(cur):
            a = a[: -len(cur)]
            break
    core = _squash(count_claim(title)[0] or title)
    return a in (t, core) or (len(a) >= 6 and (a in t or t in a))


def from_text(line: str, title: str = "") -> list[str]:
    """The crumbs of a plain-text trail ("当前位置:首页 > 演讲致辞 > 演讲稿 >"), without home and title."""
    items = text_trail(line)
    if items is None:
        cfg = _cfg()
        items = [clean_line(p) for p in cfg["separators_re"].split(cfg["label_re"].sub("", line, count=1))]
        items = [p for p in items if p and p.lower() not in cfg["home_set"] and p not in cfg["current_set"]]
    if title and items and ends_with_title(items[-1], title):
        items = items[:-1]
    return items


def _is_home_href(href: str, url: str) -> bool:
    if href in ("", "/", "./", "#", "index.html", "index.htm", "index.php", "/index.html", "/index.htm", "/index.php"):
        return True
    if url and "://" in url:
        try:  # a malformed href (http://[oops/) is no home link
            parts = urlsplit(urljoin(url, href))
        except ValueError:
            return False
        return parts.path in ("", "/", "/index.html", "/index.htm", "/index.php") and not parts.query
    return bool(re.match(r"^https?://[^/]+/?$", href))


def _items(el: html.HtmlElement) -> list[tuple[str, str | None]]:
    """(text, href or None for plain text) in document order."""
    items: list[tuple[str, str | None]] = []
    anchors = set(el.iter("a"))

    def plain(text: str | None) -> None:
        for part in _cfg()["separators_re"].split(text or ""):
            part = clean_line(part)
            if part:
                items.append((part, None))

    def walk(node: html.HtmlElement) -> None:
        if node in anchors:
            items.append((clean_line(node.text_content()), node.get("href") or ""))
        else:
            plain(node.text)
            for child in node:
                if isinstance(child.tag, str):
                    walk(child)
                plain(child.tail)

    walk(el)
    return [(t, h) for t, h in items if t]


def _hinted(el: html.HtmlElement) -> bool:
    """Whether the element's class, id or aria-label names a trail."""
    return any(_hint_value(v) for v in (el.get("class"), el.get("id"), el.get("aria-label")) if v)


@lru_cache(maxsize=8192)
def _hint_value(value: str) -> bool:
    """Whether one class, id or aria-label value names a trail (cached: pages repeat their values)."""
    return caseless("crumbs", "hint").found(value)


def _looks_like_trail(el: html.HtmlElement, text: str) -> tuple[int, bool]:
    """(rank, ok): rank 0 labelled, 1 hinted, 2 shaped like a trail."""
    cfg = _cfg()
    if cfg["label_re"].match(text):
        return 0, True
    anchors = list(el.iter("a"))
    if not anchors:
        return 3, False
    hinted = _hinted(el)
    if hinted and el.tag in ("ol", "ul", "nav"):
        return 1, True
    if not hinted and len(anchors) < 2:
        return 3, False  # (the text between the links is looked at only where it decides)
    between = "".join(_gaps(el))
    has_sep = bool(between.strip()) and bool(cfg["between_re"].match(between))
    if hinted and has_sep:
        return 1, True
    if len(anchors) >= 2 and has_sep:
        return 2, True
    return 3, False


def _gaps(el: html.HtmlElement) -> list[str]:
    """Text between the links of an element: link tails and short separator elements."""
    anchors = list(el.iter("a"))
    inside = {n for a in anchors for n in a.iter()}
    out = [a.tail or "" for a in anchors[:-1]]
    for node in el.iter():
        if node is el or node in inside or not isinstance(node.tag, str):
            continue
        if node.text and len(node.text.strip()) <= 3:
            out.append(node.text)
    return out


def trail(el: html.HtmlElement, title: str, url: str = "") -> list[str]:
    """The crumbs of one trail element."""
    cfg = _cfg()
    items = _items(el)
    if items and cfg["label_re"].match(items[0][0]):
        rest = cfg["label_re"].sub("", items[0][0]).strip()
        items = ([(rest, items[0][1])] if rest else []) + items[1:]
    out: list[str] = []
    t = _squash(title)
    for k, (text, href) in enumerate(items):
        low = text.lower()
        if low in cfg["home_set"] or text in cfg["current_set"]:
            continue
        if k == 0 and href is not None and _is_home_href(href, url):
            continue
        if t and _squash(text) and (_squash(text) == t or (len(text) > 8 and _squash(text) in t)):
            if href is None or len(title) >= cfg["own_title_min_len"] or (url and _joined(url, href) == url):
                continue
        out.append(text)
    return out


_CONTAINERS = ("div", "p", "span", "nav", "ol", "ul", "section", "td", "header", "li")


def _candidates(root: html.HtmlElement) -> list[html.HtmlElement]:
    """Elements that may hold a trail, found by cheap checks before any text is gathered: a label
    in their own text (or in a child of theirs that holds no link), a class/id hint, or two links
    among their children."""
    cfg = _cfg()
    out: list[html.HtmlElement] = []
    seen: set[html.HtmlElement] = set()
    label = cfg["label_re"]
    for el in root.iter(*_CONTAINERS):
        own = el.text
        target: html.HtmlElement | None = None
        if own and (own := own.strip()) and label.match(own):
            target = el if el.find(".//a") is not None else el.getparent()
        elif ((cls := el.get("class")) and _hint_value(cls)) or ((ident := el.get("id")) and _hint_value(ident)) \
                or ((aria := el.get("aria-label")) and _hint_value(aria)) or (len(el) >= 2 and _two_linked(el)):
            target = el  # (`_hinted` written out: this runs on every container of the page)
        if target is not None and target not in seen:
            seen.add(target)
            out.append(target)
    return out


_LINK_WRAPS = frozenset({"span", "li", "b", "strong", "em"})


def _two_linked(el: html.HtmlElement) -> bool:
    """Whether two of the element's children are links or wrap one (<li><a>...)."""
    n = 0
    for child in el:
        tag = child.tag
        if tag == "a" or (tag in _LINK_WRAPS and child.find("a") is not None):
            n += 1
            if n == 2:
                return True
    return False


def breadcrumb_of(root: html.HtmlElement, title: str, url: str = "", ld: list[dict[str, Any]] | None = None) -> list[str]:
    """The page's category path, from the best trail on the page, else JSON-LD BreadcrumbList."""
    cfg = _cfg()
    best: tuple[int, int, list[str]] | None = None
    for order, el in enumerate(_candidates(root)):
        raw = el.text_content()
        if len(raw) > 2 * cfg["max_text"] and len(clean_line(raw[: 2 * cfg["max_text"]])) > cfg["max_text"]:
            continue  # too long already in its first part (cleaning a part never gives more than the whole)
        text = clean_line(raw)
        if not text or len(text) > cfg["max_text"]:
            continue
        rank, ok = _looks_like_trail(el, text)
        if not ok or (best is not None and rank >= best[0]):
            continue
        crumbs = trail(el, title, url)
        if crumbs and len(crumbs) <= cfg["max_crumbs"]:
            best = (rank, order, crumbs)
            if rank == 0:
                break
    if best is not None:
        return best[2]
    for d in ld or []:
        if d.get("@type") == "BreadcrumbList" and isinstance(d.get("itemListElement"), list):
            names = []
            for item in d["itemListElement"]:
                if not isinstance(item, dict):
                    continue
                name = item.get("name")
                if not isinstance(name, str) and isinstance(item.get("item"), dict):
                    name = item["item"].get("name")
                if isinstance(name, str):
                    names.append(clean_line(name))
            crumbs = [n for n in names if n and n.lower() not in cfg["home_set"] and n not in cfg["current_set"]
                      and _squash(n) != _squash(title)]
            if crumbs:
                return crumbs
    return []
