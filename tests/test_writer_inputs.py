"""What a Dask worker computes for the one SQLite writer (line fingerprints, search-index text,
signatures) and what the writer keeps per run (each host's site) change nothing it stores."""

from __future__ import annotations

from pathlib import Path

from pipeline import store
from pipeline.jobs import dask_tasks, site_pass
from pipeline.jobs.chrome_site import ChromeSite
from pipeline.jobs.process import process
from pipeline.models import Result

from .test_distributed import dump

BASE = "http://chrome.test/"


def _pages(site: ChromeSite) -> list[Result]:
    return [process(site.article_html(art), f"{BASE}a/{art.number}.html", "utf-8") for art in site.articles]


def _store(db_path: Path, results: list[Result], shipped: bool) -> int:
    """Two runs over the pages (the second cleans with what the first learned), the writer's inputs
    computed by it or handed to it as a worker computes them (the page cleaned of its host's chrome
    included); returns how many pages were stored as the worker cleaned them."""
    db = store.open_db(db_path)
    half = len(results) // 2
    taken = 0
    for run_id, part in ((1, results[:half]), (2, results[half:])):
        learned = site_pass.Learned(db)
        sites = site_pass.learned_sites(db)
        for result in part:
            done = dask_tasks.guessed(dask_tasks.for_writer(result), sites) if shipped else None
            cleaned, rows = learned.clean(result, result.page.url, done.prints if done else None, done.guess if done else None)
            sigs, grams = (done.signatures, done.grams) if done and cleaned is result else (None, None)
            if done and done.guess and cleaned is done.guess.cleaned.result and cleaned is not result:
                sigs, grams, taken = done.guess.signatures, done.guess.grams, taken + 1
            store.save_result(db, cleaned, run_id, {"status": 200}, signatures=sigs, extra=rows, grams=grams)
        for site in list(learned.sites):
            site_pass.settle(db, site, run_id)
    db.conn.close()
    return taken


def test_the_writer_stores_the_same_rows_with_what_a_worker_computed_for_it(tmp_path: Path) -> None:
    results = _pages(ChromeSite(161, 24))
    assert _store(tmp_path / "here.db", results, shipped=False) == 0
    assert _store(tmp_path / "shipped.db", results, shipped=True) == 12  # every page of the second run
    here, shipped = dump(tmp_path / "here.db"), dump(tmp_path / "shipped.db")
    assert here == shipped
    removed = here["chrome_removed"]
    assert removed and {r[1] for r in removed} == set(range(1, max(r[1] for r in removed) + 1))  # the second run cleaned pages


def test_the_site_kept_per_host_follows_every_page_the_run_stores(tmp_path: Path) -> None:
    """A host whose first pages a crawl stored under its own site name: new pages count under the
    site most of the host's pages have, which changes as the import adds pages under the host."""
    db = store.open_db(tmp_path / "h.db")
    results = _pages(ChromeSite(162, 9))
    for result in results[:3]:
        store.save_result(db, result, 1, {"status": 200}, site="crawled")
    learned = site_pass.Learned(db)
    chosen, expected = [], []
    for result in [*results[3:], results[0], *results[3:5]]:  # new pages, then pages stored already
        expected.append(site_pass.site_for(db, result.page.url, result.page.site))
        cleaned, rows = learned.clean(result, result.page.url)
        store.save_result(db, cleaned, 2, {"status": 200}, extra=rows)
        chosen.append(db.execute("select site from chrome_pages where url = ?", [result.page.url]).fetchone()[0])
    assert chosen == expected
    # 3 pages under "crawled", then the host's own count grows by one a page (the 4th new page meets a tie)
    assert (expected[:3], expected[4:6], expected[6:]) == (["crawled"] * 3, ["chrome.test"] * 2, ["crawled"] * 3)
