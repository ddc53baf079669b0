"""Datasette on the database, through datasette's own test client: metadata, facets, canned queries,
Chinese search from the search box and bad search input; and `pipeline serve` errors."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main
from pipeline.serve import launcher as serve

from .test_search import LABELLED, gold_results, key


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("serve") / "essays.db"
    db = store.open_db(path)
    run = store.start_run(db, "import", {"sources": ["fixtures"]})
    for result in gold_results():
        store.save_result(db, result, run)
    store.record_failure(db, "https://example.org/broken.html", "HTTP 500", run, 500)
    db.conn.close()
    yield path


@pytest.fixture(scope="module")
def ds(db_path: Path) -> Any:
    return serve.make_datasette(db_path)


def get(ds: Any, path: str) -> Any:
    async def fetch() -> Any:
        return await ds.client.get(path)

    return asyncio.run(fetch())


def get_json(ds: Any, path: str) -> Any:
    response = get(ds, path)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def q(text: str) -> str:
    return urllib.parse.quote(text)


def test_metadata_title_description_source_license(ds: Any) -> None:
    meta = get_json(ds, "/-/metadata.json")
    assert (meta["title"], meta["source"], meta["license"]) == (serve.TITLE, serve.SOURCE, serve.LICENSE)
    essays = meta["databases"]["essays"]["tables"]["essays"]
    assert essays["label_column"] == "title" and essays["sort_desc"] == "published"
    assert set(essays["columns"]) == set(store.ESSAYS)
    assert set(meta["databases"]["essays"]["tables"]["pages"]["columns"]) == set(store.PAGES)
    html = get(ds, "/essays/essays").text
    assert "One row per essay. Search box: Chinese words of two characters and more" in html
    assert serve.ESSAY_COLUMNS["id"] in html  # column descriptions in the table headers
    assert '<input id="_search" type="search" name="_search"' in html


def test_connections_have_chinese_escape_fts_and_busy_timeout(ds: Any) -> None:
    rows = get_json(ds, "/essays.json?sql=" + q("select escape_fts('先锋模范 \"') as m") + "&_shape=array")
    assert rows == [{"m": '"先锋 锋模 模范"'}]

    async def busy_timeout() -> Any:
        return await ds.get_database("essays").execute_fn(lambda conn: conn.execute("pragma busy_timeout").fetchone()[0])

    assert asyncio.run(busy_timeout()) == 30000


def test_essays_facets(ds: Any) -> None:
    data = get_json(ds, "/essays/essays.json")
    facets = {(f["name"], f["type"]): {r["value"]: r["count"] for r in f["results"]} for f in data["facet_results"].values()}
    assert set(facets) == {("site", "column"), ("category", "column"), ("published", "year"), ("published", "month"),
                           ("duplicate_of", "duplicate")}
    essays = [(r.page, e) for r in gold_results() for e in r.essays]
    assert facets[("published", "year")] == dict(Counter(p.published[:4] for p, _ in essays if p.published))
    assert facets[("published", "month")] == dict(Counter(p.published[:7] for p, _ in essays if p.published))
    assert facets[("site", "column")] == dict(Counter(p.site for p, _ in essays))
    assert facets[("category", "column")] == dict(Counter(p.category for p, _ in essays))
    assert len(essays) == 50
    assert facets[("duplicate_of", "duplicate")] == {"original": 49, "duplicate": 1}
    assert facets[("published", "year")]["2022"] == 15 and facets[("published", "month")]["2022-09"] == 7
    # each facet value's link selects its rows
    assert get_json(ds, "/essays/essays.json?published__startswith=2022-09")["filtered_table_rows_count"] == 7
    dup = get_json(ds, "/essays/essays.json?duplicate_of__notnull=1&_shape=objects")
    assert [(key(r["page_url"]["value"] if isinstance(r["page_url"], dict) else r["page_url"], r["position"]))
            for r in dup["rows"]] == [("d15-near-duplicate-of-d01", 1)]
    toggles = {(f["type"], r["value"]): r["toggle_url"] for f in data["facet_results"].values() for r in f["results"]}
    assert toggles[("year", "2022")].endswith("/essays/essays.json?published__startswith=2022")
    assert toggles[("duplicate", "original")].endswith("/essays/essays.json?duplicate_of__isnull=1")


def test_search_box_finds_every_labelled_query(ds: Any) -> None:
    for query, expected in LABELLED.items():
        data = get_json(ds, f"/essays/essays.json?_search={q(query)}&_shape=objects&_size=max&_labels=off")
        assert {key(r["page_url"], r["position"]) for r in data["rows"]} == expected, query


def test_search_one_column(ds: Any) -> None:
    data = get_json(ds, f"/essays/essays.json?_search_title={q('产业兴旺')}&_shape=objects&_labels=off")
    assert [key(r["page_url"], r["position"]) for r in data["rows"]] == [("d05-h3-subtitles-jsonld", 2)]
    data = get_json(ds, f"/essays/essays.json?_search_text={q('产业兴旺')}&_shape=objects&_labels=off")
    assert data["rows"] == []  # that essay's text never says 产业兴旺: only its title does


def test_search_page_shows_the_query_as_typed(ds: Any) -> None:
    html = get(ds, f"/essays/essays?_search={q('先锋模范')}").text
    assert 'value="先锋模范"' in html
    assert "6 rows where search matches" in html
    assert "2021年发挥党员先锋模范作用" in html


@pytest.mark.parametrize("query", ['"', '""', "(((", "党员*", "NEAR(党员 先锋)", "title:党员 OR", "😀", "👍🏽 党员",
                                   "a" * 10_000, "党a" * 5_000, "党员" * 3_000, " ".join(["word"] * 3000), "\x00党员",
                                   "'; drop table essays; --"])
def test_bad_search_input_gives_rows_never_an_error(ds: Any, query: str) -> None:
    data = get_json(ds, f"/essays/essays.json?_search={q(query)}&_shape=objects&_size=max&_labels=off")
    found = {key(r["page_url"], r["position"]) for r in data["rows"]}
    assert found == (LABELLED["党员"] if query in ("党员*", "👍🏽 党员", "\x00党员") else set())
    assert get(ds, f"/essays/essays?_search={q(query)}").status_code == 200


def test_raw_search_mode_syntax_error_is_a_clear_400(ds: Any) -> None:
    response = get(ds, f"/essays/essays.json?_search={q('(((')}&_searchmode=raw")
    assert response.status_code == 400
    assert response.json()["error"] == "fts5: syntax error near \"\""


CANNED = {
    "essays_of_site": ("?site=www.16system.cn", 3),
    "latest_essays": ("", 50),
    "failed_last_run": ("", 1),
    "near_duplicate_groups": ("", 1),
    "run_history": ("", 1),
    "essays_per_category": ("", 16),
    "search_essays": (f"?q={q('先锋模范')}", 6),
}


def test_canned_queries_run(ds: Any) -> None:
    assert set(CANNED) == set(serve.QUERIES)
    for name, (args, rows) in CANNED.items():
        data = get_json(ds, f"/essays/{name}.json{args}{'&' if args else '?'}_shape=array")
        assert len(data) == rows, name
    assert get_json(ds, "/essays/failed_last_run.json?_shape=array") == [{
        "url": "https://example.org/broken.html", "status": 500, "error": "HTTP 500",
        "fetched_at": get_json(ds, "/essays/failed_last_run.json?_shape=array")[0]["fetched_at"], "run_id": 1, "kind": "import"}]
    groups = get_json(ds, "/essays/near_duplicate_groups.json?_shape=array")
    assert [(g["title"], g["copies"], g["copied_at"]) for g in groups] == [
        ("2021年发挥党员先锋模范作用", 1, "file:///fixtures/fanwen/d15-near-duplicate-of-d01.html#1")]
    party = get_json(ds, f"/essays/essays_of_site.json?site={q('www.16system.cn')}&_shape=array")
    assert [(r["title"], r["position"]) for r in party] == [("2022年发挥党员先锋模范作用", p) for p in (1, 2, 3)]
    # a parameter is a value, never SQL
    per_category = get_json(ds, "/essays/essays_per_category.json?_shape=array")
    counts = Counter(r.page.category for r in gold_results() for _ in r.essays)
    assert [(r["category"], r["essays"]) for r in per_category] == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    injection = q("x' or 1=1 --")
    assert get_json(ds, f"/essays/essays_of_site.json?site={injection}&_shape=array") == []


def test_serve_without_database_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db"), "--port", "0"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: no database at {tmp_path / 'none.db'}: import something first "
                             f"(pipeline demo, or pipeline import PATH --db {tmp_path / 'none.db'})\n")


def test_serve_on_a_taken_port_is_a_usage_error(db_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--db", str(db_path), "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use; pass another --port\n"
