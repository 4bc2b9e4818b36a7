"""Highlighting from the characters the segments keep: the same marks as analysing the text again.

A segment keeps, for every title and passage token, where it is in its text
(`title.start`/`.end`, `text.start`/`.end`), so a page is highlighted without
running the analyzer over its passages.  These tests hold that to the analyzer
on texts made to be awkward (compounds open, hyphenated and closed, initialisms,
accents, apostrophes, quotes spelt otherwise, a word too long for the arrays),
through merges, and on segments written before the characters were kept.
"""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import SHARED, make_settings
from index import Index, SearchRequest, article_from_record
from index.store.snapshot import Snapshot
from index.text.analysis import token_spans

AWKWARD = [
    ("CEASE-FIRE TALKS IN GENEVA", "The cease-fire held. A cease fire now, said the U.S. envoy; the ceasefire "
     "talks on health care costs and health-care reform went on in Genève's centre."),
    ("U.S. TRADE DEFICIT WIDENS", "The US trade deficit widened, the U.S. Commerce Department said. Interest "
     "rates rose and the interest rate outlook dimmed for Nagorno-Karabakh and F-16 makers."),
    ("ERDOĞAN MEETS OPEC", "Erdoğan met OPEC's oil ministers. Oil prices rose; crude oil prices fell later. "
     "Don't expect lower prices, he said, in a speech on the organisation's centre."),
    ("A VERY LONG WORD", "Pneumonoultramicroscopicsilicovolcanoconiosispneumonoultramicroscopicsilicovolcano "
     "is long; oil prices are not."),
]
QUERIES = ['"cease fire"', "ceasefire talks", "cease-fire", '"health care" costs', "U.S. trade deficit",
           '"interest rates"', "interest rate", "erdogan opec", '"crude oil" prices', "oil prices", "the",
           "to be or not", "centre", "F-16", "nagorno karabakh", "don't expect", '"oil prices" "interest rate"',
           "pneumonoultramicroscopicsilicovolcanoconiosispneumonoultramicroscopicsilicovolcano",
           "prices -crude", "title:deficit", "organisation"]


def _reuters(count: int) -> list[dict]:
    found = []
    with gzip.open(SHARED / "corpus" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if int(record["id"]) % 2 == 0 and (record.get("body") or "").strip():
                found.append({"id": f"r{record['id']}", "title": record.get("title") or "",
                              "body": record["body"], "date": record.get("date")})
            if len(found) == count:
                break
    return found


def _pages(index: Index, queries: list[str]) -> list:
    return [[(h.id, h.title_html, [(p.position, p.html) for p in h.passages]) for h in
             index.search(SearchRequest(q=q, per_page=20, passages=3, mode="lexical")).hits] for q in queries]


def _analysed(monkeypatch) -> None:
    monkeypatch.setattr(Snapshot, "occurrences", lambda self, fieldname, ordinals, terms: {})


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Awkward articles and 300 Reuters ones, written in three batches and merged into one segment."""
    settings = make_settings(tmp_path_factory.mktemp("offsets") / "index", backend="whoosh", entities=False)
    records = [{"id": f"a{n}", "title": t, "body": b, "date": "1987-03-01"} for n, (t, b) in enumerate(AWKWARD)]
    records += _reuters(300)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for batch in (records[:100], records[100:200], records[200:]):
            index.ingest([article_from_record(r, index.outlets) for r in batch])
    return settings


def _words(count: int) -> list[str]:
    """Words and two-word runs of the Reuters articles: queries nobody chose for these tests."""
    words = [w.strip(".,;:()\"'").lower() for r in _reuters(60) for w in r["body"].split()[:12]]
    words = [w for w in words if w.isalpha()]
    return words[:count] + [f"{a} {b}" for a, b in zip(words[1:count:3], words[2:count:3])]


def test_marks_read_from_the_segments_are_the_marks_of_the_analyzer(archive, monkeypatch):
    queries = QUERIES + _words(60)
    with Index.open(archive.index_dir, settings=archive) as index:
        snapshot = index.backend.store.snapshot()
        assert all(part.data.keeps_characters("text") and part.data.keeps_characters("title") for part in snapshot.parts)
        given, occurrences = [], Snapshot.occurrences
        monkeypatch.setattr(Snapshot, "occurrences", lambda *args: given.append(occurrences(*args)) or given[-1])
        read = _pages(index, queries)
        assert sum(len(found) for found in given) > 1000  # titles and passages marked from the segments
        _analysed(monkeypatch)
        assert read == _pages(index, queries)
    assert sum(html.count("<mark>") for page in read for _, title, passages in page
               for html in [title] + [p for _, p in passages]) > 500


def test_occurrences_are_where_the_words_are(archive):
    with Index.open(archive.index_dir, settings=archive) as index:
        snapshot = index.backend.store.snapshot()
        hit = index.search(SearchRequest(q='"cease fire"', mode="lexical")).hits[0]
        ordinal = next(o for o in range(snapshot.articles) if json.loads(snapshot.stored(o)["data"])["id"] == hit.id)
        wanted = {"ceasefir", "ceas", "talk", "geneva"}
        found = snapshot.occurrences("title", [ordinal], wanted)[ordinal]
        expected = [(term, pos, start, end, spelt) for term, pos, start, end, spelt in token_spans(hit.title)
                    if term in wanted]
        assert sorted(found) == sorted(expected) and len(found) == 4  # cease-fire, its part cease, talks, geneva
        assert {hit.title[start:end] for _, _, start, end, _ in found} == {"CEASE-FIRE", "CEASE", "TALKS", "GENEVA"}
        # A word longer than the arrays keep: no occurrences, so the text is analysed
        assert snapshot.occurrences("text", [0], {"x" * 80}) == {}


def test_segments_without_characters_are_analysed(tmp_path, monkeypatch):
    """An index written before segments kept characters: the same marks, from the analyzer."""
    from index.store import building

    settings = make_settings(tmp_path / "index", backend="whoosh", entities=False)
    records = [{"id": f"a{n}", "title": t, "body": b, "date": "1987-03-01"} for n, (t, b) in enumerate(AWKWARD)]
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(r, index.outlets) for r in records])
        expected = _pages(index, QUERIES)
    monkeypatch.setattr(building, "HIGHLIGHTED_FIELDS", ())
    old = make_settings(tmp_path / "old", backend="whoosh", entities=False)
    with Index.open(old.index_dir, create=True, settings=old) as index:
        index.ingest([article_from_record(r, index.outlets) for r in records[:2]])
        index.ingest([article_from_record(r, index.outlets) for r in records[2:]])
        assert not any(part.data.keeps_characters("text") for part in index.backend.store.snapshot().parts)
        assert _pages(index, QUERIES) == expected
