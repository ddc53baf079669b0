"""Split a page's blocks into essays: by the heading forms in `rules/split.toml`, by the shape of sibling
headings (equal but for a number running 1, 2, 3), by the title repeated, by claimed counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from pipeline.models import Block
from pipeline.rules import Rule, load, rules
from pipeline.text.counts import cn_number, count_claim

_END_PUNCT = re.compile(r"[。！？!?；;，,]$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_OR_WORD = re.compile(r"[\u3400-\u9fffA-Za-z]")
_NUMBERED = re.compile(r"^\s*[0-9]{1,2}\s*[、.．]\s*")
MIN_SECTION_CHARS = 50  # an essay under an explicit ordinal marker
MIN_UNMARKED_SECTION_CHARS = 120  # an essay under a heading without a marker (repeated title, subtitles)


@dataclass(frozen=True)
class Section:
    """One essay's heading title and its paragraphs."""

    title: str
    paragraphs: tuple[str, ...]


@dataclass
class Split:
    """The result of splitting: text before the first essay, the essays, the form used, and the
    lines dropped as neither (a table of contents over the essays)."""

    preface: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    form: str = ""
    dropped: list[str] = field(default_factory=list)


@cache
def _compiled() -> tuple[tuple[Rule, re.Pattern[str]], ...]:
    ordinal = load("split")["ordinal"]
    ordered = sorted(rules("split"), key=lambda r: r.get("title") != "own")  # marker-first forms before title-first ones
    return tuple((r, re.compile(r.pattern.pattern.replace("{N}", ordinal), re.I)) for r in ordered)


@cache
def _outline() -> re.Pattern[str]:
    return re.compile(load("split")["outline"])


@cache
def _multi() -> re.Pattern[str]:
    return re.compile(load("split")["multi_title"])


def squash(text: str) -> str:
    return re.sub(r"[\s\u3000《》<>\"“”'‘’]+", "", text).lower()


def resembles(text: str, title: str) -> bool:
    """True when a heading's text is, or nearly is, the page title (not merely a word of it)."""
    a, b = squash(count_claim(text)[0] or text), squash(count_claim(title)[0] or title)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 0.6 * len(long):
        return False
    if len(short) >= 4 and short in long:
        return True
    common = sum(1 for ch in set(a) if ch in b)
    return _CJK.search(a) is not None and common / max(len(set(a)), len(set(b))) >= 0.75


def _heading_like(block: Block) -> bool:
    text = block.text.strip()
    limit = int(load("split")["max_heading_len"])
    return 0 < len(text) <= limit and not _END_PUNCT.search(text)


def match_marker(text: str, core: str) -> tuple[str, int, str] | None:
    """(form, ordinal, own subtitle or '') when a line is an essay heading with an ordinal marker."""
    for rule, pattern in _compiled():
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        n_raw = groups.get("n") or groups.get("n2")
        t = (groups.get("t") or groups.get("t2") or "").strip(" ：:、.-—")
        n = cn_number(n_raw or "")
        if n is None:
            continue
        if rule.get("title") == "resembles":
            if not core and t:  # no page title: sibling headings must agree among themselves (see _ordinal_split)
                return rule.name, n, _NUMBERED.sub("", t)
            if not resembles(t, core):
                continue
            return rule.name, n, ""
        if t and _outline().match(t):
            continue
        return rule.name, n, "" if not t or resembles(t, core) else t
    return None


def _in_sequence(ordinals: list[int]) -> bool:
    return bool(ordinals) and ordinals == list(range(ordinals[0], ordinals[0] + len(ordinals))) and ordinals[0] == 1


def _cut(blocks: list[Block], heads: list[tuple[int, str]], form: str, lines: list[int] | None = None) -> Split:
    """Sections from heading positions; `lines[k]` is how many lines heading k takes (default 1)."""
    out = Split(form=form)
    out.preface = [b.text for b in blocks[: heads[0][0]]]
    for k, (index, title) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(blocks)
        start = index + (lines[k] if lines else 1)
        out.sections.append(Section(title, tuple(b.text for b in blocks[start:end])))
    return out


def _ordinal_split(blocks: list[Block], core: str) -> Split | None:
    by_form: dict[str, list[tuple[int, int, str]]] = {}
    for i, block in enumerate(blocks):
        if not _heading_like(block):
            continue
        found = match_marker(block.text, core)
        if found:
            form, n, own = found
            by_form.setdefault(form, []).append((i, n, own))
    best: tuple[str, list[tuple[int, int, str]]] | None = None
    for form, hits in by_form.items():
        if not _in_sequence([n for _, n, _ in hits]):
            continue  # ordinals that restart or skip: ambiguous, not essay headings
        if not core and (len(hits) < 2 or not all(own and resembles(own, hits[0][2]) for _, _, own in hits)):
            continue  # without a page title, only sibling headings that name the same thing
        if best is None or len(hits) > len(best[1]):
            best = (form, hits)
    if best is None:
        return None
    form, hits = best
    heads, lines = [], []
    for i, _, own in hits:
        bare = not own and not resembles(blocks[i].text, core) and squash(core) not in squash(blocks[i].text)
        sub = _subtitle_after(blocks, i, core) if bare else ""  # a subtitle line under a bare marker (范文一 alone)
        heads.append((i, sub or own or core))
        lines.append(2 if sub else 1)
    heads, lines = _with_unmarked(blocks, core, heads, lines)
    return _cut(blocks, heads, form, lines)


def _with_unmarked(blocks: list[Block], core: str, heads: list[tuple[int, str]], lines: list[int]) -> tuple[list[tuple[int, str]], list[int]]:
    """Marked headings plus later headings that resemble the title but lost their ordinal (a site
    that numbers its first essay only): each must stand between running text and open an essay
    of its own."""
    if not core:
        return heads, lines
    taken = {i for i, _ in heads}
    extra = [i for i in range(heads[0][0] + 2, len(blocks)) if i not in taken and i - 1 not in taken
             and _heading_like(blocks[i]) and len(blocks[i].text) <= 40 and resembles(blocks[i].text, core)
             and (len(blocks[i - 1].text) >= 30 or _END_PUNCT.search(blocks[i - 1].text) is not None) and match_marker(blocks[i].text, core) is None]
    if not extra:
        return heads, lines
    merged = sorted([(i, t, n) for (i, t), n in zip(heads, lines, strict=True)] + [(i, core, 1) for i in extra])
    ends = [i for i, _, _ in merged[1:]] + [len(blocks)]
    if any(sum(len(b.text) for b in blocks[i + n : end]) < MIN_SECTION_CHARS for (i, _, n), end in zip(merged, ends, strict=True)):
        return heads, lines
    return [(i, t) for i, t, _ in merged], [n for _, _, n in merged]


_ORDINAL = re.compile(r"(?<![0-9])[0-9]{1,2}(?![0-9])|[一二三四五六七八九十]{1,3}|[\u2460-\u2473]")
_EDGE = re.compile(r"^[\s:：、.．\-—]+|[\s:：、.．\-—]+$")


def _ordinal_value(token: str) -> int | None:
    if "\u2460" <= token <= "\u2473":  # circled ①..⑳
        return ord(token) - 0x2460 + 1
    return cn_number(token)


def shape_of(text: str) -> tuple[str, tuple[int, ...]]:
    """A line with every number in it replaced by '#', and the numbers:
    '1.小学三年级日记 篇一' -> ('#.小学#年级日记篇#', (1, 3, 1))."""
    values: list[int] = []
    parts: list[str] = []
    at = 0
    for m in _ORDINAL.finditer(text):
        n = _ordinal_value(m.group())
        if n is None:
            continue
        parts.append(text[at : m.start()])
        values.append(n)
        at = m.end()
    parts.append(text[at:])
    return _EDGE.sub("", "#".join(squash(p) for p in parts)), tuple(values)


def _sibling_split(blocks: list[Block], core: str, title: str) -> Split | None:
    """Essay headings told by their shape, not by a listed form: two or more heading-like lines
    that are the same line but for a number that runs 1, 2, 3 ... in page order, the rest naming
    the page's subject (the title's stem), or no more of them than the title claims. An outline
    (一、X 二、Y) never shares a shape: its lines differ beyond the number."""
    groups: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for i, block in enumerate(blocks):
        if _heading_like(block) and len(block.text) <= 40:
            shape, values = shape_of(block.text)
            if values:
                groups.setdefault(shape, []).append((i, values))
    claimed = count_claim(title)[1]
    best: list[int] = []
    contents: list[int] = []
    for shape, hits in groups.items():
        residual = re.sub(r"[^\w\u3400-\u9fff]", "", shape.replace("#", ""))
        if len(hits) < 2 or len(hits) <= len(best):
            continue
        promised = claimed is not None and claimed >= len(hits)  # the title claims at least this many
        if not (promised or (_CJK_OR_WORD.search(residual) and (not core or resembles(residual, core)))):
            continue  # other lines ('【一】', '步骤1') only where the title claims that many essays
        for k in range(len(hits[0][1])):
            start = _after_contents([i for i, _ in hits], [values[k] for _, values in hits])
            if start is not None and len(hits) - start > len(best):
                best, contents = [i for i, _ in hits[start:]], [i for i, _ in hits[:start]]
    if not best:
        return None
    split = _cut(blocks, [(i, core) for i in best], "sibling_numbers")
    if contents:  # the table of contents and the short label over it are no summary
        label = contents[0] - 1 if contents[0] > 0 and len(blocks[contents[0] - 1].text) <= 6 else contents[0]
        split.preface = [b.text for b in blocks[:label]] + [b.text for b in blocks[contents[-1] + 1 : best[0]]]
        split.dropped = [b.text for b in blocks[label : contents[-1] + 1]]
    return split


_LABELLED = re.compile(r"^\s*(?P<p>[^\d一二三四五六七八九十。！？!?，,；;：:]{1,8}?)\s*(?P<n>[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[:：、.．]\s*(?P<t>\S.*)$")


def _labelled_split(blocks: list[Block], core: str, title: str) -> Split | None:
    """Essays under headings that share a label and a number running 1, 2, 3 ..., each with its
    own subtitle ('作文一：当一名医生', '作文二：做一名老师'), no more of them than the title claims."""
    claimed = count_claim(title)[1]
    if claimed is None:
        return None
    groups: dict[str, list[tuple[int, int, str]]] = {}
    for i, block in enumerate(blocks):
        m = _LABELLED.match(block.text) if _heading_like(block) and len(block.text) <= 40 else None
        n = cn_number(m["n"]) if m else None
        if m and n is not None and _CJK_OR_WORD.search(m["p"]) and not _outline().match(block.text):
            groups.setdefault(squash(m["p"]), []).append((i, n, m["t"].strip()))
    hits = max((h for h in groups.values() if 2 <= len(h) <= claimed and _in_sequence([n for _, n, _ in h])), key=len, default=[])
    return _cut(blocks, [(i, t) for i, _, t in hits], "labelled_numbers") if hits else None


def _after_contents(at: list[int], numbers: list[int]) -> int | None:
    """Where the essay headings start in a run of numbered sibling lines: 0 when the numbers run
    1, 2, 3 ...; after a table of contents (the same lines, numbered from 1, one right under the
    other) when the numbering starts again; None otherwise."""
    if _in_sequence(numbers):
        return 0
    r = max((k for k, n in enumerate(numbers) if n == 1), default=0)
    contents = r > 0 and _in_sequence(numbers[:r]) and all(at[k + 1] - at[k] == 1 for k in range(r - 1))
    return r if contents and len(numbers) - r >= 2 and _in_sequence(numbers[r:]) else None


def _shares_words(a: str, b: str) -> bool:
    """Whether two lines share a run of four characters (a name, not a particle)."""
    a, b = squash(a), squash(b)
    return any(a[k : k + 4] in b for k in range(len(a) - 3))


def _subtitle_after(blocks: list[Block], i: int, core: str) -> str:
    """The essay's own subtitle when a bare marker (范文1, 篇一) stands on its own line and a short
    bold or heading line follows it (on an unstyled page: a short line that shares a name with the
    page title, then running text); '' otherwise (a salutation or a first sentence is no subtitle)."""
    if i + 1 >= len(blocks):
        return ""
    nxt = blocks[i + 1]
    styled = nxt.kind == "heading" or (nxt.kind == "paragraph" and nxt.bold)
    text = nxt.text.strip()
    after = blocks[i + 2].text if i + 2 < len(blocks) else ""
    if not styled and not blocks[i].bold and len(text) <= 20 and len(after) >= 30 and _shares_words(text, core):
        styled = True  # plain text (a page dump): a short line naming a piece of the page's kind, then running text
    if not styled or not _heading_like(nxt) or len(text) > 30 or _outline().match(text) or text.endswith(("：", ":")):
        return ""
    return "" if match_marker(text, text) else text


def _repeated_title_split(blocks: list[Block], title: str, core: str) -> Split | None:
    targets = {squash(title), squash(core)}
    heads = [(i, core) for i, b in enumerate(blocks) if squash(b.text) in targets]
    if not heads:
        return None
    # the title repeated over the page's intro (a blurb before the first essay) opens no essay
    sizes = [sum(len(b.text) for b in blocks[i + 1 : end]) for (i, _), end in zip(heads, [h for h, _ in heads[1:]] + [len(blocks)], strict=True)]
    lead = next((k for k, size in enumerate(sizes) if size >= MIN_UNMARKED_SECTION_CHARS), 0)
    if lead and all(size >= MIN_UNMARKED_SECTION_CHARS for size in sizes[lead:]):
        heads = heads[lead:]
    return _cut(blocks, heads, "repeated_title")


def _structural_split(blocks: list[Block], title: str, claimed: int | None) -> Split | None:
    if not _multi().search(title):
        return None
    outline = _outline()
    for kind in ("heading", "bold"):
        heads = []
        for i, b in enumerate(blocks):
            is_kind = (b.kind == "heading" and b.level >= 2) if kind == "heading" else (b.kind == "paragraph" and b.bold)
            if is_kind and _heading_like(b) and len(b.text) <= 40 and not outline.match(b.text) and not b.text.startswith("【"):
                heads.append((i, b.text))
        if len(heads) < 2 or (claimed is not None and len(heads) != claimed):
            continue
        split = _cut(blocks, heads, f"{kind}_subtitles")
        if all(sum(len(p) for p in s.paragraphs) >= 80 for s in split.sections):
            return split
    return None


_CLOSING = re.compile(r"((19|20|[×xX]{2})[0-9×xX]{2}\s*年\s*[0-9×xX一二三四五六七八九十]{1,2}\s*月(\s*[0-9×xX一二三四五六七八九十]{1,3}\s*日)?|此致|敬礼|敬禮)\s*[。.]?$|^[\u4e00-\u9fff]{1,4}人\s*[:：]\s*\S{1,12}$")  # a date, a closing or a signature


def _salutation(block: Block) -> bool:
    text = block.text.strip()
    return 2 < len(text) <= 30 and text.endswith((":", "：")) and not re.search(r"[。！？!?；;，,]", text)


def _letters_split(blocks: list[Block], title: str, core: str) -> Split | None:
    """Letters with no headings on a page that promises several (申请书 (精选34篇)): a new letter
    starts where a salutation follows a closing (a date line, 此致 / 敬礼)."""
    if not _multi().search(title):
        return None
    heads = [(i, core) for i, b in enumerate(blocks) if _salutation(b) and (
        not any(_salutation(x) for x in blocks[:i]) or any(_CLOSING.search(x.text) for x in blocks[max(0, i - 2) : i]))]
    if len(heads) < 2:
        return None
    split = _cut(blocks, heads, "letters", [0] * len(heads))
    return split


def _claimed_split(blocks: list[Block], claimed: int | None) -> Split | None:
    """A page whose title claims N essays and that shows exactly N short plain lines, each between
    running text (or first) and running text: those lines are the essays' own titles."""
    if claimed is None or claimed < 2:
        return None
    heads = [i for i, b in enumerate(blocks[:-1]) if _heading_like(b) and len(b.text) <= 30 and not b.text.endswith((":", "："))
             and not _outline().match(b.text) and len(blocks[i + 1].text) >= 30
             and (i == 0 or len(blocks[i - 1].text) >= 30 or _END_PUNCT.search(blocks[i - 1].text) is not None)]
    if len(heads) != claimed:
        return None
    return _cut(blocks, [(i, re.sub(r"^[【\[]\s*(.*?)\s*[】\]]$", r"\1", blocks[i].text.strip())) for i in heads], "claimed_subtitles")


def _substantial(split: Split) -> bool:
    """Every essay a split makes has real text; tiny sections mean the headings were something else."""
    sizes = [sum(len(p) for p in s.paragraphs) for s in split.sections]
    floor = MIN_UNMARKED_SECTION_CHARS if split.form in ("repeated_title", "heading_subtitles", "bold_subtitles") else MIN_SECTION_CHARS
    return bool(sizes) and (len(sizes) == 1 or min(sizes) >= floor)


def _join_preface(split: Split, blocks: list[Block]) -> None:
    """The preface of a one-essay split joins the essay, but for the page's lead (its summary)."""
    leads = {b.text for b in blocks if b.kind == "lead"}
    own = tuple(t for t in split.preface if t not in leads)
    if own:
        split.preface = [t for t in split.preface if t in leads]
        only = split.sections[0]
        split.sections = [Section(only.title, own + only.paragraphs)]


def split_blocks(blocks: list[Block], title: str, markup: bool = False) -> Split:
    """Find the essays on a page; a page with no clear essay headings stays one essay. On a page
    from HTML (`markup`) that holds one essay under a heading, the text before the heading is
    the essay's own (an article's intro), not a preface."""
    core, claimed = count_claim(title)
    core = core or title
    attempts: tuple[Callable[[], Split | None], ...] = (
        lambda: _ordinal_split(blocks, core),
        lambda: _sibling_split(blocks, core, title),
        lambda: _labelled_split(blocks, core, title),
        lambda: _repeated_title_split(blocks, title, core),
        lambda: _structural_split(blocks, title, claimed),
        lambda: _letters_split(blocks, title, core),
        lambda: _claimed_split(blocks, claimed),
    )
    for make in attempts:  # in this order, the first that holds wins
        attempt = make()
        if attempt is not None and _substantial(attempt):
            attempt.sections = [s for s in attempt.sections if s.paragraphs]
            attempt.preface = [t for t in attempt.preface if squash(t) not in (squash(title), squash(core))]  # the title is no summary
            if len(attempt.sections) == 1:
                attempt.form = "single"  # one essay under a heading (often the title repeated at the top)
                if markup:
                    _join_preface(attempt, blocks)
            return attempt
    lead = 0
    while lead < len(blocks) and blocks[lead].kind == "lead":
        lead += 1
    body = blocks[lead:]
    return Split(preface=[b.text for b in blocks[:lead]], sections=[Section(core, tuple(b.text for b in body))] if body else [],
                 form="single")
