"""HTML parsing and tree cleaning with lxml."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import cast
from urllib.parse import urljoin

from lxml import etree, html

from pipeline.errors import ExtractError
from pipeline.models import Removed
from pipeline.rules import caseless, load, regex, tagset

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
# Characters an XML tree cannot hold: lxml's parser drops them from text but refuses them when a
# tail or text is set from Python (dom.remove), so they become spaces before parsing.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML_TABLE: dict[int, str | None] = {c: " " for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)}
_NOT_XML_TABLE[0x00] = None


_STRING = etree.XPath("string()", smart_strings=False)


def all_text(el: html.HtmlElement) -> str:
    """Every text below an element joined as it stands: what `"".join(el.itertext())` gives,
    gathered by libxml2 in one call instead of one Python step per text node."""
    return cast(str, _STRING(el))


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
    return bool(chrome_token(el))


def chrome_token(el: html.HtmlElement) -> str:
    """The class/id token that names the element as chrome ('' when none does)."""
    return _hint_token(el.get("class") or "", el.get("id") or "")


@lru_cache(maxsize=16384)
def _hint_token(cls: str, ident: str) -> str:
    """`_chrome_hint` of an element's class and id, cached per pair: pages repeat the same ones."""
    return _chrome_hint(f"{cls} {ident}".strip())


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
    if caseless("html", "content_token").matches(token):
        return 1
    span = caseless("html", "drop_hint").span(token)
    # A content word beside the chrome word saves the token (article-tools, post-comments-count
    # stay weak), one inside it does not ("relatedposts" is no post).
    if span and not caseless("html", "content_words").found(f"{token[: span[0]]} {token[span[1]:]}") \
            and not caseless("html", "hint_ignore").matches(token):
        return 2
    return 0


def hidden_by_class(el: html.HtmlElement) -> bool:
    """True when a class token hides the element (hidden, d-none, a folded 'read more' part)."""
    return _hidden_tokens(el.get("class") or "")


@lru_cache(maxsize=4096)
def _hidden_tokens(value: str) -> bool:
    pattern, shown = caseless("html", "hidden_class"), caseless("html", "shown_class")
    tokens = value.split()
    return any(pattern.found(token) for token in tokens) and not any(shown.matches(token) for token in tokens)


def parse(text: str) -> html.HtmlElement:
    """Parse an HTML document; raises ExtractError when nothing parses."""
    text = _XML_DECL.sub("", text, count=1)
    data = _utf8_if_safe(text)
    if data is None:
        text = xml_safe(text)
    if not text or text.isspace():
        raise ExtractError("empty page")
    try:
        root = etree.fromstring(data, parser=_parser(True)) if data is not None else etree.fromstring(text, parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None
    if root is None:
        raise ExtractError("unparseable HTML")
    return root


_NOT_XML_BYTES = bytes((*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))


def _utf8_if_safe(text: str) -> bytes | None:
    """The text as UTF-8 when it holds none of the characters `xml_safe` replaces (checked on the
    bytes, where it is cheaper than on the str), else None."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the str path says what is wrong
        return None
    if len(data.translate(None, _NOT_XML_BYTES)) != len(data) or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:
        return None
    return data


@cache
def _parser(utf8: bool = False) -> etree.HTMLParser:
    """lxml's HTML parser making `HtmlElement`s through a C-level default lookup (lxml.html's own
    lookup calls back into Python for every element touched, a tenth of extraction time); `utf8`:
    for UTF-8 bytes (the encoding is given, never guessed or taken from the page)."""
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, recover=True,
                              encoding="utf-8" if utf8 else None)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=html.HtmlElement, comment=html.HtmlComment, pi=html.HtmlProcessingInstruction, entity=html.HtmlEntity))
    return parser


def hint(el: html.HtmlElement) -> str:
    """The element's class and id, joined, for hint matching."""
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


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
    folded: list[tuple[html.HtmlElement, str]] = []
    # elements that may be hinted (a soft tag, or a class or id): judged only when their turn
    # comes and they are still on the page (most of those inside dropped parts never need it)
    maybe: list[tuple[html.HtmlElement, str, str, str]] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            doomed.append((el, ""))
            continue
        if tag in tags:
            doomed.append((el, f"tag:{tag}"))
            continue
        attrib = el.attrib
        if not attrib:
            if tag in soft and tag not in ("html", "body"):
                maybe.append((el, tag, "", ""))
            continue
        get = attrib.get
        style, cls, ident = get("style"), get("class"), get("id")
        if (style and _HIDDEN_STYLE.search(style)) or get("hidden") is not None or get("aria-hidden") == "true":
            doomed.append((el, "hidden"))
        elif tag in ("html", "body"):
            continue
        elif cls and _hidden_tokens(cls):
            folded.append((el, "hidden_class"))
        elif tag in soft or (drop_by_hint and (cls or ident) and tag not in _MEDIA_TAGS):
            maybe.append((el, tag, cls or "", ident or ""))
    under_gone: set[html.HtmlElement] = set()  # every element of a dropped subtree
    removed: list[Removed] = []

    def drop(el: html.HtmlElement, reason: str) -> None:
        # (`el in under_gone`: inside a dropped subtree, as no element is dropped twice)
        if reason and el.tag not in _INVISIBLE_TAGS and el not in under_gone:
            text = " ".join(" ".join(el.itertext()).split())
            if text:
                removed.append(Removed(text, reason))
        under_gone.update(el.iter())
        remove(el)

    for el, reason in doomed:
        drop(el, reason)
    if maybe or folded:
        # Hints are weak evidence: an element holding half of the page's text or prose is never
        # chrome, and a part hidden by its class is dropped unless it holds nearly all of the text
        # (a page shown by script).
        body = root.find("body")
        total = len(text_of(body if body is not None else root))
        scoring = load("html")["scoring"]
        prose = prose_len(root) * scoring["hint_keep_prose_share"]
        for el, why in folded:
            if el.getparent() is None or el in under_gone:
                continue
            if len(text_of(el)) < total * scoring["hidden_keep_share"]:
                drop(el, why)
        share, strong = scoring["hint_keep_share"], regex("html", "strong_hint")
        for el, tag, cls, ident in maybe:
            if el.getparent() is None or el in under_gone:
                continue
            if tag in soft:
                why = f"tag:{tag}"
            else:
                token = _hint_token(cls, ident)
                if not token:
                    continue
                why = f"hint:{token}"
            if not strong.search(why):
                if len(text_of(el)) >= total * share or (prose and prose_len(el) >= prose):
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
    return "".join(all_text(el).split())


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
