"""Metadata from HTML: dates (meta, JSON-LD, labelled text, numeric forms) and titles."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from pipeline.extract.metadata import find_date, labelled_date

BODY = "<p>正文的第一段，写得足够长，足够让抽取器认出它是正文，而且有很多标点。</p>"


@pytest.mark.parametrize(("text", "iso"), [
    ("2022年9月7日", "2022-09-07"),
    ("发布于 2022-09-07 12:00", "2022-09-07"),
    ("2005-9-15 11:46:00", "2005-09-15"),
    ("2022/09/07", "2022-09-07"),
    ("7/5/2005 9:23:57 PM", "2005-05-07"),   # both readings valid: day first
    ("9/17/2004 5:54:13 AM", "2004-09-17"),  # only month first is a date
    ("17.09.2004", "2004-09-17"),
    ("November 19, 2019", "2019-11-19"),
    ("19 Nov 2019", "2019-11-19"),
    ("2022年13月40日", ""),
    ("第1899期", ""),
])
def test_find_date(text: str, iso: str) -> None:
    assert find_date(text) == iso


def test_find_date_with_time() -> None:
    assert find_date("2022-09-07 12:30", with_time=True) == "2022-09-07T12:30"


@pytest.mark.parametrize(("text", "iso"), [
    ("作者： 来源： 发布日期： 7/5/2005 9:23:57 PM", "2005-05-07"),
    ("ggjjzhzz 发表于 2005-9-15 11:46:00", "2005-09-15"),
    ("发布时间：2022年01月28日 来源：本站", "2022-01-28"),
    ("Posted: November 19, 2019", "2019-11-19"),
    ("热门文章 2021-01-01 发布时间：2022-02-02", "2022-02-02"),
    ("时间过得很快，2019年就这样结束了", ""),
])
def test_labelled_date(text: str, iso: str) -> None:
    assert labelled_date(text) == iso


def test_meta_date_wins() -> None:
    page = extract(f"""<html><head><title>标题</title><meta property="article:published_time" content="2021-03-04T05:06:07Z">
    </head><body><h1>标题</h1><p>发布时间：2022-01-01</p>{BODY}</body></html>""")
    assert page.published == "2021-03-04"


def test_jsonld_date() -> None:
    page = extract(f"""<html><head><script type="application/ld+json">{{"@type": "NewsArticle", "headline": "标题",
    "datePublished": "2020-05-06T07:08:09+08:00"}}</script></head><body><h1>标题</h1>{BODY}</body></html>""")
    assert (page.title, page.published) == ("标题", "2020-05-06")


def test_labelled_date_anywhere_beats_unlabelled_date_near_title() -> None:
    page = extract(f"""<html><head><title>标题</title></head><body><h1>标题</h1><p>【看中国2005年07月03日报道】</p>{BODY}
    <div>作者：某某 发布日期： 7/5/2005 9:23:57 PM</div></body></html>""")
    assert page.published == "2005-05-07"


def test_date_near_title() -> None:
    page = extract(f"<html><head><title>标题_站名</title></head><body><h1>标题</h1><div>2022-09-07 12:00</div>{BODY}</body></html>")
    assert page.published == "2022-09-07"


@pytest.mark.parametrize(("head", "body", "iso"), [
    # the sources in order of trust: JSON-LD, meta, <time>, a labelled date, a date near the title
    ('<script type="application/ld+json">{"datePublished": "2021-03-04T08:00:00+08:00"}</script>'
     '<meta property="article:published_time" content="2020-01-01">', "", "2021-03-04"),
    ('<meta property="article:published_time" content="2020-01-01T10:00:00Z">', '<time datetime="2019-05-05">', "2020-01-01"),
    ("", '<time datetime="2019-05-05T09:00">5. Mai</time>', "2019-05-05"),
    ("", "<span>发布时间：2018年7月9日 10:20</span>", "2018-07-09"),
    ("", "<span>Posted March 3rd, 2017</span>", "2017-03-03"),
    # an inline script's data, then the modified date, only when nothing else gives one
    ('<script>var DATA = {"media": "x", "pubtime": "2019-09-07 19:02:26"};</script>', "", "2019-09-07"),
    ('<meta itemprop="dateUpdate" content="2019-10-08 12:00:57">', "<span>发布时间：10-08</span>", "2019-10-08"),
    ('<meta property="article:modified_time" content="2019-10-08">', "<span>发布时间：2018-01-02</span>", "2018-01-02"),
    # relative dates are never guessed
    ("", "<span>发布时间：3天前</span> <span>yesterday</span>", ""),
])
def test_published_date_sources(head: str, body: str, iso: str) -> None:
    page = extract(f"<html><head><title>标题</title>{head}</head><body><h1>标题</h1>{body}{BODY}</body></html>")
    assert page.published == iso
