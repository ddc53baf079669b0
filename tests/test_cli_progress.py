"""Progress and logs: the progress API on and off a terminal, -v / -q / --log-file, PIPELINE_DB, and a
summary that names every failure or says how many there are and where to query them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.cli_progress import setup_logging, track

from .conftest import FIXTURES

SEED = FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stderr


def test_off_a_terminal_progress_is_a_log_line_every_interval(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    with track("importing", total=None, live=False, interval=1e-9) as bar:
        bar.update(total=3)
        bar.advance()
        bar.advance(failed=True)
        bar.advance()
    lines = capsys.readouterr().err.splitlines()
    pattern = r"importing: (\d)/3 pages, [\d.]+/s(, ETA \d+s)?, (\d) failed"
    assert [re.fullmatch(pattern, line) is not None for line in lines] == [True] * 4
    assert [(m[1], m[3]) for m in (re.fullmatch(pattern, line) for line in lines) if m] == [
        ("0", "0"), ("1", "0"), ("2", "1"), ("3", "1")]


def test_off_a_terminal_nothing_is_logged_between_intervals(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    with track("crawling", unit="URLs", live=False, interval=3600) as bar:
        for _ in range(50):
            bar.advance()
    assert capsys.readouterr().err == ""
    with track("crawling", quiet=True, interval=1e-9) as bar:
        bar.advance()
    assert capsys.readouterr().err == ""


def test_the_live_display_ends_on_the_final_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with track("reprocessing", total=None, live=True) as bar:
        bar.update(total=4)
        for i in range(4):
            bar.advance(failed=i == 2)
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("reprocessing") and " 4/4 pages " in last and last.endswith(" 1 failed")
    assert "/s" in last and "ETA" in last


def test_quiet_verbose_and_log_file(tmp_path: Path) -> None:
    db, log = tmp_path / "e.db", tmp_path / "run.log"
    code, err = run("-q", "import", str(SEED), "--db", str(db))
    assert (code, err) == (0, "")  # a sound run says nothing with -q
    code, err = run("import", str(SEED), "--db", str(db), "-v", "--log-file", str(log))
    assert code == 0  # the same file again: stored already, from the same bytes, so not read again
    assert err.splitlines()[-1].startswith("imported 0 pages, 0 essays added, 0 updated, 0 failed, 1 unchanged in ")
    fresh = tmp_path / "fresh.db"
    code, err = run("import", str(SEED), "--db", str(fresh), "-v", "--log-file", str(log))
    assert code == 0
    assert err.splitlines()[0] == f"ok: {SEED}"
    assert err.splitlines()[-1].startswith("imported 1 pages, 3 essays added, 0 updated, 0 failed in ")
    logged = log.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO imported 0 pages, .* 1 unchanged in .* -> "
                        + re.escape(str(db)), logged[0])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO imported 1 pages, .* -> " + re.escape(str(fresh)), logged[-1])
    code, err = run("-q", "-v", "import", str(SEED), "--db", str(db))
    assert (code, err) == (2, "error: give -v or -q, not both\n")


def test_pipeline_db_sets_the_default_database(tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    code, err = run("import", str(SEED), env={"PIPELINE_DB": str(db)})
    assert code == 0, err
    assert err.endswith(f"-> {db}\n")
    code, err = run("search", "党员", env={"PIPELINE_DB": str(db)})
    assert code == 0 and err.endswith("found for '党员'\n")


def test_the_summary_names_every_failure_or_says_where_to_query_them(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(25):
        (folder / f"{i:02d}.html").write_text("   ", encoding="utf-8")
    db = tmp_path / "e.db"
    code, err = run("import", str(folder), "--db", str(db))
    lines = err.splitlines()
    assert code == 1
    assert lines[:20] == [f"failed: {folder / f'{i:02d}.html'}: empty file" for i in range(20)]
    assert lines[20] == (f"... and 5 more failures: every one is in the failures view: sqlite3 {db} "
                         '"select url, error from failures where run_id = 1" (or -v)')
    assert lines[21].startswith("imported 0 pages, 0 essays added, 0 updated, 25 failed in ")
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from failures where run_id = 1").fetchone() == (25,)
    code, err = run("-q", "-v", "import", str(folder), "--db", str(db))
    assert code == 2
    code, err = run("import", str(folder), "--db", str(db), "--verbose")
    assert len([line for line in err.splitlines() if line.startswith("failed: ")]) == 25
