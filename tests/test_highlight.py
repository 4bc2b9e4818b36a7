"""Highlighting and analysis on short strings, no index needed."""

from index.text.analysis import fold, terms
from index.text.highlight import highlight


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


def test_a_phrase_with_a_stop_word_inside_is_one_span():
    pairs = {("bank", "england")}
    html = highlight("the Bank of England and the bank of Italy", set(terms("bank england")), pairs=pairs)
    assert html == "the <mark>Bank of England</mark> and the <mark>bank</mark> of Italy"


def test_without_the_phrase_the_words_stay_apart():
    html = highlight("the Bank of England", set(terms("bank england")))
    assert html == "the <mark>Bank</mark> of <mark>England</mark>"
