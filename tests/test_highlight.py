"""Highlighting on short strings, no index needed."""

from index.text.analysis import fold, terms
from index.text.highlight import highlight, marked_spans


def test_accent_folding_matches_both_spellings():
    assert terms("Erdoğan") == terms("Erdogan") == ["erdogan"]
    assert fold("  Erdoğan ") == "erdogan"


def test_stemming_keeps_stop_words_as_terms():
    assert terms("The monitoring centres") == ["the", "monitor", "center"]


def test_highlight_escapes_everything_but_marks():
    html = highlight('Erdoğan said <script>alert(1)</script> & "more"', {"erdogan", "alert"})
    assert html == '<mark>Erdoğan</mark> said &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; "more"'


def test_adjacent_matches_form_one_span_and_stop_words_are_not_marked():
    html = highlight("a joint centre in the region", set(terms("joint centre the")))
    assert html == "a <mark>joint centre</mark> in the region"


def test_a_query_of_stop_words_only_marks_them():
    assert highlight("to be or not to be", set(terms("to be"))) == "<mark>to be</mark> or not <mark>to be</mark>"


def test_a_phrase_with_a_stop_word_inside_is_one_span():
    pairs = {("bank", "england")}
    html = highlight("the Bank of England and the bank of Italy", set(terms("bank england")), pairs=pairs)
    assert html == "the <mark>Bank of England</mark> and the <mark>bank</mark> of Italy"


def test_without_the_phrase_the_words_stay_apart():
    html = highlight("the Bank of England", set(terms("bank england")))
    assert html == "the <mark>Bank</mark> of <mark>England</mark>"


# -- every spelling is marked ---------------------------------------------------------

def test_a_variant_spelling_is_marked():
    assert highlight("the centre opened", set(terms("center"))) == "the <mark>centre</mark> opened"
    assert highlight("the center opened", set(terms("centre"))) == "the <mark>center</mark> opened"
    assert highlight("Labour's programme", set(terms("labor program"))) == "<mark>Labour's programme</mark>"


def test_a_compound_is_marked_as_one_span_in_every_spelling():
    query = set(terms("ceasefire"))
    assert highlight("a cease-fire now", query) == "a <mark>cease-fire</mark> now"
    assert highlight("a ceasefire now", set(terms("cease-fire"))) == "a <mark>ceasefire</mark> now"
    assert highlight("a cease fire now", query) == "a <mark>cease fire</mark> now"
    assert highlight("Nagorno-Karabakh", set(terms("Karabakh"))) == "Nagorno-<mark>Karabakh</mark>"


def test_us_marks_the_name_not_the_pronoun():
    html = highlight("U.S. and US officials told us", set(terms("US")))
    assert html == "<mark>U.S.</mark> and <mark>US</mark> officials told us"  # the initialism's closing dot too
    assert highlight("Talks with the U.K. ended.", set(terms("UK"))) == "Talks with the <mark>U.K.</mark> ended."
    assert highlight("Mr. Smith left.", set(terms("Smith"))) == "Mr. <mark>Smith</mark> left."


# -- phrases ------------------------------------------------------------------------------

def test_a_phrase_marks_its_occurrences_not_every_occurrence_of_its_words():
    text = "A joint centre opened. The centre is joint with Russia; the joint centre will be monitoring."
    html = highlight(text, (), phrases=[terms("joint centre")])
    assert html == ("A <mark>joint centre</mark> opened. The centre is joint with Russia; "
                    "the <mark>joint centre</mark> will be monitoring.")


def test_a_phrase_of_stop_words_is_marked_exactly():
    text = "They will be monitoring it. Monitoring will be done by the monitoring centre will be there."
    assert highlight(text, (), phrases=[terms("will be monitoring")]) == (
        "They <mark>will be monitoring</mark> it. Monitoring will be done by the monitoring centre will be there.")
    assert highlight(text, (), phrases=[terms("the monitoring centre will be")]) == (
        "They will be monitoring it. Monitoring will be done by <mark>the monitoring centre will be</mark> there.")


def test_a_phrase_across_a_compound_matches_every_spelling_as_one_span():
    phrase = [terms("cease-fire agreement")]
    for text in ("a cease-fire agreement", "a ceasefire agreement", "a cease fire agreement"):
        words = text[2:]
        assert highlight(text, (), phrases=phrase) == f"a <mark>{words}</mark>"


def test_phrases_and_single_terms_together_and_escaped():
    text = "<b>Putin</b> & the joint centre; centre"
    html = highlight(text, set(terms("putin")), phrases=[terms("joint centre")])
    assert html == "&lt;b&gt;<mark>Putin</mark>&lt;/b&gt; &amp; the <mark>joint centre</mark>; centre"


def test_a_phrase_that_is_not_there_marks_nothing():
    assert marked_spans("the centre of the joint", (), phrases=[terms("joint centre")]) == []
