"""BM25F over one set of documents of a snapshot: the scores of one query unit at a time.

    BM25F (Robertson & Zaragoza): tf~ = sum over fields of w_f * tf_f / (1 - b + b * len_f / avglen_f)
    unit score = idf * tf~ * (k1 + 1) / (k1 + tf~),  idf = ln(1 + (N - df + 0.5) / (df + 0.5))

with N, df and avglen counted over documents of the same kind (articles for
title and body, passages for text).  A unit with alternatives (a prefix's
words, an alias's names) scores its best alternative.

Every array is over the scorer's *space*: every article (or passage) of the
snapshot when many of them are candidates, else just the candidates (a term's
postings are placed in it with one `searchsorted`).  A unit's scores are
sparse, (positions, scores), so its cost follows its posting lists, not the
archive's size.  `bound(unit)` is an upper bound of a unit's score from the
segments' per-block maxima (largest tf, shortest length), read without
touching the postings: what top-k pruning (MaxScore, index/search/scoring.py) needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.arrays import kept_sorted, run_starts, search_sorted
from index.search.columns import entity_mask
from index.search.expand import Limits, scored_expansions
from index.search.plan import Alt, Unit
from index.search.positions import phrase_counts

ARTICLE_FIELDS = ("title", "body")
PASSAGE_FIELDS = ("text",)
DENSE_SHARE = 16  # score over every document once candidates are at least 1/16 of them
_NONE = (np.zeros(0, np.int64), np.zeros(0))


@dataclass(frozen=True)
class Params:
    """The free parameters of the ranking; the defaults are what the API uses (tuned on SciFact)."""

    k1: float = 1.5
    b: float = 0.75
    field_weights: tuple[tuple[str, float], ...] = (("title", 3.0), ("body", 1.0), ("text", 1.0))
    coord: float = 1.0  # exponent of the coordination factor (0 turns it off)
    coord_max_units: int = 3  # longer queries are descriptions, not lists of required words
    coord_idf: bool = True  # coordination counts each unit by its idf: missing a rare word costs more (news sets)
    proximity: float = 0.6  # bonus (in idf units) for adjacent query words found next to each other
    proximity_slop: int = 1
    entity_score: float = 1.0  # an alias's entity clause scores like one occurrence of a word

    def weight(self, fieldname: str) -> float:
        return dict(self.field_weights).get(fieldname, 1.0)


DEFAULT = Params()


def union_max(pieces: list[tuple[np.ndarray, np.ndarray]], combine=np.maximum) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions of several (positions, values) pieces, each position's values combined (max or add)."""
    pieces = [p for p in pieces if len(p[0])]
    if not pieces:
        return _NONE
    if len(pieces) == 1:
        return pieces[0]
    if len(pieces) == 2:
        shorter, longer = sorted(len(p[0]) for p in pieces)
        if longer >= MERGE_AT_LEAST and shorter * MERGE_SHARE <= longer:
            return _merge_two(*pieces, combine)
    at = np.concatenate([p[0] for p in pieces])
    values = np.concatenate([p[1] for p in pieces])
    order = np.argsort(at, kind="stable")  # sorted runs: a merge
    at, values = at[order], values[order]
    starts = run_starts(at)
    return at[starts], combine.reduceat(values, starts)


MERGE_AT_LEAST, MERGE_SHARE = 2048, 8  # a long piece and one at least 8x shorter: merged, not sorted together


def _merge_two(one: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray], combine):
    """`union_max` of two pieces (a term's title and body postings): the shorter is looked up in the
    longer and the rest inserted, not both sorted together."""
    (at, values), (few_at, few) = (one, other) if len(one[0]) >= len(other[0]) else (other, one)
    where = np.searchsorted(at, few_at)
    both = where < len(at)
    both[both] = at[where[both]] == few_at[both]
    values = values.copy()
    values[where[both]] = combine(values[where[both]], few[both])
    if both.all():
        return at, values
    new = ~both
    placed = np.zeros(len(at) + int(new.sum()), dtype=bool)  # where the new positions go in the union
    placed[where[new] + np.arange(len(placed) - len(at))] = True
    merged_at, merged = np.empty(len(placed), at.dtype), np.empty(len(placed), values.dtype)
    merged_at[placed], merged_at[~placed] = few_at[new], at
    merged[placed], merged[~placed] = few[new], values
    return merged_at, merged


def read_only(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Arrays kept for later searches, made read-only: a caller that wrote into one would change them all."""
    for array in arrays:
        array.flags.writeable = False
    return arrays


WITHIN_SHARE = 8  # pruning keeps a unit's postings to the survivors only when they are 8x fewer


class Scorer:
    """See the module docstring."""

    def __init__(self, snapshot, fields: tuple[str, ...], params: Params = DEFAULT, limits: Limits = Limits(),
                 candidates: np.ndarray | None = None):
        self.snapshot = snapshot
        self.fields = fields
        self.params = params
        self.limits = limits
        self.count = snapshot.size(fields[0])  # articles for title and body, passages for text
        dense = candidates is None or len(candidates) * DENSE_SHARE >= self.count
        self.docs = None if dense else np.asarray(candidates, dtype=np.int64)
        self.size = self.count if dense else len(self.docs)
        # Where the candidates are in the space (what place(candidates) gives, without searching): None for all.
        self.candidates_at = None if candidates is None else \
            np.asarray(candidates, dtype=np.int64) if dense else np.arange(self.size)
        self._marked = None  # (survivors, their mark over the archive): made once for all the pruned units

    def place(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(positions in the space of the sorted `ids` in it, which of `ids` those are: None for all).

        A few candidates (a page's passages) are looked up in a long posting list, not each posting
        among the candidates."""
        if self.docs is None:
            return ids, None
        if len(self.docs) * WITHIN_SHARE < len(ids):
            found = kept_sorted(ids, self.docs)
            return search_sorted(self.docs, ids[found]), found
        at = search_sorted(self.docs, ids)
        found = at < len(self.docs)
        found[found] = self.docs[at[found]] == ids[found]
        return at[found], found

    def ordinals(self, positions: np.ndarray) -> np.ndarray:
        return positions if self.docs is None else self.docs[positions]

    def norm(self, fieldname: str) -> np.ndarray:
        """BM25's length normalisation of a field for every document of the snapshot (kept per snapshot)."""
        def build():
            b = self.params.b
            return 1 - b + b * self.snapshot.lengths(fieldname) / self.snapshot.avg_length(fieldname)
        return self.snapshot.derived(("norm", fieldname, self.params.b), build)

    def idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))

    def saturate(self, pseudo: np.ndarray) -> np.ndarray:
        k1 = self.params.k1
        return pseudo * (k1 + 1) / (k1 + pseudo)

    def _bm25f(self, pieces: list[tuple[str, np.ndarray, np.ndarray]], df: int, within=None):
        """BM25F of (field, ordinals, frequencies) pieces with one idf: (positions, scores).

        `within` (sorted ordinals) keeps only those documents (top-k pruning): searched for in a piece's
        postings where it is much shorter, else marked over the archive and each posting looked up (a
        stop word's 190,000 postings against 30,000 survivors: no search, no sort of the rest).  A piece
        shorter than `within` is scored whole, which is cheaper, and gives documents outside `within`
        more of their exact score (never more).
        """
        weighted = []
        for fieldname, ids, freq in pieces:
            if within is not None and len(within) <= len(ids):
                keep = self._within(ids, within)
                ids, freq = ids[keep], freq[keep]
            at, found = self.place(ids)
            if len(at):
                freq = freq if found is None else freq[found]
                weighted.append((at, self.params.weight(fieldname) * freq / self.norm(fieldname)[self.ordinals(at)]))
        at, pseudo = union_max(weighted, np.add)
        return at, self.idf(df) * self.saturate(pseudo)

    def _within(self, ids: np.ndarray, within: np.ndarray) -> np.ndarray:
        """Which of the sorted `ids` are in `within` (sorted): searched for where `within` is much
        shorter, else marked over the archive and each id looked up (no search, no sort)."""
        if len(within) * WITHIN_SHARE < len(ids):
            return kept_sorted(ids, within)
        if self._marked is None or self._marked[0] is not within:
            marked = np.zeros(self.count, dtype=bool)
            marked[within] = True
            self._marked = (within, marked)
        return self._marked[1][ids]

    def term(self, text: str, within=None) -> tuple[np.ndarray, np.ndarray]:
        if self.docs is None:  # every document is in the space: the term's scores are the snapshot's, kept
            key = ("bm25f", text, self.fields, self.params)
            if within is None:
                return self.snapshot.held(key, lambda: read_only(self._term(text, None)))
            # Pruned: scored on the survivors the first time; a word pruned again (a common word of many
            # questions) is scored whole once, kept, and its survivors' scores read from that.
            if self.snapshot.held_already(key) is None and self.snapshot.facts.get(("pruned", key)) is None:
                self.snapshot.facts.put(("pruned", key), True)
                return self._term(text, within)
            at, scores = self.snapshot.held(key, lambda: read_only(self._term(text, None)))
            keep = self._within(at, within)
            return at[keep], scores[keep]
        return self._term(text, within)

    def _term(self, text: str, within) -> tuple[np.ndarray, np.ndarray]:
        pieces = [(f, *self.snapshot.postings(f, text)) for f in self.fields]
        return self._bm25f(pieces, max(self.snapshot.df(f, text) for f in self.fields), within)

    def phrase(self, alt: Alt, within=None) -> tuple[np.ndarray, np.ndarray]:
        pieces = [(f, *phrase_counts(self.snapshot, f, alt.words, alt.slop, alt.spellings)) for f in self.fields]
        # A phrase is rarer than any of its words, so its idf ranks it above the words scattered.
        return self._bm25f(pieces, max((len(ids) for _, ids, _ in pieces), default=0), within)

    def alternative(self, alt: Alt, within=None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of one alternative of a unit."""
        if alt.kind == "term":
            return self.term(alt.text, within)
        if alt.kind == "phrase":
            return self.phrase(alt, within)
        if alt.kind == "entity":
            if self.fields == PASSAGE_FIELDS:
                return _NONE
            ids = np.flatnonzero(entity_mask(self.snapshot, alt.keys) & self.snapshot.live_articles())
            chosen = ids if within is None else ids[kept_sorted(ids, within)]
            at, _ = self.place(chosen)
            return at, np.full(len(at), self.idf(len(ids)) * self.params.entity_score)
        return union_max([self.term(w, within) for w in scored_expansions(alt.node, self.snapshot, self.limits)])

    def unit(self, unit: Unit, within=None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of a unit: its best alternative for each document."""
        return union_max([self.alternative(alt, within) for alt in unit.alternatives])

    def weight_of(self, unit: Unit) -> float:
        """A unit's weight in idf-weighted coordination: the idf of what the user typed."""
        first = unit.alternatives[0]
        if first.kind == "term":
            return self.idf(max(self.snapshot.df(f, first.text) for f in self.fields))
        return self.idf(0) if first.kind == "phrase" else 1.0

    def bound(self, unit: Unit) -> float:
        """An upper bound of the unit's score in any document, from the segments' block maxima."""
        if any(alt.kind != "term" for alt in unit.alternatives):
            return math.inf  # phrases, expansions, entities: always scored in full
        return max(self.snapshot.facts.kept(("bound", alt.text, self.fields, self.params),
                                            lambda text=alt.text: self._term_bound(text)) for alt in unit.alternatives)

    def _term_bound(self, text: str) -> float:
        """BM25F of the largest tf over the shortest length of any block, field by field (see `bound`): each
        field's blocks of every segment in one expression (a new long question asks this of each word)."""
        b = self.params.b
        ratios = dict.fromkeys(self.fields, 0.0)
        numbers = self.snapshot.numbers(text)
        for fieldname in self.fields:
            blocks = [part.data.block_bounds(fieldname, number) for part, number in zip(self.snapshot.parts, numbers)
                      if number >= 0 and part.data.df(fieldname, number)]
            if blocks:
                maxtf = np.concatenate([tf for tf, _ in blocks]) if len(blocks) > 1 else blocks[0][0]
                minlen = np.concatenate([length for _, length in blocks]) if len(blocks) > 1 else blocks[0][1]
                norm = 1 - b + b * minlen / self.snapshot.avg_length(fieldname)
                ratios[fieldname] = max(0.0, float(np.max(maxtf / norm)))
        pseudo = sum(self.params.weight(fieldname) * ratio for fieldname, ratio in ratios.items())
        df = max(self.snapshot.df(f, text) for f in self.fields)
        return self.idf(df) * float(self.saturate(np.float64(pseudo)))
