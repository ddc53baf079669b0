"""The CLI end to end: import, extract, idempotency and bad input, with a real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import FIXTURES, Server, gold

SEED = FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def essays(db: Path) -> list[tuple[str, int, str, str]]:
    d = sqlite_utils.Database(db)
    return [(r["page_url"], r["position"], r["title"], r["text"]) for r in d.query("select * from essays order by page_url, position")]


def test_import_seed_stores_three_essays(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    code, _, err = run("import", str(SEED), "--db", str(db))
    assert code == 0, err
    expected = gold(FIXTURES / "seed" / "000_a2624caf89aaf6c8.gold.json")
    assert [(t, x) for _, _, t, x in essays(db)] == [(e["title"], e["text"]) for e in expected["essays"]]
    d = sqlite_utils.Database(db)
    page = next(d.query("select * from pages"))
    assert (page["title"], page["site"], page["published"], json.loads(page["breadcrumb"]), page["essay_count"]) == (
        "2022年发挥党员先锋模范作用", "www.16system.cn", "2022-09-07", ["演讲致辞", "演讲稿"], 3)
    assert d.execute("pragma journal_mode").fetchone()[0] == "wal"
    run_row = next(d.query("select * from runs"))
    assert (run_row["kind"], run_row["pages_fetched"], run_row["essays_added"], run_row["status"]) == ("import", 1, 3, "ok")
    assert "imported 1 pages, 3 essays added, 0 updated, 0 failed" in err


def test_reimport_is_idempotent_and_ids_stable(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    assert run("import", str(folder), "--db", str(db))[0] == 0
    d = sqlite_utils.Database(db)
    ids = [r["id"] for r in d.query("select id from essays order by position")]
    code, _, err = run("import", str(folder), "--db", str(db))
    assert code == 0
    assert "0 essays added, 0 updated" in err
    assert [r["id"] for r in d.query("select id from essays order by position")] == ids
    assert d["essays"].count == 3 and d["pages"].count == 1
    # a changed page replaces its essays instead of adding more
    text = SEED.read_text(encoding="utf-8")
    cut = text.rindex("2022年发挥党员先锋模范作用")
    (folder / "seed.txt").write_text(text[:cut], encoding="utf-8")
    code, _, err = run("import", str(folder), "--db", str(db))
    assert code == 0
    assert d["essays"].count == 2
    assert [r["id"] for r in d.query("select id from essays order by position")] == ids[:2]


def test_extract_json_matches_score_format() -> None:
    code, out, _ = run("extract", str(SEED), "--json")
    assert code == 0
    data = json.loads(out)
    assert [e["position"] for e in data["essays"]] == [1, 2, 3]
    assert data["title"] == "2022年发挥党员先锋模范作用"
    assert data["breadcrumb"] == ["演讲致辞", "演讲稿"]


def test_extract_explain_lists_removed_rules() -> None:
    code, out, err = run("extract", str(SEED), "--explain")
    assert code == 0
    rules = {r["rule"] for r in json.loads(out)["removed"]}
    assert {"breadcrumb", "domain_date", "seo_intro"} <= rules
    assert "removed [seo_intro] 下面是好范文网为大家整理的2022年发挥党员先锋模范作用,供大家参考选择。" in err


def test_import_urls_from_local_server(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    code, _, err = run("import", server.url("seed/000_a2624caf89aaf6c8.txt"), server.url("pages/own-article.html"), "--db", str(db))
    assert code == 0, err
    rows = essays(db)
    assert [(u.rsplit("/", 1)[1], p, t) for u, p, t, _ in rows] == [
        ("own-article.html", 1, "Community garden opens on Elm Street"),
        ("000_a2624caf89aaf6c8.txt", 1, "2022年发挥党员先锋模范作用"),
        ("000_a2624caf89aaf6c8.txt", 2, "2022年发挥党员先锋模范作用"),
        ("000_a2624caf89aaf6c8.txt", 3, "2022年发挥党员先锋模范作用"),
    ]
    d = sqlite_utils.Database(db)
    page = next(d.query("select * from pages where url like '%own-article.html'"))
    assert (page["status"], page["site"], page["published"], page["encoding"]) == (200, "127.0.0.1", "2024-05-18", "utf-8")


def test_console_script_installed(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("pipeline")
    db = tmp_path / "e.db"
    proc = subprocess.run([str(exe), "import", str(SEED), "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("imported 1 pages, 3 essays added")
    assert "Traceback" not in proc.stderr


# --- bad input: one-line message, DESIGN's exit status, failure recorded, earlier pages intact ---


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    code, _, err = run("import", str(tmp_path / "nope.html"), "--db", str(db))
    assert code == 2
    assert err.strip() == f"error: no such file or folder: {tmp_path / 'nope.html'}"
    assert not db.exists()


def test_folder_without_pages(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("hi")
    code, _, err = run("import", str(tmp_path / "empty"), "--db", str(tmp_path / "e.db"))
    assert code == 2
    assert "no pages" in err and "Traceback" not in err


def test_binary_and_empty_files_recorded(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "a-seed.txt")
    (folder / "b-binary.html").write_bytes(bytes(range(256)) * 50)
    (folder / "c-empty.txt").write_bytes(b"")
    code, _, err = run("import", str(folder), "--db", str(db))
    assert code == 1
    assert "b-binary.html: binary file, not a page" in err
    assert "c-empty.txt: empty file" in err
    d = sqlite_utils.Database(db)
    errors = {r["url"].rsplit("/", 1)[1]: r["error"] for r in d.query("select url, error from pages")}
    assert errors == {"a-seed.txt": None, "b-binary.html": "binary file, not a page", "c-empty.txt": "empty file"}
    assert d["essays"].count == 3
    assert next(d.query("select status, pages_failed from runs")) == {"status": "partial", "pages_failed": 2}


def test_unreachable_and_404_urls_recorded(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    code, _, err = run("import", server.url("seed/000_a2624caf89aaf6c8.txt"), server.url("missing.html"),
                       "http://127.0.0.1:9/nothing.html", "--db", str(db), "--timeout", "5")
    assert code == 1
    assert f"failed: {server.url('missing.html')}: HTTP 404" in err
    # no answer at all, robots.txt included: RFC 9309 keeps the host's URLs out
    assert ("failed: http://127.0.0.1:9/nothing.html: skipped: robots.txt unreachable (no response); "
            "--ignore-robots fetches anyway") in err
    assert "Traceback" not in err
    d = sqlite_utils.Database(db)
    assert d["essays"].count == 3
    errors = sorted((r["error"] or "")[:10] for r in d.query("select error from pages"))
    assert errors == ["", "HTTP 404", "skipped: r"]
    code, _, err = run("import", "http://127.0.0.1:9/nothing.html", "--ignore-robots", "--db", str(db), "--timeout", "5")
    assert code == 1
    assert "failed: http://127.0.0.1:9/nothing.html: ConnectError" in err


def test_unwritable_db_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run("import", str(SEED), "--db", str(blocker / "sub" / "e.db"))
    assert code == 2
    assert err.startswith("error: cannot open database") and "Traceback" not in err
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        assert run("import", str(SEED), "--db", str(ro / "e.db"))[0] == 2
