"""Generic HTML extraction: content choice, trimming, chrome around the article, on small pages."""

from __future__ import annotations

from pipeline.extract import content, dom, extract, looks_like_html
from pipeline.jobs.process import process

P1 = "第一段正文讲的是一件事情，写得足够长，足够让抽取器认出它是正文。"
P2 = "第二段正文接着讲这件事情的经过，同样写得足够长，而且有标点符号。"
P3 = "第三段正文是结尾，总结了这件事情带来的启发，也写得足够长一些。"
NAV = "<div class='menu'><a href='/'>首页</a> <a href='/a'>新闻</a> <a href='/b'>体育</a></div>"


def texts(html_text: str) -> list[str]:
    return [e.text for e in process(html_text, "http://example.org/a.html").essays]


def test_paragraphs_in_order_without_nav_or_footer() -> None:
    page = f"""<html><head><title>标题 - 站名</title></head><body>{NAV}
    <div class="article"><h1>标题</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
    <div class="footer">版权所有 © 2024 站名</div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_page_wrapped_in_one_form_is_kept() -> None:
    page = f"""<html><body><form id="aspnetForm" method="post">{NAV}
    <div id="content"><p>{P1}</p><p>{P2}</p></div></form></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_small_forms_are_dropped() -> None:
    page = f"""<html><body><div class="post"><p>{P1}</p><form><label>搜索本站的全部文章内容</label></form><p>{P2}</p></div>
    </body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_chrome_hinted_wrapper_holding_the_article_is_kept() -> None:
    sidebar = "".join(f"<li><a href='/{i}'>侧栏文章标题第{i}篇的链接文字</a></li>" for i in range(12))
    page = f"""<html><body><div class="widget Blog"><div class="post-body"><p>{P1}</p><p>{P2}</p></div></div>
    <div class="sidebar"><ul>{sidebar}</ul></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_folded_part_hidden_by_class_is_dropped() -> None:
    page = f"""<html><body><div class="article"><p>{P1}</p><p>{P2}</p>
    <div class="lookall"><a href="javascript:;">展开全文</a></div>
    <div class="hidden-content control-hide"><p>{P3}</p></div></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_page_shown_by_script_keeps_its_hidden_content() -> None:
    page = f"""<html><body><div class="hidden"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_link_lists_and_pagers_around_the_article_are_cut() -> None:
    related = "".join(f"<p>·<a href='/r{i}'>相关报道的标题第{i}条，点进去看看</a>（2005-04-0{i} 17:19）</p>" for i in range(1, 6))
    page = f"""<html><body><td>
    <p><a href='/p1'>上一页</a> | <a href='/p2'>下一页</a></p>
    <p>{P1}</p><p>{P2}</p><p>编辑：山石</p>
    <p><a href='/send'>发送给朋友</a></p>{related}</td></body></html>"""
    result = process(page)
    assert [e.text for e in result.essays] == [f"{P1}\n{P2}"]
    # the plain line before the link block goes with it
    assert [r.text for r in result.page.removed if r.rule == "link_block"][:3] == ["上一页 | 下一页", "编辑：山石", "发送给朋友"]


def test_link_run_inside_the_article_is_cut_with_its_heading() -> None:
    trending = "".join(f"<li><h4><a href='/t{i}'>Trending story number {i} about something</a></h4></li>" for i in range(4))
    page = f"""<html><body><article><p>{P1}</p><div><h3>Trending News</h3><ul class="x">{trending}</ul></div>
    <p>{P2}</p></article></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_lead_paragraph_beside_the_body_is_joined() -> None:
    body = "".join(f"<p>{p}</p>" for p in (P2, P3, P2, P3))
    page = f"""<html><body><article><p class="chapo">{P1}</p><div class="article-body">{body}</div></article>
    <div class="author">作者简介</div></body></html>"""
    assert texts(page) == ["\n".join((P1, P2, P3, P2, P3))]


def test_layout_table_with_one_essay_per_cell_is_taken_whole() -> None:
    rows = "".join(f"<tr><td><b>范文{n}：第{n}篇的小标题</b></td></tr><tr><td><p>{P1}</p><p>{P2}</p></td></tr>" for n in "一二三")
    page = f"""<html><head><title>心得体会范文（三篇）</title></head><body><table><tr><td>{NAV}</td>
    <td><table>{rows}</table></td></tr></table></body></html>"""
    result = process(page)
    assert [(e.title, e.text) for e in result.essays] == [(f"第{n}篇的小标题", f"{P1}\n{P2}") for n in "一二三"]


def test_br_separated_text_in_font_tags() -> None:
    page = f"<html><body><center><font size='3'>{P1}<br>{P2}<br><br>{P3}</font></center></body></html>"
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_best_node_is_the_article_container() -> None:
    root = dom.parse(f"<html><body>{NAV}<div id='main'><div class='content'><p>{P1}</p><p>{P2}</p></div></div></body></html>")
    dom.strip_chrome(root)
    node = content.best_node(root)
    assert (node.tag, node.get("class")) == ("div", "content")


def test_core_keeps_the_prose_run_and_neighbouring_plain_lines() -> None:
    assert content.core([-5, 0, 40, 0, 30, 0, -80, 50]) == (1, 5)  # the plain line before the link block is its label
    assert content.core([-5, 0, 40, 0, 30, 0, 0]) == (1, 7)
    assert content.core([-5, 0, 40, 0, 30, 0, -8, 50]) == (1, 8)
    assert content.core([0, 0]) == (0, 2)
    assert content.core([-3, -4]) == (0, 2)


def test_embedded_posts_are_content() -> None:
    page = f"""<html><body><div class="story"><p>{P1}</p>
    <div class="social-media-embed"><blockquote class="twitter-tweet"><p>{P2}</p></blockquote></div>
    <div class="social-share"><a href="/s">分享到微博</a></div><p>{P3}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_closing_tags_and_scripts_are_sniffed_as_html() -> None:
    assert looks_like_html("</div>")
    assert looks_like_html("<script>var a = 1;</script>")
    assert looks_like_html("<!DOCTYPE html>")
    assert not looks_like_html("这是一段纯文本，没有任何标签。a < b > c")


def test_extract_keeps_title_and_drops_repeated_h1() -> None:
    page = extract(f"<html><head><title>一篇文章_栏目_站名</title></head><body><h1>一篇文章</h1><p>{P1}</p></body></html>")
    assert page.title == "一篇文章"
    assert [b.text for b in page.blocks] == [P1]


def test_responsive_hide_classes_keep_their_text() -> None:
    page = f"""<html><body><div class="article"><p class="mobile-hide">{P1}</p><p class="hidden-xs">{P2}</p>
    <p>{P3}</p><span class="sr-only">Image caption</span></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_chrome_prefilter_leaves_out_start_anchored_rules() -> None:
    from pipeline.extract.chrome import _branches

    assert _branches(r"^a(b|c)|^d[|]e|x\|y") == ["^a(b|c)", "^d[|]e", r"x\|y"]
    assert _branches(r"[]|]z|^q") == ["[]|]z", "^q"]


def test_explain_lists_every_dropped_subtree_once_with_its_reason() -> None:
    page = f"""<html><body><nav><a href='/'>首页</a> <a href='/a'>新闻</a></nav>
    <div class="article"><p>{P1}</p><div class="share-bar"><span>分享到</span> <b>微博</b></div><p>{P2}</p>
    <ul><li><a href='/x'>相关文章一</a></li><li><a href='/y'>相关文章二</a></li></ul>
    <p style="display:none">隐藏的一段</p><p>{P3}</p><script>var x = 1;</script></div>
    <div class="footer">版权所有 © 2024 站名</div></body></html>"""
    result = process(page)
    assert [e.text for e in result.essays] == [f"{P1}\n{P2}\n{P3}"]
    assert [(r.rule, r.text) for r in result.page.removed] == [
        ("hidden", "隐藏的一段"),
        ("tag:nav", "首页 新闻"),
        ("hint:share-bar", "分享到 微博"),
        ("hint:footer", "版权所有 © 2024 站名"),
        ("link_list", "相关文章一 相关文章二"),
    ]


def test_a_chrome_token_in_a_theme_class_list_never_drops_the_article() -> None:
    page = f"""<html><body><div class="sidebar"><p>{P3}</p></div>
    <article class="post-12 post type-post hentry enable-pin-share category-newsletter"><p>{P1}</p><p>{P2}</p></article>
    <div class="comments"><p>{P3}</p><p>{P3}</p><p>{P3}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_an_unclosed_nav_does_not_swallow_the_article() -> None:
    page = f"""<html><body><nav class="menu"><ul><li><a href='/'>首页</a></li><li><a href='/a'>新闻</a></li></ul>
    <div class="content"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}\n{P3}"]


def test_the_prose_container_overrules_a_widget_chosen_by_score() -> None:
    notice = "春天，夏天，秋天，冬天，早上，中午，晚上，东边，西边，南边，北边，上面，下面，左边，右边，里面，外面。"
    paras = "".join(f"<div><p>{p}</p></div>" for p in (P1, P2, P3, P2, P1))
    root = dom.parse(f"""<html><body><div id="notice"><div class="notice-text">{notice}</div></div>
    <div id="main">{paras}</div><div id="side"><p>{P3}</p></div></body></html>""")
    widget, main, side = root.find(".//div[@class='notice-text']"), root.find(".//div[@id='main']"), root.find(".//div[@id='side']")
    assert content.prose_container(root, content.prose_map(root)) is main
    assert content.checked_choice(widget, root) is main  # beside the prose, with less than half of it
    assert content.checked_choice(side, root) is main
    assert content.checked_choice(main[0], root) is main  # inside it, with a fifth of it
    assert content.checked_choice(root.find("body"), root) is root.find("body")  # wider: kept
    page = f"<html><body><div id='notice'>{notice}</div><div id='main'>{paras}</div></body></html>"
    assert texts(page) == [f"{P1}\n{P2}\n{P3}\n{P2}\n{P1}"]


def test_links_are_joined_only_when_asked_next_pages_always() -> None:
    page = f"""<html><body><a href="/a">新闻</a> <a href="b.html#top">体育</a> <a href="http://[oops/">坏链接</a>
    <div class="content"><p>{P1}</p><p>{P2}</p></div><a href="p2.html">下一页</a></body></html>"""
    plain = extract(page, "http://example.org/x/1.html")
    assert (plain.links, plain.next_pages) == ((), ("http://example.org/x/p2.html",))
    full = extract(page, "http://example.org/x/1.html", with_links=True)
    assert full.links == ("http://example.org/a", "http://example.org/x/b.html", "http://example.org/x/p2.html")
    assert full.next_pages == ("http://example.org/x/p2.html",)


def test_responsive_hiding_classes_do_not_hide() -> None:
    page = f"""<html><body><nav class="hidden lg:flex"><a href='/'>首页</a></nav>
    <div class="hidden lg:block"><p>{P1}</p><p>{P2}</p></div><div class="hidden"><p>{P3}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_a_long_consent_notice_is_dropped_even_beside_a_short_article() -> None:
    notice = "".join(f"<p>{p}</p>" for p in (P3, P3, P3, P3))
    page = f"""<html><body><div class="cmplz-cookiebanner">{notice}</div>
    <div class="entry"><p>{P1}</p><p>{P2}</p></div></body></html>"""
    assert texts(page) == [f"{P1}\n{P2}"]


def test_whitespace_squeeze_is_the_regex_one() -> None:
    import random
    import re

    from pipeline.extract.html import _squeeze

    rng = random.Random(3)
    alphabet = ["a", "b", " ", "\n", "\t", "\u3000", "\xa0", "\x1c", "\u2028", "中", "\x85", "\u200b"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _squeeze(text) == re.sub(r"\s+", " ", text), repr(text)


def test_parsing_utf8_bytes_gives_the_tree_parsing_the_str_gives() -> None:
    from lxml import etree

    from pipeline.extract import dom

    docs = [
        '<html><head><meta charset="gbk"></head><body><p>中文 café</p></body></html>',
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>ä 中</p></body></html>',
        "\ufeff<html><body><p>bom 中</p></body></html>",
        "<p>fragment only ünïcödé</p>",
        "<html><body><p>a&nbsp;b &amp; &foo; &#x4e2d; 𝄞 😀</p></body></html>",
        '<?xml version="1.0" encoding="gbk"?><html><body><p>x 中</p></body></html>',
        "<!DOCTYPE html><html><head><meta charset=utf-16></head><body>ok 中文</body></html>",
        "<html><body><p>control\x0bchar 中</p></body></html>",  # takes the str path (xml_safe)
    ]
    for doc in docs:
        text = dom.xml_safe(dom._XML_DECL.sub("", doc, count=1))
        expected = etree.tostring(etree.fromstring(text, parser=dom._parser()), encoding="unicode")
        assert etree.tostring(dom.parse(doc), encoding="unicode") == expected, doc
