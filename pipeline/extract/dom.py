"""HTML parsing and tree cleaning with lxml."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from urllib.parse import urljoin

from lxml import etree, html

from pipeline.errors import ExtractError
from pipeline.models import Removed
from pipeline.rules import load, regex, tagset

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
# Characters an XML tree cannot hold: lxml's parser drops them from text but refuses them when a
# tail or text is set from Python (dom.remove), so they become spaces before parsing.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML_TABLE: dict[int, str | None] = {c: " " for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)}
_NOT_XML_TABLE[0x00] = None


def join_url(base: str, href: str) -> str:
    """`href` made absolute against `base` ('' for a malformed URL such as http://[oops/)."""
    try:
        return urljoin(base, href) if base else href
    except ValueError:
        return ""


def xml_safe(text: str) -> str:
    """The text with the control characters an lxml tree refuses turned into spaces (NULs dropped)."""
    return text.translate(_NOT_XML_TABLE) if _NOT_XML.search(text) else text


def chrome_hinted(el: html.HtmlElement) -> bool:
    """True when a class/id token names chrome (and none names content)."""
    return bool(_chrome_hint(hint(el)))


def chrome_token(el: html.HtmlElement) -> str:
    """The class/id token that names the element as chrome ('' when none does)."""
    return _chrome_hint(hint(el))


def _chrome_hint(value: str) -> str:
    """The chrome token of one class/id string, or '' (a token naming content saves the element)."""
    found = ""
    for token in value.split():
        verdict = _token_verdict(token)
        if verdict == 1:
            return ""
        if verdict == 2 and not found:
            found = token
    return found


@lru_cache(maxsize=16384)
def _token_verdict(token: str) -> int:
    """1: the token names content (content_token); 2: it names chrome; 0: neither. Cached per token:
    pages repeat the same tokens in ever new combinations (post-123 hentry ...)."""
    if regex("html", "content_token").match(token):
        return 1
    m = regex("html", "drop_hint").search(token)
    # A content word beside the chrome word saves the token (article-tools, post-comments-count
    # stay weak), one inside it does not ("relatedposts" is no post).
    if m and not regex("html", "content_words").search(f"{token[: m.start()]} {token[m.end():]}") \
            and not regex("html", "hint_ignore").match(token):
        return 2
    return 0


def hidden_by_class(el: html.HtmlElement) -> bool:
    """True when a class token hides the element (hidden, d-none, a folded 'read more' part)."""
    return _hidden_tokens(el.get("class") or "")


@lru_cache(maxsize=4096)
def _hidden_tokens(value: str) -> bool:
    pattern, shown = regex("html", "hidden_class"), regex("html", "shown_class")
    tokens = value.split()
    return any(pattern.search(token) for token in tokens) and not any(shown.match(token) for token in tokens)


def parse(text: str) -> html.HtmlElement:
    """Parse an HTML document; raises ExtractError when nothing parses."""
    text = xml_safe(_XML_DECL.sub("", text, count=1))
    if not text.strip():
        raise ExtractError("empty page")
    try:
        root = etree.fromstring(text, parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None
    if root is None:
        raise ExtractError("unparseable HTML")
    return root


@cache
def _parser() -> etree.HTMLParser:
    """lxml's HTML parser making `HtmlElement`s through a C-level default lookup (lxml.html's own
    lookup calls back into Python for every element touched, a tenth of extraction time)."""
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, recover=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=html.HtmlElement, comment=html.HtmlComment, pi=html.HtmlProcessingInstruction, entity=html.HtmlEntity))
    return parser


def hint(el: html.HtmlElement) -> str:
    """The element's class and id, joined, for hint matching."""
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


def is_hidden(el: html.HtmlElement) -> bool:
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    return el.get("hidden") is not None or el.get("aria-hidden") == "true"


_INVISIBLE_TAGS = frozenset({"script", "style", "head", "link", "meta", "template", "svg", "canvas", "map", "object", "embed"})


# Elements without text that a hint never drops (an image classed `hero-image ads` still shows
# where its caption is).
_MEDIA_TAGS = frozenset({"img", "picture", "source"})


def strip_chrome(root: html.HtmlElement, drop_by_hint: bool = True, lenient: bool = False) -> list[Removed]:
    """Remove scripts, forms, hidden nodes and (optionally) elements hinted as chrome, in place.
    Returns one `Removed` per dropped subtree that held visible text, with its reason
    (`tag:nav`, `hidden`, `hidden_class:d-none`, `hint:share-bar`). `lenient` (a page where
    nothing was found): the `lenient_tags` are dropped like hinted elements, only when small."""
    tags, soft = tagset("html", "drop_tags"), tagset("html", "soft_drop_tags")
    if lenient:
        tags, soft = tags - tagset("html", "lenient_tags"), soft | tagset("html", "lenient_tags")
    doomed: list[tuple[html.HtmlElement, str]] = []
    hinted: list[tuple[html.HtmlElement, str]] = []
    folded: list[tuple[html.HtmlElement, str]] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            doomed.append((el, ""))
            continue
        if tag in tags:
            doomed.append((el, f"tag:{tag}"))
            continue
        attrib = el.attrib
        if attrib and is_hidden(el):
            doomed.append((el, "hidden"))
        elif tag in ("html", "body"):
            continue
        elif attrib and (cls := attrib.get("class")) and _hidden_tokens(cls):
            folded.append((el, "hidden_class"))
        elif tag in soft:
            hinted.append((el, f"tag:{tag}"))
        elif attrib and drop_by_hint and tag not in _MEDIA_TAGS and (token := _chrome_hint(f"{attrib.get('class') or ''} {attrib.get('id') or ''}")):
            hinted.append((el, f"hint:{token}"))
    gone: set[html.HtmlElement] = set()
    removed: list[Removed] = []

    def drop(el: html.HtmlElement, reason: str) -> None:
        if reason and el.tag not in _INVISIBLE_TAGS and not inside(el, gone):
            text = " ".join(" ".join(el.itertext()).split())
            if text:
                removed.append(Removed(text, reason))
        gone.add(el)
        remove(el)

    for el, reason in doomed:
        drop(el, reason)
    if hinted or folded:
        # Hints are weak evidence: an element holding half of the page's text or prose is never
        # chrome, and a part hidden by its class is dropped unless it holds nearly all of the text
        # (a page shown by script).
        body = root.find("body")
        total = len(text_of(body if body is not None else root))
        scoring = load("html")["scoring"]
        prose = prose_len(root) * scoring["hint_keep_prose_share"]
        shares = [(el, why, scoring["hidden_keep_share"], False) for el, why in folded]
        shares += [(el, why, scoring["hint_keep_share"], True) for el, why in hinted]
        strong = regex("html", "strong_hint")
        for el, why, share, by_hint in shares:
            if el.getparent() is None or inside(el, gone):
                continue
            if not (by_hint and strong.search(why)):
                if len(text_of(el)) >= total * share or (by_hint and prose and prose_len(el) >= prose):
                    continue
            drop(el, why)
    return removed


def inside(el: html.HtmlElement, ancestors: set[html.HtmlElement]) -> bool:
    """Whether an ancestor of the element is one of `ancestors` (e.g. removed already)."""
    node = el.getparent()
    while node is not None:
        if node in ancestors:
            return True
        node = node.getparent()
    return False


def prose_len(el: html.HtmlElement) -> int:
    """Characters of paragraph text (<p> elements, link text left out) below an element."""
    n = 0
    for p in el.iter("p"):
        n += len(p.text_content()) - sum(len(a.text_content()) for a in p.iter("a"))
    return n


def text_of(el: html.HtmlElement) -> str:
    """All text below an element, whitespace squeezed out."""
    return "".join("".join(el.itertext()).split())


def remove(el: html.HtmlElement) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = xml_safe((prev.tail or "") + tail)
        else:
            parent.text = xml_safe((parent.text or "") + tail)
    parent.remove(el)
