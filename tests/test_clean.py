"""Cleaning keeps the text's own punctuation and script; drops invisible characters and indents."""

from __future__ import annotations

from pipeline.text.clean import clean_line, join_paragraphs, script


def test_invisible_and_indent_removed_punctuation_kept() -> None:
    assert clean_line("\u3000\u3000我们\u200b认真\ufeff学习，\u00a0取得了“好成绩”！ ") == "我们认真学习， 取得了“好成绩”！"
    assert clean_line("ＡＢＣ　全角字符保留：１２３。") == "ＡＢＣ 全角字符保留：１２３。"


def test_paragraphs_joined_by_newline_without_blank_lines() -> None:
    assert join_paragraphs(["  第一段。", "", "\u3000\u3000", "第二段。\r"]) == "第一段。\n第二段。"


def test_script_detection() -> None:
    assert script("這個學生們來說") == "hant"
    assert script("这个学生们来说") == "hans"
    assert script("Plain English text.") == ""
