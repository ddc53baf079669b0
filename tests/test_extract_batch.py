"""`pipeline extract` in batch: many sources, URL lists, formats, workers, output files; the one-page form unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pipeline.cli import main

from .conftest import FIXTURES, Server

ZUOWEN = FIXTURES / "demo-site" / "zuowen"
ARTICLE = FIXTURES / "pages" / "own-article.html"
TWO = FIXTURES / "pages" / "own-two-essays.txt"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def single(path: Path) -> dict[str, Any]:
    code, out, _ = run("extract", str(path), "--json")
    data: dict[str, Any] = json.loads(out)
    return data


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_many_sources_give_one_json_line_per_page_in_input_order(server: Server) -> None:
    url = server.url("/pages/own-article.html")
    folder = sorted(ZUOWEN.glob("*.html"))
    code, out, err = run("extract", str(TWO), str(ZUOWEN), url)
    assert code == 1  # the folder's three listing pages hold no essay
    got = lines(out)
    assert [r["input"] for r in got if r["error"]] == [str(p) for p in folder if p.name.startswith("list_")]
    assert [r["input"] for r in got] == [str(TWO), *map(str, folder), url]
    assert {k: v for k, v in got[0].items() if k != "input"} == single(TWO)
    assert {k: v for k, v in got[-1].items() if k not in ("input", "url", "site")} == {
        k: v for k, v in single(ARTICLE).items() if k not in ("url", "site")}
    assert (got[-1]["url"], got[-1]["site"]) == (url, "127.0.0.1")
    assert err.splitlines()[-1].startswith(f"extracted {len(folder) - 1} pages, 3 failed, {len(folder) + 2} records in ")


def test_workers_give_the_same_records_in_the_same_order() -> None:
    _, one, _ = run("extract", str(ZUOWEN), str(TWO), "--workers", "0")
    code, two, _ = run("extract", str(ZUOWEN), str(TWO), "--workers", "2")
    assert code == 1  # the folder's listing pages
    assert two == one and len(one.splitlines()) == 16


def test_a_url_list_with_blank_lines_comments_relative_paths_and_invalid_urls(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.txt").write_bytes(TWO.read_bytes())
    listing = tmp_path / "list.txt"
    listing.write_text("# my pages\n\npages/a.txt\n   \nhtp://typo.example/x\nhttp://\n  # indented comment\nmissing.html\n",
                       encoding="utf-8")
    code, out, err = run("extract", "-i", str(listing))
    assert code == 1
    got = lines(out)
    assert [(r["input"], r.get("error")) for r in got] == [
        (str(tmp_path / "pages" / "a.txt"), ""),
        ("htp://typo.example/x", "not an http(s) URL: htp://typo.example/x"),
        ("http://", "invalid URL (no host): http://"),
        (str(tmp_path / "missing.html"), f"no such file or folder: {tmp_path / 'missing.html'}"),
    ]
    assert [e["title"] for e in got[0]["essays"]] == [e["title"] for e in single(TWO)["essays"]]
    assert "failed: htp://typo.example/x: not an http(s) URL: htp://typo.example/x" in err
    assert err.splitlines()[-1].startswith("extracted 1 pages, 3 failed, 4 records in ")


def test_a_list_on_stdin_takes_paths_from_the_working_folder() -> None:
    code, out, _ = run("extract", "-i", "-", stdin=f"{TWO}\n# done\n")
    assert code == 0
    assert [r["input"] for r in lines(out)] == [str(TWO)]


def test_per_essay_csv_has_one_row_per_essay_with_its_page_fields() -> None:
    code, out, _ = run("extract", str(TWO), str(ARTICLE), "--per", "essay", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    two, art = single(TWO), single(ARTICLE)
    expected = [(str(p), page["title"], str(e["position"]), e["title"], e["text"])
                for p, page in ((TWO, two), (ARTICLE, art)) for e in page["essays"]]
    assert [(r["input"], r["page_title"], r["position"], r["title"], r["text"]) for r in rows] == expected
    assert list(rows[0]) == ["input", "url", "site", "page_title", "published", "breadcrumb", "category", "author", "source",
                             "encoding", "error", "position", "title", "text", "chars"]


def test_json_txt_and_markdown_formats() -> None:
    art = single(ARTICLE)
    essay = art["essays"][0]
    code, out, _ = run("extract", str(ARTICLE), str(ARTICLE), "--format", "json")
    assert [{k: v for k, v in r.items() if k != "input"} for r in json.loads(out)] == [art, art]
    _, out, _ = run("extract", str(ARTICLE), "--format", "txt")
    assert out == f"{essay['title']}\n\n{essay['text']}\n\n"
    _, out, _ = run("extract", str(ARTICLE), "--format", "markdown")
    body = "\n\n".join(essay["text"].split("\n"))
    assert out == f"# {art['title']}\n\n<{art['url']}>\n\n## {essay['title']}\n\n{body}\n\n"


def test_the_output_file_is_refused_when_it_exists_or_its_folder_is_missing(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("keep me\n", encoding="utf-8")
    code, _, err = run("extract", str(TWO), "-o", str(target))
    assert code == 2
    assert f"error: the output file exists: {target} (pass --overwrite to replace it)" in err
    assert target.read_text(encoding="utf-8") == "keep me\n"
    code, _, err = run("extract", str(TWO), "-o", str(target), "--overwrite")
    assert code == 0
    assert [r["input"] for r in lines(target.read_text(encoding="utf-8"))] == [str(TWO)]
    code, _, err = run("extract", str(TWO), "-o", str(tmp_path / "nope" / "out.jsonl"))
    assert code == 2
    assert f"error: the folder of the output file does not exist: {tmp_path / 'nope'}" in err
    assert list(tmp_path.iterdir()) == [target]


def test_the_one_page_form_is_unchanged() -> None:
    code, out, _ = run("extract", str(TWO), "--json")
    assert code == 0
    assert out.startswith('{\n "url": ') and "input" not in json.loads(out)
