"""Whole pages in common templates (a WordPress post, Chinese local-news and portal pages, an English
news article) through the pipeline."""

from __future__ import annotations

from pipeline.jobs.process import process

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


PORTAL = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>多地出台新政支持新能源汽车消费|新能源|汽车_新浪财经_新浪网</title>
<meta name="description" content="近日，多地出台新政支持新能源汽车消费。"><meta property="article:published_time" content="2024-04-08T09:12:00+08:00"></head>
<body><div class="top-nav"><a href="/">新浪首页</a><a href="/news">新闻</a><a href="/finance">财经</a></div>
<div class="main-content w1240"><h1 class="main-title">多地出台新政支持新能源汽车消费</h1>
<div class="top-bar-wrap"><div class="date-source"><span class="date">2024年04月08日 09:12</span><a class="source" href="#">经济日报</a></div>
<div class="share-wrap"><a>微博</a><a>微信</a></div></div>
<div class="article-content clearfix"><div class="article-content-left">
<div class="article" id="artibody">
<p>　　原标题：多地出台新政支持新能源汽车消费</p>
<p>　　近日，多个省市相继出台政策，通过发放消费券、补贴充电设施建设等方式，支持新能源汽车消费。</p>
<p>　　业内人士表示，随着配套设施不断完善，新能源汽车渗透率有望进一步提升。</p>
<div class="appendQr_wrap"><div class="appendQr_normal_txt">扫码下载新浪财经APP</div></div>
<p>　　专家建议，下一步应加快完善充电网络，推动车网互动，提升消费者的使用体验。</p>
<p class="show_author">责任编辑：王五</p>
</div>
<div class="article-bottom clearfix"><div class="keywords">文章关键词：<a>新能源汽车</a></div></div>
<div class="blk-related"><h3>相关阅读</h3><ul><li><a href="/x1">新能源汽车下乡活动启动</a></li><li><a href="/x2">充电桩建设提速</a></li><li><a href="/x3">车企一季度销量公布</a></li></ul></div>
<div id="comment_box"><h3>我要评论</h3><p>网友：说得好，新能源车确实越来越方便了，充电也快。</p></div>
</div><div class="article-content-right"><div class="hot-list"><h3>财经热榜</h3><ol><li><a>热榜一</a></li><li><a>热榜二</a></li></ol></div></div></div></div>
<div class="footer">Copyright © 1996-2024 SINA Corporation</div></body></html>
"""

EN_NEWS = """<!doctype html><html lang="en"><head><title>City council approves new cycling lanes | The Daily Example</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"City council approves new cycling lanes","datePublished":"2024-06-03T14:20:00Z","author":{"@type":"Person","name":"Sam Lee"}}</script></head>
<body><header class="site-header"><a class="logo" href="/">The Daily Example</a><nav><a href="/news">News</a><a href="/sport">Sport</a></nav></header>
<main><article class="article">
<div class="article-header"><span class="kicker">Local</span><h1>City council approves new cycling lanes</h1>
<p class="standfirst">Twelve kilometres of protected lanes will be built over the next two years.</p>
<div class="byline">By <a href="/authors/sam-lee">Sam Lee</a> | June 3, 2024</div></div>
<div class="article-body">
<p>The city council voted on Monday to approve a plan for twelve kilometres of protected cycling lanes, the largest expansion in the city's history.</p>
<p>The lanes will connect the university district with the city centre and the main railway station.</p>
<aside class="most-read"><h2>Most read</h2><ol><li><a href="/1">Storm warning issued for the weekend</a></li><li><a href="/2">New bakery opens on High Street</a></li><li><a href="/3">Local team wins cup final</a></li></ol></aside>
<p>"This is a turning point for how people move around our city," the mayor said after the vote.</p>
<div class="newsletter-signup"><p>Get the morning briefing in your inbox every day. Sign up now, it is free and only takes a minute.</p><form><input type="email"></form></div>
<p>Construction is expected to begin in the autumn, with the first section opening next spring.</p>
</div>
<div class="author-bio"><p>Sam Lee is the Daily Example's transport correspondent. He has covered city politics for ten years and lives in the north of the city.</p></div>
<div class="tags"><a>Cycling</a><a>Council</a></div>
</article></main>
<footer class="site-footer"><p>&copy; 2024 The Daily Example. All rights reserved.</p></footer></body></html>
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


def test_chinese_portal_article() -> None:
    result = process(PORTAL, "https://finance.example.cn/2024-04-08/doc-1.shtml")
    assert (result.page.title, result.page.published) == ("多地出台新政支持新能源汽车消费", "2024-04-08")
    assert [e.text for e in result.essays] == ["\n".join([
        "原标题：多地出台新政支持新能源汽车消费",
        "近日，多个省市相继出台政策，通过发放消费券、补贴充电设施建设等方式，支持新能源汽车消费。",
        "业内人士表示，随着配套设施不断完善，新能源汽车渗透率有望进一步提升。",
        "专家建议，下一步应加快完善充电网络，推动车网互动，提升消费者的使用体验。",
    ])]


def test_english_news_article() -> None:
    result = process(EN_NEWS, "https://example.com/news/cycling-lanes")
    assert (result.page.title, result.page.published) == ("City council approves new cycling lanes", "2024-06-03")
    assert [e.text for e in result.essays] == ["\n".join([
        "Twelve kilometres of protected lanes will be built over the next two years.",  # the standfirst leads the text
        "The city council voted on Monday to approve a plan for twelve kilometres of protected cycling lanes, the largest "
        "expansion in the city's history.",
        "The lanes will connect the university district with the city centre and the main railway station.",
        '"This is a turning point for how people move around our city," the mayor said after the vote.',
        "Construction is expected to begin in the autumn, with the first section opening next spring.",
    ])]
