"""Chinese-aware full-text search: the index text, the query rewrite, recall on a labelled set over the
fixtures, sync on insert/update/delete, bad input, and readers during a 2,000-essay import."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main
from pipeline.jobs.importer import import_sources
from pipeline.models import Essay, Page, Result, RunStats
from pipeline.store import search_index as search

from .conftest import FIXTURES, gold

SEED = FIXTURES / "seed"
PAGES = FIXTURES / "pages"
FANWEN = FIXTURES / "corpus" / "fanwen"

# query -> the essays (fixture file stem, position) whose gold title or text contains it: hand-checked.
LABELLED: dict[str, set[tuple[str, int]]] = {
    "党员": {("000_a2624caf89aaf6c8", 1), ("000_a2624caf89aaf6c8", 2), ("000_a2624caf89aaf6c8", 3),
             ("d01-repeated-title", 1), ("d01-repeated-title", 2), ("d01-repeated-title", 3), ("d15-near-duplicate-of-d01", 1)},
    "先锋模范": {("000_a2624caf89aaf6c8", 1), ("000_a2624caf89aaf6c8", 2), ("000_a2624caf89aaf6c8", 3),
                 ("d01-repeated-title", 1), ("d01-repeated-title", 2), ("d01-repeated-title", 3)},
    "共产党员": {("000_a2624caf89aaf6c8", 1), ("000_a2624caf89aaf6c8", 2), ("000_a2624caf89aaf6c8", 3),
                 ("d01-repeated-title", 1), ("d01-repeated-title", 2), ("d01-repeated-title", 3), ("d15-near-duplicate-of-d01", 1)},
    "乡村振兴": {("d05-h3-subtitles-jsonld", 1), ("d05-h3-subtitles-jsonld", 2), ("d05-h3-subtitles-jsonld", 3),
                 ("d08-single-essay-outline", 1)},
    "产业兴旺": {("d05-h3-subtitles-jsonld", 2)},
    "工作总结": {("d02-pian-bracket", 1), ("d02-pian-bracket", 2), ("d02-pian-bracket", 3), ("d02-pian-bracket", 4),
                 ("d07-gbk-title-paren", 1), ("d07-gbk-title-paren", 2), ("d07-gbk-title-paren", 3)},
    "2022年度": {("d02-pian-bracket", 1), ("d02-pian-bracket", 2), ("d02-pian-bracket", 3), ("d02-pian-bracket", 4)},
    "心得体会": {("d03-gbk-br-pian-number", 1), ("d03-gbk-br-pian-number", 2), ("d03-gbk-br-pian-number", 3)},
    "感恩父母": {("d10-dump-pian", 1), ("d10-dump-pian", 2), ("d10-dump-pian", 3)},
    "教学反思": {("d14-di-n-pian-hidden-spam", 1), ("d14-di-n-pian-hidden-spam", 2), ("d14-di-n-pian-hidden-spam", 3),
                 ("d14-di-n-pian-hidden-spam", 4), ("d14-di-n-pian-hidden-spam", 5)},
    "焕发生命活力": {("d04-gbk-nocharset-fanwen-subtitle", 2)},
    "数学": {("d14-di-n-pian-hidden-spam", 1), ("d14-di-n-pian-hidden-spam", 2), ("d14-di-n-pian-hidden-spam", 3),
             ("d14-di-n-pian-hidden-spam", 4), ("d14-di-n-pian-hidden-spam", 5)},
    "红楼梦": {("own-two-essays", 1), ("own-two-essays", 2)},
    "青春": {("d06-diyipian-own-titles", 1), ("d06-diyipian-own-titles", 2), ("d06-diyipian-own-titles", 3),
             ("d06-diyipian-own-titles", 4), ("d10-dump-pian", 1), ("d10-dump-pian", 2), ("d10-dump-pian", 3)},
    "新学期": {("d06-diyipian-own-titles", 3)},
    "奋斗": {("000_a2624caf89aaf6c8", 2), ("d06-diyipian-own-titles", 1)},
    "述职": {("d11-paywall-cut", 1), ("d11-paywall-cut", 2), ("d11-paywall-cut", 3)},
    "人居环境": {("d08-single-essay-outline", 1)},
    "调研报告": {("d08-single-essay-outline", 1)},
    "办公室": {("000_a2624caf89aaf6c8", 3), ("d07-gbk-title-paren", 1), ("d07-gbk-title-paren", 2), ("d07-gbk-title-paren", 3)},
    "批评和自我批评": {("d01-repeated-title", 2), ("d01-repeated-title", 3), ("d15-near-duplicate-of-d01", 1)},
    "立足本职": {("000_a2624caf89aaf6c8", 3), ("d15-near-duplicate-of-d01", 1)},
    "防控": {("000_a2624caf89aaf6c8", 3), ("d01-repeated-title", 1), ("d01-repeated-title", 2), ("d01-repeated-title", 3),
             ("d15-near-duplicate-of-d01", 1)},
    "偉大": {("d12-traditional-bold-subtitles", 2)},
    "苦難": {("d12-traditional-bold-subtitles", 3)},
    "garden": {("own-article", 1)},
    "Elm street": {("own-article", 1)},
    "reading": {("d13-english-fanwen-number", 2)},
    "habit": {("d13-english-fanwen-number", 1), ("d13-english-fanwen-number", 2)},
}


def key(page_url: str, position: int) -> tuple[str, int]:
    return page_url.rsplit("/", 1)[1].rsplit(".", 1)[0], position


def gold_results() -> list[Result]:
    """The hand-checked records of the fixtures (NAME.gold.json), as the store receives them."""
    out = []
    for gold_path in sorted([*SEED.glob("*.gold.json"), *PAGES.glob("*.gold.json"), *FANWEN.glob("*.gold.json")]):
        data = gold(gold_path)
        url = f"file:///fixtures/{gold_path.parent.name}/{gold_path.name.removesuffix('.gold.json')}.html"
        page = Page(url=url, title=data.get("title", ""), site=data.get("site", ""), published=data.get("published", ""),
                    breadcrumb=tuple(data.get("breadcrumb", [])))
        essays = tuple(Essay(page_url=url, position=i, title=e["title"], text=e["text"],
                             text_sha1=hashlib.sha1(e["text"].encode()).hexdigest()) for i, e in enumerate(data["essays"], 1))
        out.append(Result(page=page, essays=essays))
    return out


@pytest.fixture(scope="module")
def fixtures_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The gold essays of fixtures/seed, fixtures/pages and fixtures/corpus/fanwen, stored the way an import stores them
    (so that search is judged on known records, whatever the extractor does today)."""
    path = tmp_path_factory.mktemp("search") / "essays.db"
    db = store.open_db(path)
    run = store.start_run(db, "import", {})
    for result in gold_results():
        store.save_result(db, result, run)
    db.conn.close()
    yield path


def test_import_then_search_end_to_end(tmp_path: Path) -> None:
    stats = import_sources([str(SEED)], tmp_path / "e.db")
    assert stats.essays_added == 3
    code, out, _ = cli("search", "先锋模范", "--json", "--db", str(tmp_path / "e.db"))
    assert code == 0
    assert sorted((key(h["page_url"], h["position"]), h["title"]) for h in json.loads(out)) == [
        (("000_a2624caf89aaf6c8", p), "2022年发挥党员先锋模范作用") for p in (1, 2, 3)]


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- the rewrite ----------------------------------------------------------------------------------


def test_index_text_splits_chinese_into_bigrams_and_keeps_other_text() -> None:
    assert search.index_text("2022年发挥党员先锋模范作用") == "2022 年发 发挥 挥党 党员 员先 先锋 锋模 模范 范作 作用 "
    assert search.index_text("读《红楼梦》有感 Elm Street") == " 读 《 红楼 楼梦 》 有感  Elm Street"
    assert search.index_text("ＡＢＣ１２３") == "ABC123"  # NFKC: full-width letters and digits fold


def test_to_match_quotes_every_term_as_a_phrase() -> None:
    assert search.to_match("先锋模范") == '"先锋 锋模 模范"'
    assert search.to_match("党员 garden") == '"党员" "garden"'
    assert search.to_match('"community garden"') == '"community garden"'
    assert search.to_match("党") == '"党"*'
    assert search.to_match("2022年") == '"2022 年"*'  # a lone last character is a prefix: 年 finds 年度
    assert search.to_match("党。") == '"党 。"*'
    assert search.to_match("年a") == '"年 a"'
    assert search.to_match('a"b') == '"a" "b"'  # an unbalanced quote closes at the end, as in datasette
    assert search.to_match("NEAR(x y) OR NOT") == '"NEAR(x" "y)" "OR" "NOT"'
    assert search.to_match("😀 !!! ") == '""'
    assert search.to_match("") == '""'


# --- recall on the labelled set -------------------------------------------------------------------


def test_labelled_queries_find_exactly_their_essays(fixtures_db: Path) -> None:
    assert len(LABELLED) >= 20
    db = store.open_db(fixtures_db)
    found = {q: {key(h.page_url, h.position) for h in search.search(db, q, limit=1000)} for q in LABELLED}
    assert found == LABELLED
    recall = sum(len(found[q] & LABELLED[q]) for q in LABELLED) / sum(len(v) for v in LABELLED.values())
    assert recall == 1.0


def test_every_chinese_substring_is_found_like_a_plain_scan(fixtures_db: Path) -> None:
    """200 random substrings (2-6 characters inside a run of Chinese) of the stored essays: the index
    finds exactly the essays whose title or text contains them, traditional and simplified alike."""
    db = store.open_db(fixtures_db)
    rows = db.execute("select page_url, position, title, text from essays").fetchall()
    texts = {(u, p): search.fold(f"{t}\n{x}") for u, p, t, x in rows}
    runs = [m.group() for text in texts.values() for m in search._CJK_RUN.finditer(text) if len(m.group()) >= 2]
    rng = random.Random(7)
    for _ in range(200):
        run = rng.choice(runs)
        size = rng.randint(2, min(6, len(run)))
        start = rng.randint(0, len(run) - size)
        query = run[start:start + size]
        expected = {k for k, text in texts.items() if query in text}
        assert {(h.page_url, h.position) for h in search.search(db, query, limit=1000)} == expected, query


def test_cli_search_text_and_json(fixtures_db: Path) -> None:
    code, out, err = cli("search", "产业兴旺", "--db", str(fixtures_db))
    assert code == 0, err
    lines = out.splitlines()
    assert lines == [
        "1382e1dc42d5ad70  以产业兴旺带动乡村振兴  (www.diaoyanwk.com, 农村调研, 2023-03-15)",
        "    从具体情况看，我们也要清醒地看到，部分村产业发展基础薄弱。我们也要清醒地看到，资金投入渠道比较单一。“绿水青山就是金山银山”，各村盘活闲置土地资源。只有盘活闲置…",
    ]
    assert err == "1 essays found for '产业兴旺'\n"
    code, out, err = cli("search", "先锋模范", "--json", "--limit", "3", "--db", str(fixtures_db))
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 3 and err == "3 essays found for '先锋模范' (limit reached)\n"
    assert sorted(hits[0]) == ["category", "duplicate_of", "highlights", "id", "num", "page_url", "position", "published",
                               "site", "snippet", "title"]
    assert {h["category"] for h in hits} == {"演讲稿"}
    for h in hits:  # every highlight is the word searched for (found in the title only, the snippet has none)
        assert [h["snippet"][a:b] for a, b in h["highlights"]] == ["先锋模范"] * len(h["highlights"])


def test_snippet_highlights_the_words_in_either_script() -> None:
    text = "前言。" * 30 + "我们要發揮黨員的作用，做合格的党员。Gardens of the GARDEN club."
    snip, marks = search.snippet(text, "党员 garden", width=40)
    # from a quarter of the width before the first word found; a word on the edge is kept whole
    assert snip == "…言。前言。我们要發揮黨員的作用，做合格的党员。Gardens of the GARDEN…"
    assert [snip[a:b] for a, b in marks] == ["黨員", "党员", "Gardens", "GARDEN"]
    assert search.split_marked("ab党员cd", ((2, 4),)) == [("ab", False), ("党员", True), ("cd", False)]
    assert search.snippet("短文", "党员") == ("短文", ())


# --- bad input ------------------------------------------------------------------------------------


PARTY = LABELLED["党员"]
BAD_QUERIES: list[tuple[str, set[tuple[str, int]]]] = [
    ('党员"', PARTY), ('"党员', PARTY), ("党员*", PARTY), ("^党员", PARTY), ("党员 😀", PARTY), ("\x00党员", PARTY),
    ("党员 AND OR NOT", set()), ("NEAR(党员 先锋)", set()), ("title:党员", set()), ("'; drop table essays; --", set()),
    ("a" * 10_000, set()), ("党员" * 5_000, set()), (" ".join(["word"] * 3000), set()), ("{党员}", PARTY),
]


@pytest.mark.parametrize(("query", "expected"), BAD_QUERIES, ids=[f"q{i}" for i in range(len(BAD_QUERIES))])
def test_bad_queries_give_results(fixtures_db: Path, query: str, expected: set[tuple[str, int]]) -> None:
    code, out, err = cli("search", query, "--json", "--limit", "1000", "--db", str(fixtures_db))
    assert code == 0, err
    assert {key(h["page_url"], h["position"]) for h in json.loads(out)} == expected
    notes = [line for line in err.splitlines() if line.startswith("warning: ")]
    if len(query) > search.MAX_QUERY_CHARS:
        assert notes[0] == f"warning: the query is {len(query)} characters long; only its first 500 are searched"
    if query.startswith("word"):
        assert notes == ["warning: the query is 14999 characters long; only its first 500 are searched",
                         "warning: only the first 32 words of the query are searched"]
    assert "Traceback" not in out + err


def test_query_with_nothing_searchable_is_a_usage_error(fixtures_db: Path) -> None:
    for query in ["😀", "!!!", '"', '""', "   ", "(((", "*", "👍🏽 ❤️"]:
        code, out, err = cli("search", query, "--db", str(fixtures_db))
        assert (code, out) == (2, "")
        assert err.startswith("error: nothing to search for in ") and "Traceback" not in err


def test_missing_database_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli("search", "党员", "--db", str(tmp_path / "none.db"))
    assert code == 2
    assert err == f"error: no database at {tmp_path / 'none.db'}: import something first (pipeline import PATH --db {tmp_path / 'none.db'})\n"
    assert not (tmp_path / "none.db").exists()


def test_emoji_and_syntax_hits(fixtures_db: Path) -> None:
    db = store.open_db(fixtures_db)
    assert {key(h.page_url, h.position) for h in search.search(db, "(产业兴旺) 😀")} == {("d05-h3-subtitles-jsonld", 2)}
    assert [h.title for h in search.search(db, '"产业兴旺')] == ["以产业兴旺带动乡村振兴"]


# --- sync -----------------------------------------------------------------------------------------


def page_result(url: str, texts: list[str]) -> Result:
    essays = tuple(Essay(page_url=url, position=i + 1, title=f"标题{i + 1}", text=t, text_sha1=f"sha{url}{i}{len(t)}{t[:4]}")
                   for i, t in enumerate(texts))
    return Result(page=Page(url=url, title="页", site="example.org"), essays=essays)


def titles(db: sqlite3.Connection | object, query: str) -> list[str]:
    return sorted(f"{h.page_url}#{h.position}" for h in search.search(db, query, limit=100))  # type: ignore[arg-type]


def test_index_follows_insert_update_delete(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "e.db")
    run = store.start_run(db, "import", {})
    store.save_result(db, page_result("u1", ["我们学习雷锋精神", "保护环境人人有责"]), run)
    assert titles(db, "雷锋精神") == ["u1#1"] and titles(db, "环境") == ["u1#2"]
    store.save_result(db, page_result("u1", ["我们学习航天精神"]), run)  # update the first, delete the second
    assert titles(db, "雷锋") == [] and titles(db, "航天精神") == ["u1#1"] and titles(db, "环境") == []
    assert db.execute("select count(*) from essays_fts").fetchone()[0] == 1
    assert db.execute("select count(*) from essays_fts_pending").fetchone()[0] == 0
    # a writer that knows nothing of the index (plain sqlite3): deletes apply at once, the rest on catch-up
    other = sqlite3.connect(tmp_path / "e.db")
    with other:
        other.execute("update essays set text = '植树造林' where page_url = 'u1'")
        other.execute("insert into essays (id, page_url, position, title, text) values ('x', 'u2', 1, 'Tree planting', '绿水青山')")
    other.close()
    assert titles(db, "航天") == ["u1#1"]  # not re-indexed yet
    assert search.catch_up(db) == 2
    assert titles(db, "航天") == [] and titles(db, "植树造林") == ["u1#1"] and titles(db, "青山") == ["u2#1"]
    assert titles(db, "planting") == ["u2#1"]
    with sqlite3.connect(tmp_path / "e.db") as other:
        other.execute("delete from essays where id = 'x'")
    assert titles(db, "青山") == []  # at once: every search joins on essays
    # the deleted row's rowid is reused by a new essay before the index hears of either
    with sqlite3.connect(tmp_path / "e.db") as other:
        other.execute("insert into essays (id, page_url, position, title, text) values ('y', 'u3', 1, 'Y', '春风化雨')")
    assert db.execute("select rowid from essays where id = 'y'").fetchone() == (2,)
    assert search.catch_up(db) == 1
    assert titles(db, "春风") == ["u3#1"] and titles(db, "青山") == [] and titles(db, "planting") == []

    def raw(query: str) -> list[int]:  # the index itself, without the join on essays
        return [r[0] for r in db.execute("select rowid from essays_fts where essays_fts match ? order by rowid",
                                         [search.to_match(query)])]

    assert (raw("青山"), raw("航天"), raw("雷锋"), raw("planting"), raw("春风化雨"), raw("植树")) == ([], [], [], [], [2], [1])
    assert search.rebuild(db) == 2 and titles(db, "植树造林") == ["u1#1"] and raw("春风化雨") == [2]


def test_existing_database_without_index_is_indexed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = store.open_db(path)
    store.save_result(db, page_result("u1", ["旧数据库里的文章"]), store.start_run(db, "import", {}))
    for name in [n for (n,) in db.execute("select name from sqlite_master where type = 'trigger'")]:
        db.execute(f"drop trigger [{name}]")
    db.execute("drop table essays_fts")
    db.execute("drop table essays_fts_pending")
    db.conn.commit()
    db.conn.close()
    assert titles(store.open_db(path), "数据库") == ["u1#1"]


# --- readers during a run -------------------------------------------------------------------------


@pytest.mark.slow
def test_thousand_searches_during_a_2000_essay_import(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    db = store.open_db(path)
    errors: list[BaseException] = []
    counts: list[int] = []
    first_page = threading.Event()
    halfway = threading.Event()
    words = ["党员", "先锋模范", "乡村振兴", "garden", "工作总结"]

    def reader() -> None:
        first_page.wait(60)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        try:
            for i in range(1000):
                try:
                    counts.append(len(search.search(conn, words[i % len(words)], limit=10_000)))
                except BaseException as exc:  # noqa: BLE001 - every failure is what this test counts
                    errors.append(exc)
                if i == 499:
                    halfway.set()
        finally:
            halfway.set()
            conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    run = store.start_run(db, "import", {"synthetic": 2000})
    stats = RunStats(kind="import")
    for p in range(400):
        texts = [f"第{p}页第{n}篇：发挥党员先锋模范作用，推进乡村振兴。Community garden note {p}-{n}." for n in range(5)]
        added, _ = store.save_result(db, page_result(f"https://example.org/{p}.html", texts), run)
        stats.essays_added += added
        if p == 0:
            first_page.set()
        if p == 200:
            halfway.wait(120)  # the reader's first 500 searches ran while this import was under way
    store.finish_run(db, run, stats, "ok")
    thread.join(120)
    assert errors == []
    assert len(counts) == 1000
    assert stats.essays_added == 2000
    assert len(search.search(db, "先锋模范", limit=10_000)) == 2000
    party = counts[0::5]  # searches for 党员: the count only grows as the import commits page after page
    assert party == sorted(party) and party[0] >= 5 and party[-1] <= 2000


# --- every writer keeps the index in step: import, reprocess, crawl -------------------------------


def index_matches_essays(path: Path) -> None:
    """Every essay is indexed under its rowid, and nothing else is: each one is found by its own title."""
    db = store.open_db(path)
    assert db.execute("select count(*) from essays_fts_pending").fetchone()[0] == 0
    assert db.execute("select count(*) from essays_fts").fetchone()[0] == db.execute("select count(*) from essays").fetchone()[0]
    for rowid, title in db.execute("select rowid, title from essays").fetchall():
        rowids = [r[0] for r in db.execute("select rowid from essays_fts where essays_fts match ?", [search.to_match(title)])]
        assert rowid in rowids, title
    db.conn.close()


def test_import_reprocess_and_crawl_keep_the_index_in_step(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    assert cli("import", str(SEED), str(PAGES), "--db", str(db))[0] == 0
    index_matches_essays(db)
    code, _, err = cli("reprocess", "--db", str(db))
    assert code == 0, err
    index_matches_essays(db)
    code, out, _ = cli("search", "先锋模范", "--json", "--db", str(db))
    assert len(json.loads(out)) == 3
    demo = tmp_path / "demo.db"
    code, _, err = cli("demo", "--db", str(demo))
    assert code == 0, err
    index_matches_essays(demo)


# --- traditional and simplified; the index's key ------------------------------------------------


def scan(db: sqlite3.Connection | object, query: str) -> set[tuple[str, int]]:
    """The essays whose title or text holds every word of the query, found by reading them all (folded)."""
    rows = db.execute("select page_url, position, title, text from essays").fetchall()  # type: ignore[attr-defined]
    words = [search.fold(w).lower() for w in query.split()]
    return {(u, p) for u, p, t, x in rows if all(w in search.fold(f"{t}\n{x}").lower() for w in words)}


def test_traditional_and_simplified_are_found_alike(fixtures_db: Path) -> None:
    db = store.open_db(fixtures_db)
    simplified = {(h.page_url, h.position) for h in search.search(db, "党员", limit=1000)}
    traditional = {(h.page_url, h.position) for h in search.search(db, "黨員", limit=1000)}
    assert simplified == traditional and {key(*k) for k in simplified} == LABELLED["党员"]
    # the traditional essays of the fixtures are found by their simplified spelling, and the other way round
    assert {key(*k) for k in {(h.page_url, h.position) for h in search.search(db, "伟大", limit=100)}} == LABELLED["偉大"]
    assert {key(*k) for k in {(h.page_url, h.position) for h in search.search(db, "苦难", limit=100)}} == LABELLED["苦難"]
    assert search.fold("黨員發揮") == "党员发挥" and search.fold("党员") == "党员"
    assert search.to_match("黨員") == search.to_match("党员") == '"党员"'


def test_index_survives_deletes_and_vacuum(tmp_path: Path) -> None:
    """Every search returns exactly the essays whose text holds the words after deletes and a VACUUM (the
    index is keyed on essays.num, an INTEGER PRIMARY KEY that VACUUM keeps)."""
    path = tmp_path / "v.db"
    db = store.open_db(path)
    run = store.start_run(db, "import", {})
    for result in gold_results():
        store.save_result(db, result, run)
    before = dict(db.execute("select id, num from essays").fetchall())
    with sqlite3.connect(path) as other:  # a writer that knows nothing of the index
        other.execute("delete from essays where num % 3 = 1")
    assert search.catch_up(db) > 0
    db.execute("VACUUM")
    after = dict(db.execute("select id, num from essays").fetchall())
    assert after == {k: v for k, v in before.items() if v % 3 != 1} and len(after) < len(before)
    for query in LABELLED:
        assert {(h.page_url, h.position) for h in search.search(db, query, limit=1000)} == scan(db, query), query
    assert db.execute("select count(*) from essays_fts").fetchone()[0] == len(after)
    db.conn.close()


def test_a_version_1_database_is_rebuilt_with_an_integer_key(tmp_path: Path) -> None:
    """A database of schema 1 (text primary key, rowids with gaps, a crawl's frontier): migration 2 keeps every id,
    rowid, duplicate_of and search result, and gives pages and essays their host and site."""
    from pipeline.store import migrations, schema

    path = tmp_path / "v1.db"
    db = sqlite_utils_db(path)
    schema.ensure_schema(db)
    db.execute(f"PRAGMA application_id = {migrations.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute("create table frontier (url text primary key, site text)")
    with db.conn:
        db.execute("insert into frontier values ('https://a.example:8080/1.html', 'demo')")
        for url, site in [("https://a.example:8080/1.html", "a.example"), ("file:///x/2.html", "")]:
            db.execute("insert into pages (url, site, title) values (?, ?, 't')", [url, site])
        for i, (url, text) in enumerate([("https://a.example:8080/1.html", "我们要发挥党员作用"),
                                         ("https://a.example:8080/1.html", "删除的文章"), ("file:///x/2.html", "黨員的責任")]):
            db.execute("insert into essays (id, page_url, position, title, text, site) values (?, ?, ?, 'T', ?, ?)",
                       [f"e{i}", url, i + 1, text, "a.example" if url.startswith("https") else ""])
        db.execute("update essays set duplicate_of = 'e0' where id = 'e2'")
        db.execute("delete from essays where id = 'e1'")
    search.catch_up(db)
    old = db.execute("select rowid, id, duplicate_of from essays order by rowid").fetchall()
    db.conn.close()
    db = store.open_db(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert db.execute("select num, id, duplicate_of from essays order by num").fetchall() == old == [(1, "e0", None), (3, "e2", "e0")]
    assert db.execute("select url, host, site from pages order by url").fetchall() == [
        ("file:///x/2.html", None, None), ("https://a.example:8080/1.html", "a.example", "demo")]
    assert db.execute("select id, host, site from essays order by num").fetchall() == [("e0", "a.example", "demo"), ("e2", None, None)]
    assert titles(db, "党员") == ["file:///x/2.html#3", "https://a.example:8080/1.html#1"]
    cols = [r[1] for r in db.execute("PRAGMA table_info(essays)")]
    assert cols[0] == "num" and db.execute("select pk from pragma_table_info('essays') where name = 'num'").fetchone() == (1,)
    migrations.migrate(db)  # again: nothing changes
    assert db.execute("select num, id, duplicate_of from essays order by num").fetchall() == old
    db.conn.close()


def sqlite_utils_db(path: Path) -> object:
    import sqlite_utils

    return sqlite_utils.Database(path)


def test_an_index_of_an_older_version_is_rebuilt_on_open(tmp_path: Path) -> None:
    """An index written before the traditional/simplified fold (VERSION 2) holds 黨員 unfolded: rebuilt on the next open."""
    path = tmp_path / "old-index.db"
    db = store.open_db(path)
    store.save_result(db, page_result("u1", ["我是一名黨員"]), store.start_run(db, "import", {}))
    with db.conn:
        for name in [n for (n,) in db.execute("select name from sqlite_master where type = 'trigger'")]:
            db.execute(f"drop trigger [{name}]")
            db.execute(f"create trigger [{name.replace(f'_v{search.VERSION}_', '_v2_')}] after insert on essays begin select 1; end")
        db.execute("insert into essays_fts(essays_fts) values ('delete-all')")
        db.execute("insert into essays_fts(rowid, title, text) select num, title, text from essays")  # unfolded, no bigrams
    assert titles(db, "党员") == []
    db.conn.close()
    db = store.open_db(path)
    assert titles(db, "党员") == titles(db, "黨員") == ["u1#1"]
    assert sorted(n for (n,) in db.execute("select name from sqlite_master where type = 'trigger'")) == [
        f"essays_fts_v{search.VERSION}_{k}" for k in ("ad", "ai", "au")]
