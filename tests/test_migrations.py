"""The project's marker on its databases: new files are marked, old project files migrated, other files refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from pipeline.cli import main
from pipeline.store import migrations, open_db, schema

from .conftest import FIXTURES


def _pragmas(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_a_new_database_carries_the_marker_and_the_current_version(tmp_path: Path) -> None:
    open_db(tmp_path / "new.db").conn.close()
    assert _pragmas(tmp_path / "new.db") == (migrations.APPLICATION_ID, migrations.SCHEMA_VERSION)


def test_an_unmarked_database_of_the_project_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    schema.ensure_schema(db)  # what the project wrote before the marker existed
    db.conn.close()
    assert _pragmas(path) == (0, 0)
    open_db(path).conn.close()
    assert _pragmas(path) == (migrations.APPLICATION_ID, migrations.SCHEMA_VERSION)


def test_another_programs_database_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table pages (id integer primary key, body text)")
    conn.execute("insert into pages (body) values ('theirs')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(FIXTURES / "seed"), "--db", str(path)], standalone_mode=False)
    assert exit_info.value.code == 2
    assert "is not one of this project's" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_database_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    open_db(path).conn.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(migrations.ForeignDatabase, match="newer than this program's"):
        open_db(path)
