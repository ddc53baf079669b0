"""The text front end on page dumps of many shapes (pages written for these tests, not copied):
the title by repetition and position, trails by shape, meta and field lines, lists, footers,
paywall markers, headings run into text and pages without line breaks."""

from __future__ import annotations

import pytest

from pipeline.extract.breadcrumbs import from_text, text_trail
from pipeline.extract.plaintext import extract_text
from pipeline.normalize import normalize

PAGES: dict[str, str] = {
    "label_after_site_and_related_list": """美文阅读网
位置:首页 > 散文 > 抒情散文
秋天的银杏树
作者:林小溪 人气:1203 更新:2021-10-09
每年秋天，学校门口的银杏树都会变成一片金黄。风吹过的时候，叶子像小扇子一样飘下来，落在同学们的肩头。
我最喜欢在放学后站在树下，看夕阳把每一片叶子都照得发亮，整个世界都安静了下来。
相关文章
冬天的雪人 12-01
春天的风筝 11-28
夏天的蝉鸣 11-20""",
    "nav_label_and_guillemet_trail": """栏目导航
首页 » 诗歌 » 现代诗
致远方的朋友
2020-05-06 现代诗
朋友，你在远方还好吗？
我常常想起我们一起走过的那条小路，路边开满了不知名的野花，我们一边走一边唱歌，唱到太阳落山。""",
    "home_glued_to_current": """首页正文
竞选班长的演讲稿
发布时间:2022-09-01 来源:网络
尊敬的老师、亲爱的同学们：
大家好！我今天竞选的职位是班长。我相信自己有能力、有信心把这份工作做好，为大家服务。
请大家投我一票，谢谢大家！""",
    "trail_ending_in_title": """当前位置:范文吧›工作总结›年终总结›个人年终工作总结
个人年终工作总结
时间:2023-01-05
一年来，在领导的关心和同事们的帮助下，我认真完成了各项工作任务，在思想和业务上都有了新的提高。
一、加强学习，提高素质
我坚持学习业务知识，参加了单位组织的各项培训，不断提高自己的工作能力和服务水平。""",
    "headings_run_into_salutation_and_paywall": """家长会发言稿(通用3篇)
下面是小编整理的家长会发言稿，欢迎阅读参考。……此处隐藏1520个字……
家长会发言稿1各位家长朋友们：大家好！首先感谢各位家长在百忙之中抽出时间来参加这次家长会，这说明大家都非常关心孩子的学习和成长。
孩子的成长离不开学校，更离不开家庭。希望各位家长多和孩子沟通，多关心孩子的学习和生活。
家长会发言稿2尊敬的各位家长：大家晚上好！我是孩子们的班主任，很高兴在这里和大家见面。这学期孩子们进步很大，这离不开各位家长的配合和支持。""",
    "traditional_diary_set_with_label_after_site": """作文網
位置：首頁>作文>日記>三年級日記正文
三年級日記(精選3篇)
三年級日記 篇一
10月1日 星期五 晴
今天是國慶節，爸爸媽媽帶我去公園玩。公園裡人山人海，到處都掛著紅旗，大家都在慶祝祖國的生日。
三年級日記 篇二
10月2日 星期六 多雲
今天我在家裡幫媽媽做家務。我先把自己的房間整理乾淨，然後幫媽媽洗碗、擦桌子。媽媽誇我長大了。""",
    "question_and_best_answer": """怎样写好一副春联？
提问者:小明同学 2019-02-01
最佳答案
春联要讲究对仗工整，上联和下联的字数要相等，词性要相对，平仄要协调。
例如：上联：春回大地千山秀，下联：日照神州万木荣，横批：万象更新。""",
    "category_line_and_counter": """作文載體觀後感
看《長江之歌》有感
本文已影響 2.3W 人
前幾天，老師帶我們觀看了紀錄片《長江之歌》。影片用一幅幅壯美的畫面，向我們展示了長江從雪山走向大海的漫長旅程。
看《長江之歌》有感
長江是我們的母親河，她哺育了兩岸一代又一代的人民。看完影片，我下定決心，一定要好好學習，將來為保護長江貢獻自己的一份力量。""",
    "wiki_toolbars_and_fields": """登录 注册 帮助
编辑 历史 讨论
请假条的格式
收录于:生活百科 贡献者:小王 浏览量:5623
请假条是因故不能参加学习、工作或者活动时向有关负责人请假的一种书信，一般由标题、称谓、正文、结尾和落款组成。
标题一般写“请假条”三个字，位于第一行的中间。称谓顶格写，后面加冒号。""",
    "poem_with_site_blurb": """春天的歌
作者：山间清风 浏览：356次 2018-03-21
春风吹绿了柳梢，
燕子衔来了新泥，
小河唱着歌儿，
奔向远方的田野。
诗词频道提供古诗词、现代诗歌在线阅读，是诗歌爱好者交流学习的园地。""",
    "one_essay_of_a_set_per_page": """六一儿童节家长发言稿 篇三
2023-05-30 来源:网友投稿
尊敬的各位老师、亲爱的家长朋友们、可爱的孩子们：
大家好！今天是孩子们的节日，我很荣幸作为家长代表在这里发言。首先，我代表全体家长向辛勤工作的老师们表示衷心的感谢！
最后，祝孩子们节日快乐，健康成长！""",
    "banner_title_twice_and_bracket_headings": """欢迎访问本站，免费下载海量范文，点击这里立即注册会员！
博文网 位置:首页>文学>诗歌
祖国颂(精选2篇)
分类:诗歌 人气:3562
祖国颂(精选2篇)
【篇一】
我爱你，祖国的高山，巍峨挺拔直入云端；我爱你，祖国的大河，奔腾不息流向海洋。你的每一寸土地，都写满了勤劳和智慧。
【篇二】
五星红旗迎风飘扬，我们的心和它一起飞翔。从黄河到长江，从草原到海洋，每一个角落都有我们的歌唱，每一张笑脸都洋溢着幸福的光芒。
小编精心推荐
爱国诗歌 | 抒情诗歌 | 现代诗歌 | 儿童诗歌""",
    "bulleted_fields_and_footer": """当前位置:首页 > 校园新闻 > 通知公告
关于举办读书节活动的通知
  • 2024/4/2 09:15:00
  • 类型:原创
  • 来源:教务处
  • 审稿人:张老师
为营造浓厚的读书氛围，学校决定于四月举办第五届读书节活动，现将有关事项通知如下。
一、活动时间：四月八日至四月三十日。
二、活动内容：好书推荐、读书笔记评比、诵读比赛等，请各班级认真组织，积极参与。
本文标题:关于举办读书节活动的通知
分享到: 更多
热点推荐""",
    "profile_sidebar_and_bracketed_time": """加载中…
个人资料
  • 空间等级:
  • 空间积分:
  • 访客数量:
  • 粉丝人数:
我的第一篇日志
(2021-06-01 20:12:30)
今天是我开通空间的第一天，心里有说不出的高兴。我打算在这里记录自己的学习和生活，写下每天的所见所闻，也和朋友们分享我的快乐。
希望以后的每一天都能坚持写下去，让这里成为我成长的见证。""",
    "trail_over_two_lines": """当前位置
首页 > 作文大全 > 六年级作文 > 难忘的一天
难忘的一天
推荐人: 来源: 阅读: 1.2W 次
那天早上，天空下着小雨，我撑着伞去参加学校的运动会。虽然天气不好，可同学们的热情一点也没有减少。
我参加的是八百米长跑。发令枪一响，我就冲了出去，最后一圈时我的腿像灌了铅一样沉，但我咬紧牙关坚持跑到了终点。""",
    "trail_wrapped_at_a_separator": """当前位置:首页 > 范文大全 >
演讲稿 > 国旗下讲话 >
珍惜时间的国旗下讲话
发布日期:2021-03-15
老师们、同学们：
时间是世界上最宝贵的财富。一寸光阴一寸金，寸金难买寸光阴，我们每个人都应该珍惜时间，努力学习。""",
    "english_dateline_with_a_comma": """Home » Blog » Travel
Three Days in Lisbon
Posted on March 3, 2022 by Anna Berg
Lisbon is a city of hills, trams and tiled facades. We arrived on a rainy Friday and spent the first afternoon walking through Alfama.
On the second day we took the old tram up to the castle, and the view over the red roofs was worth every minute of the queue.""",
    "no_line_breaks": "校园安全调查报告通用近年来，校园安全问题越来越受到社会的关注，为了解学校的安全现状，我们开展了这次调查。"
                      "以下是本站为大家整理的报告，供大家参考。校园安全调查报告通用【第一篇】为了全面了解我校学生的安全意识，"
                      "我们向全校三个年级发放了问卷五百份，收回有效问卷四百八十份。"
                      + "调查发现，大多数同学能够遵守交通规则，但仍有少数同学在上下学途中追逐打闹，存在一定的安全隐患。" * 3,
}

EXPECTED: dict[str, tuple[str, str, list[str], int]] = {  # title, date, trail, essays
    "label_after_site_and_related_list": ("秋天的银杏树", "2021-10-09", ["散文", "抒情散文"], 1),
    "nav_label_and_guillemet_trail": ("致远方的朋友", "2020-05-06", ["诗歌", "现代诗"], 1),
    "home_glued_to_current": ("竞选班长的演讲稿", "2022-09-01", [], 1),
    "trail_ending_in_title": ("个人年终工作总结", "2023-01-05", ["范文吧", "工作总结", "年终总结"], 1),
    "headings_run_into_salutation_and_paywall": ("家长会发言稿(通用3篇)", "", [], 2),
    "traditional_diary_set_with_label_after_site": ("三年級日記(精選3篇)", "", ["作文", "日記"], 2),
    "question_and_best_answer": ("怎样写好一副春联？", "2019-02-01", [], 1),
    "category_line_and_counter": ("看《長江之歌》有感", "", ["作文載體觀後感"], 1),
    "wiki_toolbars_and_fields": ("请假条的格式", "", [], 1),
    "poem_with_site_blurb": ("春天的歌", "2018-03-21", [], 1),
    "one_essay_of_a_set_per_page": ("六一儿童节家长发言稿 篇三", "2023-05-30", [], 1),
    "banner_title_twice_and_bracket_headings": ("祖国颂(精选2篇)", "", ["文学", "诗歌"], 2),
    "no_line_breaks": ("校园安全调查报告通用", "", [], 1),
    "english_dateline_with_a_comma": ("Three Days in Lisbon", "2022-03-03", ["Blog", "Travel"], 1),
    "trail_over_two_lines": ("难忘的一天", "", ["作文大全", "六年级作文"], 1),
    "trail_wrapped_at_a_separator": ("珍惜时间的国旗下讲话", "2021-03-15", ["范文大全", "演讲稿", "国旗下讲话"], 1),
    "bulleted_fields_and_footer": ("关于举办读书节活动的通知", "2024-04-02", ["校园新闻", "通知公告"], 1),
    "profile_sidebar_and_bracketed_time": ("我的第一篇日志", "2021-06-01", [], 1),
}

CHROME: dict[str, list[str]] = {
    "label_after_site_and_related_list": ["美文阅读网", "作者:林小溪", "相关文章", "冬天的雪人", "夏天的蝉鸣"],
    "nav_label_and_guillemet_trail": ["栏目导航", "首页", "现代诗"],
    "home_glued_to_current": ["首页正文", "发布时间"],
    "headings_run_into_salutation_and_paywall": ["此处隐藏", "小编整理", "家长会发言稿1"],
    "traditional_diary_set_with_label_after_site": ["作文網", "位置"],
    "question_and_best_answer": ["提问者", "最佳答案"],
    "category_line_and_counter": ["作文載體", "本文已影響"],
    "wiki_toolbars_and_fields": ["登录", "编辑 历史", "收录于", "浏览量"],
    "poem_with_site_blurb": ["山间清风", "诗词频道提供"],
    "one_essay_of_a_set_per_page": ["来源", "2023-05-30"],
    "banner_title_twice_and_bracket_headings": ["欢迎访问", "博文网", "人气", "小编精心推荐", "抒情诗歌"],
    "no_line_breaks": ["本站为大家整理", "供大家参考"],
    "english_dateline_with_a_comma": ["Posted on", "Anna Berg", "Home"],
    "trail_over_two_lines": ["当前位置", "作文大全", "推荐人", "阅读"],
    "trail_wrapped_at_a_separator": ["范文大全", "国旗下讲话 >", "发布日期"],
    "bulleted_fields_and_footer": ["2024/4/2", "类型", "教务处", "审稿人", "本文标题", "分享到", "热点推荐"],
    "profile_sidebar_and_bracketed_time": ["加载中", "个人资料", "空间等级", "粉丝人数", "2021-06-01"],
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_text_page_shapes(name: str) -> None:
    result = normalize(extract_text(PAGES[name]))
    page = result.page
    title, date, trail, count = EXPECTED[name]
    assert (page.title, page.published, list(page.breadcrumb), len(result.essays)) == (title, date, trail, count)
    joined = "\n".join(e.text for e in result.essays)
    for chrome in CHROME.get(name, []):
        assert chrome not in joined, chrome


def test_essays_of_headings_run_into_text() -> None:
    result = normalize(extract_text(PAGES["headings_run_into_salutation_and_paywall"]))
    assert [e.title for e in result.essays] == ["家长会发言稿", "家长会发言稿"]
    assert [e.text.split("\n")[0][:12] for e in result.essays] == ["各位家长朋友们：大家好！", "尊敬的各位家长：大家晚上"]


def test_headings_that_shorten_the_title_run_into_salutations() -> None:
    text = """家长会发言稿范文
家长会发言稿范文
下面是小编整理的家长会发言稿范文，欢迎阅读。
家长会发言稿1尊敬的各位家长：大家好！首先感谢各位家长在百忙之中抽出时间来参加这次家长会，这说明大家都非常关心孩子的学习和成长。
孩子的成长离不开学校，更离不开家庭。希望各位家长多和孩子沟通，多关心孩子的学习和生活。
家长会发言稿2各位家长朋友们：晚上好！我是孩子们的班主任，很高兴在这里和大家见面。这学期孩子们进步很大，离不开各位家长的配合和支持。"""
    result = normalize(extract_text(text))
    assert (result.split_form, [e.text[:8] for e in result.essays]) == ("title_number", ["尊敬的各位家长：", "各位家长朋友们："])


def test_page_without_line_breaks_gives_its_essay() -> None:
    result = normalize(extract_text(PAGES["no_line_breaks"]))
    assert result.essays[0].text.startswith("为了全面了解我校学生的安全意识")
    assert result.page.summary.startswith("近年来，校园安全问题越来越受到社会的关注")


def test_poem_keeps_its_short_lines() -> None:
    result = normalize(extract_text(PAGES["poem_with_site_blurb"]))
    assert result.essays[0].text == "春风吹绿了柳梢，\n燕子衔来了新泥，\n小河唱着歌儿，\n奔向远方的田野。"


@pytest.mark.parametrize(
    ("line", "items"),
    [
        ("您当前的位置:读书频道 > 读后感 >", ["读书频道", "读后感"]),
        ("您的当前位置:主页 > 朗诵 > 稿件 >", ["朗诵", "稿件"]),
        ("资料大全 > 学习 > 小学 > 五年级", ["资料大全", "学习", "小学", "五年级"]),
        ("首页 优秀范文 请假条写法", ["优秀范文", "请假条写法"]),
        ("专题研究 首页 > 专题研究", ["专题研究"]),
        ("当前位置", []),
        ("首页正文", []),
        ("首页 作文 范文 诗歌 散文 日记 读后感", None),  # a menu, not a trail
        ("首页 | 作文 | 范文", None),
        ("我们要找准自己的位置：脚踏实地", None),
        ("位置决定了一切,我们要努力。", None),
        ("春天 > 夏天，这是我的看法。", None),
    ],
)
def test_text_trail_shapes(line: str, items: list[str] | None) -> None:
    assert text_trail(line) == items


def test_trail_without_its_title_and_current_marker() -> None:
    assert from_text("首页 > 日记 > 三年级日记 > 快乐的周末正文", "快乐的周末") == ["日记", "三年级日记"]
    assert from_text("首页 > 总结 > 年终总结(精选3篇)", "年终总结(精选3篇)") == ["总结"]
    assert from_text("首页 > 作文 > 二年级 > 我最喜欢的小动物作...", "我最喜欢的小动物作文300字") == ["作文", "二年级"]


def test_letters_without_headings_split_at_a_salutation_after_a_closing() -> None:
    letter = "我是初三学生王小明。我家住在偏远的山村，父母常年务农，收入微薄，爷爷奶奶年老多病，生活十分困难，特此申请补助。"
    text = "\n".join(["补助申请书(精选3篇)", "尊敬的学校领导：", letter, "此致", "敬礼", "申请人：王小明",
                     "尊敬的村委会领导：", letter, "申请人：李华", "2023年10月8日", "尊敬的工会领导：", letter])
    result = normalize(extract_text(text))
    assert (result.split_form, len(result.essays)) == ("letters", 3)
    assert [e.text.split("\n")[0] for e in result.essays] == ["尊敬的学校领导：", "尊敬的村委会领导：", "尊敬的工会领导："]
    single = "\n".join(["补助申请书", "尊敬的学校领导：", letter, "此致", "敬礼", "尊敬的老师：", letter])
    assert len(normalize(extract_text(single)).essays) == 1


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("以上内容仅供参考，更多范文请访问本站。", ""),  # what the rules leave of a furniture line goes with it
        ("温馨提示：本文为付费内容", ""),  # a label whose value the rules took
        ("剩余80%内容，付费后查看", ""),
        ("亲爱的同学们：", "亲爱的同学们："),  # nothing removed: a salutation stays
        ("我下载全文后认真读了三遍。", "我下载全文后认真读了三遍。"),
    ],
)
def test_furniture_remnants_and_paywall_markers(line: str, kept: str) -> None:
    from pipeline.extract.chrome import clean_text

    assert clean_text(line)[0] == kept
