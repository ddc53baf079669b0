"""Datasette on the database, through datasette's own test client: metadata, facets, canned queries,
Chinese search from the search box and bad search input, the search page (ranked, highlighted), the essay
page and the essays table; the plugin in a plain `datasette` process and only on the project's databases;
datasette's options through `pipeline serve`; and `pipeline serve` errors."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main
from pipeline.serve import launcher, views
from pipeline.serve import metadata as serve
from pipeline.store import migrations, search_index

from .conftest import FIXTURES, Server, write_site
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
    return launcher.make_datasette(db_path)


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
    columns = get_json(ds, "/essays.json?sql=" + q("select m.name as t, p.name as c from sqlite_master m, pragma_table_info(m.name) p "
                                                    "where m.name in ('essays', 'pages')") + "&_shape=array")
    assert set(essays["columns"]) == {r["c"] for r in columns if r["t"] == "essays"}
    assert set(meta["databases"]["essays"]["tables"]["pages"]["columns"]) == {r["c"] for r in columns if r["t"] == "pages"}
    html = get(ds, "/essays/essays").text
    # the description and the column notes are folded away, the search box leads to the ranked search page
    start = html.index('<details class="essay-about">')
    about = html[start:html.index("</details>", start)]
    assert "One row per essay; click a title to read it." in about and serve.ESSAY_COLUMNS["id"] in about
    assert '<form class="essay-search" action="/essays/-/search" method="get" role="search">' in html


def test_connections_have_chinese_escape_fts_and_busy_timeout(ds: Any) -> None:
    rows = get_json(ds, "/essays.json?sql=" + q("select escape_fts('先锋模范 \"') as m") + "&_shape=array")
    assert rows == [{"m": '"先锋 锋模 模范"'}]

    async def busy_timeout() -> Any:
        return await ds.get_database("essays").execute_fn(lambda conn: conn.execute("pragma busy_timeout").fetchone()[0])

    assert asyncio.run(busy_timeout()) == 30000


def test_essays_facets(ds: Any) -> None:
    shown = get_json(ds, "/essays/essays.json")["facet_results"]
    assert {f["name"]: (len(f["results"]), f["truncated"]) for f in shown.values()} == {  # 5 values a facet by default
        "site": (5, True), "category": (5, True), "published": (5, True), "duplicate_of": (2, False)}
    data = get_json(ds, "/essays/essays.json?_facet_size=max")
    facets = {(f["name"], f["type"]): {r["value"]: r["count"] for r in f["results"]} for f in data["facet_results"].values()}
    assert set(facets) == {("site", "column"), ("category", "column"), ("published", "year"), ("published", "month"),
                           ("duplicate_of", "duplicate")}
    essays = [(r.page, e) for r in gold_results() for e in r.essays]
    assert facets[("published", "year")] == dict(Counter(p.published[:4] for p, _ in essays if p.published))
    assert facets[("published", "month")] == dict(Counter(p.published[:7] for p, _ in essays if p.published))
    assert facets[("site", "column")] == dict(Counter(p.site for p, _ in essays if p.site))  # no site: NULL, no facet value
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
    assert toggles[("year", "2022")].endswith("/essays/essays.json?_facet_size=max&published__startswith=2022")
    assert toggles[("duplicate", "original")].endswith("/essays/essays.json?_facet_size=max&duplicate_of__isnull=1")


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
    assert get_json(ds, f"/essays/search_essays.json?q={q('黨員')}&_shape=array") == get_json(
        ds, f"/essays/search_essays.json?q={q('党员')}&_shape=array")
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


# --- the search page ----------------------------------------------------------------------------


def test_search_page_ranks_by_bm25_and_highlights(ds: Any, db_path: Path) -> None:
    data = get_json(ds, f"/essays/-/search.json?q={q('党员')}")
    conn = sqlite3.connect(db_path)
    ranked = [r[0] for r in conn.execute(
        "select e.num from essays_fts f join essays e on e.num = f.rowid where essays_fts match ? "
        "order by bm25(essays_fts, 5.0, 1.0), e.num", [search_index.to_match("党员")])]
    conn.close()
    assert [h["num"] for h in data["hits"]] == ranked and data["total"] == len(ranked) == 7
    assert {key(h["page_url"], h["position"]) for h in data["hits"]} == LABELLED["党员"]
    assert data["hits"][0]["url"] == f"/essays/essays/{ranked[0]}"
    for hit in data["hits"]:
        assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["党员"] * len(hit["highlights"])
    traditional = get_json(ds, f"/essays/-/search.json?q={q('黨員')}")
    assert [h["num"] for h in traditional["hits"]] == ranked
    html = get(ds, f"/essays/-/search?q={q('黨員')}").text
    assert "7 essays found for <strong>黨員</strong>, best matches first." in html
    assert html.count('<a class="essay-hit-title"') == 7 and "<mark>党员</mark>" in html
    first = html.index('<a class="essay-hit-title"')
    assert html[first:].startswith(f'<a class="essay-hit-title" href="/essays/essays/{ranked[0]}">')


def test_search_page_bad_input(ds: Any) -> None:
    assert "No essay holds every word of the query." in get(ds, f"/essays/-/search?q={q('党员 NEAR(不存在的词语)')}").text
    page = get(ds, f"/essays/-/search?q={q('😀 ((')}")
    assert page.status_code == 200 and "nothing to search for" in page.text
    assert get(ds, f"/essays/-/search.json?q={q('😀')}").status_code == 400
    assert get(ds, "/essays/-/search").status_code == 200  # an empty form
    assert get_json(ds, f"/essays/-/search.json?q={q('党员')}&_size=2")["total"] == 7
    assert len(get_json(ds, f"/essays/-/search.json?q={q('党员')}&_size=2")["hits"]) == 2
    assert f'(the first 2: <a href="?q={q("党员")}&amp;_size=500">up to 500</a>).' in get(ds, f"/essays/-/search?q={q('党员')}&_size=2").text
    assert get(ds, "/nosuchdb/-/search?q=x").status_code == 404
    # the index, the database page, the menu and the database's actions lead to the search page
    form = '<form class="essay-search" action="/essays/-/search" method="get" role="search">'
    assert form in get(ds, "/").text and form in get(ds, "/essays").text
    assert '<li><a href="/essays/-/search">Search essays</a></li>' in get(ds, "/").text
    assert '<li><a href="/essays/-/search">Search essays</a></li>' in get(ds, "/essays").text


# --- the essay page and the essays table ----------------------------------------------------------


def essay_num(db_path: Path, stem: str, position: int) -> tuple[int, str, str]:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("select num, title, text from essays where page_url like ? and position = ?",
                           [f"%/{stem}.html", position]).fetchone()
    finally:
        conn.close()
    return int(row[0]), str(row[1]), str(row[2])


def test_essay_page_reads_like_an_article(ds: Any, db_path: Path) -> None:
    num, title, text = essay_num(db_path, "d15-near-duplicate-of-d01", 1)
    conn = sqlite3.connect(db_path)
    original, original_title = conn.execute(
        "select o.num, o.title from essays o join essays d on d.duplicate_of = o.id where d.num = ?", [num]).fetchone()
    conn.close()
    html = get(ds, f"/essays/essays/{num}").text
    article = html[html.index('<article class="essay">'):html.index("</article>")]
    assert article.count("<h1>") == 1 and f"<h1>{title}</h1>" in article
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    assert [part.split("</p>")[0] for part in article.split('<div class="essay-text">')[1].split("<p>")[1:]] == paragraphs
    assert f'<p class="essay-copy">A copy of <a href="/essays/essays/{original}">{original_title}</a>' in article
    assert '<span class="essay-position">essay 1 of 1 on its page</span>' in article
    links = html[html.index('<section class="essay-links">'):]
    assert '(<a href="/essays/pages/file~3A~2F~2F~2Ffixtures~2Ffanwen~2Fd15-near-duplicate-of-d01~2Ehtml">' in links
    assert f'The original: <a href="/essays/essays/{original}">' in links
    # the original lists its copy; another table's rows keep datasette's own page
    assert f'Copies of this essay: <a href="/essays/essays/{num}">' in get(ds, f"/essays/essays/{original}").text
    assert '<article class="essay">' not in get(ds, "/essays/runs/1").text


def test_essays_table_shows_title_site_published_and_an_excerpt(ds: Any, db_path: Path) -> None:
    html = get(ds, "/essays/essays?_sort=num").text
    table = html[html.index('<div class="table-wrapper essay-list">'):html.index("</table>")]
    assert [h.split('data-column="')[1].split('"')[0] for h in table.split("<th ")[1:]] == ["title", "site", "published", "text"]
    num, title, text = essay_num(db_path, "d01-repeated-title", 1)
    assert f'<td class="col-title type-str"><a href="/essays/essays/{num}">{title}</a></td>' in table
    assert f'<td class="col-text type-str">{views.excerpt(text)}</td>' in table and len(views.excerpt(text)) == 61
    assert "text_sha1" not in table
    copy, _, _ = essay_num(db_path, "d15-near-duplicate-of-d01", 1)
    conn = sqlite3.connect(db_path)
    original, original_id, original_title = conn.execute(
        "select o.num, o.id, o.title from essays o join essays d on d.duplicate_of = o.id where d.num = ?", [copy]).fetchone()
    conn.close()
    full = get(ds, "/essays/essays?_sort=num&_all=1").text
    assert 'data-column="text_sha1"' in full
    assert f'<a href="/essays/essays/{original}" title="{original_title}">{original_id}</a>' in full
    assert 'data-column="text_sha1"' in get(ds, "/essays/essays?_col=text_sha1").text  # datasette's own column choice
    pages = get(ds, "/essays/pages").text  # other tables: datasette's own table, the notes folded
    assert 'data-column="content_sha1"' in pages and '<div class="table-wrapper essay-list">' not in pages and '<details class="essay-about">' in pages


# --- plain datasette, other databases, datasette's options ---------------------------------------


def test_plain_datasette_command_loads_the_plugin(db_path: Path, tmp_path: Path) -> None:
    """`datasette FILE --get PATH` (datasette's own command, loading plugins through their entry points)."""
    exe = Path(sys.executable).with_name("datasette")
    out = subprocess.run([str(exe), str(db_path), "--get", f"/essays/-/search.json?q={q('黨員')}"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert {key(h["page_url"], h["position"]) for h in json.loads(out.stdout)["hits"]} == LABELLED["党员"]
    meta = subprocess.run([str(exe), str(db_path), "--get", "/-/metadata.json"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert json.loads(meta.stdout)["title"] == serve.TITLE
    plugins = subprocess.run([str(exe), "plugins"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert [p["name"] for p in json.loads(plugins.stdout)] == ["essay-pipeline"]


def test_other_databases_are_left_alone(db_path: Path, tmp_path: Path) -> None:
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table essays (num integer primary key, title text, text text)")
    conn.execute("insert into essays values (1, '别人的标题', '别人的文章')")
    conn.commit()
    conn.close()
    launcher.register_plugin()
    ds = Datasette([str(db_path), str(other)])
    meta = get_json(ds, "/-/metadata.json")
    assert set(meta["databases"]) == {"essays"}
    assert get(ds, "/other/-/search?q=x").status_code == 404
    page = get(ds, "/other/essays/1").text
    assert '<article class="essay">' not in page and "essay-project" not in page
    assert "别人的文章" in get(ds, "/other/essays").text and "essay-search" not in get(ds, "/other/essays").text
    # datasette's own escape_fts on the other database, the project's on its own
    sql = "/{}.json?sql=" + q("select escape_fts('党员') as m") + "&_shape=array"
    assert get_json(ds, sql.format("other")) == [{"m": '"党员"'}]
    assert get_json(ds, sql.format("essays")) == [{"m": '"党员"'}]
    assert get_json(ds, "/essays.json?sql=" + q("select escape_fts('黨員發揮') as m") + "&_shape=array") == [{"m": '"党员 员发 发挥"'}]
    assert get_json(ds, "/other.json?sql=" + q("select escape_fts('黨員發揮') as m") + "&_shape=array") == [{"m": '"黨員發揮"'}]
    # the answer is remembered until the file changes: marked later, it is the project's
    assert (views.project_file(str(other)), views.project_file(str(db_path))) == (False, True)
    conn = sqlite3.connect(other)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute(f"PRAGMA application_id = {migrations.APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {views.LAYOUT_VERSION}")
    conn.commit()
    assert views.project_file(str(other)) is True
    conn.close()


def test_datasette_options_pass_through(db_path: Path, tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text(json.dumps({"title": "My essays", "databases": {"essays": {"tables": {
        "essays": {"description": "Mine"}}}}}), encoding="utf-8")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hello.py").write_text(
        "from datasette import hookimpl\nfrom datasette.utils.asgi import Response\n\n\n"
        "@hookimpl\ndef register_routes():\n    return [(r'^/-/hello$', lambda: Response.text('hello'))]\n", encoding="utf-8")
    ds = launcher.make_datasette(db_path, settings=launcher.settings_from_pairs([("default_page_size", "7"), ("allow_download", "off")]),
                                 metadata=tmp_path / "meta.json", plugins_dir=plugins)
    assert (ds.setting("default_page_size"), ds.setting("allow_download")) == (7, False)
    meta = get_json(ds, "/-/metadata.json")
    assert meta["title"] == "My essays" and meta["source"] == serve.SOURCE  # the user's metadata wins, the rest stays
    assert meta["databases"]["essays"]["tables"]["essays"]["description"] == "Mine"
    assert len(get_json(ds, "/essays/essays.json?_shape=array")) == 7
    assert get(ds, "/-/hello").text == "hello"
    runner = CliRunner()
    for args, message in [(["--setting", "no_such", "1"], "--setting no_such: not a datasette setting"),
                          (["--setting", "default_page_size", "x"], "--setting default_page_size: should be an integer"),
                          (["--metadata", str(tmp_path / "none.json")], "--metadata"),
                          (["--plugins-dir", str(tmp_path / "none")], "--plugins-dir")]:
        result = runner.invoke(main, ["serve", "--db", str(db_path), "--port", "0", *args])
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


# --- site identity --------------------------------------------------------------------------------


def test_pages_and_essays_carry_host_and_site(server: Server, tmp_path: Path) -> None:
    """A crawl stores the site config's name as `site` (failures too), an import the host; reprocess keeps it."""
    article = (FIXTURES / "pages" / "own-article.html").read_bytes()
    html = {"Content-Type": "text/html; charset=utf-8"}
    server.routes.set("/s/", body=b'<html><body><a href="a1.html">1</a> <a href="gone.html">2</a></body></html>', headers=html)
    server.routes.set("/s/a1.html", body=article, headers=html)
    server.routes.set("/s/b1.html", body=article.replace(b"Elm", b"Oak"), headers=html)
    site = write_site(tmp_path / "site.toml", [server.url("/s/")], [r"/s/\w+\.html$"], [r"/s/$"], retries=0)
    db = tmp_path / "e.db"
    runner = CliRunner()
    crawled = runner.invoke(main, ["crawl", str(site), "--db", str(db)])
    assert crawled.exit_code == 1, crawled.stderr  # gone.html answers 404
    imported = runner.invoke(main, ["import", server.url("/s/b1.html"), str(FIXTURES / "pages" / "own-article.html"),
                                    "--db", str(db)])
    assert imported.exit_code == 0, imported.stderr

    def facts() -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("select replace(p.url, ?, ''), p.host, p.site, e.host, e.site from pages p "
                                "left join essays e on e.page_url = p.url order by 1", [server.base]).fetchall()
        finally:
            conn.close()

    assert facts() == [
        ("/s/a1.html", "127.0.0.1", "test", "127.0.0.1", "test"),
        ("/s/b1.html", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("/s/gone.html", "127.0.0.1", "test", None, None),
        (f"file://{FIXTURES / 'pages' / 'own-article.html'}", None, None, None, None),
    ]
    before = facts()
    assert runner.invoke(main, ["reprocess", "--db", str(db)]).exit_code == 0
    assert facts() == before


def test_pipeline_serve_command_passes_datasette_options(db_path: Path, tmp_path: Path) -> None:
    """The real command on 127.0.0.1: --setting and --metadata reach datasette."""
    from .test_browser import free_port, wait_until_up

    (tmp_path / "meta.yml").write_text("title: Served essays\n", encoding="utf-8")
    port = free_port()
    exe = Path(sys.executable).with_name("pipeline")
    proc = subprocess.Popen([str(exe), "serve", "--db", str(db_path), "--port", str(port), "--setting", "default_page_size", "3",
                             "--metadata", str(tmp_path / "meta.yml")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/-/versions.json", proc)
        with urllib.request.urlopen(base + "/essays/essays.json?_shape=array", timeout=30) as response:
            assert len(json.loads(response.read())) == 3
        with urllib.request.urlopen(base + "/-/metadata.json", timeout=30) as response:
            meta = json.loads(response.read())
        assert (meta["title"], meta["license"]) == ("Served essays", serve.LICENSE)
    finally:
        proc.terminate()
        proc.wait(20)
