"""Breadcrumb trails: labelled, hinted and unlabelled ones, without home, title or 正文."""

from __future__ import annotations

import pytest

from pipeline.extract.breadcrumbs import breadcrumb_of
from pipeline.extract.dom import parse

CASES = [
    ('<div class="place">当前位置:<a href="/">首页</a> &gt; <a href="/a/">演讲致辞</a> &gt; <a href="/a/b/">演讲稿</a> &gt;</div>',
     "标题", ["演讲致辞", "演讲稿"]),
    ('<div class="x">您现在的位置：<a href="/">首页</a> » <a href="/z/">工作总结</a> » 正文</div>', "标题", ["工作总结"]),
    ('<div class="weizhi">位置：<a href="/">公文之家</a> &gt;&gt; <a href="/x/">心得体会</a> &gt;&gt; <a href="/x/p/">培训心得</a></div>',
     "标题", ["心得体会", "培训心得"]),
    ('<div class="bread"><a href="/">首页</a> » <a href="/dj/">党建</a> » <a href="/dj/xd/">党员心得</a></div>', "标题", ["党建", "党员心得"]),
    # a category named like the page is kept; the page's own (long) title at the end is not
    ('<div class="dqwz">当前位置：<a href="/">首页</a> > <a href="/g/">工作总结</a> > <a href="/g/b/">办公室工作总结</a></div>',
     "办公室工作总结", ["工作总结", "办公室工作总结"]),
    ('<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/world/">World</a></li><li>Storm hits the coast of the island</li></ol>',
     "Storm hits the coast of the island", ["World"]),
    ('<p><a href="/">Start</a> / <a href="/news/">News</a> / <a href="/news/local/">Local</a></p>', "t", ["News", "Local"]),
]


@pytest.mark.parametrize(("snippet", "title", "expected"), CASES)
def test_trails(snippet: str, title: str, expected: list[str]) -> None:
    root = parse(f"<html><body><div class='menu'><ul><li><a href='/'>首页</a></li><li><a href='/m/'>菜单</a></li></ul></div>{snippet}<p>正文内容。</p></body></html>")
    assert breadcrumb_of(root, title, "http://example.org/a/1.html") == expected


def test_menu_is_not_a_trail() -> None:
    root = parse("<html><body><ul class='nav'><li><a href='/'>首页</a></li><li><a href='/a/'>工作总结</a></li></ul><p>文字。</p></body></html>")
    assert breadcrumb_of(root, "标题") == []


def test_jsonld_breadcrumb() -> None:
    ld = [{"@type": "BreadcrumbList", "itemListElement": [{"name": "Home"}, {"name": "Reports"}, {"item": {"name": "Rural"}}]}]
    assert breadcrumb_of(parse("<html><body><p>x</p></body></html>"), "t", "", ld) == ["Reports", "Rural"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("当前位置:首页 > 演讲致辞 > 演讲稿 >", ["演讲致辞", "演讲稿"]),
        ("位置: 首页 > 演讲稿 > 感恩演讲稿", ["演讲稿", "感恩演讲稿"]),
        ("您现在的位置：首页 » 工作总结 » 正文", ["工作总结"]),
        ("首页 -> 教学资源 -> 教学反思", ["教学资源", "教学反思"]),
    ],
)
def test_text_trails(line: str, expected: list[str]) -> None:
    from pipeline.extract.breadcrumbs import from_text

    assert from_text(line) == expected
