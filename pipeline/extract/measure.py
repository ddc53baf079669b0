"""Text measures shared by the content choice and the lead search (pure functions over text and
lxml elements), and the thresholds of `rules/html.toml` [scoring]."""

from __future__ import annotations

import re
from functools import cache

from lxml import html

from pipeline.extract.dom import all_text
from pipeline.rules import load

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END = re.compile("[。！？!?.][\'\"’”」』)）]?$")


@cache
def param(key: str) -> float:
    """A threshold of the generic content choice (`rules/html.toml` [scoring])."""
    value: float = load("html")["scoring"][key]
    return value


def link_len(el: html.HtmlElement) -> int:
    """Characters of link text below an element."""
    return sum(len(all_text(a).strip()) for a in el.iter("a"))


def weighted_len(text: str) -> int:
    """Text length with CJK characters counted twice (a CJK character carries about a word)."""
    return len(text) + len(CJK.findall(text))


def is_lead(text: str, size: int, density: float) -> bool:
    """Whether a text beside the article body reads as its lead: long enough with few links, or a
    shorter complete sentence without links (`size` is its weighted length, `density` its link share)."""
    if size >= param("lead_min_len"):
        return density < param("sibling_link_density")
    return 0 < size and density == 0 and SENTENCE_END.search(text) is not None
