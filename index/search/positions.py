"""Word positions: exact phrases and words found next to each other, for many documents at once.

Positions come from the segment arrays (index/store/segment.py), read only for
the documents that can still matter.  An occurrence is the 64-bit key
`ordinal << 32 | position`, so "word B right after word A" is a set
intersection of keys, done by numpy for every candidate document together.
Works alike for articles (title, body) and passages (text): the field says
which ordinals are meant.
"""

from __future__ import annotations

import numpy as np

from index.arrays import found_in, in_sorted, run_starts, unique
from index.store.pairs import MOST_TF

SHIFT = np.int64(32)
_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float64))


def _keys(docs: np.ndarray, positions: np.ndarray, offset: int = 0) -> np.ndarray:
    return (docs.astype(np.int64) << SHIFT) | (positions.astype(np.int64) + offset)


def phrase_counts(snapshot, fieldname: str, words: tuple[str, ...], slop: int = 1,
                  spellings: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals holding the phrase, occurrences in each), live ordinals only, held per snapshot.

    `words` are index terms (stems); with `spellings` (one per word) each word must
    also be spelt so: a quote matches word for word ("rates", not "rate").
    """
    return snapshot.held(("phrase", fieldname, words, slop, spellings),
                         lambda: _phrase(snapshot, fieldname, words, slop, spellings))


def _phrase(snapshot, fieldname: str, words: tuple[str, ...], slop: int, spellings: tuple[str, ...] | None):
    if not words:
        return _EMPTY
    if spellings is not None and len(spellings) != len(words):
        spellings = None
    if len(words) == 2 and slop == 1:  # a pair's postings are the phrase's counts (index/store/pairs.py)
        if spellings is None:
            found = snapshot.pair_postings(fieldname, *words) if snapshot.has_pairs(fieldname) else None
        else:
            found = snapshot.quote_postings(fieldname, words, spellings)
        if found is not None and (not len(found[1]) or found[1].max() < MOST_TF):  # a count kept at the
            return found[0], found[1].astype(np.float64)  # pairs' most may be higher: read positions
    wanted = list(zip(words, spellings)) if spellings else [(w, None) for w in words]
    candidates = _candidates(snapshot, fieldname, words, slop)
    if not len(candidates):
        return _EMPTY
    if len(words) == 1 and spellings is None:
        docs, tfs = snapshot.postings(fieldname, words[0])
        return docs, tfs.astype(np.float64)
    occurrences = {w: snapshot.positions(fieldname, w[0], candidates, w[1]) for w in set(wanted)}
    if slop != 1:
        return _sloppy(wanted, occurrences, slop)
    starts = None
    for i, word in enumerate(wanted):
        docs, positions = occurrences[word]
        keys = unique(_keys(docs, positions, -i))
        starts = keys if starts is None else starts[in_sorted(starts, keys)]
        if not len(starts):
            return _EMPTY
    docs, counts = np.unique(starts >> SHIFT, return_counts=True)
    return docs, counts.astype(np.float64)


def _candidates(snapshot, fieldname: str, words: tuple[str, ...], slop: int) -> np.ndarray:
    """The documents that may hold the phrase: those holding each of its adjacent word pairs where the
    field indexes them (index/store/pairs.py: far fewer than those holding its words), else every word."""
    if slop == 1 and len(words) > 1 and snapshot.has_pairs(fieldname):
        lists = sorted((snapshot.pair_postings(fieldname, left, right)[0] for left, right in zip(words, words[1:])),
                       key=len)
    else:  # rarest first, each read only while candidates are left
        lists = (snapshot.postings(fieldname, word)[0]
                 for word in sorted(set(words), key=lambda w: snapshot.df(fieldname, w)))
    candidates = None
    for ids in lists:
        candidates = ids if candidates is None else ids[found_in(candidates, ids, snapshot.size(fieldname))]
        if not len(candidates):
            break
    return candidates


def _sloppy(words: list, occurrences: dict, slop: int):
    """Words in order, each at most `slop` positions after the one before (Whoosh's sloppy phrases)."""
    by_doc: dict[int, list[list[int]]] = {}
    for i, word in enumerate(words):
        docs, positions = occurrences[word]
        for doc, pos in zip(docs.tolist(), positions.tolist()):
            by_doc.setdefault(doc, [[] for _ in words])[i].append(pos)
    found_docs, found_counts = [], []
    for doc, lists in sorted(by_doc.items()):
        count = 0
        for start in sorted(lists[0]):
            current = {start}
            for later in lists[1:]:
                current = {p for p in later for q in current if q < p <= q + slop}
                if not current:
                    break
            count += bool(current)
        if count:
            found_docs.append(doc)
            found_counts.append(count)
    return np.asarray(found_docs, dtype=np.int64), np.asarray(found_counts, dtype=np.float64)


def occurrence_keys(snapshot, fieldname: str, word: str, ordinals: np.ndarray) -> np.ndarray:
    """The sorted keys (ordinal << 32 | position) of a word's occurrences within the sorted `ordinals`."""
    docs, positions = snapshot.positions(fieldname, word, ordinals)
    return np.sort(_keys(docs, positions))


def pair_counts(lefts: np.ndarray, rights: np.ndarray, slop: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals, times a `rights` occurrence follows a `lefts` one within `slop` positions), from occurrence keys."""
    if not len(lefts) or not len(rights):
        return _EMPTY
    hits = np.zeros(len(lefts), dtype=np.int64)
    for gap in range(1, slop + 1):
        hits += in_sorted(lefts + gap, rights)
    docs = lefts >> SHIFT  # sorted, as the keys are
    starts = run_starts(docs)
    counts = np.add.reduceat(hits, starts).astype(np.float64)
    keep = counts > 0
    return docs[starts][keep], counts[keep]
