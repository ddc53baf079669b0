"""Recall of the generic HTML path: article text that sits outside the block the content choice
picks (a lead in the article's header, ...) is joined, and what only looks like it is not."""

from __future__ import annotations

from pathlib import Path

from pipeline.jobs.process import process
from pipeline.rules import regex

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recall"


def essays(name: str) -> list[str]:
    result = process((FIXTURES / name).read_text(encoding="utf-8"), "http://example.org/a.html")
    return [e.text for e in result.essays]


def test_subtitle_and_lead_in_the_article_header_are_joined_before_the_body_without_byline_or_caption() -> None:
    assert essays("head-lead.html") == ["\n".join((
        "New timetable and lower fares for the first month",
        "The three old ferries are back on the water, with a new timetable and lower fares for the first month.",
        "The harbour authority said on Monday that the ferries had passed their spring inspection without a single fault,"
        " which had not happened in years.",
        "Crews spent the winter months repainting the hulls and replacing the engines of the smallest boat, which now runs"
        " twice as quietly as before.",
        "Passengers will be able to buy tickets on board again, after a year in which only the kiosk at the pier sold them,"
        " to the annoyance of many.",
        "The first crossing leaves at seven in the morning and the last one at nine in the evening, every day of the week"
        " until the end of October.",
    ))]


def test_caption_hint_takes_caption_and_credit_classes_only() -> None:
    pattern = regex("html", "caption_hint")
    for value in ("wp-caption-text", "caption-text-block", "img caption", "photo-credit", "credit", "bildunterschrift"):
        assert pattern.search(value), value
    for value in ("article-lead", "standfirst", "teaser", "summary"):
        assert not pattern.search(value), value


def test_plain_line_before_a_closing_link_block_is_its_label_not_content() -> None:
    assert essays("tail-label.html") == ["\n".join((
        "After four years without them, the night trains return to the northern line this spring, with sleeper cars that"
        " were rebuilt in the old depot.",
        "The operator expects most of the passengers to be families and hikers, who can reach the mountain villages before"
        " breakfast.",
        "Tickets go on sale next week; a bed in a shared cabin costs about as much as a night in a small hotel.",
    ))]


def test_label_of_a_dropped_list_of_links_goes_with_it() -> None:
    assert essays("list-label.html") == ["\n".join((
        "From the first of May the town library will open on Sundays, from ten in the morning until four in the afternoon.",
        "The longer hours are paid for by a grant from the county, which wants more people to use the reading rooms.",
        "Volunteers will run the café on the ground floor, and the staff hope to add a small exhibition space by the autumn.",
    ))]


def test_json_ld_article_body_several_times_longer_than_the_page_text_is_taken() -> None:
    assert essays("ld-body.html") == ["\n".join((
        "The river rose above its banks in March and again in October, the first time in a century that it flooded twice"
        " in one year.",
        "Hydrologists point to the wet spring, which left the ground soaked, and to an autumn storm that stalled over the"
        " valley for three days.",
        "The town has since cleared the old drainage channels and plans to raise the embankment along the park by half a"
        " metre.",
        "Residents of the lower streets can ask for sandbags at the fire station, which keeps a stock of two thousand for"
        " the winter.",
    ))]


def test_json_ld_article_body_not_much_longer_than_the_page_text_is_not_taken() -> None:
    page = (FIXTURES / "ld-body.html").read_text(encoding="utf-8")
    shown = ("<p>Hydrologists point to the wet spring, which left the ground soaked, and to an autumn storm.</p>"
             "<p>The town has since cleared the old drainage channels along the park.</p>")
    page = page.replace('<p class="more">Loading the rest of the article…</p>', shown)
    result = process(page, "http://example.org/a.html")
    assert [e.text for e in result.essays] == ["\n".join((
        "The river rose above its banks in March and again in October, the first time in a century that it flooded twice"
        " in one year.",
        "Hydrologists point to the wet spring, which left the ground soaked, and to an autumn storm.",
        "The town has since cleared the old drainage channels along the park.",
    ))]


def test_figures_and_captions_inside_the_body_are_left_out() -> None:
    result = process((FIXTURES / "body-captions.html").read_text(encoding="utf-8"), "http://example.org/a.html")
    assert [e.text for e in result.essays] == ["\n".join((
        "The roof of the old mill by the weir has been replaced, two years after a storm tore away a third of its tiles.",
        "Carpenters used oak from the estate's own woods for the beams, cut and dried on site over the winter months.",
        "The mill will open to visitors again in June, with a small museum on the first floor and a café by the water.",
    ))]
    assert [r.text for r in result.page.removed if r.rule == "caption"] == [
        "The mill seen from the weir in May.", "Fresh beams stacked in the yard. Photo: Estate archive", "Photo: J. Miller"]


def test_a_caption_class_on_most_of_the_text_does_not_drop_it() -> None:
    paras = "".join(f"<p>Paragraph {n} of a gallery page, whose whole story sits in one caption box.</p>" for n in range(1, 5))
    page = f"<html><body><div class='entry'><div class='gallery-caption'>{paras}</div></div></body></html>"
    assert [e.text for e in process(page, "http://example.org/g.html").essays] == [
        "\n".join(f"Paragraph {n} of a gallery page, whose whole story sits in one caption box." for n in range(1, 5))]


def test_prose_on_both_sides_of_a_table_of_links_is_kept_with_the_table() -> None:
    names = ("Alpine Two", "Ridge Light", "Fjord 2P", "Summit Dome", "Valley Pro", "Coast Tunnel", "Moor Classic")
    results = ("dry", "damp", "dry", "wet", "dry", "damp", "wet")
    rows = [line for name, result in zip(names, results, strict=True) for line in (f"{name} two-person tent with porch", result)]
    assert essays("table-split.html") == ["\n".join((
        "We pitched seven two-person tents on a wet hillside for a week, and checked every morning which of them had"
        " stayed dry inside.",
        *rows,
        "The tents that stayed dry all had a separate flysheet that reached the ground, and seams taped on the inside.",
        "Both tents that let water in had been pitched exactly as their instructions said, which points at the fabric"
        " rather than at us.",
        "Prices ranged from ninety to four hundred euros, and the cheapest dry tent was the Fjord, which also packed the"
        " smallest.",
    ))]


def test_spread_joins_a_second_run_of_prose_that_scores_enough() -> None:
    from pipeline.extract.trim import spread

    scores = [130, -30, 0, -30, 0, -30, 0, -30, 0, 110, 120, 125, -40, 20]
    assert spread(scores, 9, 12, 0.3) == (0, 12)  # 130 >= 0.3 * 355; the 20 after the link block is too little
    assert spread(scores, 9, 12, 0.5) == (9, 12)
    assert spread([-5, -5], 0, 2, 0.3) == (0, 2)


def test_an_article_kept_in_an_aside_is_found_on_a_second_try_rather_than_nothing() -> None:
    assert essays("aside-article.html") == ["\n".join((
        "The regional book prize goes this year to a first novel, a story of two sisters who run a ferry across a northern"
        " lake.",
        "The jury praised the book's quiet tone and its long chapters set in winter, when the lake freezes and the ferry"
        " stops.",
    ))]


def test_the_intro_before_the_one_heading_of_an_html_article_is_essay_text_not_its_summary() -> None:
    page = (FIXTURES / "intro-heading.html").read_text(encoding="utf-8")
    intro = "Apples keep for months if they are picked at the right time and stored somewhere cool, dark and a little damp."
    body = ("Pick the fruit by hand on a dry day and set aside every apple with a bruise, a crack or a missing stalk for"
            " eating first.",
            "Wrap the rest one by one in newspaper and lay them in shallow crates, so that no apple touches the next one.")
    result = process(page, "http://example.org/a.html")
    assert [e.text for e in result.essays] == ["\n".join((intro, *body))]
    assert result.page.summary == "A short guide to keeping apples fresh until spring."
    # the same lines as a text dump: the line before the heading stays the page's preface (its summary)
    dump = process("\n".join(("How to store apples through the winter", intro, "How to store apples through the winter", *body)))
    assert ([e.text for e in dump.essays], dump.page.summary, dump.page.markup) == (["\n".join(body)], intro, False)


def test_a_bold_sentence_closing_the_article_is_a_note_and_bold_plain_lines_stay() -> None:
    result = process((FIXTURES / "closing-note.html").read_text(encoding="utf-8"), "http://example.org/a.html")
    assert [e.text for e in result.essays] == ["\n".join((
        "After sixty years the old lamp of the lighthouse on the point has been replaced by a modern one that uses a tenth"
        " of the power.",
        "The keepers' association raised half of the money at a summer fair, and the harbour board paid the rest of the"
        " bill.",
        "The new lamp will be lit for the first time on Saturday evening, when the association invites everyone to the"
        " point.",
        "Lighthouse open day",
        "Saturday 14 June | from 6 pm",
    ))]
    assert [r.text for r in result.page.removed if r.rule == "note"] == [
        "Follow the Coastal Daily on the radio every Sunday at noon, and tell us your stories."]


def test_a_label_ending_in_a_colon_goes_with_the_link_set_into_the_text_under_it() -> None:
    page = (FIXTURES / "list-label.html").read_text(encoding="utf-8").replace(
        """<ul><li><a href="/t/1">Reading club for teenagers starts</a></li><li><a href="/t/2">New books in the children's corner</a></li></ul>""",
        """<p><a href="/t/1">Reading club for teenagers starts in the autumn</a></p>""")
    assert [e.text for e in process(page, "http://example.org/a.html").essays] == ["\n".join((
        "From the first of May the town library will open on Sundays, from ten in the morning until four in the afternoon.",
        "The longer hours are paid for by a grant from the county, which wants more people to use the reading rooms.",
        "Volunteers will run the café on the ground floor, and the staff hope to add a small exhibition space by the autumn.",
    ))]
