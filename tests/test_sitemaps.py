"""Sitemaps in site configs: urlsets, indexes, gzip, robots.txt Sitemap: lines, <lastmod> sparing requests; bad sitemaps."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.crawl.sitemaps import Sitemap, SitemapError, parse

from .conftest import Server, write_site

XML = {"Content-Type": "application/xml"}
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*entries: tuple[str, str]) -> bytes:
    items = "".join(f"<url><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>" for loc, mod in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{items}</urlset>'.encode()


def index(*locs: str) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {NS}>{items}</sitemapindex>'.encode()


def crawl(site: Path, db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["crawl", str(site), "--db", str(db)])
    return result.exit_code, result.stderr


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in sqlite_utils.Database(db).query(sql)]


def test_parse_urlsets_indexes_and_gzip() -> None:
    assert parse(urlset(("http://x/1", "2024-05-01"), ("http://x/2", ""))) == Sitemap(
        False, (("http://x/1", "2024-05-01"), ("http://x/2", "")))
    assert parse(gzip.compress(index("http://x/a.xml"))) == Sitemap(True, (("http://x/a.xml", ""),))


@pytest.mark.parametrize("body, message", [
    (b"<html><body>not found</body></html>", "not a sitemap: the document is <html>, not <urlset> or <sitemapindex>"),
    (b"<urlset><url><loc>http://x/1", "not XML: "),
    (b"\x1f\x8b\x08\x00garbage", "bad gzip data: "),
])
def test_bad_sitemaps_say_why(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError) as info:
        parse(body)
    assert str(info.value).startswith(message)


def test_a_crawl_reads_sitemaps_from_robots_txt_and_spares_unchanged_pages(server: Server, tmp_path: Path) -> None:
    base = server.base
    server.routes.set("/robots.txt", body=f"User-agent: *\nSitemap: {base}/sm/index.xml\n".encode(), headers={"Content-Type": "text/plain"})
    server.routes.set("/sm/index.xml", body=index(f"{base}/sm/a.xml.gz", f"{base}/sm/b.xml", "http://elsewhere.example/c.xml"), headers=XML)
    server.routes.set("/sm/a.xml.gz", body=gzip.compress(urlset((f"{base}/demo-site/zuowen/1.html", "2000-01-01"),
                                                                (f"{base}/demo-site/zuowen/2.html", "2999-01-01"))),
                      headers={"Content-Type": "application/gzip"})
    server.routes.set("/sm/b.xml", body=urlset((f"{base}/demo-site/zuowen/3.html", ""), (f"{base}/other/x.html", "")), headers=XML)
    server.routes.set("/start.html", body=b"<html><body>no links</body></html>", headers={"Content-Type": "text/html"})
    site = write_site(tmp_path / "site.toml", [base + "/start.html"], [r"/demo-site/zuowen/\d+\.html$"], [r"/start\.html$"],
                      top={"sitemaps": ["robots.txt"]})
    db = tmp_path / "x.db"
    code, err = crawl(site, db)
    assert code == 0, err
    assert rows(db, "select url from pages order by url") == [(f"{base}/demo-site/zuowen/{i}.html",) for i in (1, 2, 3)]
    assert rows(db, "select url, kind, depth from frontier where kind = 'sitemap' order by url") == [
        (f"{base}/sm/a.xml.gz", "sitemap", 1), (f"{base}/sm/b.xml", "sitemap", 1), (f"{base}/sm/index.xml", "sitemap", 0)]
    server.routes.hits.clear()
    code, err = crawl(site, db)  # 1.html: lastmod before our fetch, no request; 2.html: lastmod later, asked again
    assert code == 0, err
    assert "/demo-site/zuowen/1.html" not in server.routes.hits
    assert "/demo-site/zuowen/2.html" in server.routes.hits and "/demo-site/zuowen/3.html" in server.routes.hits
    assert "crawled 4 pages (3 unchanged, 0 skipped, 0 failed)" in err  # the start page and 3 sitemaps; 1 spared, 2 same bytes


def test_a_broken_sitemap_is_a_recorded_failure_and_the_crawl_goes_on(server: Server, tmp_path: Path) -> None:
    base = server.base
    server.routes.set("/sm/bad.xml", body=b"<html>oops</html>", headers=XML)
    server.routes.set("/sm/good.xml", body=urlset((f"{base}/demo-site/zuowen/1.html", "")), headers=XML)
    server.routes.set("/start.html", body=b"<html><body>no links</body></html>", headers={"Content-Type": "text/html"})
    site = write_site(tmp_path / "site.toml", [base + "/start.html"], [r"/demo-site/zuowen/\d+\.html$"], [r"/start\.html$"],
                      top={"sitemaps": [f"{base}/sm/bad.xml", f"{base}/sm/good.xml"]})
    db = tmp_path / "x.db"
    code, err = crawl(site, db)
    assert code == 1
    assert rows(db, "select url from pages") == [(f"{base}/demo-site/zuowen/1.html",)]
    assert rows(db, "select state, error from frontier where url like '%bad.xml'") == [
        ("failed", "sitemap: not a sitemap: the document is <html>, not <urlset> or <sitemapindex>")]


def test_a_sitemap_off_the_allowed_hosts_is_refused_in_the_config(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site.toml", ["http://127.0.0.1:9/"], [r"/a/"], top={"sitemaps": ["http://other.example/s.xml"]})
    result = CliRunner().invoke(main, ["crawl", str(site), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "sitemap is not an http(s) URL on an allowed host: 'http://other.example/s.xml'" in result.stderr
