"""Chrome removal over text blocks, by the rules in `rules/chrome.toml`."""

from __future__ import annotations

import re
from functools import cache

from pipeline.models import Block, Removed
from pipeline.rules import Rule, rules

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


@cache
def _any_rule() -> re.Pattern[str]:
    """The unanchored chrome patterns in one alternation: a text no part of it matches needs none
    of them run.

    Patterns anchored at the start are left out (alone, re tries them at one position; inside an
    alternation, at every one) and always run, like patterns with backreferences, which cannot
    join an alternation (their group numbers would shift)."""
    joinable = [r.pattern.pattern for r in _body_rules() if not _BACKREF.search(r.pattern.pattern) and not _anchored(r)]
    return re.compile("|".join(f"(?:{p})" for p in joinable), re.I)


@cache
def _always() -> tuple[Rule, ...]:
    return tuple(r for r in _body_rules() if _BACKREF.search(r.pattern.pattern) or _anchored(r))


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
    """Run every chrome rule over one block's text (only the backreference ones when none can match)."""
    removed: list[Removed] = []
    original = text
    for rule in _body_rules() if _any_rule().search(text) else _always():
        if rule.name in skip or not text:
            continue
        text, gone = apply_rule(rule, text)
        if gone:
            removed.append(Removed(gone.strip(), rule.name))
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


def is_chrome(text: str) -> bool:
    """True when a rule would remove the whole text."""
    kept, _ = clean_text(text)
    return not kept
