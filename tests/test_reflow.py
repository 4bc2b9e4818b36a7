"""Hard-wrapped text is reflowed into paragraphs at ingest, and passages never cut a sentence."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from config.settings import Settings
from index import InvalidArticle, article_from_record, read_articles
from index.ingest.outlets import load_outlets
from index.ingest.passages import split_passages
from index.ingest.reflow import reflow

from conftest import SEEDS, SHARED

OUTLETS = load_outlets(Settings().outlets_file)
REUTERS = SHARED / "corpus" / "reuters21578.jsonl.gz"
SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")

WIRE = (
    "Showers continued throughout the week in\n"
    "the Bahia cocoa zone, alleviating the drought since early\n"
    "January and improving prospects for the coming temporao,\n"
    "Comissaria Smith said in its weekly review.\n"
    "    The dry period means the temporao will be late this year.\n"
    "    Arrivals for the week ended February 22 were 155,221 bags\n"
    "of 60 kilos making a cumulative total for the season of 5.93\n"
    "mln against 5.81 at the same stage last year.\n"
)


def test_reuters_style_wrapping_becomes_paragraphs():
    # Reproduction: each wrapped line was a paragraph, and a passage could end at "in".
    assert reflow(WIRE, starts_cut=True).split("\n\n") == [
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early "
        "January and improving prospects for the coming temporao, Comissaria Smith said in its weekly review.",
        "The dry period means the temporao will be late this year.",
        "Arrivals for the week ended February 22 were 155,221 bags of 60 kilos making a cumulative total for "
        "the season of 5.93 mln against 5.81 at the same stage last year.",
    ]


def test_plain_wrapped_text_keeps_blank_line_paragraphs_and_short_lines():
    text = ("The ceasefire that ended six weeks of fighting was signed by the\n"
            "leaders of Armenia and Azerbaijan, with Russia as its guarantor,\n"
            "after talks that lasted through the night in Moscow.\n"
            "\n"
            "Peacekeepers began to arrive on Wednesday, officials said, and\n"
            "the first of them reached Stepanakert before nightfall.\n"
            "Short line.\n"
            "Another paragraph begins here and is long enough to be wrapped\n"
            "at the same width as the others were.\n")
    assert reflow(text).split("\n\n") == [
        "The ceasefire that ended six weeks of fighting was signed by the leaders of Armenia and Azerbaijan, "
        "with Russia as its guarantor, after talks that lasted through the night in Moscow.",
        "Peacekeepers began to arrive on Wednesday, officials said, and the first of them reached Stepanakert "
        "before nightfall.",
        "Short line.",
        "Another paragraph begins here and is long enough to be wrapped at the same width as the others were.",
    ]


def test_tables_and_one_paragraph_a_line_text_are_left_alone():
    table = "Shr 11 cts vs 21 cts\n    Net 563,000 vs 863,00\n    Revs 28.8 mln vs 32.5 mln\n"
    assert reflow(table).split("\n\n") == ["Shr 11 cts vs 21 cts", "Net 563,000 vs 863,00", "Revs 28.8 mln vs 32.5 mln"]
    dots = " Net free reserves.............644 vs.....1,337\n Bank borrowings...............680 vs.......425\n"
    assert len(reflow(dots).split("\n\n")) == 2
    seeds = [a for a in read_articles([SEEDS], OUTLETS)]
    for article in seeds:  # saved articles are one paragraph a line: nothing is joined
        source_lines = {" ".join(line.split()) for line in
                        (SEEDS / article.origin.rsplit("/", 1)[-1]).read_text(encoding="utf-8").splitlines()}
        for paragraph in article.body.split("\n\n"):
            assert " ".join(paragraph.split()) in source_lines


def test_hyphen_at_a_line_break_is_kept_and_joined():
    text = ("The two sides agreed to extend the cease-\nfire for another month, and said they would meet\n"
            "again in Geneva after the holiday to discuss a lasting settlement.\n")
    assert "cease-fire for another month" in reflow(text)


def test_record_body_is_reflowed_and_passages_end_on_sentences():
    article = article_from_record({"id": "w", "title": "BAHIA COCOA REVIEW", "body": WIRE * 6}, OUTLETS)
    assert "\n" not in article.body.split("\n\n")[0]
    for passage in split_passages(article.body):
        assert SENTENCE_END.search(passage.text), passage.text[-80:]


@pytest.mark.slow
def test_no_passage_over_all_of_reuters_ends_mid_sentence():
    """Over all 21,578 Reuters records: a passage ends with sentence-final punctuation unless its paragraph does not."""
    checked = 0
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                article = article_from_record(json.loads(line), OUTLETS)
            except InvalidArticle:
                continue  # briefs: a headline and no body
            paragraph_ends = {" ".join(p.split())[-60:] for p in article.body.split("\n\n")}
            for passage in split_passages(article.body):
                last_paragraph = " ".join(passage.text.split("\n")[-1].split())
                assert SENTENCE_END.search(passage.text) or last_paragraph[-60:] in paragraph_ends, (
                    article.id, passage.text[-120:])
                checked += 1
    assert checked > 30_000
