"""The numpy search layer gives exactly what Whoosh gives, on a real multi-segment index with deletions.

index/segments.py reads postings, phrases, lengths and dates a block or a column at
a time; index/matching.py evaluates queries as masks; index/scoring.py computes the
proximity bonus only where it can change the page.  Each is checked here against
Whoosh's own answer (or against the unpruned computation) on 400 Reuters articles
written in four segments, some of them then replaced or deleted.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from whoosh import query as Q

from conftest import SHARED, make_settings
from index import Index, SearchRequest, article_from_record
from index.search.matching import FilterOnly, matching_docs
from index.search.scoring import ARTICLE_FIELDS, query_units, score_documents
from index.search.searching import SearchContext, build_filters, parse_query
from index.store.segments import SegmentArrays, global_array, phrase_key

TERMS = [("body", "said"), ("body", "oil"), ("title", "oil"), ("text", "pct"), ("kind", "article"),
         ("source", "Reuters"), ("body", "nosuchword")]
PHRASES = [("body", ["crude", "oil"]), ("text", ["mln", "dlrs"]), ("body", ["said", "it"]),
           ("title", ["oil", "prices"]), ("body", ["bank", "england"]), ("body", ["mln", "dlrs", "year"])]


@pytest.fixture(scope="module")
def reuters_index(tmp_path_factory):
    """400 Reuters articles in four segments; 10 replaced and 10 deleted afterwards (so segments have deletions)."""
    records = []
    with gzip.open(SHARED / "corpus" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if (record.get("body") or "").strip():
                records.append(record)
            if len(records) == 400:
                break
    settings = make_settings(tmp_path_factory.mktemp("segments") / "index", entities=False)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    articles = [article_from_record(dict(r, source="Reuters"), index.outlets) for r in records]
    index.ingest(articles, batch_size=100)
    for article in articles[5:15]:
        article.body += " Updated later."
        index.put(article)
    index.delete([a.id for a in articles[100:110]])
    assert index.backend.searcher().reader().has_deletions() and index.stats()["articles"] == 390
    yield index
    index.close()


def leaves(index):
    return [(sub.reader(), sub, offset) for sub, offset in index.backend.searcher().leaf_searchers()]


def test_the_index_has_several_segments_and_long_posting_lists(reuters_index):
    assert len(leaves(reuters_index)) >= 4
    reader = leaves(reuters_index)[0][0]
    assert reader.doc_frequency("body", "said") > 128  # more than one Whoosh block


@pytest.mark.parametrize("fieldname, text", TERMS)
def test_postings_are_whooshs(reuters_index, fieldname, text):
    arrays = SegmentArrays()
    for reader, _, _ in leaves(reuters_index):
        ids, weights = arrays.postings(reader, fieldname, text)
        expected = list(reader.postings(fieldname, text).items_as("weight")) if (fieldname, text) in reader else []
        assert ids.tolist() == [d for d, _ in expected]
        assert weights.tolist() == pytest.approx([w for _, w in expected])


@pytest.mark.parametrize("fieldname, words", PHRASES)
@pytest.mark.parametrize("slop", [1, 3])
def test_phrase_postings_are_whooshs(reuters_index, fieldname, words, slop):
    arrays = SegmentArrays()
    phrase = Q.Phrase(fieldname, words, slop=slop)
    seen = 0
    for reader, sub, _ in leaves(reuters_index):
        ids, counts = arrays.postings(reader, fieldname, phrase_key(phrase))
        matcher = phrase.matcher(sub)
        expected = []
        while matcher.is_active():
            expected.append((matcher.id(), len(matcher.spans())))
            matcher.next()
        assert ids.tolist() == [d for d, _ in expected]
        assert counts.tolist() == [c for _, c in expected]
        seen += len(expected)
    if words in (["crude", "oil"], ["mln", "dlrs"], ["said", "it"]):
        assert seen  # these phrases do occur, so the comparison is not between two empty lists


def test_lengths_and_dates_are_the_columns(reuters_index):
    searcher = reuters_index.backend.searcher()
    arrays = SegmentArrays()
    reader = searcher.reader()
    for fieldname in ("title", "body", "text"):
        lengths = global_array(searcher, arrays, "lengths", fieldname)
        for docnum in range(0, reader.doc_count_all(), 37):
            assert lengths[docnum] == (reader.doc_field_length(docnum, fieldname) or 0)
    published = global_array(searcher, arrays, "published")
    column = reader.column_reader("published", translate=False)
    assert [min(column[d], np.iinfo(np.int64).max) for d in range(reader.doc_count_all())] == published.tolist()


QUERIES = ["oil", "oil prices", '"crude oil"', "oil AND NOT gulf", "wheat OR corn", "bank* rates", "pric~1 dollar",
           "title:oil", "(trade OR tariff) AND japan", "said", "nosuchword", "oil NOT said"]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("match", ["auto", "all"])
def test_matching_finds_what_whoosh_finds(reuters_index, q, match):
    ctx = reuters_index.backend.context()
    searcher = ctx.searcher
    parsed = parse_query(q, searcher.schema, ctx, match)
    filters = build_filters(SearchRequest(source=["Reuters"]), ctx.catalog, searcher.reader())
    query = Q.And([parsed, FilterOnly(Q.Term("kind", "article")), *[FilterOnly(f) for f in filters]])
    found, partial = matching_docs(searcher, ctx.arrays, query)
    assert not partial
    assert found.tolist() == sorted(searcher.docs_for_query(query))


@pytest.mark.parametrize("q", ["oil prices", "bank rates cut", "trade deficit japan", "said the"])
def test_proximity_is_only_skipped_where_it_cannot_change_the_top(reuters_index, q):
    ctx: SearchContext = reuters_index.backend.context()
    searcher = ctx.searcher
    parsed = parse_query(q, searcher.schema, ctx)
    docs, _ = matching_docs(searcher, ctx.arrays, Q.And([parsed, FilterOnly(Q.Term("kind", "article"))]))
    units = query_units(parsed, q)
    full = score_documents(searcher, ctx.arrays, units, docs, ARTICLE_FIELDS).ranked(0, 10)
    pruned = score_documents(searcher, ctx.arrays, units, docs, ARTICLE_FIELDS, exact_top=10).ranked(0, 10)
    assert pruned == full


def test_compound_segments_are_read_from_the_memory_map(reuters_index):
    from index.store.whoosh_io import MemoryReader
    reader = leaves(reuters_index)[0][0]
    postfile = reader._terms._postfile
    assert isinstance(postfile.file, MemoryReader)  # not a BytesIO copy of the segment
    assert reuters_index.search(SearchRequest(q="oil")).total > 0
