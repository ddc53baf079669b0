"""Chrome removal over text blocks, by the rules in `rules/chrome.toml`."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from pipeline.models import Block, Removed
from pipeline.rules import Rule, rules
from pipeline.rules.caseless import Caseless
from pipeline.rules.needs import needs

_BACKREF = re.compile(r"\\\d|\(\?P=")


def _branches(pattern: str) -> list[str]:
    """A pattern split at its top-level alternations."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*out, pattern[start:]]


def _anchored(rule: Rule) -> bool:
    """A pattern that can only match at the start of a text (alone, re tries it there once)."""
    return all(branch.startswith("^") for branch in _branches(rule.pattern.pattern))


def _joinable(rule: Rule) -> bool:
    """A rule whose match alone decides that every rule runs (see `clean_text`): not anchored at
    the start, no backreference."""
    return not _BACKREF.search(rule.pattern.pattern) and not _anchored(rule)


_Step = tuple[Rule, Caseless]
_Steps = tuple[tuple[_Step, ...], tuple[Caseless, ...], tuple[_Step, ...]]


class _Plan:
    """The body rules with the characters each cannot match without (`rules.needs`), as bits: a
    text's characters give a mask, and the rules whose every group has a bit in it may match.
    Each rule comes with its pattern as a `Caseless` (faster on ASCII text, same answers)."""

    def __init__(self, body: tuple[Rule, ...]) -> None:
        self.rules = tuple(((r, Caseless(r.pattern.pattern)), _joinable(r)) for r in body)
        self.bits: dict[str, int] = {}  # character -> the groups it belongs to
        self.masks: list[int] = []  # per rule: the groups it needs
        bit = 1
        for rule in body:
            mask = 0
            for group in needs(rule.pattern.pattern):
                for ch in group:
                    self.bits[ch] = self.bits.get(ch, 0) | bit
                mask |= bit
                bit <<= 1
            self.masks.append(mask)
        self.known = frozenset(self.bits)
        self.cache: dict[int, _Steps] = {}

    def rules_for(self, text: str) -> _Steps:
        """The rules that may match the text, in order: (all of them, the patterns of the joinable
        ones, the others)."""
        have = 0
        for ch in self.known.intersection(text):
            have |= self.bits[ch]
        found = self.cache.get(have)
        if found is None:
            steps = [r for r, m in zip(self.rules, self.masks, strict=True) if have & m == m]
            found = self.cache[have] = (tuple(r for r, _ in steps), tuple(r[1] for r, j in steps if j),
                                        tuple(r for r, j in steps if not j))
        return found


@cache
def _plan() -> _Plan:
    return _Plan(_body_rules())


@cache
def _body_rules() -> tuple[Rule, ...]:
    """The rules for any block; `where = "head"` ones only judge the lines of a text page's head."""
    return tuple(r for r in rules("chrome") if r.where != "head")


@cache
def _head_rules() -> tuple[Rule, ...]:
    return tuple(r for r in rules("chrome") if r.where == "head")


def is_head_chrome(text: str) -> bool:
    """True when a head-only rule takes the whole line (a site-name line under the title...)."""
    return any(not apply_rule(rule, text)[0] for rule in _head_rules())


def _tidy(text: str) -> str:
    return text.strip(" \t\u3000,，;；")


def apply_rule(rule: Rule, text: str) -> tuple[str, str]:
    """Apply one rule to a text; returns (kept text, removed text)."""
    if rule.kind == "line":
        if len(text) <= rule.max_len and rule.pattern.search(text):
            return "", text
        return text, ""
    removed: list[str] = []

    def cut(match: object) -> str:
        removed.append(match.group(0))  # type: ignore[attr-defined]
        return ""

    kept = rule.pattern.sub(cut, text)
    return (_tidy(kept), "".join(removed)) if removed else (text, "")


def clean_text(text: str, skip: frozenset[str] = frozenset()) -> tuple[str, list[Removed]]:
    """Run the chrome rules over one block's text, in order; every rule runs when some unanchored
    rule matches the text somewhere, else only the start-anchored and backreference ones.

    A rule whose needed characters (`rules.needs`) are missing from the text is skipped: it
    cannot match, before or after other rules cut text out (cutting adds no character)."""
    every, joinable, fixed = _plan().rules_for(text)
    lowered = text.lower() if text.isascii() else None  # for the fast path of every pattern at once
    run = every if any(pattern.found_in(text, lowered) for pattern in joinable) else fixed
    removed: list[Removed] = []
    original = text
    for rule, pattern in run:
        if rule.name in skip or not text or (rule.kind == "line" and len(text) > rule.max_len):
            continue  # (a line rule takes no text longer than its max_len: see apply_rule)
        if not pattern.found_in(text, lowered):
            continue  # found nowhere: the rule leaves the text as it is
        text, gone = apply_rule(rule, text)
        if gone:
            removed.append(Removed(gone.strip(), rule.name))
            lowered = text.lower() if text.isascii() else None
    if removed and text and _remnant(text, original):
        removed.append(Removed(text.strip(), "chrome_remnant"))
        text = ""
    return text, removed


def _remnant(text: str, original: str) -> bool:
    """What the rules left of a furniture line: a few words, no sentence, a small part of the line
    ('以上内容' of '以上内容仅供参考，更多范文请访问本站。', '【温馨提示】')."""
    left = text.strip(" \t\u3000,，;；:：")
    label = text.rstrip().endswith((":", "："))  # a label whose value the rules took ('温馨提示：')
    return len(left) <= 6 and (label or 4 * len(left) <= len(original)) and not re.search(r"[。！？!?]", left)


INTRO_RULES = frozenset({"seo_intro", "seo_intro_hant", "seo_xiaobian", "seo_for_you"})
LEAD_WINDOW = 3  # a paragraph among the first blocks that announced the page ("下面是…整理的…") is its lead


def clean_blocks(blocks: list[Block]) -> tuple[list[Block], list[Removed]]:
    """Drop chrome blocks and cut chrome sentences; every removal is recorded.

    What is left of an opening paragraph that carried an SEO intro becomes a "lead" block: the
    page's summary, not essay text.
    """
    kept: list[Block] = []
    removed: list[Removed] = []
    for block in blocks:
        text, gone = clean_text(block.text)
        removed.extend(gone)
        if not text:
            continue
        kind = block.kind
        if len(kept) < LEAD_WINDOW and kind == "paragraph" and any(r.rule in INTRO_RULES for r in gone):
            kind = "lead"
        kept.append(block if (text, kind) == (block.text, block.kind) else Block(kind, text, block.level, block.bold))
    return kept, removed


def chrome_rule(text: str) -> str:
    """The name of the rule that removes the whole text, or ''."""
    kept, gone = clean_text(text)
    return gone[-1].rule if gone and not kept else ""


@lru_cache(maxsize=8192)
def is_chrome(text: str) -> bool:
    """True when a rule would remove the whole text (cached: the text layout asks it of the same
    lines many times)."""
    kept, _ = clean_text(text)
    return not kept
