"""Page -> essays: split, clean, hash; the count a title claims is checked, never invented."""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.models import Essay, Page, Removed, Result
from pipeline.normalize.signatures import text_sha1
from pipeline.normalize.split import split_blocks
from pipeline.text.clean import clean_line, join_paragraphs, script
from pipeline.text.counts import count_claim


def normalize(page: Page) -> Result:
    """Split a page into clean essays; a page with no essay text gives no essay and a reason.

    The page's blocks are chrome-free already (the front ends ran the chrome rules on every block,
    see `chrome.clean_blocks`); here they are only split, cleaned of whitespace and hashed."""
    _, claimed = count_claim(page.title)
    split = split_blocks(list(page.blocks), page.title, page.markup)
    essays: list[Essay] = []
    for section in split.sections:
        text = join_paragraphs(list(section.paragraphs))
        if not text:
            continue
        essays.append(
            Essay(
                page_url=page.url,
                position=len(essays) + 1,
                title=clean_line(section.title) or page.title,
                text=text,
                text_sha1=text_sha1(text),
                script=script(text),
            )
        )
    summary = page.summary
    preface = join_paragraphs(split.preface)
    if preface:
        summary = preface
    incomplete = ""
    if claimed is not None and len(essays) < claimed:
        paywall = next((r.text for r in page.removed if r.rule == "paywall"), "")
        incomplete = f"title claims {claimed} essays, the page shows {len(essays)}" + (f" ({paywall})" if paywall else "")
    dropped = [Removed(text, "contents") for text in split.dropped]
    removed = page.removed + tuple(r for r in dropped if r not in page.removed)  # once, if normalized again
    page_out = Page(**{**page.__dict__, "summary": summary, "removed": removed})
    if not page.title:
        page_out = _title_from_essays(page_out, essays)
        essays = [e if e.title else replace(e, title=page_out.title) for e in essays]
    error = "" if essays else "no essay text on the page"
    if error:
        page_out = Page(**{**page_out.__dict__, "error": error})
    return Result(
        page=page_out,
        essays=tuple(essays),
        expected_count=claimed,
        incomplete=incomplete,
        split_form=split.form,
    )


def _title_from_essays(page: Page, essays: list[Essay]) -> Page:
    """A page that shows no title line: the heading all its essays share, or else the trail's last
    item when the essay text names it (the trail ended with the page itself)."""
    headings = {e.title for e in essays}
    if len(essays) >= 2 and len(headings) == 1:
        return Page(**{**page.__dict__, "title": essays[0].title})
    last = page.breadcrumb[-1] if page.breadcrumb else ""
    text = re.sub(r"\s+", "", "".join(e.text for e in essays))
    if len(re.sub(r"\s+", "", last)) >= 4 and re.sub(r"\s+", "", last) in text:
        return Page(**{**page.__dict__, "title": last, "breadcrumb": page.breadcrumb[:-1]})
    return page
