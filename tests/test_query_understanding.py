"""Query understanding for news: feedback words, entity spellings, recency as an optional signal."""

from __future__ import annotations

from conftest import make_settings
from index import Index, SearchRequest, article_from_record


def test_feedback_words_are_reported_and_rank_without_finding_more(seed_index):
    plain = seed_index.search(SearchRequest(q="Kalbajar", feedback=False, mode="lexical"))
    widened = seed_index.search(SearchRequest(q="Kalbajar", mode="lexical", feedback=True))
    assert plain.total == widened.total == 2  # the words it adds rank the matches; they find nothing more
    assert not any(e.get("via") == "feedback" for e in plain.expanded)
    feedback = [e for e in widened.expanded if e.get("via") == "feedback"]
    assert len(feedback) == 1
    assert feedback[0]["term"] == "Kalbajar"
    words = feedback[0]["to"]
    assert 0 < len(words) <= 10 and "kalbajar" not in words
    assert all(w == w.lower() and len(w) > 2 for w in words)
    # highlighting marks what was asked, not what feedback added
    marked = " ".join(p.html for h in widened.hits for p in h.passages)
    assert "<mark>Kalbajar</mark>" in marked and f"<mark>{words[0]}</mark>" not in marked.lower()


def test_no_feedback_for_long_or_quoted_queries(seed_index):
    for q in ('"joint centre"', "joint monitoring centre in the region of Kalbajar", "title:ceasefire"):
        result = seed_index.search(SearchRequest(q=q, feedback=True))
        assert not any(e.get("via") == "feedback" for e in result.expanded), q


def test_feedback_in_the_api(client):
    body = client.get("/api/v1/search?q=Kalbajar&feedback=true").get_json()
    assert any(e.get("via") == "feedback" and e["to"] for e in body["expanded"])
    off = client.get("/api/v1/search?q=Kalbajar").get_json()  # off unless asked for
    assert not any(e.get("via") == "feedback" for e in off["expanded"])


def test_a_name_finds_the_entity_under_its_other_spellings(seed_index):
    result = seed_index.search(SearchRequest(q="Erdogan", mode="lexical"))
    entity = [e for e in result.expanded if e.get("via") == "entity"]
    assert entity, result.expanded
    assert any("Erdo" in name and " " in name for name in entity[0]["to"])  # the full name is among them
    assert result.total >= 1


def _dated(index, days: list[str]) -> None:
    body = "The port of Rotterdam reopened after the storm; shipping resumed on the river."
    index.ingest([article_from_record({"id": f"d{n}", "title": "Port reopens", "body": body, "published": day},
                                      index.outlets) for n, day in enumerate(days)])


def test_recency_boost_ranks_the_newest_first_and_is_off_by_default(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _dated(index, ["2020-01-01", "2020-06-01", "2020-03-01"])  # the same text: the same relevance
        plain = index.search(SearchRequest(q="port reopened", collapse=False))
        assert [h.id for h in plain.hits] == ["d0", "d1", "d2"]  # ties in archive order: no recency
        recent = index.search(SearchRequest(q="port reopened", recency=1.0, collapse=False))
        assert [h.id for h in recent.hits] == ["d1", "d2", "d0"]
        assert recent.hits[0].score > plain.hits[0].score
        by_date = index.search(SearchRequest(q="port reopened", sort="oldest", recency=5.0, collapse=False))
        assert [h.id for h in by_date.hits] == ["d0", "d2", "d1"]


def test_recency_is_checked_by_the_api(client):
    assert client.get("/api/v1/search?q=Kalbajar&recency=0.5").status_code == 200
    bad = client.get("/api/v1/search?q=Kalbajar&recency=-1")
    assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "recency"


def _catalog(key: str, display: str, variants: list[str], articles: int):
    from collections import Counter

    from index.search.catalog import EntityCatalog
    members = sorted({key, *variants})
    return EntityCatalog(canonical={m: key for m in members}, type_of={key: "org"}, display={key: display},
                         members={key: members}, votes={key: Counter(org=articles)})


def test_an_entity_expands_only_to_variants_that_are_names_not_codes_or_common_words(seed_index):
    """`japan` must not search the code `jp` (it finds "J.P. Morgan"), and a common word is no entity."""
    from index.search.expand import Limits
    from index.search.parsing import parse
    from index.search.plan import expand_aliases
    from index.text.aliases import Aliases
    snapshot = seed_index.backend.store.snapshot()

    def expanded(word: str, catalog) -> list[dict]:
        return expand_aliases(parse(word, Limits(), "auto"), Aliases(), catalog, word, snapshot)[1]

    assert expanded("japan", _catalog("japan", "Japan", ["jp"], 5)) == []  # only a two-letter code to add
    spelled = expanded("japan", _catalog("japan", "Japan", ["jp", "nippon"], 5))
    assert spelled and spelled[0]["term"] == "japan"  # a real variant still expands
    holding = max(snapshot.df(field, "kalbajar") for field in ("title", "body"))
    assert holding > 0
    rare = _catalog("kalbajar", "Kalbajar", ["kelbajar"], 0)  # named in no article: the word is a word
    assert expanded("kalbajar", rare) == []
    common = _catalog("kalbajar", "Kalbajar", ["kelbajar"], holding)  # named wherever the word is
    assert [e["term"] for e in expanded("kalbajar", common)] == ["kalbajar"]


def test_the_shared_query_parser_gives_every_thread_its_own_tree():
    """parsing.parse reuses one Whoosh parser per grouping: many threads parsing at once must each get
    the tree the same query parsed alone gives."""
    from concurrent.futures import ThreadPoolExecutor

    from index.search.expand import Limits
    from index.search.parsing import parse
    words = [("oil", "prices", "tanker"), ("bank", "rates", "loan"), ("wheat", "crop", "grain"),
             ("gold", "mine", "ounce"), ("yen", "dollar", "tokyo")]
    queries = [f'"{a} {b}" OR {c}~1 title:{a} -{b} {n}' for n in range(40) for a, b, c in words]
    limits = Limits()
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: repr(parse(q, limits)), queries))
    assert together == [repr(parse(q, limits)) for q in queries]
    assert len(set(together)) == len(queries)


def test_plain_words_make_the_tree_the_parser_makes():
    """parsing.words_only builds the parse tree of a query of plain words without Whoosh's parser: for
    every such query it must equal the parser's tree, leaf by leaf (terms, fields, places in the text)."""
    import random

    from conftest import SEEDS
    from index.search.parsing import _parser, words_only

    def dump(tree):
        return repr(tree), [sorted(vars(leaf).items()) for leaf in tree.leaves()]

    rng = random.Random(5)
    words = " ".join(p.read_text(errors="replace") for p in sorted(SEEDS.glob("*.txt"))).split()
    queries = {" ".join(words[i:i + rng.randint(1, 6)]) for i in rng.sample(range(len(words)), min(2000, len(words)))}
    queries |= {"oil oil", "  oil   prices  ", "and or not", "Erdoğan centre", "health care", "cease fire", "US wheat",
                "us", "1987 1988", "İstanbul straße", "ANDMAYBE x", "oil AND gas", "TO", '"oil prices"', "oil*", "x:y"}
    taken = 0
    for q in sorted(queries):
        for every_word in (False, True):
            mine = words_only(q, every_word)
            if mine is not None:
                taken += 1
                assert dump(mine) == dump(_parser(every_word).parse(q)), q
    assert taken > 1000
    assert all(words_only(q) is None for q in ("oil AND gas", "TO", '"oil prices"', "oil*", "x:y", "U.S.", "cease-fire"))


def test_one_quoted_phrase_makes_the_tree_the_parser_makes():
    """parsing.phrase_only builds the tree of a query that is one quoted phrase without Whoosh's parser:
    it must equal the parser's, leaf by leaf (words, fields, slop, each word's characters in the query)."""
    import random

    from conftest import SEEDS
    from index.search.parsing import _parser, phrase_only

    def dump(tree):
        return type(tree).__name__, repr(tree), [sorted((k, repr(v)) for k, v in vars(leaf).items())
                                                 for leaf in tree.leaves()]

    rng = random.Random(7)
    words = " ".join(p.read_text(errors="replace") for p in sorted(SEEDS.glob("*.txt"))).split()
    quotes = {'"' + " ".join(words[i:i + rng.randint(1, 5)]).replace('"', "") + '"'
              for i in rng.sample(range(len(words)), min(1500, len(words)))}
    quotes |= {'"interest rates"', '"U.S. trade"', '"cease-fire talks"', '"the"', '"health care costs"', '"AND OR"',
               '"Erdoğan\'s centre"', '" oil  prices "', '"title:oil"', '"oil*"', '"F-16 jets"', '"1986-87 crop"'}
    taken = 0
    for q in sorted(quotes):
        mine = phrase_only(q)
        if mine is not None:
            taken += 1
            for every_word in (False, True):
                assert dump(mine) == dump(_parser(every_word).parse(q)), q
    assert taken > 1000
    assert all(phrase_only(q) is None for q in ('"..."', 'oil', '"oil" prices', '"oil"~3', '"a" "b"', ' "oil"', '""'))


def test_a_quote_starting_with_the_is_text_not_the_entity_it_would_resolve_to(tmp_path):
    """`"The Bank of England"` finds only articles with those four words in a row, as every quote; the
    entity's key leaves "the" out, so expanding it to the entity found headlines without the word."""
    from index.search.expand import Limits
    from index.search.parsing import parse
    from index.search.plan import expand_aliases
    from index.text.aliases import Aliases
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": n, "title": title, "body": body}, index.outlets) for n, title, body in [
            ("a", "Bank of England sets tender", "Bank of England sets a tender for bills. The BoE said so."),
            ("b", "Sterling steady", "The Bank of England left rates unchanged, dealers said.")]])
        snapshot = index.backend.store.snapshot()
        catalog = _catalog("bank of england", "Bank of England", ["boe"], 2)

        def expanded(q: str) -> list[dict]:
            return expand_aliases(parse(q, Limits(), "auto"), Aliases(), catalog, q, snapshot)[1]

        assert expanded('"The Bank of England"') == [] and expanded('"the bank of england"') == []
        assert [e["via"] for e in expanded('"Bank of England"')] == ["entity"]  # the name itself still expands
        assert expanded('"Bank of England"')[0]["to"] == ["Bank of England", "boe"]  # the name once, then the rest
        assert [h.id for h in index.search(SearchRequest(q='"The Bank of England"', mode="lexical")).hits] == ["b"]
