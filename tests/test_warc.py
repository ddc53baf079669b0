"""WARC input: `pipeline import x.warc.gz` on archives written with warcio from the demo site's pages."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from click.testing import CliRunner
from warcio.warcwriter import WARCWriter

from pipeline.cli import main
from pipeline.crawl.settings import load_site
from pipeline.fetch.warc import ArchiveReader, read_response
from pipeline.jobs.crawl_run import crawl
from pipeline.jobs.demo_site import folder_site, serve
from pipeline.jobs.demo_warc import Capture, folder_captures, write_records

from .conftest import FIXTURES

DEMO = FIXTURES / "demo-site"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in sqlite_utils.Database(db).query(sql, params or [])]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def demo_warc(path: Path, base: str = "http://demo.example/") -> Path:
    with open(path, "wb") as out:
        write_records(out, folder_captures(DEMO, base, T0))
    return path


def page(title: str, *paras: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>".encode()


LONG = "这是一段足够长的正文，用来让抽取器把它当作文章的主体内容来对待，而不是网站的导航或者页脚。" * 3


def test_an_archive_gives_the_same_essays_as_a_crawl_of_the_same_site(tmp_path: Path) -> None:
    with serve(folder_site(DEMO)) as server:
        site = load_site(FIXTURES / "sites" / "demo.toml").with_base(server.base)
        crawl([site], tmp_path / "crawl.db")
    warc = demo_warc(tmp_path / "demo.warc.gz", server.base + "/")
    code, err = run("import", str(warc), "--db", str(tmp_path / "warc.db"))
    assert code == 1  # the listing pages hold no essay: recorded as failed pages, as an import of them would
    assert "skipped: 56 request record" in err
    sql = ("select p.url, e.position, e.title, e.text_sha1, p.encoding from essays e join pages p on p.url = e.page_url "
           "where p.parts is null order by 1, 2")  # multi-page articles: the archive's records are stored one by one
    crawled = rows(tmp_path / "crawl.db", sql)
    archived = rows(tmp_path / "warc.db", sql)
    assert len(crawled) > 40
    assert crawled == [r for r in archived if r[0] in {c[0] for c in crawled}]
    private = [r for r in archived if "/private/" in r[0]]  # robots.txt is the crawler's business, not the archive's
    assert len(private) == 1 and not [r for r in crawled if "/private/" in r[0]]


def test_pages_carry_the_warc_date_and_a_pointer_not_a_copy(tmp_path: Path) -> None:
    warc = demo_warc(tmp_path / "demo.warc.gz")
    db = tmp_path / "x.db"
    run("import", str(warc), "--db", str(db))
    responses = list(ArchiveReader(warc))
    first = responses[0]
    assert rows(db, "select fetched_at, status, content_sha1 is not null from pages where url = ?", [first.url]) == [
        ("2024-05-01T00:00:00+00:00", 200, 1)]
    assert rows(db, "select warc_file, warc_offset, warc_length, body is null from raw where url = ?", [first.url]) == [
        (str(warc.resolve()), first.offset, first.length, 1)]
    assert read_response(warc, first.offset, first.length).body == (DEMO / "dangjian" / "1.html").read_bytes()
    assert rows(db, "select count(*) from raw where body is not null")[0] == (0,)


def test_header_charset_content_type_and_status_are_used_as_the_crawl_uses_them(tmp_path: Path) -> None:
    gbk = page("寒假计划", LONG).decode().encode("gbk")  # no <meta charset>: only the HTTP header says GBK
    caps = [
        Capture("http://x.example/gbk.html", T0, gbk, "text/html; charset=gbk"),
        Capture("http://x.example/logo.png", T0, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image/png"),
        Capture("http://x.example/gone.html", T0, b"not found", "text/html", status=404),
        Capture("http://x.example/plain.txt", T0, f"读书笔记\n\n{LONG}\n".encode(), "text/plain; charset=utf-8"),
    ]
    warc = tmp_path / "x.warc.gz"
    with open(warc, "wb") as out:
        write_records(out, caps)
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warc_record("http://x.example/gbk.html", "metadata", payload=io.BytesIO(b"via: test"),
                                                      warc_content_type="application/warc-fields"))
        writer.write_record(writer.create_revisit_record("http://x.example/gbk.html", "sha1:AAAA", "http://x.example/gbk.html",
                                                         "2024-04-01T00:00:00Z"))
    db = tmp_path / "x.db"
    code, err = run("import", str(warc), "--db", str(db))
    assert code == 0, err
    assert "skipped: 1 HTTP 404, 1 metadata record, 1 not a text page, 4 request record, 1 revisit record" in err
    assert rows(db, "select url, encoding, title, error from pages order by url") == [
        ("http://x.example/gbk.html", "gb18030", "寒假计划", None),
        ("http://x.example/plain.txt", "utf-8", "读书笔记", None),
    ]
    assert rows(db, "select skipped from runs") == [
        ('{"HTTP 404": 1, "metadata record": 1, "not a text page": 1, "request record": 4, "revisit record": 1}',)]


def test_a_url_captured_several_times_keeps_its_latest_capture(tmp_path: Path) -> None:
    url = "http://x.example/a.html"
    old, mid, new = (Capture(url, T0 + timedelta(days=d), page(f"第{d}版", LONG + str(d))) for d in (1, 2, 3))
    warc = tmp_path / "x.warc.gz"
    with open(warc, "wb") as out:
        write_records(out, [mid, new, old])  # not in date order
    db = tmp_path / "x.db"
    code, err = run("import", str(warc), "--db", str(db))
    assert code == 0
    assert "skipped: 3 request record, 2 superseded" in err  # mid gave way to new, old came too late
    assert rows(db, "select title, fetched_at from pages") == [("第3版", "2024-05-04T00:00:00+00:00")]
    assert rows(db, "select title from essays") == [("第3版",)]


def test_a_second_run_over_the_same_archive_rewrites_nothing(tmp_path: Path) -> None:
    warc = demo_warc(tmp_path / "demo.warc.gz")
    db = tmp_path / "x.db"
    run("import", str(warc), "--db", str(db))
    before = rows(db, "select rowid, * from essays order by rowid")
    code, err = run("import", str(warc), "--db", str(db))
    assert "imported 0 pages, 0 essays added, 0 updated, 0 failed, 56 unchanged" in err
    assert code == 0
    assert rows(db, "select rowid, * from essays order by rowid") == before


def test_reprocess_reads_through_the_pointer_and_records_a_moved_archive(tmp_path: Path) -> None:
    warc = demo_warc(tmp_path / "demo.warc.gz")
    db = tmp_path / "x.db"
    run("import", str(warc), "--db", str(db))
    essays = rows(db, "select id, text_sha1 from essays order by id")
    code, err = run("reprocess", "--db", str(db))
    assert "reprocessed 56 pages, 0 essays added, 0 updated, 10 failed" in err  # the 10 listing pages hold no essay
    shutil.move(warc, tmp_path / "moved.warc.gz")
    code, err = run("reprocess", "--db", str(db))
    assert code == 1
    assert "reprocessed 56 pages, 0 essays added, 0 updated, 56 failed" in err
    assert f"archive {warc.resolve()} cannot be read: No such file or directory (moved or deleted?)" in err
    assert rows(db, "select id, text_sha1 from essays order by id") == essays  # nothing lost
    assert rows(db, "select count(*) from pages where error like 'archive % cannot be read%'") == [(56,)]


def test_copy_raw_keeps_the_body_so_reprocess_needs_no_archive(tmp_path: Path) -> None:
    warc = demo_warc(tmp_path / "demo.warc.gz")
    db = tmp_path / "x.db"
    run("import", str(warc), "--db", str(db), "--copy-raw")
    assert rows(db, "select count(*), count(warc_file) from raw where body is not null") == [(56, 0)]
    warc.unlink()
    code, err = run("reprocess", "--db", str(db))
    assert "reprocessed 56 pages, 0 essays added, 0 updated, 10 failed" in err


def test_an_uncompressed_warc_reads_the_same(tmp_path: Path) -> None:
    plain = tmp_path / "demo.warc"
    with open(plain, "wb") as out:
        write_records(out, folder_captures(DEMO, when=T0), gzip=False)
    got = [(r.url, r.body) for r in ArchiveReader(plain)]
    assert got == [(r.url, r.body) for r in ArchiveReader(demo_warc(tmp_path / "demo.warc.gz"))]
    last = list(ArchiveReader(plain))[-1]
    assert read_response(plain, last.offset, last.length).body == last.body


# --- bad input ---


def test_a_file_that_is_not_an_archive_is_a_recorded_failure_and_the_other_files_go_on(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"<html>this is a page saved under the wrong name</html>\n")
    good = demo_warc(tmp_path / "demo.warc.gz")
    db = tmp_path / "x.db"
    code, err = run("import", str(junk), str(good), "--db", str(db))
    assert code == 1
    assert (f"failed: {junk.resolve()}@0: not a WARC/ARC file: a file that starts with b'<html>this is a page sav', "
            "not with 'WARC/' or 'filedesc://'") in err
    assert rows(db, "select count(*) from essays") == [(70,)]
    assert rows(db, "select source, offset, substr(error, 1, 19) from source_failures") == [
        (str(junk.resolve()), 0, "not a WARC/ARC file")]


def test_an_archive_cut_short_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    whole = demo_warc(tmp_path / "demo.warc.gz")
    data = whole.read_bytes()
    responses = list(ArchiveReader(whole))
    cut_at = responses[20].offset + responses[20].length // 2  # in the middle of the 21st response
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:cut_at])
    db = tmp_path / "x.db"
    code, err = run("import", str(cut), "--db", str(db))
    assert code == 1
    assert rows(db, "select count(*) from pages") == [(20,)]
    assert rows(db, "select source, offset from source_failures") == [(str(cut.resolve()), responses[20].offset)]
    assert f"failed: {cut.resolve()}@{responses[20].offset}: " in err


def test_a_gzip_file_of_something_else_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    import gzip

    fake = tmp_path / "fake.warc.gz"
    fake.write_bytes(gzip.compress(b"url,title\nhttp://x/,x\n"))
    reader = ArchiveReader(fake)
    assert list(reader) == []
    assert [f.error for f in reader.failures] == [
        "not a WARC/ARC file: gzip data that starts with b'url,title\\nhttp://x/,x\\n', not with 'WARC/' or 'filedesc://'"]


def test_a_record_with_a_bad_http_header_block_is_recorded_and_the_next_record_is_read(tmp_path: Path) -> None:
    warc = tmp_path / "x.warc.gz"
    with open(warc, "wb") as out:
        write_records(out, [Capture("http://x.example/1.html", T0, page("第一篇", LONG))], requests=False)
        writer = WARCWriter(out, gzip=True)
        bad = writer.create_warc_record("http://x.example/bad.html", "resource", payload=io.BytesIO(b"GARBAGE LINE\r\n\r\n<p>x</p>"),
                                        warc_content_type="application/http; msgtype=response")
        bad.rec_headers.replace_header("WARC-Type", "response")
        bad.rec_type = "response"
        bad_offset = out.tell()
        writer.write_record(bad)
        write_records(out, [Capture("http://x.example/2.html", T0, page("第二篇", LONG + "二"))], requests=False)
    db = tmp_path / "x.db"
    code, err = run("import", str(warc), "--db", str(db))
    assert code == 1
    assert rows(db, "select url from pages order by url") == [("http://x.example/1.html",), ("http://x.example/2.html",)]
    failures = rows(db, "select offset, error from source_failures")
    assert failures == [(bad_offset, "bad HTTP header block: Expected Status Line starting with "
                                     "['HTTP/1.0', 'HTTP/1.1', 'HTTP/2', 'HTTP/2.0'] - Found: GARBAGE LINE")]


def test_a_missing_archive_is_a_usage_error_before_anything_is_written(tmp_path: Path) -> None:
    code, err = run("import", str(tmp_path / "nope.warc.gz"), "--db", str(tmp_path / "x.db"))
    assert code == 2
    assert f"error: no such file: {tmp_path / 'nope.warc.gz'}" in err
    assert not (tmp_path / "x.db").exists()


def arc_file(path: Path, records: list[tuple[str, str, bytes]]) -> Path:
    """An ARC (version 1) file written by hand: warcio reads ARC but does not write it."""
    desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    out = b"filedesc://test.arc 0.0.0.0 20240501000000 text/plain %d\n" % len(desc) + desc + b"\n"
    for url, date, body in records:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        out += b"%s 127.0.0.1 %s text/html %d\n" % (url.encode(), date.encode(), len(http)) + http + b"\n"
    path.write_bytes(out)
    return path


def test_an_arc_file_is_read_as_a_warc_is(tmp_path: Path) -> None:
    arc = arc_file(tmp_path / "old.arc", [("http://x.example/a.html", "20240501000000", page("甲篇", LONG)),
                                          ("http://x.example/b.html", "20240502120000", page("乙篇", LONG + "乙"))])
    db = tmp_path / "x.db"
    code, err = run("import", str(arc), "--db", str(db))
    assert code == 0, err
    assert "skipped: 1 warcinfo record" in err
    assert rows(db, "select url, fetched_at, title from pages order by url") == [
        ("http://x.example/a.html", "2024-05-01T00:00:00+00:00", "甲篇"), ("http://x.example/b.html", "2024-05-02T12:00:00+00:00", "乙篇")]
    second = list(ArchiveReader(arc))[1]
    assert read_response(arc, second.offset, second.length).body == page("乙篇", LONG + "乙")
    code, err = run("reprocess", "--db", str(db))
    assert code == 0 and "reprocessed 2 pages, 0 essays added, 0 updated, 0 failed" in err


def _in_parts(path: Path, limit: int) -> tuple[list[tuple[str, int, int]], dict[str, int], list[str], int]:
    found: list[tuple[str, int, int]] = []
    skipped: dict[str, int] = {}
    failures: list[str] = []
    start: int | None = 0
    parts = 0
    while start is not None:
        reader = ArchiveReader(path, start=start, limit=limit)
        found.extend((r.url, r.offset, r.length) for r in reader)
        for kind, n in reader.skipped.items():
            skipped[kind] = skipped.get(kind, 0) + n
        failures.extend(str(f) for f in reader.failures)
        start, parts = reader.next_offset, parts + 1
    return found, skipped, failures, parts


def test_an_archive_read_in_parts_gives_the_records_of_one_pass(tmp_path: Path) -> None:
    """Each part starts where the last ended (the Dask import indexes archives so), gzip or plain, whole or cut short."""
    for name, gzip in (("parts.warc.gz", True), ("parts.warc", False)):
        path = tmp_path / name
        with open(path, "wb") as out:
            write_records(out, folder_captures(FIXTURES / "demo-site"), gzip=gzip)
        whole = [(r.url, r.offset, r.length) for r in ArchiveReader(path)]
        cut = tmp_path / f"cut-{name}"
        cut.write_bytes(path.read_bytes()[:whole[5][1] + whole[5][2] // 2])  # in the middle of the 6th response
        for archive in (path, cut):
            one = ArchiveReader(archive)
            expected = ([(r.url, r.offset, r.length) for r in one], dict(one.skipped), [str(f) for f in one.failures])
            for limit in (1, 4, len(whole)):
                found, skipped, failures, parts = _in_parts(archive, limit)
                assert (found, skipped, failures) == expected
                assert parts == len(expected[0]) // limit + 1
        assert len(whole) > 8 and next(iter(ArchiveReader(cut, start=whole[4][1]))).offset == whole[4][1]
