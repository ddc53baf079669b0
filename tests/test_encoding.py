"""Bytes to text: header charset, BOM, meta charset, detection; GBK pages over real HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.fetch.sync_client import fetch, make_client
from pipeline.jobs.importer import import_sources
from pipeline.text.encoding import canonical, decode, detect, header_charset, meta_charset

from .conftest import Server

# 镕 and 堃 are in GBK but not in GB2312; 𠀀 needs GB18030's four-byte form.
BODY = "<p>朱镕基总理与王堃先生谈到：这是一个关于编码的测试页面，内容要足够长，才能看出字节的样子。</p>\n" * 6
TITLE = "编码测试页面"


def page(meta: str = "") -> str:
    return f"<html><head>{meta}<title>{TITLE}</title></head><body><h1>{TITLE}</h1>\n{BODY}</body></html>"


GBK_PAGE = page().encode("gb18030")
GBK_META_PAGE = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb18030")


@pytest.mark.parametrize(("name", "codec"), [
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("x-gbk", "gb18030"), ("GB_2312-80", "gb18030"), ("cp936", "gb18030"),
    ("gb18030", "gb18030"), ("UTF8", "utf-8"), ("utf-8", "utf-8"), ("big5", "big5hkscs"), ("ISO-8859-1", "cp1252"),
    ("shift_jis", "shift_jis"), ("no-such-codec", None), ("", None), (None, None),
])
def test_canonical_names(name: str | None, codec: str | None) -> None:
    assert canonical(name) == codec


def test_header_and_meta_charsets() -> None:
    assert header_charset("text/html; charset=GBK") == "gb18030"
    assert header_charset('text/html; charset="utf-8"') == "utf-8"
    assert header_charset("text/html") is None
    assert meta_charset(b'<meta charset="gb2312">') == "gb18030"
    assert meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=gbk" />') == "gb18030"
    assert meta_charset(b'<?xml version="1.0" encoding="GBK"?><html>') == "gb18030"
    assert meta_charset(b"<html><head><title>x</title>") is None


def test_undeclared_gbk_is_not_read_as_utf8() -> None:
    assert decode(GBK_PAGE) == (page(), "gb18030")


def test_declared_gb2312_decodes_gbk_only_characters() -> None:
    text, codec = decode(GBK_META_PAGE)
    assert codec == "gb18030"
    assert "朱镕基总理与王堃先生" in text


def test_gb18030_four_byte_character() -> None:
    data = page().replace("编码测试页面", "编码𠀀测试").encode("gb18030")
    assert decode(data, "text/html; charset=gbk") == (page().replace("编码测试页面", "编码𠀀测试"), "gb18030")


def test_bom_wins_over_declarations() -> None:
    assert decode(b"\xef\xbb\xbf" + page().encode("utf-8"), "text/html; charset=gbk") == (page(), "utf-8")
    assert decode(b"\xff\xfe" + "标题".encode("utf-16-le")) == ("标题", "utf-16-le")


def test_wrong_header_falls_back_to_detection() -> None:
    assert decode(GBK_PAGE, "text/html; charset=utf-8") == (page(), "gb18030")


def test_server_default_latin1_yields_to_meta() -> None:
    assert decode(GBK_META_PAGE, "text/html; charset=ISO-8859-1") == (GBK_META_PAGE.decode("gb18030"), "gb18030")


def test_undeclared_utf8() -> None:
    assert decode(page().encode("utf-8")) == (page(), "utf-8")
    assert decode(b"<p>plain ascii</p>") == ("<p>plain ascii</p>", "utf-8")


def test_a_few_broken_bytes_keep_the_codec() -> None:
    at = GBK_PAGE.index(b"<p>")
    data = GBK_PAGE[:at] + b"\xc7" + GBK_PAGE[at:]  # one stray lead byte, as in truncated copies
    at_text = page().index("<p>")
    assert decode(data) == (page()[:at_text] + "\ufffd" + page()[at_text:], "gb18030")


def test_undeclared_big5_is_not_read_as_gbk() -> None:
    traditional = "<html><body>" + "<p>這是一個關於編碼的測試頁面，內容要足夠長，才能看出位元組的樣子。</p>" * 6 + "</body></html>"
    data = traditional.encode("big5")
    assert detect(data) == "big5hkscs"
    assert decode(data) == (traditional, "big5hkscs")


def test_gbk_page_over_http_with_header_charset(server: Server) -> None:
    server.routes.set("/gbk-header.html", body=GBK_PAGE, headers={"Content-Type": "text/html; charset=GBK"})
    with make_client() as client:
        fetched = fetch(server.url("/gbk-header.html"), client)
    assert (fetched.text, fetched.encoding) == (page(), "gb18030")


def test_gbk_page_over_http_without_any_charset(server: Server) -> None:
    server.routes.set("/gbk-bare.html", body=GBK_PAGE, headers={"Content-Type": "text/html"})
    with make_client() as client:
        fetched = fetch(server.url("/gbk-bare.html"), client)
    assert (fetched.text, fetched.encoding) == (page(), "gb18030")


def test_gbk_page_over_http_with_meta_only(server: Server) -> None:
    server.routes.set("/gbk-meta.html", body=GBK_META_PAGE, headers={"Content-Type": "text/html"})
    with make_client() as client:
        fetched = fetch(server.url("/gbk-meta.html"), client)
    assert (fetched.text, fetched.encoding) == (GBK_META_PAGE.decode("gb18030"), "gb18030")


@pytest.mark.parametrize("content_type", ["text/html; charset=gb2312", "text/html"])
def test_gbk_import_stores_text_and_codec(server: Server, tmp_path: Path, content_type: str) -> None:
    server.routes.set("/gbk-import.html", body=GBK_PAGE, headers={"Content-Type": content_type})
    db_path = tmp_path / "essays.db"
    stats = import_sources([server.url("/gbk-import.html")], db_path)
    assert stats.pages_failed == 0
    conn = sqlite3.connect(db_path)
    encoding, title = conn.execute("select encoding, title from pages").fetchone()
    texts = [row[0] for row in conn.execute("select text from essays order by position")]
    conn.close()
    assert (encoding, title) == ("gb18030", TITLE)
    assert texts == ["\n".join(["朱镕基总理与王堃先生谈到：这是一个关于编码的测试页面，内容要足够长，才能看出字节的样子。"] * 6)]


# --- a declaration that decodes without error is checked before it is trusted ---

ORDINARY = ("从那以后，我们班按时完成月度计划，心里感到无比温暖。渐渐地，爷爷按时完成月度计划，收获了真正的友谊。"
            "后来，老师走进田野观察庄稼，明白了坚持的意义。")
TRADITIONAL = "這是一個繁體中文的網頁，我們來看看它會不會被正確地解碼。臺灣的學生們在學校裡學習國語和數學。"


def _html(charset: str, text: str) -> str:
    return f'<html><head><meta charset="{charset}"><title>t</title></head><body><p>{text * 2}</p></body></html>'


def test_gbk_bytes_declared_big5_are_read_as_gbk() -> None:
    data = _html("big5", ORDINARY).encode("gbk")
    data.decode("big5hkscs")  # decodes without error, into rare characters
    assert decode(data) == (_html("big5", ORDINARY), "gb18030")
    assert decode(data, "text/html; charset=big5") == (_html("big5", ORDINARY), "gb18030")


def test_real_big5_declared_big5_stays_big5() -> None:
    data = _html("big5", TRADITIONAL).encode("big5")
    assert decode(data) == (_html("big5", TRADITIONAL), "big5hkscs")


def test_short_declared_page_keeps_its_declaration() -> None:
    data = _html("big5", "臺灣").encode("big5")  # too few characters to doubt anything
    assert decode(data) == (_html("big5", "臺灣"), "big5hkscs")
