"""The article's head: its own heading before the chosen block, and the lead, teaser or
standfirst between that heading and the block, which templates keep outside the body; and what
reads as an image's caption or credit (never a lead, left out of the body)."""

from __future__ import annotations

from functools import lru_cache

from lxml import html

from pipeline.extract.dom import all_text, hint, inside, text_of
from pipeline.extract.measure import is_lead, link_len, param, weighted_len
from pipeline.rules import regex, tagset


def title_heading(best: html.HtmlElement, levels: int) -> tuple[html.HtmlElement, html.HtmlElement] | None:
    """The <h1> before the chosen block that shares the closest ancestor with it (at most `levels`
    up, short of <body>), and that ancestor: the article's own title and the scope of its head."""
    chain: dict[html.HtmlElement, int] = {}
    node = best.getparent()
    while node is not None and len(chain) < levels and node.tag not in ("body", "html"):
        chain[node] = len(chain)
        node = node.getparent()
    found: tuple[int, html.HtmlElement, html.HtmlElement] | None = None
    for anc in chain:
        for h1 in anc.iter("h1"):
            if h1 is best or h1 is anc or inside(h1, {best}) or inside(best, {h1}):
                continue
            # the h1 comes first when the branch holding it precedes the one holding the block
            top, branch = h1, best
            while top.getparent() is not anc:
                top = top.getparent()
            while branch.getparent() is not anc:
                branch = branch.getparent()
            if anc.index(top) < anc.index(branch) and (found is None or chain[anc] < found[0]):
                found = (chain[anc], h1, anc)
        if found is not None:
            break
    return (found[1], found[2]) if found else None


def leads(best: html.HtmlElement, chosen: list[html.HtmlElement], weights: dict[html.HtmlElement, float],
           h1: html.HtmlElement, scope: html.HtmlElement) -> list[html.HtmlElement]:
    """Prose between the article's title (its <h1>) and the chosen block, in `scope` (the closest
    ancestor holding both): the subtitle, lead, teaser or standfirst that templates keep in the
    article's header, outside the body; image captions left out."""
    taken: list[html.HtmlElement] = []
    skip = set(chosen)
    started = False
    for el in scope.iter():
        if el is h1:
            started = True
            continue
        if el is best:
            break
        subtitle = el.tag in tagset("html", "subtitle_tags")
        if not started or (el not in weights and not subtitle) or el in skip or inside(el, {h1, *skip, *taken}) \
                or inside(best, {el}):
            continue
        text = " ".join(all_text(el).split())
        size = weighted_len(text)
        density = link_len(el) / len(text) if text else 1.0
        if subtitle and density == 0 and size >= param("subtitle_min_len"):
            taken.append(el)
        elif is_lead(text, size, density) and not caption(el):
            taken.append(el)
    return taken


def caption(el: html.HtmlElement) -> bool:
    """Whether an element reads as an image's caption: inside a <figure>, or it (or its parent)
    comes right after an image (an <img> or <picture>, alone or in a wrapper without text) or
    is classed as a caption or credit."""
    node: html.HtmlElement | None = el
    for _ in range(2):
        if node is None:
            return False
        if regex("html", "caption_hint").search(hint(node)):
            return True
        prev = node.getprevious()
        while prev is not None and not isinstance(prev.tag, str):
            prev = prev.getprevious()
        if prev is not None and (prev.tag in ("img", "picture") or (
                next(prev.iter("img", "picture"), None) is not None and len(text_of(prev)) < 20)):
            return True
        node = node.getparent()
    return any(anc.tag == "figure" for anc in el.iterancestors())


@lru_cache(maxsize=4096)
def caption_class(value: str | None) -> bool:
    """Whether a class attribute names an image's caption or credit (`caption_hint`)."""
    return bool(value) and regex("html", "caption_hint").search(value or "") is not None
