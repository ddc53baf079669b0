"""The one pure path every command takes: text in, page and essays out."""

from __future__ import annotations

from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.models import Page, Profile, Result
from pipeline.normalize import normalize


def process(text: str, url: str = "", encoding: str = "", profile: Profile | None = None) -> Result:
    """Extract and normalize one page. Never raises: failures come back in `page.error`."""
    try:
        page = extract(text, url, encoding, profile)
    except ExtractError as exc:
        return Result(page=Page(url=url, encoding=encoding, error=str(exc)), essays=())
    except (RecursionError, ValueError, MemoryError) as exc:  # pathological input
        return Result(page=Page(url=url, encoding=encoding, error=f"unextractable page: {type(exc).__name__}"), essays=())
    return normalize(page)


def to_json(result: Result) -> dict[str, object]:
    """The page and its essays in the shape `score.py` reads."""
    page = result.page
    return {
        "url": page.url,
        "site": page.site,
        "title": page.title,
        "published": page.published,
        "breadcrumb": list(page.breadcrumb),
        "category": page.category,
        "summary": page.summary,
        "author": page.author,
        "source": page.source,
        "encoding": page.encoding,
        "expected_count": result.expected_count,
        "incomplete": result.incomplete,
        "split_form": result.split_form,
        "error": page.error,
        "essays": [{"position": e.position, "title": e.title, "text": e.text} for e in result.essays],
    }


def join_parts(first: Result, parts: list[Result]) -> Result:
    """Join the pages of an article split over several URLs, then normalize the whole once."""
    from dataclasses import replace

    page = first.page
    blocks = list(page.blocks)
    removed = list(page.removed)
    for part in parts:
        blocks.extend(part.page.blocks)
        removed.extend(part.page.removed)
    joined = replace(page, blocks=tuple(blocks), removed=tuple(removed), error="",
                     parts=tuple([page.url] + [p.page.url for p in parts]))
    return normalize(joined)
