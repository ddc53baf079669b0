"""The site pass in every run that has the evidence: import (folders, URLs), reprocess, `extract --db
--explain`, and a crawl killed with SIGKILL at any moment (slow)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.jobs.chrome_site import Article, ChromeSite, score, stored_essays
from pipeline.jobs.demo_site import serve
from pipeline.jobs.demo_warc import Capture, write_records
from pipeline.jobs.process import process
from pipeline.serve import launcher

from .test_site_chrome import clean_and_whole, rows


def write_folder(site: ChromeSite, root: Path) -> str:
    (root / "a").mkdir(parents=True)
    for art in site.articles:
        (root / "a" / f"{art.number}.html").write_text(site.article_html(art), encoding="utf-8")
    return root.resolve().as_uri()


def reaching_site_pass(site: ChromeSite, art: Article) -> list[str]:
    """The boilerplate lines of an article that extraction leaves for the site pass to remove."""
    cut = {r.text for r in process(site.article_html(art), "http://example.org/a.html").page.removed}
    return [line for bp, line in art.lines if bp.place != "related" and line not in cut]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_of_a_folder_learns_the_folders_chrome_and_reprocess_changes_nothing(tmp_path: Path) -> None:
    site = ChromeSite(111, 40)
    base = write_folder(site, tmp_path / "saved")
    db = tmp_path / "e.db"
    code, _, err = run("import", str(tmp_path / "saved"), "--db", str(db))
    assert code == 0, err
    clean_and_whole(db, site, base)
    assert rows(db, "select distinct site from chrome_pages") == [("file:" + base[len("file://"):] + "/a/",)]
    essays = rows(db, "select id, text_sha1 from essays order by id")
    removed = rows(db, "select * from chrome_removed order by url, n")
    code, _, err = run("reprocess", "--db", str(db))
    assert code == 0, err
    assert err.startswith("reprocessed 40 pages, 0 essays added, 0 updated, 0 failed")
    assert (rows(db, "select id, text_sha1 from essays order by id"), rows(db, "select * from chrome_removed order by url, n")) == (
        essays, removed)


def test_import_of_urls_counts_the_host_and_extract_with_the_database_explains(tmp_path: Path) -> None:
    site = ChromeSite(112, 30)
    db = tmp_path / "e.db"
    with serve(site.resolve) as srv:
        urls = [f"{srv.base}/a/{a.number}.html" for a in site.articles]
        code, _, err = run("import", *urls, "--db", str(db))
        assert code == 0, err
        clean_and_whole(db, site, srv.base)
        host = "127.0.0.1"  # pages.site of an imported URL: its host
        assert rows(db, "select distinct site from chrome_pages") == [(host,)]
        code, out, err = run("extract", urls[0], "--db", str(db), "--explain")
        assert code == 0, err
        alone_code, alone, _ = run("extract", urls[0])
    data, bare = json.loads(out), json.loads(alone)
    reasons = [r["rule"] for r in data["removed"] if r["rule"].startswith("site-repeated")]
    assert sorted(reasons) == sorted(f"site-repeated: on {n} of 30 pages of {host}" for (n,) in rows(
        db, "select c.pages from chrome_removed r join site_chrome c using (site, fp) where r.url = ?", [urls[0]]))
    # every boilerplate line but those extraction cuts on the page alone
    assert len(reasons) == len(reaching_site_pass(site, site.articles[0]))
    assert [e["text"] for e in data["essays"]] == stored_essays(db)[urls[0]]
    with_db, alone_page = ({urls[0]: [e["text"] for e in d["essays"]]} for d in (data, bare))
    assert (score(with_db, site, srv.base).leaks, score(alone_page, site, srv.base).leaks > 0) == (0, True)
    assert "removed [site-repeated: on " in err


@pytest.mark.slow
def test_a_crawl_killed_at_any_moment_ends_like_an_uninterrupted_one(tmp_path: Path) -> None:
    site = ChromeSite(113, 120, change_at=61)
    with serve(site.resolve) as srv:
        config = site.site_toml(tmp_path / "s.toml", srv.base, "gen")
        clean = tmp_path / "clean.db"
        code, _, err = run("crawl", str(config), "--db", str(clean))
        assert code == 0, err
        killed = tmp_path / "killed.db"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for delay in (0.4, 0.7, 0.9, 1.1, 1.3, 1.6, 2.0, 2.4):  # into fetching, storing, and the end-of-run pass
            proc = subprocess.Popen([sys.executable, "-m", "pipeline", "crawl", str(config), "--db", str(killed)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        code, _, err = run("crawl", str(config), "--db", str(killed))
        assert code == 0, err
        base = srv.base
    query = "select page_url, position, text_sha1 from essays order by page_url, position"
    assert rows(killed, query) == rows(clean, query)
    assert rows(killed, "select url, fp, text from chrome_removed order by url, n") == rows(
        clean, "select url, fp, text from chrome_removed order by url, n")
    assert rows(killed, "select site, fp, pages, chrome from site_chrome order by fp") == rows(
        clean, "select site, fp, pages, chrome from site_chrome order by fp")
    clean_and_whole(killed, site, base)


def test_datasette_shows_what_each_site_learned(tmp_path: Path) -> None:
    site = ChromeSite(114, 20)
    base = write_folder(site, tmp_path / "saved")
    db = tmp_path / "essays.db"
    assert run("import", str(tmp_path / "saved"), "--db", str(db))[0] == 0
    ds = launcher.make_datasette(db)

    async def fetch(path: str) -> Any:
        return (await ds.client.get(path)).json()

    data = asyncio.run(fetch("/essays/site_chrome.json?_shape=objects&chrome=1&_sort_desc=pages"))
    learned = rows(db, "select site, line, pages, site_pages from site_chrome where chrome = 1 order by pages desc, rowid")
    assert [(r["site"], r["line"], r["pages"], r["site_pages"]) for r in data["rows"]] == learned
    assert len(learned) == 5 and {r[0] for r in learned} == {"file:" + base[len("file://"):] + "/a/"}
    facets = asyncio.run(fetch("/essays/site_chrome.json"))["facet_results"]
    assert {f["name"] for f in facets.values()} == {"site", "chrome"}
    removed = asyncio.run(fetch("/essays/chrome_removed.json?_shape=objects&_size=max"))["rows"]
    # every boilerplate line but those extraction cuts on the page alone (the related-list label, a bold
    # sentence closing the text)
    assert len(removed) == sum(len(reaching_site_pass(site, a)) for a in site.articles)
    assert all(r["reason"].startswith("site-repeated: on ") and r["reason"].endswith(" of 20 pages of " + learned[0][0])
               for r in removed)


def test_import_of_a_warc_archive_learns_each_hosts_chrome_and_reprocess_reads_through_it(tmp_path: Path) -> None:
    site = ChromeSite(116, 30)
    when = datetime(2024, 5, 1, tzinfo=UTC)
    base = "http://boilerplate.example"
    archive = tmp_path / "site.warc.gz"
    with archive.open("wb") as out:
        write_records(out, [Capture(f"{base}/a/{a.number}.html", when, site.article_html(a).encode(), "text/html; charset=utf-8")
                            for a in site.articles])
    db = tmp_path / "e.db"
    code, _, err = run("import", str(archive), "--db", str(db))
    assert code == 0, err
    clean_and_whole(db, site, base)
    assert rows(db, "select distinct site from chrome_pages") == [("boilerplate.example",)]
    essays = rows(db, "select id, text_sha1 from essays order by id")
    code, _, err = run("reprocess", "--db", str(db))  # the raw bodies are pointers into the archive
    assert code == 0, err
    assert rows(db, "select id, text_sha1 from essays order by id") == essays
