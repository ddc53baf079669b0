"""Site configs: the examples load with their documented defaults; every bad config is a one-line ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.crawl.settings import HELP, load_site, load_sites, parse_site
from pipeline.errors import ConfigError

from .conftest import FIXTURES, ROOT

GOOD = {"name": "s", "start_urls": ["http://127.0.0.1:8000/"], "article": {"allow": [r"/a/\d+\.html$"]}}


def test_example_configs_load() -> None:
    example = load_site(FIXTURES / "sites" / "example.toml")
    assert example.name == "example-fanwen"
    assert example.allowed_hosts == frozenset({"www.example.org"})
    assert (example.fetch.concurrency, example.fetch.delay, example.fetch.robots, example.fetch.retries) == (1, 1.5, True, 3)
    assert example.kind_of("https://www.example.org/zuowen/12.html") == "article"
    assert example.kind_of("https://www.example.org/zuowen/12_2.html") == ""
    assert example.kind_of("https://www.example.org/zuowen/list_3.html") == "listing"
    assert example.kind_of("https://www.example.org/zuowen/list_3.html?sort=new") == ""
    assert example.kind_of("https://other.example.org/zuowen/12.html") == ""
    demo = load_site(FIXTURES / "sites" / "demo.toml")
    moved = demo.with_base("http://127.0.0.1:5555")
    assert moved.start_urls == ("http://127.0.0.1:5555/",) and moved.allowed_hosts == frozenset({"127.0.0.1:5555"})


def test_defaults() -> None:
    site = parse_site(dict(GOOD))
    f = site.fetch
    assert (site.max_depth, site.max_pages, site.allowed_hosts) == (10, 10_000, frozenset({"127.0.0.1:8000"}))
    assert (f.concurrency, f.delay, f.jitter, f.timeout, f.retries, f.max_bytes, f.max_redirects, f.robots) == (
        1, 1.5, 0.5, 20.0, 3, 10 * 1024 * 1024, 5, True)


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section, key in HELP:
        assert f"`{section + '.' if section else ''}{key}`" in readme, key


@pytest.mark.parametrize("change, message", [
    ({"name": None}, "name is required (letters, digits, '-', '_', '.')"),
    ({"name": "a b"}, "name is required (letters, digits, '-', '_', '.')"),
    ({"start_urls": []}, "start_urls must be a non-empty list of URLs"),
    ({"start_urls": ["ftp://x/"]}, "start URL is not http(s): 'ftp://x/'"),
    ({"article": {}}, "article.allow needs at least one regex"),
    ({"article": {"allow": ["("]}}, "article.allow: bad regex '(': missing ), unterminated subpattern at position 0"),
    ({"listing": {"allow": [1]}}, "listing.allow must be a list of regexes"),
    ({"listing": {"alow": ["x"]}}, "unknown setting listing.alow (known: allow, deny)"),
    ({"strat_urls": ["x"]}, "unknown setting strat_urls (known: allowed_hosts, article, fetch, listing, max_depth, max_pages, "
                            "name, near_dup_threshold, profile, site_chrome, sitemaps, start_urls)"),
    ({"near_dup_threshold": 1.5}, "near_dup_threshold must be <= 1, not 1.5"),
    ({"near_dup_threshold": -1}, "near_dup_threshold must be >= 0.0, not -1.0"),
    ({"max_depth": -1}, "max_depth must be >= 0, not -1"),
    ({"max_pages": "many"}, "max_pages must be int, not str"),
    ({"fetch": {"delay": -0.5}}, "fetch.delay must be >= 0, not -0.5"),
    ({"fetch": {"concurrency": 0}}, "fetch.concurrency must be >= 1, not 0"),
    ({"fetch": {"robots": "yes"}}, "fetch.robots must be bool, not str"),
    ({"fetch": {"retries": True}}, "fetch.retries must be int, not bool"),
    ({"fetch": {"jitter": 2}}, "fetch.jitter must be between 0 and 1"),
    ({"fetch": {"user_agent": " "}}, "fetch.user_agent must not be empty"),
    ({"fetch": {"speed": 1}}, "unknown setting fetch.speed (known: backoff, concurrency, deadline, delay, jitter, max_bytes, max_parts, "
                              "max_redirects, max_retry_after, retries, robots, timeout, user_agent)"),
    ({"fetch": 3}, "[fetch] must be a table"),
])
def test_bad_configs(change: dict[str, object], message: str) -> None:
    data = {k: v for k, v in (GOOD | change).items() if v is not None}
    with pytest.raises(ConfigError) as info:
        parse_site(data, "site.toml")
    assert str(info.value) == f"site.toml: {message}"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^no such site config: "):
        load_site(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ConfigError) as info:
        load_site(bad)
    assert str(info.value) == f"{bad}: not valid TOML: Invalid value (at line 1, column 8)"
    one = tmp_path / "one.toml"
    one.write_text('name = "same"\nstart_urls = ["http://127.0.0.1:1/"]\n[article]\nallow = ["x"]\n')
    with pytest.raises(ConfigError, match="^two site configs are named 'same'$"):
        load_sites([str(one), str(one)])
