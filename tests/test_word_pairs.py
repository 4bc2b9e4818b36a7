"""Adjacent word pairs indexed as postings (index/store/pairs.py): what reading word positions gives,
written with each segment, made again by merges, and the proximity bonus read from them."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_settings
from index import Index, article_from_record
from index.search import positions, proximity
from index.search.catalog_keeper import exact_catalog
from index.search.expand import Limits
from index.search.plan import make_plan
from index.search.scoring import score
from index.query import SearchRequest
from index.store import merging
from index.store import pairs
from index.store.pairs import pair_postings, quote_postings
from index.store.snapshot import Snapshot
from index.text.aliases import Aliases
from test_store import reuters_in_segments, reuters_records


def reference_pairs(terms, ordinals, places):
    """{(left, right): {ordinal: count}}: each occurrence of `left` counts once when `right` is at the next
    position of the same ordinal (several terms may share a position)."""
    at = {}
    for term, ordinal, place in zip(terms, ordinals, places):
        at.setdefault((ordinal, place), []).append(term)
    found: dict = {}
    for (ordinal, place), here in at.items():
        for left in here:
            for right in set(at.get((ordinal, place + 1), [])):
                found.setdefault((left, right), {}).setdefault(ordinal, 0)
                found[(left, right)][ordinal] += 1
    return found


@pytest.mark.parametrize("seed", range(12))
def test_pair_postings_count_each_left_occurrence_followed_by_the_right_term(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    if seed % 2:  # pairs found a few ordinals at a time, as in a merge of millions of occurrences
        monkeypatch.setattr(pairs, "CHUNK", int(rng.integers(1, 30)))
    monkeypatch.setattr(pairs, "BUCKETS", int(rng.integers(1, 40)))  # and put in order a few keys at a time
    count, vocab = int(rng.integers(0, 400)), 7
    terms = rng.integers(-1, vocab, size=count)  # -1: a term left out of the vocabulary
    ordinals = rng.integers(0, 9, size=count)
    places = rng.integers(0, 25, size=count)  # repeats: two tokens at one position, or the same one twice
    arrays = pair_postings("body", terms, ordinals, places, vocab)
    keys, off = arrays["body.pair_key"], arrays["body.pair_off"]
    found = {}
    for k, key in enumerate(keys.tolist()):
        docs = arrays["body.pair_docs"][off[k]:off[k + 1]].tolist()
        assert docs == sorted(set(docs))
        found[(key // vocab, key % vocab)] = dict(zip(docs, arrays["body.pair_tfs"][off[k]:off[k + 1]].tolist()))
    kept = terms >= 0
    assert found == reference_pairs(terms[kept].tolist(), ordinals[kept].tolist(), places[kept].tolist())
    assert keys.tolist() == sorted(set(keys.tolist()))


@pytest.mark.parametrize("seed", range(8))
def test_quote_pairs_are_pairs_of_spellings_and_say_which_spellings_stand_for_one_term(seed):
    rng = np.random.default_rng(seed)
    count, vocab = int(rng.integers(0, 400)), 9
    terms = rng.integers(-1, vocab, size=count)
    spellings = np.where(rng.random(count) < 0.8, (terms + 1) % vocab, rng.integers(-1, vocab, size=count))
    ordinals, places = rng.integers(0, 9, size=count), rng.integers(0, 25, size=count)
    arrays = quote_postings("title", terms, spellings, ordinals, places, vocab)
    keys, off = arrays["title.quote_key"], arrays["title.quote_off"]
    found = {(key // vocab, key % vocab): dict(zip(arrays["title.quote_docs"][off[k]:off[k + 1]].tolist(),
                                                   arrays["title.quote_tfs"][off[k]:off[k + 1]].tolist()))
             for k, key in enumerate(keys.tolist())}
    kept = spellings >= 0
    assert found == reference_pairs(spellings[kept].tolist(), ordinals[kept].tolist(), places[kept].tolist())
    for spelling in range(vocab):
        stands_for = set(terms[spellings == spelling].tolist())
        expected = -1 if not stands_for else stands_for.pop() if len(stands_for) == 1 else -2
        assert arrays["title.spelt_term"][spelling] == expected


@pytest.fixture(scope="module")
def reuters(tmp_path_factory):
    index, _ = reuters_in_segments(tmp_path_factory.mktemp("pairs") / "index", 300, 3)
    yield index
    index.close()


QUERIES = ["central bank interest rates", "crude oil prices rose", "the dollar against the yen",
           "what did the bank say about interest rates", "net loss per share", "crude oil prices", "interest rates"]


def units_of(snapshot, q: str):
    return make_plan(SearchRequest(q=q), snapshot, Limits(), Aliases(), exact_catalog(snapshot, Aliases())).units


def scores_both_ways(snapshot, q: str, monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    """A query's scores over every article with the bonus read from pairs, then from positions."""
    units = units_of(snapshot, q)
    with_pairs = score(snapshot, units).scores.copy()
    monkeypatch.setattr(Snapshot, "has_pairs", lambda self, fieldname: False)
    from_positions = score(snapshot, units).scores
    monkeypatch.undo()
    return with_pairs, from_positions


@pytest.mark.parametrize("q", QUERIES)
def test_the_bonus_from_pairs_is_the_bonus_from_positions(reuters, q, monkeypatch):
    snapshot = reuters.backend.store.snapshot()
    assert len(snapshot.parts) == 3 and snapshot.has_pairs("body")
    with_pairs, from_positions = scores_both_ways(snapshot, q, monkeypatch)
    assert np.array_equal(with_pairs, from_positions)
    assert (with_pairs > score(snapshot, units_of(snapshot, q), params=_no_bonus()).scores).any()  # a bonus was given


PHRASES = [("central", "bank"), ("interest", "rate"), ("the", "dollar"), ("of", "the", "year"), ("crude", "oil", "price"),
           ("bank", "bank"), ("net", "loss"), ("dollar", "the")]


@pytest.mark.parametrize("words", PHRASES)
def test_a_phrase_found_among_its_pairs_documents_is_the_phrase_found_among_its_words(reuters, words, monkeypatch):
    snapshot = reuters.backend.store.snapshot()
    spelt = {("interest", "rate"): ("interest", "rates"), ("net", "loss"): ("net", "loss")}.get(words)
    for fieldname in ("body", "text"):
        for spellings in (None, spelt):
            found = positions._phrase(snapshot, fieldname, words, 1, spellings)
            with monkeypatch.context() as patched:  # a pair's count kept at its most: counted by positions
                patched.setattr(positions, "MOST_TF", 2)
                clipped = positions._phrase(snapshot, fieldname, words, 1, spellings)
            assert found[0].tolist() == clipped[0].tolist() and found[1].tolist() == clipped[1].tolist()
            expected = from_positions(snapshot, fieldname, words, spellings, monkeypatch)
            assert found[0].tolist() == expected[0].tolist() and found[1].tolist() == expected[1].tolist()
    assert len(positions._phrase(snapshot, "body", ("central", "bank"), 1, None)[0])


def from_positions(snapshot, fieldname, words, spellings, monkeypatch):
    """A phrase's counts read from word positions alone: no word pairs, no quote pairs."""
    with monkeypatch.context() as patched:
        patched.setattr(Snapshot, "has_pairs", lambda self, name: False)
        patched.setattr(Snapshot, "quote_postings", lambda self, *args: None)
        return positions._phrase(snapshot, fieldname, words, 1, spellings)


def test_a_quote_counted_from_its_quote_pairs_is_the_quote_counted_from_positions(reuters, monkeypatch):
    """Every adjacent pair of words in some of the corpus's titles and texts, quoted as written (spelling
    folded, as the query side does): the same articles and passages, the same counts, both ways."""
    from index.text.analysis import token_spans
    snapshot = reuters.backend.store.snapshot()
    assert all(snapshot.parts[0].data.has_quotes(name) for name in ("title", "body", "text"))
    rng = np.random.default_rng(15)
    quotes = set()
    for record in rng.choice(reuters_records(300), 40, replace=False):
        by_place = {}
        for term, place, _, _, spelt in token_spans(f"{record['title']} {record['body'][:600]}"):
            by_place.setdefault(place, (term, spelt))
        quotes |= {tuple(zip(by_place[p], by_place[p + 1])) for p in by_place if p + 1 in by_place}
    quoted = 0
    for words, spellings in sorted(quotes):
        for fieldname in ("title", "body", "text"):
            found = positions._phrase(snapshot, fieldname, words, 1, spellings)
            expected = from_positions(snapshot, fieldname, words, spellings, monkeypatch)
            assert found[0].tolist() == expected[0].tolist(), (words, spellings, fieldname)
            assert found[1].tolist() == expected[1].tolist(), (words, spellings, fieldname)
            quoted += snapshot.quote_postings(fieldname, words, spellings) is not None
    assert len(quotes) > 500 and quoted == 3 * len(quotes)  # no spelling stands for two words here


def _no_bonus():
    from dataclasses import replace
    from index.search.scoring import DEFAULT
    return replace(DEFAULT, proximity=0.0)


def test_searches_read_no_body_positions_for_the_bonus_and_merges_keep_the_pairs(reuters, monkeypatch):
    store = reuters.backend.store
    request = SearchRequest(q="central bank interest rates and the dollar", facets=False)
    before = [(h.id, h.score, [p.score for p in h.passages]) for h in reuters.search(request).hits]
    assert merging.merge(store, store.snapshot().parts)
    snapshot = store.snapshot()
    assert len(snapshot.parts) == 1 and snapshot.has_pairs("body")
    assert all(snapshot.parts[0].data.has_quotes(name) for name in ("title", "body", "text"))
    read = proximity.occurrence_keys

    def passages_only(snapshot, fieldname, word, ordinals):
        assert fieldname != "body", "the articles' bonus read word positions"
        return read(snapshot, fieldname, word, ordinals)

    monkeypatch.setattr(proximity, "occurrence_keys", passages_only)
    assert [(h.id, h.score, [p.score for p in h.passages]) for h in reuters.search(request).hits] == before


def test_a_segment_written_before_pairs_gets_them_when_an_index_opens(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off")
    records = reuters_records(60)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for start in (0, 30):
            index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + 30]])
        request = SearchRequest(q="oil prices rose on the news", facets=False)
        before = [(h.id, h.score) for h in index.search(request).hits]
        quote = SearchRequest(q='"' + " ".join(records[0]["body"].split()[:2]) + '"', facets=False)
        quoted = [(h.id, h.score, [p.html for p in h.passages]) for h in index.search(quote).hits]
        folder = index.backend.store.snapshot().parts[0].data.directory
    written = {path.name: np.load(path) for pattern in ("*.pair_*.npy", "*.quote_*.npy", "*.spelt_term.npy")
               for path in folder.glob(pattern)}
    assert len(written) == 8 + 15  # key, off, docs, tfs of body and text; the same and spelt_term of titles too
    for name in written:
        (folder / name).unlink()  # as a version before pairs wrote it
    with Index.open(settings.index_dir, settings=settings) as index:
        assert index.backend.store.snapshot().has_pairs("body") and index.backend.store.snapshot().has_pairs("text")
        assert [(h.id, h.score) for h in index.search(request).hits] == before
        assert quoted and [(h.id, h.score, [p.html for p in h.passages]) for h in index.search(quote).hits] == quoted
    assert {name: np.load(folder / name).tolist() for name in written} == {k: v.tolist() for k, v in written.items()}
    assert not list(folder.glob("*.tmp"))
