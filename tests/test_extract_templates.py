"""Whole pages in two common templates (a WordPress post, a Chinese local-news page) through the pipeline."""

from __future__ import annotations

from pipeline.jobs import process

WORDPRESS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>How to grow tomatoes on a balcony &#8211; Green Thumb Blog</title>
<meta property="og:title" content="How to grow tomatoes on a balcony"><meta property="article:published_time" content="2023-05-02T08:00:00+00:00"></head>
<body class="post-template-default single single-post"><div id="page" class="site">
<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="/">Green Thumb Blog</a></p><p class="site-description">Gardening for small spaces</p></div>
<nav class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/about">About</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-12" class="post-12 post type-post status-publish format-standard hentry category-vegetables">
<header class="entry-header"><h1 class="entry-title">How to grow tomatoes on a balcony</h1>
<div class="entry-meta"><span class="posted-on">Posted on <a href="/2023/05/02/"><time class="entry-date published" datetime="2023-05-02T08:00:00+00:00">May 2, 2023</time></a></span><span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/anna/">Anna</a></span></span></div></header>
<div class="entry-content">
<p>Tomatoes are one of the easiest crops to grow in containers, provided they get at least six hours of sun a day.</p>
<p>Choose a pot of at least twenty litres, fill it with good compost, and add a handful of slow-release fertiliser.</p>
<h2>Watering</h2>
<p>Water deeply every morning in summer. Irregular watering leads to split fruit and blossom end rot.</p>
<figure class="wp-block-image"><img src="/t.jpg"><figcaption>My balcony tomatoes in July.</figcaption></figure>
<p>Feed weekly with a tomato feed once the first truss has set, and pinch out side shoots on cordon varieties.</p>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a href="#">Twitter</a></li><li><a href="#">Facebook</a></li></ul></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3>
<div class="jp-relatedposts-post"><a href="/peppers">Growing peppers in pots</a><p>Peppers love heat, so put them in the sunniest spot you have and bring them indoors on cold nights.</p></div>
<div class="jp-relatedposts-post"><a href="/herbs">Herbs for a shady window</a><p>Mint, parsley and chives cope with less light than most herbs and still give a good harvest.</p></div></div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/c/veg">Vegetables</a></span></footer></article>
<nav class="navigation post-navigation"><a href="/prev">Previous post: Sowing beans</a><a href="/next">Next post: Compost basics</a></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on &ldquo;How to grow tomatoes on a balcony&rdquo;</h2>
<ol class="comment-list"><li class="comment"><div class="comment-content"><p>Great tips, thanks! My plants are already flowering and I followed your watering advice closely.</p></div></li>
<li class="comment"><div class="comment-content"><p>What variety would you recommend for a north facing balcony with only a little direct sun?</p></div></li></ol>
<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><textarea></textarea></form></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul><li><a href="/a">Sowing beans</a></li><li><a href="/b">Compost basics</a></li></ul></section></aside>
</div><footer id="colophon" class="site-footer"><div class="site-info">Proudly powered by WordPress</div></footer></div></body></html>
"""

ZH_NEWS = """<html><head><meta charset="utf-8"><title>我市启动春季植树活动_本地新闻_某某网</title>
<meta name="keywords" content="植树"><meta name="description" content="3月12日上午，我市在城东公园启动春季义务植树活动。"></head>
<body><div class="top"><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/sports">体育</a> | <a href="/login">登录</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/bd">本地</a></li><li><a href="/gn">国内</a></li></ul></div>
<div class="wrap"><div class="left">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/bd">本地新闻</a> &gt; 正文</div>
<h1>我市启动春季植树活动</h1>
<div class="info">2024-03-12 10:30　来源：某某日报　作者：李明　浏览：1234次</div>
<div class="content" id="zoom">
<p>　　3月12日上午，我市在城东公园启动春季义务植树活动，市直机关干部职工、志愿者等500余人参加。</p>
<p>　　活动现场，大家挥锹铲土、扶苗培土、提水浇灌，分工协作，干劲十足。</p>
<p><img src="a.jpg"></p>
<p style="text-align:center">植树现场（记者 王芳 摄）</p>
<p>　　据了解，今年我市计划完成植树造林1.2万亩，新增城市绿地50公顷。</p>
<p>（责任编辑：张三）</p>
</div>
<div class="share">分享到：<a href="#">微信</a><a href="#">微博</a></div>
<div class="page-nav">上一篇：<a href="/p1">我市召开安全生产会议</a><br>下一篇：<a href="/p3">春耕备耕有序推进</a></div>
<div class="related"><h3>相关新闻</h3><ul><li><a href="/r1">我市今年计划植树1.2万亩</a><span>2024-03-01</span></li><li><a href="/r2">城东公园改造完成</a><span>2024-02-20</span></li></ul></div>
</div>
<div class="right"><div class="hot"><h3>热点排行</h3><ol><li><a href="/h1">热点新闻一</a></li><li><a href="/h2">热点新闻二</a></li></ol></div></div></div>
<div class="footer">版权所有：某某网 Copyright 2024 京ICP备12345678号</div></body></html>
"""


def test_wordpress_post() -> None:
    result = process(WORDPRESS, "http://example.org/2023/05/02/tomatoes/")
    page = result.page
    assert (page.title, page.published, page.error) == ("How to grow tomatoes on a balcony", "2023-05-02", "")
    assert [e.text for e in result.essays] == ["\n".join([
        "Tomatoes are one of the easiest crops to grow in containers, provided they get at least six hours of sun a day.",
        "Choose a pot of at least twenty litres, fill it with good compost, and add a handful of slow-release fertiliser.",
        "Watering",
        "Water deeply every morning in summer. Irregular watering leads to split fruit and blossom end rot.",
        "Feed weekly with a tomato feed once the first truss has set, and pinch out side shoots on cordon varieties.",
    ])]


def test_chinese_local_news_page() -> None:
    result = process(ZH_NEWS, "http://news.example.cn/bd/2024/0312/1.html")
    page = result.page
    assert (page.title, page.published, page.breadcrumb, page.author, page.source) == (
        "我市启动春季植树活动", "2024-03-12", ("本地新闻",), "李明", "某某日报")
    assert [e.text for e in result.essays] == ["\n".join([
        "3月12日上午，我市在城东公园启动春季义务植树活动，市直机关干部职工、志愿者等500余人参加。",
        "活动现场，大家挥锹铲土、扶苗培土、提水浇灌，分工协作，干劲十足。",
        "据了解，今年我市计划完成植树造林1.2万亩，新增城市绿地50公顷。",
    ])]
