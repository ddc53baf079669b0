"""Main-content selection and block building over a cleaned lxml tree."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import html

from pipeline.extract.dom import all_text, hint, inside, text_of
from pipeline.extract.lead import caption_class, leads, title_heading
from pipeline.extract.measure import CJK as _CJK
from pipeline.extract.measure import SENTENCE_END as _SENTENCE_END
from pipeline.extract.measure import is_lead as _is_lead
from pipeline.extract.measure import link_len as _link_len
from pipeline.extract.measure import param as _param
from pipeline.extract.measure import weighted_len as _weighted_len
from pipeline.extract.trim import core, link_runs, spread
from pipeline.models import Block, Removed
from pipeline.rules import caseless, tagset
from pipeline.text.clean import clean_line

_PUNCT = re.compile(r"[，。；：！？、,.;:!?]")
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE = re.compile(r"[。！？；，!?;,]|[.:](\s|$)")
_SCORED = frozenset({"p", "td", "pre", "blockquote", "div", "section", "article", "li", "dd", "font", "span", "center"})


def _own_text(el: html.HtmlElement) -> str:
    """Text directly in an element and its inline children (not in nested blocks)."""
    if not len(el):
        return el.text or ""
    blocks = tagset("html", "block_tags")
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in blocks:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _class_weight(el: html.HtmlElement) -> float:
    value = hint(el)
    return _hint_weight(value) if value else 0.0


@lru_cache(maxsize=8192)
def _hint_weight(value: str) -> float:
    """+25 for a class/id value that speaks for content, -25 against (both: 0); cached per value."""
    return 25.0 * caseless("html", "positive_hint").found(value) - 25.0 * caseless("html", "negative_hint").found(value)


def _text_weight(text: str) -> float:
    n = len(text)
    if n < 10:
        return 0.0
    cjk = 0 if text.isascii() else len(_CJK.findall(text))  # (no CJK character is ASCII)
    units = n if cjk * 2 < n else cjk * 2.5  # CJK text is denser than alphabetic text
    return 1 + len(_PUNCT.findall(text)) + min(units / 100, 3)


_Ranking = tuple[html.HtmlElement, float, dict[html.HtmlElement, float], dict[html.HtmlElement, float]]


def _ranked(root: html.HtmlElement) -> _Ranking:
    """The best candidate, its final score, every candidate's raw score (readability-style: text
    weight of the paragraphs below and class/id hints; the final score is the raw one times one
    minus link density) and every text element's own text weight."""
    scores: dict[html.HtmlElement, float] = {}
    weights: dict[html.HtmlElement, float] = {}
    for el in root.iter(*_SCORED):
        text = _own_text(el).strip()
        weight = _text_weight(text)
        if not weight:
            continue
        weights[el] = weight
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
    best = body if body is not None else root
    best_score = float("-inf")
    finals: dict[html.HtmlElement, float] = {}
    # Link density only lowers a score, so candidates are visited best raw score first and the
    # visit stops once no raw score can beat the best final one.
    for node, score in sorted(scores.items(), key=lambda item: -item[1]):
        if score <= best_score:
            break
        final = finals[node] = _final(node, score)
        if final > best_score:
            best, best_score = node, final
    return best, best_score, scores, weights


def _final(node: html.HtmlElement, score: float) -> float:
    total = len(all_text(node))
    density = _link_len(node) / total if total else 1.0
    return score * (1 - density)


def best_node(root: html.HtmlElement) -> html.HtmlElement:
    """The element most likely to hold the main content."""
    best, _, _, weights = _ranked(root)
    return _widen(best, weights)


def _prose(node: html.HtmlElement, weights: dict[html.HtmlElement, float]) -> float:
    return sum(weights.get(el, 0.0) for el in node.iter(*_SCORED))


def _widen(best: html.HtmlElement, weights: dict[html.HtmlElement, float]) -> html.HtmlElement:
    """Climb from the best candidate to an ancestor (a few levels up, short of <body>) that holds
    far more text of the same kind, spread over two or more of its children, with few links: the
    table or list whose cells each hold one part of the page (layout tables, one essay per cell)."""
    ratio, share, min_parts = _param("widen_ratio"), _param("widen_part_share"), _param("widen_min_parts")
    node, prose = best, _prose(best, weights)
    while True:
        climbed = False
        anc = node.getparent()
        for _ in range(int(_param("widen_levels"))):
            if anc is None or anc.tag in ("body", "html"):
                break
            more = _prose(anc, weights)
            if more >= prose * ratio:
                parts = sum(1 for child in anc if _prose(child, weights) >= prose * share)
                text = len(all_text(anc))
                if parts >= min_parts and text and _link_len(anc) / text < _param("widen_link_density"):
                    node, prose, climbed = anc, more, True
                break
            anc = anc.getparent()
        if not climbed:
            return node


def prose_map(root: html.HtmlElement) -> dict[html.HtmlElement, int]:
    """Every element's prose: characters of sentence text (own text with punctuation, links left
    out) in its subtree. Independent of class names and of the candidate scores."""
    own: dict[html.HtmlElement, int] = {}
    for el in root.iter(*_SCORED, "h1", "h2", "h3"):
        text = _own_text(el)
        if len(text) < 20 or not _SENTENCE.search(text):
            continue
        links = sum(len(child.text_content()) for child in el if child.tag == "a")
        if len(text.strip()) - links > 10:
            own[el] = len(text.strip()) - links
    total: dict[html.HtmlElement, int] = {}
    for el, n in own.items():
        node = el
        while node is not None:
            total[node] = total.get(node, 0) + n
            node = node.getparent()
    return total


def prose_container(root: html.HtmlElement, prose: dict[html.HtmlElement, int]) -> html.HtmlElement:
    """The element that holds the bulk of the page's prose: from <body> down, into the child that
    holds most of its parent's prose, while one does."""
    body = root.find("body")
    node = body if body is not None else root
    share = _param("container_share")
    while True:
        here = prose.get(node, 0)
        child = max((c for c in node if isinstance(c.tag, str)), key=lambda c: prose.get(c, 0), default=None)
        if child is None or not here or prose.get(child, 0) < here * share:
            return node
        node = child


def checked_choice(best: html.HtmlElement, root: html.HtmlElement) -> html.HtmlElement:
    """A second, independent choice (the prose container) checks the scored one: the scored
    block is kept while it holds a fair part of the container's prose; a block beside it or
    inside it that misses most of the prose gives way to the container."""
    prose = prose_map(root)
    container = prose_container(root, prose)
    if container is best or inside(container, {best}) or container.tag in ("body", "html"):
        return best
    mine, theirs = prose.get(best, 0), prose.get(container, 0)
    text = len(all_text(container))
    if not text or _link_len(container) / text >= _param("container_link_density"):
        return best
    if mine < theirs * _param("container_keep_share"):
        return container
    return best


def content_nodes(root: html.HtmlElement) -> list[html.HtmlElement]:
    """The best candidate plus the siblings that belong with it (a lead paragraph or a second
    text column beside the article body), in document order."""
    best, best_score, scores, weights = _ranked(root)
    best = checked_choice(_widen(best, weights), root)
    if best not in scores:
        best_score = _final(best, sum(weights.get(el, 0.0) for el in best.iter(*_SCORED)))
    parent = best.getparent()
    if parent is None or best.tag in ("body", "html"):
        return [best]
    threshold = max(10.0, best_score * _param("sibling_share"))
    max_density = _param("sibling_link_density")
    out = []
    for sib in parent:
        if sib is best:
            out.append(sib)
            continue
        if not isinstance(sib.tag, str) or sib.tag in tagset("html", "heading_tags"):
            continue
        raw = scores.get(sib, 0.0)
        scored = raw >= threshold and _class_weight(sib) >= 0 and _final(sib, raw) >= threshold
        if not scored and sib.tag != "p":
            continue
        text = all_text(sib).strip()
        size = _weighted_len(text)
        density = _link_len(sib) / len(text) if text else 1.0
        if scored and size >= _param("sibling_min_len") and density < max_density:
            out.append(sib)  # a second block of prose beside the article body
        elif sib.tag == "p" and _is_lead(text, size, density):
            out.append(sib)  # a lead paragraph outside the body container
    head = title_heading(best, int(_param("lead_levels")))
    taken = leads(best, out, weights, *head) if head else []
    if not taken or head is None:
        return out
    order = {el: i for i, el in enumerate(head[1].iter())}  # the scope holds the leads and the siblings
    return sorted(taken + out, key=order.__getitem__)


def _is_link_list(el: html.HtmlElement) -> bool:
    text = all_text(el).strip()
    if not text:
        return True
    return _link_len(el) / len(text) > 0.6


class _Walker:
    """Turns a subtree into ordered blocks, flushing inline text at block boundaries and <br>;
    `links[i]` is how many letters of block i are link text."""

    def __init__(self, captions: list[html.HtmlElement] | None = None) -> None:
        self.blocks: list[Block] = []
        self.links: list[int] = []
        self.dropped: list[Removed] = []
        # image captions and credits (a <figure>, a caption/credit class) are left out of these nodes,
        # each while it holds a small share of their text
        self.captions = captions
        self.aside_limit = -1
        self.labels: set[int] = set()  # blocks right before a dropped link list (its label, when plain)
        self.buf: list[str] = []
        self.bold: list[str] = []
        self.linked: list[str] = []
        self.blocks_set = tagset("html", "block_tags")
        self.headings = tagset("html", "heading_tags")
        self.bolds = tagset("html", "bold_tags")

    def flush(self) -> None:
        joined = "".join(self.buf)  # (bold and linked text are parts of it)
        if not joined or joined.isspace():  # nothing, or the whitespace between tags: cleaning leaves nothing
            self.buf, self.bold, self.linked = [], [], []
            return
        text = clean_line(joined)
        bold_text = clean_line("".join(self.bold)) if self.bold else ""
        if text:
            is_bold = bool(bold_text) and len(bold_text) >= len(text) * 0.9
            self.blocks.append(Block("paragraph", text, 0, is_bold))
            self.links.append(_letters("".join(self.linked)) if self.linked else 0)
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
        if self.captions and (tag == "figure" or caption_class(el.get("class"))):
            if self.aside_limit < 0:
                self.aside_limit = int(sum(len(text_of(n)) for n in self.captions) * _param("aside_max_share"))
            if len(text_of(el)) <= self.aside_limit:
                self.flush()
                text = " ".join(" ".join(el.itertext()).split())
                if text:
                    self.dropped.append(Removed(text, "caption"))
                return
        if tag in self.headings:
            self.flush()
            text = clean_line(el.text_content())
            if text:
                self.blocks.append(Block("heading", text, int(tag[1])))
                self.links.append(_letters(text if link else " ".join(all_text(a) for a in el.iter("a"))))
            return
        if tag in ("ul", "ol") and _is_link_list(el):
            self.flush()
            text = " ".join(" ".join(el.itertext()).split())
            if text:
                self.dropped.append(Removed(text, "link_list"))
                if self.blocks:
                    self.labels.add(len(self.blocks) - 1)
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


def _letters(text: str) -> int:
    """Letters and CJK characters in a text (digits, dates and punctuation left out)."""
    return len(_LETTER.findall(text))


def _block_score(block: Block, link_letters: int) -> int:
    """Positive for prose, negative for link-dominated blocks (by letters, so a linked headline
    with an unlinked date counts as a link), 0 for short plain lines (titles, bylines,
    signatures), which join the content only next to it."""
    n = len(block.text)
    if link_letters and link_letters * 2 > _letters(block.text):
        return -n
    if block.kind == "paragraph" and _SENTENCE.search(block.text):
        return n
    return 0


def _drop_closing_notes(blocks: list[Block], keep: list[bool]) -> set[int]:
    """Bold sentences that close the article (a note to readers, a call to follow or subscribe),
    each shorter than `note_max_len`, are not its text; bold lines without a sentence (an event's
    name and dates) are."""
    last = [i for i, k in enumerate(keep) if k]
    notes: set[int] = set()
    while len(last) > 2:
        block = blocks[last[-1]]
        if not (block.bold and block.kind == "paragraph" and len(block.text) < _param("note_max_len")
                and _SENTENCE.search(block.text)):
            break
        notes.add(last.pop())
    for i in notes:
        keep[i] = False
    return notes


def main_blocks(node: html.HtmlElement | list[html.HtmlElement], trim: bool = True) -> tuple[list[Block], list[Removed]]:
    """The blocks under a node (or nodes, in order); with `trim`, link lists and pagers around the
    prose are cut off (each cut recorded as `Removed(text, "link_block")`)."""
    nodes = node if isinstance(node, list) else [node]
    walker = _Walker(captions=nodes if trim else None)
    for el in nodes:
        walker.walk(el)
        walker.flush()
    blocks = walker.blocks
    if not trim or len(blocks) < 2:
        return blocks, walker.dropped
    scores = [_block_score(b, n) for b, n in zip(blocks, walker.links, strict=True)]
    start, end = spread(scores, *core(scores), _param("spread_share"))
    keep = [start <= i < end for i in range(len(blocks))]
    for i, j in link_runs(scores[start:end], int(_param("link_run_min"))):
        for k in range(start + i, start + j):
            keep[k] = False
    for i in walker.labels if max(scores) > 0 else ():  # "Read more:" over a list of links that went
        text = blocks[i].text
        if scores[i] >= 0 and len(text) <= _param("label_max_len") and not _SENTENCE_END.search(text):
            keep[i] = False
    notes = _drop_closing_notes(blocks, keep)
    for k in range(start, end - 1):  # "Read also:" over one or two links set into the text: both go
        text = blocks[k].text
        if scores[k + 1] < 0 and len(text) <= _param("label_max_len") and text.endswith((":", "：")):
            j = k
            while j == k or (j < end and scores[j] < 0):
                keep[j] = False
                j += 1
    kept = [b for b, k in zip(blocks, keep, strict=True) if k]
    removed = [Removed(b.text, "note" if i in notes else "link_block") for i, (b, k) in enumerate(zip(blocks, keep, strict=True))
               if not k]
    return kept, walker.dropped + removed
