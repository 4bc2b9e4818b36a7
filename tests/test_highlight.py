"""Highlighting and analysis on short strings, no index needed."""

from index.analysis import fold, terms
from index.highlight import highlight


def test_accent_folding_matches_both_spellings():
    assert terms("Erdoğan") == terms("Erdogan") == ["erdogan"]
    assert fold("  Erdoğan ") == "erdogan"


def test_stemming_and_stop_words():
    assert terms("The monitoring centres") == ["monitor", "centr"]


def test_highlight_escapes_everything_but_marks():
    html = highlight('Erdoğan said <script>alert(1)</script> & "more"', {"erdogan", "alert"})
    assert html == '<mark>Erdoğan</mark> said &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; "more"'


def test_adjacent_matches_form_one_span_and_stop_words_are_not_marked():
    html = highlight("a joint centre in the region", set(terms("joint centre the")))
    assert html == "a <mark>joint centre</mark> in the region"
