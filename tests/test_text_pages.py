"""The text front end on invented page texts of many site layouts (fixtures/text-pages): the exact
title, date, trail, summary and essays each must give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract.plaintext import extract_text
from pipeline.normalize import normalize

from .conftest import ROOT

PAGES = sorted((ROOT / "fixtures" / "text-pages").glob("*.txt"))


def _output(path: Path) -> dict[str, object]:
    result = normalize(extract_text(path.read_text(encoding="utf-8")))
    page = result.page
    return {"title": page.title, "published": page.published, "breadcrumb": list(page.breadcrumb), "summary": page.summary,
            "essays": [{"title": e.title, "text": e.text} for e in result.essays]}


def test_there_are_pages() -> None:
    assert len(PAGES) >= 9


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_text_page_exact_output(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert _output(path) == expected


def test_explain_lists_the_cell_labels_and_the_table_of_contents() -> None:
    toolbar = normalize(extract_text((ROOT / "fixtures" / "text-pages" / "toolbar-comments-and-recommended-summaries.txt").read_text(encoding="utf-8")))
    assert ("打印本页", "table_label") in [(r.text, r.rule) for r in toolbar.page.removed]
    contents = normalize(extract_text((ROOT / "fixtures" / "text-pages" / "table-of-contents-then-numbered-essays.txt").read_text(encoding="utf-8")))
    assert [r.text for r in contents.page.removed if r.rule == "contents"] == ["目录", "1、读书心得体会", "2、读书心得体会", "3、读书心得体会"]
    again = normalize(contents.page)  # normalized twice (the site pass does): listed once
    assert [r.rule for r in again.page.removed].count("contents") == 4
