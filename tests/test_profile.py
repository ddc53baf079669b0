"""Site profiles: CSS selectors that pin extraction, from a site config or `--profile FILE`."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.crawl.settings import load_profile, parse_site
from pipeline.errors import ConfigError

from .conftest import FIXTURES, Server, write_site

PAGE = FIXTURES / "profile" / "profiled.html"
PROFILE = FIXTURES / "profile" / "profile.toml"
PINNED = "秋天来了，田野里一片金黄，稻谷低下了头。\n农民伯伯在田里忙着收割，脸上露出了丰收的笑容。"


def essays(db: Path) -> list[tuple[str, str]]:
    return [(r["title"], r["text"]) for r in sqlite_utils.Database(db).query("select title, text from essays order by page_url")]


def test_import_with_a_profile_pins_the_content(tmp_path: Path) -> None:
    runner = CliRunner()
    generic, pinned = tmp_path / "generic.db", tmp_path / "pinned.db"
    assert runner.invoke(main, ["import", str(PAGE), "--db", str(generic)]).exit_code == 0
    assert essays(generic)[0][1].startswith("读者0：")  # the long comment thread wins without a profile
    result = runner.invoke(main, ["import", str(PAGE), "--db", str(pinned), "--profile", str(PROFILE)])
    assert result.exit_code == 0, result.stderr
    assert essays(pinned) == [("秋天的田野", PINNED)]


def test_extract_with_a_profile() -> None:
    result = CliRunner().invoke(main, ["extract", str(PAGE), "--profile", str(PROFILE), "--explain"])
    assert result.exit_code == 0
    assert '"text": "秋天来了' in result.stdout and "广告" not in result.stdout.split('"removed"')[0]


def test_crawl_takes_the_profile_of_its_site_config(server: Server, tmp_path: Path) -> None:
    server.routes.set("/p/list.html", body=b"<html><body><a href='a.html'>a</a></body></html>",
                      headers={"Content-Type": "text/html"})
    server.routes.set("/p/a.html", body=PAGE.read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"})
    config = write_site(tmp_path / "site.toml", [server.url("p/list.html")], [r"/p/a\.html$"], [r"/p/list\.html$"])
    config.write_text(config.read_text(encoding="utf-8") + PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
    db = tmp_path / "c.db"
    result = CliRunner().invoke(main, ["crawl", str(config), "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    assert essays(db) == [("秋天的田野", PINNED)]


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"content": "div[["}, "profile: bad CSS selector 'div[['"),
        ({"drop": "x", "contnet": "p"}, "unknown setting profile.contnet (known: content, drop, title)"),
        ({"drop": [1]}, "profile.content and profile.title must be CSS selectors, profile.drop a list of them"),
        ("div.article", "[profile] must be a table"),
    ],
)
def test_bad_profiles_are_config_errors(profile: object, message: str) -> None:
    data = {"name": "s", "start_urls": ["http://127.0.0.1/"], "article": {"allow": ["x"]}, "profile": profile}
    with pytest.raises(ConfigError) as err:
        parse_site(data, "site.toml")
    assert message in str(err.value)


def test_profile_file_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="no \\[profile\\] table"):
        load_profile(tmp_path / "empty.toml")
    result = CliRunner().invoke(main, ["import", str(PAGE), "--db", str(tmp_path / "e.db"), "--profile", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: no such site profile: {tmp_path / 'nope.toml'}"
    assert not (tmp_path / "e.db").exists()
