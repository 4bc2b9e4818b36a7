"""The analyzer on short strings: stop words, spelling variants, compounds, U.S./US, positions."""

from __future__ import annotations

import pickle

import pytest

from index.text import spelling
from index.text.analysis import STOP_WORDS, exact_analyzer, exact_terms, is_stop, terms, text_analyzer

ANALYZER = text_analyzer()


def indexed(text: str) -> list[tuple[str, int]]:
    """(term, position) of every token the index stores for `text`, alternatives included."""
    return [(t.text, t.pos) for t in ANALYZER(text, positions=True, mode="index")]


def indexed_terms(text: str) -> set[str]:
    return {term for term, _ in indexed(text)}


# -- stop words -----------------------------------------------------------------

def test_stop_words_are_kept_with_their_positions():
    tokens = [(t.text, t.pos) for t in ANALYZER("The monitoring centre will be", positions=True)]
    assert tokens == [("the", 0), ("monitor", 1), ("center", 2), ("will", 3), ("be", 4)]
    assert terms("will be monitoring") == ["will", "be", "monitor"]


def test_stop_words_are_exported_as_index_terms():
    assert isinstance(STOP_WORDS, frozenset)
    assert {"the", "will", "be", "of", "us"} <= STOP_WORDS
    assert is_stop("the") and is_stop(terms("The")[0])
    assert not is_stop("monitor") and not is_stop(terms("U.S.")[0])


# -- spelling variants ------------------------------------------------------------

@pytest.mark.parametrize("british, american", [
    ("centre", "center"), ("centres", "centers"), ("organisation", "organization"),
    ("organisations", "organizations"), ("defence", "defense"), ("programme", "program"),
    ("labour", "labor"), ("colour", "color"), ("travelled", "traveled"), ("analyse", "analyze"),
    ("licence", "license"), ("jewellery", "jewelry"), ("catalogue", "catalog"), ("centre's", "center's"),
])
def test_british_and_american_spellings_are_one_term_at_index_and_query_time(british, american):
    assert terms(british) == terms(american)  # query time, either direction
    assert indexed_terms(f"the {british} opened") == indexed_terms(f"the {american} opened")  # index time
    assert terms(british)[0] in indexed_terms(f"the {american} opened")
    assert terms(american)[0] in indexed_terms(f"the {british} opened")


def test_the_variant_list_is_the_maintained_one_not_a_handful():
    assert len(spelling.variants()) > 10_000
    readme = (spelling.DATA / "README.md").read_text(encoding="utf-8")
    assert "VarCon" in readme and "Permission to use" in readme and "WordNet 3.0 Copyright" in readme


def test_sense_specific_spellings_are_not_folded():
    # VarCon gives disc/disk and prise/prize per sense: folding them would merge different words.
    assert terms("disc") != terms("disk")
    assert terms("so") == ["so"]


def test_accents_still_fold():
    assert terms("Erdoğan") == terms("Erdogan") == ["erdogan"]
    assert terms("Erdoğan’s") == terms("Erdogan's")


# -- compounds -------------------------------------------------------------------

def main_path(text: str) -> list[tuple[str, int]]:
    """The first token at each position (alternatives left out)."""
    out = []
    for term, pos in indexed(text):
        if not out or out[-1][1] != pos:
            out.append((term, pos))
    return out


def test_a_listed_compound_is_one_position_in_every_spelling():
    hyphenated = indexed("a cease-fire now")
    assert hyphenated == [("a", 0), ("ceasefir", 1), ("ceas", 1), ("fire", 1), ("now", 2)]
    assert indexed("a cease fire now") == hyphenated  # listed open compound: joined
    assert indexed("a ceasefire now") == [("a", 0), ("ceasefir", 1), ("now", 2)]
    assert main_path("a ceasefire now") == main_path("a cease-fire now") == main_path("a Cease Fire now")


def test_a_closed_word_is_never_split():
    assert indexed("a benchmark price") == [("a", 0), ("benchmark", 1), ("price", 2)]
    assert "fire" not in indexed_terms("the ceasefire")
    assert "fire" in indexed_terms("the cease-fire")  # written apart, each part is still a word


def test_a_compound_searched_alone_is_its_closed_form_in_every_spelling():
    assert terms("cease-fire") == terms("ceasefire") == terms("cease fire") == terms("Cease-Fire") == ["ceasefir"]
    assert terms("health care") == terms("healthcare") == terms("health-care")


def test_a_phrase_across_a_compound_is_the_same_in_every_spelling():
    phrase = terms("the cease-fire agreement")
    assert phrase == ["the", "ceasefir", "agreement"] == terms("the ceasefire agreement") == terms("the cease fire agreement")
    for text in ("the cease-fire agreement", "the ceasefire agreement", "the cease fire agreement"):
        assert main_path(text) == list(zip(phrase, range(3)))


def test_any_hyphenated_word_gets_its_closed_form_without_a_list():
    assert indexed("Nagorno-Karabakh talks") == [
        ("nagorno", 0), ("nagornokarabakh", 0), ("karabakh", 1), ("talk", 2)]
    assert terms("Nagorno-Karabakh") == ["nagorno", "karabakh"]  # searched by its parts...
    assert terms("wi-fi") == ["wi", "fi"]
    assert terms("wifi")[0] in indexed_terms("free wi-fi here")  # ...and found by its closed form
    assert "karabakh" in indexed_terms("Nagorno-Karabakh")  # each part is still found alone


def test_the_closed_form_spans_the_whole_compound():
    text = "a cease-fire now"
    # Whoosh reuses one Token object: read each token as it comes.
    closed = [text[t.startchar:t.endchar] for t in ANALYZER(text, chars=True, mode="index") if t.text == "ceasefir"]
    assert closed == ["cease-fire"]


def test_numbers_and_unlisted_words_are_not_joined_or_split():
    assert indexed("1986-87 results") == [("1986", 0), ("87", 1), ("result", 2)]
    assert indexed("the therapist") == [("the", 0), ("therapist", 1)]  # not the + rapist
    assert "ceasefir" not in indexed_terms("cease, fire")  # punctuation between: not an open compound
    assert terms("F16")[0] in indexed_terms("an F-16 jet")


def test_query_mode_has_one_token_per_position():
    positions = [t.pos for t in ANALYZER("the cease-fire agreement on Nagorno-Karabakh", positions=True, mode="query")]
    assert positions == list(range(len(positions)))


# -- U.S. ------------------------------------------------------------------------

def test_us_as_a_name_is_one_term_and_the_pronoun_another():
    name = terms("U.S.")
    assert name == terms("U.S") == terms("US") == terms("u.s.") == ["u.s"]
    assert terms("us") == terms("Us") == ["us"] != name
    assert indexed("U.S. officials told us") == [("u.s", 0), ("offici", 1), ("told", 2), ("us", 3)]


def test_us_in_an_all_caps_headline_is_the_name():
    # Reuters headlines are in capitals and write the country as "US" there too
    # ("PACT WITH US SPRINT", "US DLR"); a shouted pronoun ("LET US") is read as the name.
    assert indexed("PACT WITH US SPRINT") == [("pact", 0), ("with", 1), ("u.s", 2), ("sprint", 3)]
    assert "u.s" in indexed_terms("LET US KNOW")
    assert indexed_terms("U.S. TRADE DEFICIT") == indexed_terms("US TRADE DEFICIT")


def test_other_initialisms():
    assert terms("U.K.") == terms("UK") == ["uk"]
    assert terms("a.m.") != terms("am")  # lower-case initialisms keep their dots


# -- exact words, to check a quote --------------------------------------------------

def test_exact_terms_fold_spelling_but_do_not_stem():
    assert terms("interest rates rose") == terms("interest rate rose")  # the index stems...
    assert exact_terms("interest rates rose") != exact_terms("interest rate rose")  # ...a quote check need not
    assert exact_terms("the monitoring centre") == ["the", "monitoring", "center"] == exact_terms("the monitoring center")
    assert exact_terms("cease-fire") == exact_terms("ceasefire") == ["ceasefire"]


def test_the_exact_analyzer_has_the_same_positions():
    text = "U.S. officials said the cease-fire agreements will be monitored"
    stemmed = [t.pos for t in ANALYZER(text, positions=True, mode="index")]
    exact = [t.pos for t in exact_analyzer()(text, positions=True, mode="index")]
    assert exact == stemmed


# -- Whoosh plumbing ---------------------------------------------------------------

def test_the_analyzer_pickles_small_and_equal():
    data = pickle.dumps(ANALYZER)
    assert len(data) < 500  # the word lists stay in the module, not in the index's TOC
    assert pickle.loads(data) == ANALYZER != exact_analyzer()


def test_a_prefix_term_is_folded_as_one_word():
    tokens = [t.text for t in ANALYZER("Centres", tokenize=False, mode="query")]
    assert tokens == terms("centers")


# -- end to end, through the real Index ------------------------------------------------

CORPUS = {
    "brit": ("Monitoring centre opens in Aghdam",
             "The monitoring centre will be run jointly by Turkey and Russia. "
             "The organisation said its defence programme was ready."),
    "amer": ("Monitoring center opens",
             "A monitoring center opened on Monday. Officials said they will be monitoring the line. "
             "The organization said its defense program was ready."),
    "hyphen": ("Talks on a cease-fire", "The cease-fire agreement was signed in Moscow on Tuesday."),
    "closed": ("Ceasefire holds", "The ceasefire agreement held overnight near the border."),
    "name": ("Officials in Washington", "U.S. officials met US trade negotiators on Friday."),
    "pronoun": ("A letter to the editor", "They told us nothing about the trade talks."),
    "lake": ("Scientists at the lake", "Scientists are monitoring water levels every week."),
}


@pytest.fixture(scope="module")
def variant_index(tmp_path_factory):
    import json

    from index import Index, read_articles
    from tests.conftest import make_settings

    folder = tmp_path_factory.mktemp("variants")
    records = folder / "records.jsonl"
    records.write_text("".join(json.dumps({"id": i, "title": t, "body": b}) + "\n" for i, (t, b) in CORPUS.items()),
                       encoding="utf-8")
    settings = make_settings(folder / "index", entities=False)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    report = index.ingest(read_articles([records], index.outlets))
    assert report.added == len(CORPUS), report.summary()
    yield index
    index.close()


def found(index, q: str, **kwargs):
    from index import SearchRequest
    return index.search(SearchRequest(q=q, per_page=20, **kwargs))


def ids(result) -> set[str]:
    return {h.id for h in result.hits}


@pytest.mark.parametrize("q", ["centre", "center", "organisation", "organization", "defence programme"])
def test_both_spellings_find_both_articles(variant_index, q):
    result = found(variant_index, q, match="all")
    assert ids(result) == {"brit", "amer"} and result.total == 2


def test_the_other_spelling_is_highlighted(variant_index):
    hit = next(h for h in found(variant_index, "centre").hits if h.id == "amer")
    assert "<mark>center</mark>" in hit.title_html.lower()
    assert any("<mark>center</mark>" in p.html for p in hit.passages)


@pytest.mark.parametrize("q", ["ceasefire", "cease-fire", "Cease-Fire", '"ceasefire agreement"',
                               '"cease-fire agreement"', '"the cease fire agreement"'])
def test_hyphenated_and_closed_compounds_find_each_other(variant_index, q):
    result = found(variant_index, q)
    assert ids(result) == {"hyphen", "closed"} and result.total == 2


def test_the_hyphenated_form_is_highlighted_as_one_span(variant_index):
    hit = next(h for h in found(variant_index, "ceasefire").hits if h.id == "hyphen")
    assert hit.title_html == "Talks on a <mark>cease-fire</mark>"


def test_us_finds_the_name_not_the_pronoun(variant_index):
    for q in ("US", "U.S.", "U.S"):
        assert ids(found(variant_index, q)) == {"name"}, q


@pytest.mark.parametrize("q, expected", [
    ('"will be monitoring"', {"amer"}),
    ('"the monitoring centre will be"', {"brit"}),
    ('"monitoring center"', {"brit", "amer"}),
])
def test_a_quote_of_common_words_matches_exactly(variant_index, q, expected):
    result = found(variant_index, q)
    assert ids(result) == expected and result.total == len(expected)


def test_a_quote_is_highlighted_as_one_span_and_only_where_it_occurs(variant_index):
    hit = found(variant_index, '"will be monitoring"').hits[0]
    html = " ".join(p.html for p in hit.passages)
    assert "<mark>will be monitoring</mark>" in html
    assert "<mark>monitoring</mark> center" not in html.lower()


def test_a_quote_matches_word_for_word_not_by_stem(tmp_path):
    """"interest rates rose" must not find "interest rate rose": the stems match, the words do not."""
    from conftest import make_settings
    from index import Index, SearchRequest, article_from_record
    settings = make_settings(tmp_path / "index", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": "plural", "title": "Rates", "body": "Interest rates rose in May."},
                                          index.outlets),
                      article_from_record({"id": "singular", "title": "Rate", "body": "The interest rate rose in May."},
                                          index.outlets)])
        quoted = index.search(SearchRequest(q='"interest rates rose"'))
        assert [h.id for h in quoted.hits] == ["plural"]
        assert "<mark>Interest rates rose</mark>" in quoted.hits[0].passages[0].html
        assert index.search(SearchRequest(q="interest rates rose")).total == 2  # unquoted words still stem
