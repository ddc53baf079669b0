"""Essay splitting: every heading form, in-essay outlines that are not splits, ambiguous pages kept whole."""

from __future__ import annotations

import pytest

from pipeline.models import Block, Page
from pipeline.normalize import normalize
from pipeline.normalize.split import split_blocks

P = "这是一段足够长的正文，用来组成一篇完整的文章，里面有很多句子。我们认真学习，努力工作，取得了很好的成绩。" * 3


def para(text: str) -> Block:
    return Block("paragraph", text)


def shape(blocks: list[Block], title: str) -> tuple[str, list[tuple[str, int]]]:
    s = split_blocks(blocks, title)
    return s.form, [(sec.title, len(sec.paragraphs)) for sec in s.sections]


@pytest.mark.parametrize(
    ("headings", "title", "form", "titles"),
    [
        (["工作总结篇一", "工作总结篇二"], "工作总结", "title_pian", ["工作总结", "工作总结"]),
        (["工作总结(篇1)", "工作总结(篇2)"], "工作总结", "title_pian", ["工作总结", "工作总结"]),
        (["【篇一】工作总结", "【篇二】工作总结", "【篇三】工作总结"], "工作总结(精选3篇)", "bracket_pian", ["工作总结"] * 3),
        (["【篇1】", "【篇2】"], "工作总结", "bracket_pian", ["工作总结"] * 2),
        (["【第1篇】工作总结", "【第2篇】工作总结"], "工作总结(汇编二篇)", "bracket_pian", ["工作总结"] * 2),
        (["第一篇：奋斗的青春", "第二篇：新学期新起点"], "讲话稿大全", "di_n_pian", ["奋斗的青春", "新学期新起点"]),
        (["范文一：关注学生", "范文二：课堂活力"], "教学反思范文（二篇）", "fanwen_n", ["关注学生", "课堂活力"]),
        (["范文1", "范文2"], "教学反思", "fanwen_n", ["教学反思", "教学反思"]),
        (["工作总结（一）", "工作总结（二）"], "工作总结", "title_paren_n", ["工作总结", "工作总结"]),
        (["工作总结1", "工作总结2"], "工作总结", "title_number", ["工作总结", "工作总结"]),
        (["工作总结", "工作总结"], "工作总结", "repeated_title", ["工作总结", "工作总结"]),
        (["感恩父母演讲稿（通用3篇）篇一", "感恩父母演讲稿（通用3篇）篇二"], "感恩父母演讲稿（通用3篇）", "title_pian", ["感恩父母演讲稿"] * 2),
    ],
)
def test_heading_forms(headings: list[str], title: str, form: str, titles: list[str]) -> None:
    blocks = [para("以下是小编整理的资料。")]
    for h in headings:
        blocks += [para(h), para(P), para(P)]
    assert shape(blocks, title) == (form, [(t, 2) for t in titles])


def test_structural_subtitles_only_on_multi_essay_titles() -> None:
    blocks = []
    for h in ("信仰的力量", "平凡中的伟大"):
        blocks += [Block("heading", h, 3), para(P), para(P)]
    assert shape(blocks, "读后感精选2篇") == ("heading_subtitles", [("信仰的力量", 2), ("平凡中的伟大", 2)])
    # a news article with section headings stays one article
    assert shape(blocks, "Storm hits the coast")[0] == "single"


def test_outline_marks_are_not_splits() -> None:
    blocks = [para("一、提高认识"), para(P), para("（一）加强学习"), para(P), para("1.完善制度"), para(P), para("【主要工作】"), para(P)]
    assert shape(blocks, "工作总结") == ("single", [("工作总结", 8)])


def test_ordinals_out_of_sequence_keep_the_page_whole() -> None:
    blocks = [para("工作总结篇二"), para(P), para("工作总结篇一"), para(P), para("工作总结篇三"), para(P)]
    assert shape(blocks, "工作总结") == ("single", [("工作总结", 6)])
    restarting = [para("Meal 1"), para(P), para("Meal 2"), para(P), para("Meal 1"), para(P), para("Meal 2"), para(P)]
    assert shape(restarting, "Meal Prep for A Little More Obsessed")[0] == "single"


def test_tiny_sections_mean_no_split() -> None:
    blocks = [para("金锺国"), para(P), para("金锺国"), para("歌手"), para("金锺国"), para(P)]
    assert shape(blocks, "金锺国") == ("single", [("金锺国", 6)])


def test_heading_that_does_not_resemble_title_is_no_split() -> None:
    blocks = [para("春天来了篇一"), para(P), para("春天来了篇二"), para(P)]
    assert shape(blocks, "工作总结")[0] == "single"


def test_count_claim_checked_and_paywall_incomplete() -> None:
    blocks = (para("个人述职报告篇一"), para(P), para("个人述职报告篇二"), para(P), para("个人述职报告篇三"), para(P))
    result = normalize(Page(url="u", title="个人述职报告(通用6篇)", blocks=blocks))
    assert (len(result.essays), result.expected_count) == (3, 6)
    assert result.incomplete == "title claims 6 essays, the page shows 3"
    assert [e.title for e in result.essays] == ["个人述职报告"] * 3


def test_page_without_text_gives_no_essay_and_a_reason() -> None:
    from pipeline.extract.chrome import clean_blocks

    blocks, _ = clean_blocks([para("下一篇：没有了")])
    result = normalize(Page(url="u", title="t", blocks=tuple(blocks)))
    assert result.essays == ()
    assert result.page.error == "no essay text on the page"


def test_single_essay_stays_one_and_preface_is_summary() -> None:
    from pipeline.extract.chrome import clean_blocks

    blocks, _ = clean_blocks([para("先锋模范作用是党员先进性的体现。下面是优文网为大家整理的发挥党员作用，供大家参考选择。"), para("发挥党员作用"), para(P)])
    result = normalize(Page(url="u", title="发挥党员作用", blocks=tuple(blocks)))
    assert [(e.position, e.title, e.text) for e in result.essays] == [(1, "发挥党员作用", P)]
    assert result.page.summary == "先锋模范作用是党员先进性的体现。"


def test_lead_paragraph_of_a_single_essay_is_the_summary() -> None:
    from pipeline.extract.chrome import clean_blocks

    blocks, removed = clean_blocks([para("教师培训是提升素养的途径。以下是小编整理的教师培训心得，欢迎阅读。"), para(P), para(P)])
    assert [b.kind for b in blocks] == ["lead", "paragraph", "paragraph"]
    result = normalize(Page(url="u", title="教师培训心得", blocks=tuple(blocks)))
    assert result.page.summary == "教师培训是提升素养的途径。"
    assert [e.text for e in result.essays] == [P + "\n" + P]


def test_subtitle_on_the_line_under_a_bare_marker() -> None:
    blocks = []
    for n, sub in (("一", "我的理想"), ("二", "理想的力量")):
        blocks += [Block("paragraph", f"范文{n}", bold=True), Block("paragraph", sub, bold=True), para(P), para(P)]
    assert shape(blocks, "理想作文范文") == ("fanwen_n", [("我的理想", 2), ("理想的力量", 2)])
    # a plain first line (or a salutation) under the marker stays essay text
    # a marker with the title on its line keeps the title; the bold line under it is a section of the essay
    titled = []
    for n in "一二":
        titled += [para(f"【篇{n}】工作总结"), Block("paragraph", "一年来的工作回顾", bold=True), para(P)]
    assert shape(titled, "工作总结") == ("bracket_pian", [("工作总结", 2), ("工作总结", 2)])
    plain = [para("范文一"), para("尊敬的各位领导："), para(P), para("范文二"), para("大家好"), para(P)]
    assert shape(plain, "演讲稿范文") == ("fanwen_n", [("演讲稿范文", 2), ("演讲稿范文", 2)])


@pytest.mark.parametrize(
    ("headings", "title", "count", "form"),
    [
        (["感恩父母演讲稿之一", "感恩父母演讲稿之二", "感恩父母演讲稿之三"], "感恩父母演讲稿", 3, "sibling_numbers"),
        (["感恩父母演讲稿 一", "感恩父母演讲稿 二"], "感恩父母演讲稿", 2, "sibling_numbers"),
        (["感恩父母演讲稿 其一", "感恩父母演讲稿 其二"], "感恩父母演讲稿", 2, "sibling_numbers"),
        (["①感恩父母演讲稿", "②感恩父母演讲稿"], "感恩父母演讲稿", 2, "sibling_numbers"),
        (["小学三年级日记 其一", "小学三年级日记 其二"], "", 2, "sibling_numbers"),  # no title; two numbers, one constant
        (["作品 1", "作品 2", "作品 3"], "秋天的作文（精选3篇）", 3, "sibling_numbers"),  # the page promises several
    ],
)
def test_sibling_headings_that_differ_only_by_a_number(headings: list[str], title: str, count: int, form: str) -> None:
    blocks = [para("以下是小编整理的资料。")]
    for h in headings:
        blocks += [para(h), para(P), para(P)]
    s = split_blocks(blocks, title)
    assert (s.form, [len(sec.paragraphs) for sec in s.sections], s.preface) == (form, [2] * count, ["以下是小编整理的资料。"])


@pytest.mark.parametrize(
    ("headings", "title"),
    [
        (["一、加强学习", "二、完善制度", "三、改进作风"], "工作总结"),  # an outline: the lines differ beyond the number
        (["步骤1", "步骤2", "步骤3"], "红烧肉的做法大全"),  # same shape, but neither the title's stem nor a claimed count
        (["步骤1：切肉", "步骤2：焯水", "步骤3：炖煮"], "红烧肉的做法大全"),
        (["作品1", "作品2", "作品3"], "秋天的作文（精选2篇）"),  # more than the title claims
        (["感恩父母演讲稿之二", "感恩父母演讲稿之一"], "感恩父母演讲稿"),  # numbers out of order
    ],
)
def test_sibling_numbers_that_are_no_essay_headings(headings: list[str], title: str) -> None:
    blocks = [para("以下是小编整理的资料。")]
    for h in headings:
        blocks += [para(h), para(P)]
    assert len(split_blocks(blocks, title).sections) == 1


def test_shape_of_a_line() -> None:
    from pipeline.normalize.split import shape_of

    assert shape_of("1.小学三年级日记 篇一") == ("#.小学#年级日记篇#", (1, 3, 1))
    assert shape_of("祝福观后感800字【2】") == ("祝福观后感800字【#】", (2,))


def test_labelled_numbers_with_own_subtitles_on_a_promised_page() -> None:
    blocks = [para("以下是小编整理的资料。")]
    for h in ("作文一：当一名医生", "作文二：做一名老师", "作文三：成为科学家"):
        blocks += [para(h), para(P)]
    assert shape(blocks, "我的梦想作文（精选3篇）") == ("labelled_numbers", [("当一名医生", 1), ("做一名老师", 1), ("成为科学家", 1)])
    # the same lines on a page that promises no set are steps or sections of one piece
    assert shape(blocks, "我的梦想")[0] == "single"
    # an outline has no label before its numbers
    outline = [para("一、加强学习"), para(P), para("二、完善制度"), para(P)]
    assert shape(outline, "工作总结（精选2篇）")[0] == "single"


def test_plain_essay_titles_only_when_their_number_is_the_claimed_count() -> None:
    blocks = []
    for h in ("我的妈妈", "我的爸爸", "我的老师"):
        blocks += [para(h), para(P)]
    assert shape(blocks, "写人的作文（精选3篇）") == ("claimed_subtitles", [("我的妈妈", 1), ("我的爸爸", 1), ("我的老师", 1)])
    assert shape(blocks, "写人的作文（精选4篇）")[0] == "single"  # three lines for a claim of four: no split
    assert shape(blocks, "写人的作文")[0] == "single"  # no claim
