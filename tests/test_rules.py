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


def test_needs_reads_the_characters_a_pattern_cannot_match_without() -> None:
    from pipeline.rules.needs import needs

    assert needs("(ab|[中文])x+") == ()  # the branch "ab" has letters only: no condition
    assert needs("(当前|位置)[:：]") == (frozenset(":："), frozenset("当位"))
    assert needs("a?中(文)?[，,]{0,3}") == (frozenset("中"),)
    assert needs("[^中]文|版") == (frozenset("文版"),)
    assert needs(r"\d{4}年") == (frozenset("年"),)
    assert needs("copyright|©") == ()


def test_needed_characters_match_only_themselves_under_ignorecase() -> None:
    # the pre-check is exact only if no other character matches a needed one case-insensitively
    import re

    from pipeline.rules.needs import needs

    needed = {ch for r in CHROME for group in needs(r.pattern.pattern) for ch in group}
    everything = "".join(chr(i) for i in range(1, 0x110000) if not 0xD800 <= i < 0xE000)
    found = set(re.findall("[" + "".join(re.escape(ch) for ch in sorted(needed)) + "]", everything, re.I))
    assert found == needed


@pytest.mark.parametrize("rule", CHROME, ids=lambda r: r.name)
def test_every_example_a_rule_takes_holds_its_needed_characters(rule: Rule) -> None:
    from pipeline.rules.needs import needs

    for example in rule.match:
        assert all(set(example) & group for group in needs(rule.pattern.pattern)), example


def test_caseless_fast_path_gives_the_case_insensitive_answers() -> None:
    import random
    import re

    from pipeline.rules import load
    from pipeline.rules.caseless import Caseless

    sources = [load("html")[k] for k in ("content_token", "drop_hint", "content_words", "hint_ignore", "hidden_class",
                                          "shown_class", "positive_hint", "negative_hint")] + [load("crumbs")["hint"]]
    sources.append(load("metadata")["script_date"])
    rng = random.Random(7)
    words = ["Share", "POST", "content", "d-None", "sr-only", "Nav", "-", "_", "12", "lg:flex", "Related", "main", "ad",
             '"PubDate":"', "2024-05-06T10:00Z", '"', "publish_time='", "2019/1/2 am'"]
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(400)] + ["İd", "ſhare", "K"]
    for source in sources:
        fast, slow = Caseless(source), re.compile(source, re.I)
        assert fast._fast is not None, source
        for text in texts:
            m = slow.search(text)
            assert fast.span(text) == (m.span() if m else None), (source, text)
            assert fast.matches(text) == bool(slow.match(text)), (source, text)
            assert fast.found_in(text, text.lower() if text.isascii() else None) == bool(m), (source, text)
            found = fast.search(text)
            assert (found.span(), found.groupdict()) == (m.span(), m.groupdict()) if m else found is None, (source, text)


def test_caseless_keeps_folding_where_lowercasing_is_not_the_same() -> None:
    from pipeline.rules.caseless import Caseless

    # a range holding uppercase letters only, an uppercase letter, a letter that folds to ASCII
    for source in ("[!-_]x", "Post", "\u212a", r"\x4b"):
        assert Caseless(source)._fast is None, source
    assert Caseless("[!-_]x").found("ax") and Caseless("\u212a").found("k")
