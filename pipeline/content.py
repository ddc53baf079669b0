"""Main-content selection and block building over a cleaned lxml tree."""

from __future__ import annotations

import re
from functools import cache

from lxml import html

from .clean import clean_line
from .dom import hint
from .models import Block, Removed
from .rules import load

_PUNCT = re.compile(r"[，。；：！？、,.;:!?]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[。！？；，!?;,]|[.:](\s|$)")
_SCORED = frozenset({"p", "td", "pre", "blockquote", "div", "section", "article", "li", "dd", "font", "span", "center"})


@cache
def _tags(key: str) -> frozenset[str]:
    return frozenset(load("html")[key])


@cache
def _hint_re(key: str) -> re.Pattern[str]:
    return re.compile(load("html")[key], re.I)


def _own_text(el: html.HtmlElement) -> str:
    """Text directly in an element and its inline children (not in nested blocks)."""
    blocks = _tags("block_tags")
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in blocks:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _link_len(el: html.HtmlElement) -> int:
    return sum(len("".join(a.itertext()).strip()) for a in el.iter("a"))


def _class_weight(el: html.HtmlElement) -> float:
    value = hint(el)
    if not value:
        return 0.0
    weight = 0.0
    if _hint_re("positive_hint").search(value):
        weight += 25
    if _hint_re("negative_hint").search(value):
        weight -= 25
    return weight


def _text_weight(text: str) -> float:
    n = len(text)
    if n < 10:
        return 0.0
    cjk = len(_CJK.findall(text))
    units = n if cjk * 2 < n else cjk * 2.5  # CJK text is denser than alphabetic text
    return 1 + len(_PUNCT.findall(text)) + min(units / 100, 3)


def best_node(root: html.HtmlElement) -> html.HtmlElement:
    """The element most likely to hold the main content (readability-style scoring)."""
    scores: dict[html.HtmlElement, float] = {}
    for el in root.iter(*_SCORED):
        text = _own_text(el).strip()
        weight = _text_weight(text)
        if not weight:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        for node, share in ((parent, 1.0), (parent.getparent(), 0.5), (el, 0.4)):
            if node is None or not isinstance(node.tag, str):
                continue
            if node not in scores:
                scores[node] = _class_weight(node)
            scores[node] += weight * share
    body = root.find("body")
    fallback = body if body is not None else root
    if not scores:
        return fallback
    best, best_score = fallback, float("-inf")
    for node, score in scores.items():
        total = len("".join(node.itertext()))
        density = _link_len(node) / total if total else 1.0
        final = score * (1 - density)
        if final > best_score:
            best, best_score = node, final
    return best


def _is_link_list(el: html.HtmlElement) -> bool:
    text = "".join(el.itertext()).strip()
    if not text:
        return True
    return _link_len(el) / len(text) > 0.6


class _Walker:
    """Turns a subtree into ordered blocks, flushing inline text at block boundaries and <br>;
    `links[i]` is how many characters of block i are link text."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.links: list[int] = []
        self.buf: list[str] = []
        self.bold: list[str] = []
        self.linked: list[str] = []
        self.blocks_set = _tags("block_tags")
        self.headings = _tags("heading_tags")
        self.bolds = _tags("bold_tags")

    def flush(self) -> None:
        text = clean_line("".join(self.buf))
        bold_text = clean_line("".join(self.bold))
        if text:
            is_bold = bool(bold_text) and len(bold_text) >= len(text) * 0.9
            self.blocks.append(Block("paragraph", text, 0, is_bold))
            self.links.append(len(clean_line("".join(self.linked))))
        self.buf, self.bold, self.linked = [], [], []

    def add(self, text: str | None, bold: bool, link: bool = False) -> None:
        if text:
            self.buf.append(text)
            if bold:
                self.bold.append(text)
            if link:
                self.linked.append(text)

    def walk(self, el: html.HtmlElement, bold: bool = False, depth: int = 0, link: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in self.headings:
            self.flush()
            text = clean_line(el.text_content())
            if text:
                self.blocks.append(Block("heading", text, int(tag[1])))
                self.links.append(min(len(text), _link_len(el)))
            return
        if tag in ("ul", "ol") and _is_link_list(el):
            self.flush()
            return
        is_block = tag in self.blocks_set
        if is_block:
            self.flush()
        if tag == "br":
            self.flush()
        bold = bold or tag in self.bolds
        link = link or tag == "a"
        self.add(el.text, bold, link)
        if depth < 400:
            for child in el:
                self.walk(child, bold, depth + 1, link)
                self.add(child.tail, bold, link)
        if is_block:
            self.flush()


def blocks_of(node: html.HtmlElement) -> list[Block]:
    """Ordered heading and paragraph blocks under a node."""
    return main_blocks(node, trim=False)[0]


def _block_score(block: Block, link_chars: int) -> int:
    """Positive for prose, negative for link-dominated blocks, 0 for short plain lines (titles,
    bylines, signatures), which join the content only next to it."""
    n = len(block.text)
    if link_chars * 2 > n:
        return -n
    if block.kind == "paragraph" and _SENTENCE.search(block.text):
        return n
    return 0


def core(scores: list[int]) -> tuple[int, int]:
    """The run of blocks [start, end) with the largest total score (the prose), widened over the
    neutral blocks beside it; the whole range when nothing scores."""
    best, best_start, best_end = 0, 0, len(scores)
    run, start = 0, 0
    for i, score in enumerate(scores):
        if run <= 0:
            run, start = 0, i
        run += score
        if run > best:
            best, best_start, best_end = run, start, i + 1
    if best <= 0:
        return 0, len(scores)
    while best_start > 0 and scores[best_start - 1] == 0:
        best_start -= 1
    while best_end < len(scores) and scores[best_end] == 0:
        best_end += 1
    return best_start, best_end


def main_blocks(node: html.HtmlElement, trim: bool = True) -> tuple[list[Block], list[Removed]]:
    """The blocks under a node; with `trim`, link lists and pagers around the prose are cut off
    (each cut recorded as `Removed(text, "link_block")`)."""
    walker = _Walker()
    walker.walk(node)
    walker.flush()
    blocks = walker.blocks
    if not trim or len(blocks) < 2:
        return blocks, []
    start, end = core([_block_score(b, n) for b, n in zip(blocks, walker.links, strict=True)])
    removed = [Removed(b.text, "link_block") for b in blocks[:start] + blocks[end:]]
    return blocks[start:end], removed
