"""bench/news_sets.py: the committed news relevance sets load, and only even Reuters ids are judged."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import news_sets  # noqa: E402


def test_queries_are_short_plain_and_two_a_tag():
    queries = news_sets.read_queries()
    assert len({q["query-id"] for q in queries}) == len(queries)
    by_tag = {}
    for query in queries:
        assert query["field"] in ("topics", "people", "orgs")
        assert 2 <= len(query["text"].split()) <= 5, query
        assert query["text"] != query["tag"]  # plain words, not the tag's code
        by_tag.setdefault((query["field"], query["tag"]), []).append(query["style"])
    assert all(len(styles) == 2 and styles[0] == "name" for styles in by_tag.values())


def test_judgements_hold_only_even_ids_and_enough_of_them():
    judged = news_sets.read_judgements()
    assert judged
    for (field, tag), ids in judged.items():
        assert all(int(i) % 2 == 0 for i in ids), (field, tag)
        assert len(ids) >= news_sets.MIN_ARTICLES[field]
    asked = {(q["field"], q["tag"]) for q in news_sets.read_queries()}
    assert set(judged) <= asked


def test_sets_build_from_a_corpus_without_reading_odd_ids(tmp_path):
    """load() over a tiny corpus: queries whose tag has no article there drop out; odd ids never enter."""
    judged = news_sets.read_judgements()
    cocoa = sorted(judged[("topics", "cocoa")], key=int)[:2]
    volcker = sorted(judged[("people", "volcker")], key=int)[:1]
    articles = {i: {"id": i, "title": f"Story {i}", "body": "Text.", "date": "1987-03-01T00:00:00"}
                for i in cocoa + volcker}
    topics = news_sets.load("topics", articles)
    assert {"t-cocoa-1", "t-cocoa-2"} <= set(topics.queries) and "t-earn-1" not in topics.queries
    assert set(topics.qrels["t-cocoa-1"]) == set(cocoa)
    assert all(set(judged) <= set(articles) for judged in topics.qrels.values())
    people = news_sets.load("people", articles)
    assert {"p-volcker-1", "p-volcker-2"} <= set(people.queries)
    assert people.queries["p-volcker-1"] == "Paul Volcker"
    assert not any(q.startswith("t-") for q in people.queries)

    corpus = tmp_path / "reuters.jsonl"
    corpus.write_text('{"id": "3", "title": "odd", "body": "x", "topics": ["cocoa"]}\n'
                      '{"id": "4", "title": "even", "body": "y", "topics": ["cocoa"]}\n'
                      '{"id": "6", "title": "no body", "body": "", "topics": ["cocoa"]}\n')
    assert list(news_sets.even_articles(corpus)) == ["4"]
