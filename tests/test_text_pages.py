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
