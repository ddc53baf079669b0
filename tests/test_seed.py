"""The seed page and a second page of the same shape give exactly their gold records."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.jobs.process import process, to_json
from pipeline.text.encoding import decode

from .conftest import FIXTURES, gold

CASES = [
    FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt",
    FIXTURES / "pages" / "own-two-essays.txt",
    FIXTURES / "pages" / "own-article.html",
]


@pytest.mark.parametrize("page", CASES, ids=lambda p: p.name)
def test_page_matches_gold(page: Path) -> None:
    expected = gold(page.with_name(page.stem + ".gold.json"))
    text, _ = decode(page.read_bytes())
    data = to_json(process(text, "", ""))
    assert [(e["title"], e["text"]) for e in data["essays"]] == [(e["title"], e["text"]) for e in expected["essays"]]
    for key in ("title", "published", "breadcrumb", "site", "summary"):
        if key in expected:
            assert data[key] == expected[key], key
    joined = "\n".join(e["text"] for e in data["essays"])
    for chrome in expected["chrome"]:
        assert chrome not in joined


def test_seed_positions_and_split_form() -> None:
    text, _ = decode(CASES[0].read_bytes())
    result = process(text, "", "")
    assert [e.position for e in result.essays] == [1, 2, 3]
    assert result.split_form == "repeated_title"
