"""Site chrome learned from a site's own pages: masking and deciding (pure), then crawls of generated
sites with boilerplate no rule knows, served by the project's local server, into a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline import store
from pipeline.crawl.settings import load_site
from pipeline.jobs.chrome_site import ChromeSite, score, stored_essays
from pipeline.jobs.crawl_run import crawl
from pipeline.jobs.demo_site import serve
from pipeline.jobs.process import process
from pipeline.models import Block, Page
from pipeline.normalize.site_chrome import block_prints, clean_result, mask, min_count
from pipeline.rules import load
from pipeline.store import site_chrome as site_table


def rows(db: Path, sql: str, args: list[Any] | None = None) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(str(db))
    try:
        return [tuple(r) for r in conn.execute(sql, args or [])]
    finally:
        conn.close()


@pytest.mark.parametrize("example", load("site_chrome")["examples"], ids=lambda e: e[0][:12])
def test_mask_examples(example: list[str]) -> None:
    line, title, masked = example
    assert mask(line, title) == masked


def test_min_count_needs_ten_pages_and_thirty_percent() -> None:
    assert [min_count(n) for n in (3, 9, 10, 11, 60, 1000)] == [None, None, 3, 4, 18, 300]


def test_markers_and_title_only_lines_are_never_fingerprinted() -> None:
    page = Page(url="u", title="我的春天作文（精选2篇）", blocks=(
        Block("paragraph", "篇一：春天来了"), Block("paragraph", "我的春天作文"), Block("paragraph", "《我的春天作文（精选2篇）》（2）"),
        Block("paragraph", "本站每日更新优质范文欢迎收藏"), Block("paragraph", "第2篇"), Block("paragraph", "谢谢"),
    ))
    found = [None if f is None else f[1] for f in block_prints(page)]
    assert found == [None, None, None, "本站每日更新优质范文欢迎收藏", None, None]


def expected_chrome(site: ChromeSite) -> list[tuple[str, int]]:
    """(template core, pages that carry it) for each boilerplate item on >= 30% of the pages (the generator's truth),
    but the label over the related-links list: extraction cuts it with its list, and it never reaches the site pass."""
    counts = Counter(bp.core() for art in site.articles for bp, _ in art.lines if bp.place != "related")
    least = min_count(len(site.articles))
    return sorted((core, n) for core, n in counts.items() if least is not None and n >= least)


def crawl_sites(tmp_path: Path, *sites: tuple[ChromeSite, str]) -> tuple[Path, list[str]]:
    db = tmp_path / "e.db"
    bases: list[str] = []
    servers = [serve(site.resolve) for site, _ in sites]
    for srv in servers:
        srv.__enter__()
    try:
        configs = [load_site(site.site_toml(tmp_path / f"{name}.toml", srv.base, name)) for (site, name), srv in zip(sites, servers, strict=True)]
        report = crawl(configs, db)
        assert report.stats.pages_failed == 0
        bases = [srv.base for srv in servers]
    finally:
        for srv in servers:
            srv.__exit__(None, None, None)
    return db, bases


def plain(site: ChromeSite, base: str) -> dict[str, list[str]]:
    """What the pages give without the site pass (each page alone through `process`)."""
    return {f"{base}/a/{a.number}.html": [e.text for e in process(site.article_html(a), f"{base}/a/{a.number}.html").essays]
            for a in site.articles}


def clean_and_whole(db: Path, site: ChromeSite, base: str) -> None:
    """Every page stored with essays, no boilerplate line left, every paragraph the page alone kept still kept."""
    got, before = score(stored_essays(db), site, base), score(plain(site, base), site, base)
    assert (got.pages, got.leaks, got.kept) == (len(site.articles), 0, before.kept)
    assert before.leaks > len(site.articles) and got.recall >= 0.99


def learned(db: Path, site: str) -> list[tuple[str, int]]:
    return rows(db, "select line, pages from site_chrome where site = ? and chrome = 1 order by line", [site])


def cores_of(lines: list[tuple[str, int]], site: ChromeSite) -> list[tuple[str, int]]:
    """The learned (masked) lines named by the generator's template cores."""
    cores = {bp.core() for bp in site.templates + site.later}
    out = []
    for line, pages in lines:
        named = [c for c in cores if c in line]
        assert len(named) == 1, line
        out.append((named[0], pages))
    return sorted(out)


def test_crawl_learns_the_sites_boilerplate_and_keeps_its_essays(tmp_path: Path) -> None:
    site = ChromeSite(101, 60)
    db, (base,) = crawl_sites(tmp_path, (site, "gen"))
    clean_and_whole(db, site, base)
    assert cores_of(learned(db, "gen"), site) == expected_chrome(site)
    tail = [bp for bp in site.templates if bp.share == 0.9][0]
    assert 50 <= dict(expected_chrome(site))[tail.core()] < 60  # the tail line stands on about 90% of the pages
    # the quotation four pages share is counted and kept
    assert rows(db, "select pages, site_pages, chrome from site_chrome where line = ?", [site.quote]) == [(4, 60, 0)]
    quoting = [a.number for a in site.articles if any(site.quote in p for _, ps in a.essays for p in ps)]
    assert len(quoting) == 4
    for n in quoting:
        assert site.quote in "\n".join(stored_essays(db)[f"{base}/a/{n}.html"])
    # every removal is on record with its reason
    first = f"{base}/a/1.html"
    removed = rows(db, "select text, reason from chrome_removed where url = ? order by n", [first])
    assert len(expected_chrome(site)) == 5  # every item of the site is on 30% of its pages or more
    assert sorted(t for t, _ in removed) == sorted(line for bp, line in site.articles[0].lines if bp.place != "related")
    assert sorted(r for _, r in removed) == sorted(f"site-repeated: on {n} of 60 pages of gen" for (n,) in rows(
        db, "select c.pages from chrome_removed r join site_chrome c using (site, fp) where r.url = ?", [first]))


def test_a_second_crawl_changes_nothing(tmp_path: Path) -> None:
    site = ChromeSite(102, 40)
    db = tmp_path / "e.db"
    with serve(site.resolve) as srv:
        config = load_site(site.site_toml(tmp_path / "s.toml", srv.base, "gen"))
        crawl([config], db)
        before = rows(db, "select id, text_sha1 from essays order by id"), rows(db, "select * from chrome_removed order by url, n")
        report = crawl([config], db)
    assert (report.stats.essays_added, report.stats.essays_updated) == (0, 0)
    assert (rows(db, "select id, text_sha1 from essays order by id"), rows(db, "select * from chrome_removed order by url, n")) == before


def test_boilerplate_that_changes_halfway_is_learned_in_both_forms(tmp_path: Path) -> None:
    site = ChromeSite(103, 60, change_at=31)
    db, (base,) = crawl_sites(tmp_path, (site, "gen"))
    clean_and_whole(db, site, base)
    assert cores_of(learned(db, "gen"), site) == expected_chrome(site)
    assert len(expected_chrome(site)) == 10  # five items before the change, five after (the related-list labels go at extraction)


def test_a_three_page_site_learns_nothing(tmp_path: Path) -> None:
    site = ChromeSite(104, 3)
    db, (base,) = crawl_sites(tmp_path, (site, "tiny"))
    assert learned(db, "tiny") == []
    assert stored_essays(db) == plain(site, base)
    assert rows(db, "select count(*) from chrome_removed") == [(0,)]


def test_two_sites_in_one_database_learn_nothing_from_each_other(tmp_path: Path) -> None:
    # the same boilerplate on two 6-page sites: 12 pages together, too few for either alone
    db, _ = crawl_sites(tmp_path, (ChromeSite(105, 6), "left"), (ChromeSite(105, 6), "right"))
    assert learned(db, "left") == learned(db, "right") == []
    assert rows(db, "select site, count(*) from chrome_pages group by site order by site") == [("left", 6), ("right", 6)]
    # two sites large enough: each learns its own lines only
    a, b = ChromeSite(106, 30), ChromeSite(107, 30)
    (tmp_path / "two").mkdir()
    db2, (base_a, base_b) = crawl_sites(tmp_path / "two", (a, "a"), (b, "b"))
    assert cores_of(learned(db2, "a"), a) == expected_chrome(a)
    assert cores_of(learned(db2, "b"), b) == expected_chrome(b)
    clean_and_whole(db2, a, base_a)
    clean_and_whole(db2, b, base_b)


def test_a_site_config_can_turn_the_site_pass_off(tmp_path: Path) -> None:
    site = ChromeSite(108, 30)
    db = tmp_path / "e.db"
    with serve(site.resolve) as srv:
        crawl([load_site(site.site_toml(tmp_path / "s.toml", srv.base, "off", site_chrome=False))], db)
        base = srv.base
    assert stored_essays(db) == plain(site, base)
    assert rows(db, "select count(*) from chrome_pages") == rows(db, "select count(*) from site_chrome") == [(0,)]


def test_clean_result_gives_the_essays_of_the_page_without_the_learned_lines() -> None:
    body = ("<p>篇一：春天来了</p><p>春天来了，小草从地里探出头来，我和同学们一起去公园里放风筝，风筝飞得很高很高，大家都笑了起来。</p>"
            "<p>老师说，春天是播种的季节，我们要努力学习，将来做一个对社会有用的人，我把这句话记在了心里。</p>"
            "<p>篇二：春天的雨</p><p>春雨沙沙地下着，像妈妈温柔的手，轻轻抚摸着大地，田野里的麦苗喝饱了水，长得更绿了。</p>"
            "<p>我站在窗前，看着雨丝飘落，心里充满了对春天的喜爱，春天真美啊，我愿意永远住在春天里面。</p>")
    promo = "<p>《我的春天作文（精选2篇）》由青苗网编辑于2023年5月6日收录整理</p>"
    page = '<html><head><title>我的春天作文（精选2篇）</title></head><body><div class="c"><h1>我的春天作文（精选2篇）</h1>{}</div></body></html>'
    with_promo = process(page.format(promo + body), "http://x/a/1.html")
    without = process(page.format(body), "http://x/a/1.html")
    assert with_promo.page.summary.startswith("《我的春天作文")  # the page alone takes the line for its lead
    fp = block_prints(with_promo.page)[0]
    assert fp is not None and fp[1] == "《〈T〉》由青苗网编辑于#收录整理"
    cleaned, removed = clean_result(with_promo, {fp[0]: "site-repeated: on 9 of 10 pages of s"})
    assert (cleaned.essays, cleaned.page.summary, cleaned.split_form) == (without.essays, without.page.summary, without.split_form)
    assert [(f, r.rule, r.text) for f, r in removed] == [
        (fp[0], "site-repeated: on 9 of 10 pages of s", "《我的春天作文（精选2篇）》由青苗网编辑于2023年5月6日收录整理")]
    assert clean_result(without, {fp[0]: "x"}) == (without, [])


def test_records_change_only_where_the_learned_chrome_changed(tmp_path: Path) -> None:
    site = ChromeSite(109, 60, change_at=31)
    site.online = 40  # the site's first 40 pages: the new boilerplate is on 10 of them (25%), not learned yet
    db = tmp_path / "e.db"
    with serve(site.resolve) as srv:
        config = load_site(site.site_toml(tmp_path / "s.toml", srv.base, "gen"))
        crawl([config], db)
        new_lines = {bp.core() for bp in site.later}
        assert not [line for line, _ in learned(db, "gen") if any(c in line for c in new_lines)]
        before = {i: (u, s) for i, u, s in rows(db, "select id, page_url, text_sha1 from essays")}
        site.online = 60  # 20 more pages: now on 30 of 60
        report = crawl([config], db)
        base = srv.base
    clean_and_whole(db, site, base)
    rewritten = {u for (u,) in rows(db, "select url from pages where run_id = ?", [report.run_id])}
    assert rewritten == {f"{base}/a/{n}.html" for n in range(31, 61)}  # the 20 new pages and the 10 that carry the new lines
    after = {i: (u, s) for i, u, s in rows(db, "select id, page_url, text_sha1 from essays")}
    untouched = {i: v for i, v in before.items() if v[0] not in rewritten}
    assert {i: v for i, v in after.items() if i in untouched} == untouched and len(untouched) > 0
    changed = {v[0] for i, v in before.items() if after.get(i) != v}
    assert changed == {f"{base}/a/{n}.html" for n in range(31, 41)}


def test_a_large_site_counted_through_a_sample_learns_the_same_chrome(tmp_path: Path) -> None:
    site = ChromeSite(115, 60, change_at=31)
    db, _ = crawl_sites(tmp_path, (site, "gen"))
    exact = rows(db, "select fp, line, pages, site_pages from site_chrome where chrome = 1 order by fp")
    handle = store.open_db(db)
    try:
        assert site_table.recount(handle, "gen", exact_pages=20) == (60, len(exact))
        assert rows(db, "select fp, line, pages, site_pages from site_chrome where chrome = 1 order by fp") == exact
        assert rows(db, "select count(*) from site_chrome where chrome = 0") == [(0,)]  # rarer lines are not listed
        assert site_table.unsettled(handle, "gen") == []
    finally:
        handle.conn.close()
