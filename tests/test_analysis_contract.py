"""Text analysis through a whole search, on both backends: the same words find the same articles.

index/text/analysis.py is tested on its own in test_analysis.py; here a small
archive shows that each backend indexes and searches by it alike: stop words
kept inside quotes, quotes word for word, spelling variants folded, compounds
in every spelling, U.S. forms, hyphenated words, and what the highlights mark.
"""

from __future__ import annotations

import pytest

from index import Article, SearchRequest

from conftest import BOTH

pytestmark = BOTH

ARTICLES = [
    ("rates", "Markets calm", "Interest rates rose sharply on Monday."),
    ("rate", "Bank decision", "The interest rate rose after the meeting."),
    ("centre", "Joint centre opens", "Officers will be monitoring the line from the joint centre."),
    ("center", "Joint center opens", "Drones are monitoring the line from the joint center."),
    ("hyphen", "Talks resume", "A cease-fire now holds along the line."),
    ("open", "Guns fall silent", "A cease fire now holds in the north."),
    ("closed", "Quiet night", "The ceasefire now holds in the south."),
    ("usa", "US DLR FALLS", "The U.S. dollar fell against the yen."),
    ("pronoun", "Tell us", "Readers wrote to us about the wi-fi in trains."),
    ("karabakh", "Nagorno-Karabakh talks", "Talks on Nagorno-Karabakh went on."),
]


@pytest.fixture
def archive(empty_index):
    empty_index.ingest(Article(id=i, title=t, body=b) for i, t, b in ARTICLES)
    return empty_index


def found(index, q: str, **kw) -> set[str]:
    result = index.search(SearchRequest(q=q, per_page=50, collapse=False, **kw))
    assert result.total == len(result.hits)
    return {hit.id for hit in result.hits}


def test_a_quote_matches_word_for_word(archive):
    assert found(archive, '"interest rates rose"') == {"rates"}
    assert found(archive, '"interest rate rose"') == {"rate"}
    assert found(archive, "interest rates rose", match="all") == {"rates", "rate"}


def test_stop_words_count_inside_a_quote(archive):
    assert found(archive, '"will be monitoring"') == {"centre"}
    assert found(archive, "monitoring") == {"centre", "center"}


def test_spelling_variants_are_one_word(archive):
    assert found(archive, "centre") == found(archive, "center") == {"centre", "center"}
    assert found(archive, '"joint centre"') == {"centre", "center"}


def test_a_listed_compound_is_one_word_in_every_spelling(archive):
    every = {"hyphen", "open", "closed"}
    assert found(archive, "ceasefire") == found(archive, "cease-fire") == every
    assert found(archive, "cease fire") == {"hyphen", "open"}  # two words unquoted: its parts
    assert found(archive, '"ceasefire now holds"') == every
    assert found(archive, '"cease fire now holds"') == every
    # Its parts share its position: "fire now" is found where it is written open or hyphenated.
    assert found(archive, '"fire now"') == {"hyphen", "open"}


def test_us_forms_and_the_pronoun(archive):
    assert found(archive, "U.S.") == found(archive, "US") == {"usa"}
    assert found(archive, "us") == {"pronoun"}


def test_hyphenated_words_are_found_by_their_parts_and_closed(archive):
    assert found(archive, "wifi") == found(archive, "wi-fi") == {"pronoun"}
    assert found(archive, "karabakh") == found(archive, "nagornokarabakh") == {"karabakh"}
    assert found(archive, '"nagorno karabakh talks"') == {"karabakh"}


def test_a_quote_marks_only_its_own_words(archive):
    hit = archive.search(SearchRequest(q='"interest rates rose"')).hits[0]
    assert hit.passages[0].html.startswith("<mark>Interest rates rose</mark>")
    other = archive.search(SearchRequest(q="centre")).hits
    assert {h.title_html for h in other} == {"Joint <mark>centre</mark> opens", "Joint <mark>center</mark> opens"}
    prefix = archive.search(SearchRequest(q="monitor*", collapse=False)).hits
    assert all("<mark>monitoring</mark>" in h.passages[0].html for h in prefix) and len(prefix) == 2
