"""Every rule in pipeline/rules/*.toml takes its `match` examples and leaves its `keep` examples."""

from __future__ import annotations

import pytest

from pipeline.extract.chrome import apply_rule
from pipeline.normalize.split import match_marker
from pipeline.rules import Rule, rules

CHROME = rules("chrome")


@pytest.mark.parametrize("rule", CHROME, ids=lambda r: r.name)
def test_chrome_rule_examples(rule: Rule) -> None:
    assert rule.match, f"{rule.name} has no examples"
    for example in rule.match:
        kept, gone = apply_rule(rule, example)
        assert gone, f"{rule.name} should take {example!r}"
    for example in rule.keep:
        kept, gone = apply_rule(rule, example)
        assert (kept, gone) == (example, ""), f"{rule.name} should keep {example!r}"


@pytest.mark.parametrize("rule", rules("split"), ids=lambda r: r.name)
def test_split_rule_examples(rule: Rule) -> None:
    for example in rule.match:
        core = "办公室工作总结" if "办公室" in example else example.split("篇")[0].strip("【】第 ：:0123456789一二三") or "工作总结"
        found = match_marker(example, core)
        assert found is not None and found[0] == rule.name, (example, found)
    for example in rule.keep:
        found = match_marker(example, "工作总结")
        assert found is None or found[0] != rule.name, (example, found)


def test_prefilter_never_changes_what_rules_do() -> None:
    from pipeline.extract.chrome import _remnant, clean_text

    def reference(text: str) -> str:
        original, took = text, False
        for rule in CHROME:
            if text and rule.where != "head":
                text, gone = apply_rule(rule, text)
                took = took or bool(gone)
        return "" if took and text and _remnant(text, original) else text  # what is left of a furniture line goes too

    samples = [x for r in CHROME for x in (*r.match, *r.keep)] + ["[caption id=\"1\"]A photo[/caption]", "普通的一段正文。"]
    for text in samples:
        assert clean_text(text)[0] == reference(text), text


@pytest.mark.parametrize("rule", CHROME, ids=lambda r: r.name)
def test_no_rule_starts_with_an_unbounded_run(rule: Rule) -> None:
    # `[^。]*X` or `.*X` at the start of a searched pattern retries the run from every position:
    # quadratic on a long line without X (a 7-million-character page took minutes)
    import re

    assert not re.match(r"^\(?(\?:)?(\[[^\]]*\]|\.)[*+]", rule.pattern.pattern), rule.pattern.pattern
