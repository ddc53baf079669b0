"""Exact and near duplicates: an essay copied on another page points to the first one stored."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from pipeline.jobs.importer import import_sources
from pipeline.normalize.signatures import DEFAULT_THRESHOLD, band_keys, signature, similarity, text_sha1

from .conftest import FIXTURES, Server

FANWEN = FIXTURES / "corpus" / "fanwen"
D01 = FANWEN / "d01-repeated-title.html"
D15 = FANWEN / "d15-near-duplicate-of-d01.html"


def gold_texts(name: str) -> list[str]:
    return [e["text"] for e in json.loads((FANWEN / f"{name}.gold.json").read_text(encoding="utf-8"))["essays"]]


def test_signature_similarity_separates_copies_from_other_essays() -> None:
    d01, d15 = gold_texts("d01-repeated-title"), gold_texts("d15-near-duplicate-of-d01")[0]
    sims = [similarity(signature(t), signature(d15)) for t in d01]
    assert sims[1] >= DEFAULT_THRESHOLD
    assert sims[0] < 0.5 and sims[2] < 0.5
    assert similarity(signature(d01[0]), signature(d01[0])) == 1.0
    assert len(band_keys(signature(d15))) == 16
    assert text_sha1("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_signature_of_short_and_empty_text() -> None:
    assert similarity(signature("短"), signature("短")) == 1.0
    assert signature("").shape == (64,)


def rows(db: Path) -> list[tuple[str, int, str | None]]:
    d = sqlite_utils.Database(db)
    ids = {r["id"]: (r["page_url"].rsplit("/", 1)[1][:3], r["position"]) for r in d.query("select id, page_url, position from essays")}
    out = []
    for r in d.query("select id, duplicate_of from essays order by page_url, position"):
        dup = ids[r["duplicate_of"]] if r["duplicate_of"] else None
        out.append((*ids[r["id"]], f"{dup[0]}#{dup[1]}" if dup else None))
    return out


def test_near_duplicate_points_to_first_stored(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    import_sources([str(D01)], db)
    import_sources([str(D15)], db)
    assert rows(db) == [("d01", 1, None), ("d01", 2, None), ("d01", 3, None), ("d15", 1, "d01#2")]
    # re-importing either page keeps the links as they are
    import_sources([str(D01), str(D15)], db)
    assert rows(db) == [("d01", 1, None), ("d01", 2, None), ("d01", 3, None), ("d15", 1, "d01#2")]


def test_first_stored_wins_in_either_order(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    import_sources([str(D15)], db)
    import_sources([str(D01)], db)
    assert rows(db) == [("d01", 1, None), ("d01", 2, "d15#1"), ("d01", 3, None), ("d15", 1, None)]


def test_exact_copy_and_threshold_setting(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = (FIXTURES / "pages" / "own-two-essays.txt").read_text(encoding="utf-8")
    (tmp_path / "a" / "x.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b" / "y.txt").write_text(text, encoding="utf-8")
    import_sources([str(tmp_path / "a"), str(tmp_path / "b")], db)
    assert rows(db) == [("x.t", 1, None), ("x.t", 2, None), ("y.t", 1, "x.t#1"), ("y.t", 2, "x.t#2")]
    d = sqlite_utils.Database(db)
    assert d["essay_sigs"].count == 4 and d["essay_lsh"].count + d["essay_lsh_recent"].count == 64


def test_threshold_option_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import DEFAULT_NEAR_THRESHOLD, main

    assert DEFAULT_NEAR_THRESHOLD == DEFAULT_THRESHOLD
    db = tmp_path / "e.db"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(D01), "--db", str(db)]).exit_code == 0
    # at 0.99 the edited copy is not close enough
    assert runner.invoke(main, ["import", str(D15), "--db", str(db), "--near-dup-threshold", "0.99"]).exit_code == 0
    assert rows(db)[-1] == ("d15", 1, None)
    assert runner.invoke(main, ["import", str(D15), "--db", str(db), "--near-dup-threshold", "0.9"]).exit_code == 0
    assert rows(db)[-1] == ("d15", 1, "d01#2")
    bad = runner.invoke(main, ["import", str(D15), "--db", str(db), "--near-dup-threshold", "2"])
    assert bad.exit_code == 2


def test_crawl_takes_the_threshold_of_its_site_config(server: Server, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    from .conftest import write_site

    html = {"Content-Type": "text/html; charset=utf-8"}
    server.routes.set("/d/list.html", body=b"<html><body><a href='a.html'>a</a> <a href='b.html'>b</a></body></html>", headers=html)
    server.routes.set("/d/a.html", body=D01.read_bytes(), headers=html)
    server.routes.set("/d/b.html", body=D15.read_bytes(), headers=html)
    dups = {}
    for threshold in (0.7, 0.99):
        config = write_site(tmp_path / f"s{threshold}.toml", [server.url("d/list.html")], [r"/d/[ab]\.html$"], [r"/d/list\.html$"],
                            top={"near_dup_threshold": threshold})
        db = tmp_path / f"c{threshold}.db"
        result = CliRunner().invoke(main, ["crawl", str(config), "--db", str(db)])
        assert result.exit_code == 0, result.stderr
        dups[threshold] = rows(db)[-1]
    assert dups == {0.7: ("b.h", 1, "a.h#2"), 0.99: ("b.h", 1, None)}
