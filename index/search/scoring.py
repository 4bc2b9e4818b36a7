"""Scoring: how well a document answers a query, as one number.

The model, per query unit (a word, a "phrase", or an alias with its names),
over articles (title and body) or passages (text):

    BM25F (Robertson & Zaragoza): tf~ = sum over fields of w_f * tf_f / (1 - b + b * len_f / avglen_f)
    unit score = idf * tf~ * (k1 + 1) / (k1 + tf~),  idf = ln(1 + (N - df + 0.5) / (df + 0.5))

with N, df and avglen counted over documents of the same kind.  A unit with
alternatives (a prefix's words, an alias's names) scores its best alternative.
Adjacent query words found next to each other add a proximity bonus, and in
`auto` mode the sum is scaled by coordination, (units matched / units asked)
** coord, so articles with every word rank first but the rest are still
found.  Tuned on SciFact (bench/RESULTS.md).

Scores are accumulated in dense arrays over every document of the snapshot
(a term's postings are added with one indexed `+=`); only the matched
documents are ranked.  The proximity bonus is bounded, so it is computed only
for the documents that could still reach the page with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.search.expand import Limits, scored_expansions
from index.search.plan import Alt, Unit
from index.search.columns import entity_mask
from index.search.positions import occurrence_keys, pair_counts, phrase_counts

ARTICLE_FIELDS = ("title", "body")
PASSAGE_FIELDS = ("text",)


@dataclass(frozen=True)
class Params:
    """The free parameters of the ranking; the defaults are what the API uses (tuned on SciFact)."""

    k1: float = 1.5
    b: float = 0.75
    field_weights: tuple[tuple[str, float], ...] = (("title", 3.0), ("body", 1.0), ("text", 1.0))
    coord: float = 1.0  # exponent of the coordination factor (0 turns it off)
    coord_max_units: int = 3  # longer queries are descriptions, not lists of required words
    proximity: float = 0.6  # bonus (in idf units) for adjacent query words found next to each other
    proximity_slop: int = 1
    entity_score: float = 1.0  # an alias's entity clause scores like one occurrence of a word

    def weight(self, fieldname: str) -> float:
        return dict(self.field_weights).get(fieldname, 1.0)


DEFAULT = Params()


class Scorer:
    """BM25F over one set of documents of a snapshot: all of them (dense) or a few candidates.

    Every quantity is an array over the scorer's *space*: every article (or
    passage) of the snapshot when most of them are candidates, else just the
    candidates (a term's postings are placed in it with one `searchsorted`).
    """

    def __init__(self, snapshot, fields: tuple[str, ...], params: Params = DEFAULT, limits: Limits = Limits(),
                 deadline=None, candidates: np.ndarray | None = None):
        self.snapshot = snapshot
        self.fields = fields
        self.params = params
        self.limits = limits
        self.deadline = deadline
        self.partial = False
        self.count = snapshot.passages if fields == PASSAGE_FIELDS else snapshot.articles
        dense = candidates is None or len(candidates) * DENSE_SHARE >= self.count
        self.docs = None if dense else np.asarray(candidates, dtype=np.int64)
        self.size = self.count if dense else len(self.docs)

    def expired(self) -> bool:
        if self.deadline is not None and self.deadline.stop():
            self.partial = True
        return self.partial

    def place(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(positions in the space, which of `ids` are in it: None for all)."""
        if self.docs is None:
            return ids, None
        at = np.searchsorted(self.docs, ids)
        found = at < len(self.docs)
        found[found] = self.docs[at[found]] == ids[found]
        return at[found], found

    def ordinals(self, positions: np.ndarray) -> np.ndarray:
        return positions if self.docs is None else self.docs[positions]

    def norm(self, fieldname: str) -> np.ndarray:
        """BM25's length normalisation of a field over the space."""
        def build():
            b = self.params.b
            return 1 - b + b * self.snapshot.lengths(fieldname) / self.snapshot.avg_length(fieldname)
        full = self.snapshot.derived(("norm", fieldname, self.params.b), build)
        return full if self.docs is None else full[self.docs]

    def idf(self, df: int) -> float:
        n = self.count
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def saturate(self, pseudo: np.ndarray) -> np.ndarray:
        k1 = self.params.k1
        return pseudo * (k1 + 1) / (k1 + pseudo)

    def freqs(self, fieldname: str, ids: np.ndarray, tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at, found = self.place(ids)
        return at, (tfs if found is None else tfs[found]).astype(np.float64)

    def _fields(self, pieces: list[tuple[str, np.ndarray, np.ndarray]], df: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25F of (field, positions, frequencies) pieces with one idf: (positions, scores)."""
        pseudo = np.zeros(self.size)
        touched = []
        for fieldname, at, freq in pieces:
            if len(at):
                pseudo[at] += self.params.weight(fieldname) * freq / self.norm(fieldname)[at]
                touched.append(at)
        if not touched:
            return np.zeros(0, np.int64), np.zeros(0)
        at = touched[0] if len(touched) == 1 else np.unique(np.concatenate(touched))
        return at, self.idf(df) * self.saturate(pseudo[at])

    def term(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the documents holding the word, their BM25F scores for it)."""
        pieces = [(f, *self.freqs(f, *self.snapshot.postings(f, text))) for f in self.fields]
        return self._fields(pieces, max(self.snapshot.df(f, text) for f in self.fields))

    def phrase(self, alt: Alt) -> tuple[np.ndarray, np.ndarray]:
        pieces, df = [], 0
        for fieldname in self.fields:
            ids, counts = phrase_counts(self.snapshot, fieldname, alt.words, alt.slop)
            pieces.append((fieldname, *self.freqs(fieldname, ids, counts)))
            df = max(df, len(ids))
        # A phrase is rarer than any of its words, so its idf ranks it above the words scattered.
        return self._fields(pieces, df)

    def alternative(self, alt: Alt) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of one alternative of a unit."""
        if alt.kind == "term":
            return self.term(alt.text)
        if alt.kind == "phrase":
            return self.phrase(alt)
        if alt.kind == "entity":
            if self.fields == PASSAGE_FIELDS:
                return np.zeros(0, np.int64), np.zeros(0)
            ids = np.flatnonzero(entity_mask(self.snapshot, alt.keys) & self.snapshot.live_articles())
            at, _ = self.place(ids)
            return at, np.full(len(at), self.idf(len(ids)) * self.params.entity_score)
        best = np.zeros(self.size)
        hit = np.zeros(self.size, dtype=bool)
        for word in scored_expansions(alt.node, self.snapshot, self.limits):
            at, scores = self.term(word)
            best[at] = np.maximum(best[at], scores)
            hit[at] = True
        at = np.flatnonzero(hit)
        return at, best[at]


DENSE_SHARE = 16  # score over every document once candidates are at least 1/16 of them


@dataclass
class Scored:
    """Scores over a scorer's space (`docs`: its ordinals, or None for every document)."""

    scores: np.ndarray
    docs: np.ndarray | None = None
    partial: bool = False
    units_found: np.ndarray | None = None  # how many of the units each document holds

    def _at(self, candidates: np.ndarray) -> np.ndarray:
        return candidates if self.docs is None else np.searchsorted(self.docs, candidates)

    def of(self, candidates: np.ndarray) -> np.ndarray:
        """Scores of these candidates (which must be in the space)."""
        return self.scores[self._at(candidates)]

    def holding(self, candidates: np.ndarray, units: int) -> np.ndarray:
        """True for each candidate that holds every one of `units` units."""
        return self.units_found[self._at(candidates)] >= units

    def ranked(self, candidates: np.ndarray, start: int = 0, stop: int | None = None) -> list[tuple[int, float]]:
        """(ordinal, score) of the candidates, best first; equal scores in ordinal order."""
        scores = self.of(candidates)
        within = np.arange(len(candidates))
        if stop is not None and stop < len(candidates):  # only the top `stop` (and ties) need sorting
            floor = -np.partition(-scores, stop - 1)[stop - 1]
            within = np.flatnonzero(scores >= floor)
        order = within[np.lexsort((candidates[within], -scores[within]))][start:stop]
        return [(int(candidates[i]), float(scores[i])) for i in order]


def score(snapshot, units: list[Unit], fields: tuple[str, ...] = ARTICLE_FIELDS, params: Params = DEFAULT,
          limits: Limits = Limits(), coordinate: bool = True, candidates: np.ndarray | None = None,
          exact_top: int | None = None, deadline=None) -> Scored:
    """Score the candidates (every document without them) for the units (see the module docstring).

    With `exact_top`, the proximity bonus is computed only for the candidates that
    could still reach the top `exact_top` with it; the others keep their score
    without it, which cannot change who is in that top.  Past the `deadline` the
    remaining units are skipped and the result says so.
    """
    scorer = Scorer(snapshot, fields, params, limits, deadline, candidates)
    totals = np.zeros(scorer.size)
    hits = np.zeros(scorer.size)
    for number, unit in enumerate(units):
        if number and scorer.expired():
            break
        best = np.zeros(scorer.size)
        for alt in unit.alternatives:
            at, scores = scorer.alternative(alt)
            best[at] = np.maximum(best[at], scores)
        totals += best
        hits += best > 0
    coord = None
    asked = len(units)
    if coordinate and params.coord > 0 and 1 < asked <= params.coord_max_units:
        coord = (hits / asked) ** params.coord
    if params.proximity > 0 and not scorer.expired():
        pool = scorer.place(np.asarray(candidates, dtype=np.int64))[0] if candidates is not None \
            else np.arange(scorer.size)
        _add_proximity(scorer, units, totals, coord, pool, exact_top)
    return Scored(totals * coord if coord is not None else totals, scorer.docs, scorer.partial, hits)


def _add_proximity(scorer: Scorer, units: list[Unit], totals: np.ndarray, coord, pool: np.ndarray, exact_top) -> None:
    """Add a bonus for each pair of consecutive query words found within `proximity_slop` of each other.

    The bonus is the pair's saturated frequency in the main text field times
    `proximity`: a fixed weight, because a pair's own idf would let one rare
    bigram outweigh every word of the query.  A pair cannot occur more often in a
    document than its rarer word, which bounds the bonus; only candidates whose
    bound could lift them into the top `exact_top` are checked for the pair.
    """
    params = scorer.params
    words = [u.word for u in units if u.word is not None]
    pairs = list(zip(words, words[1:]))
    if not pairs:
        return
    main = scorer.fields[-1]
    norm = scorer.norm(main)
    bounds = []
    for left, right in pairs:
        tf = []
        for word in (left, right):
            counts = np.zeros(scorer.size)
            at, freqs = scorer.freqs(main, *scorer.snapshot.postings(main, word))
            counts[at] = freqs
            tf.append(counts[pool])
        bounds.append(params.proximity * scorer.saturate(np.minimum(*tf) * params.proximity_slop / norm[pool]))
    check = np.ones(len(pool), dtype=bool)
    lower = totals[pool] * (coord[pool] if coord is not None else 1)
    if exact_top is not None and exact_top < len(pool):
        threshold = -np.partition(-lower, exact_top - 1)[exact_top - 1]
        upper = (totals[pool] + sum(bounds)) * (coord[pool] if coord is not None else 1)
        check = upper >= threshold
    chosen = scorer.ordinals(pool[check & (sum(bounds) > 0)])
    if not len(chosen):
        return
    # Each word's positions are read once, for every candidate that could use them.
    occurrences = {w: occurrence_keys(scorer.snapshot, main, w, chosen) for w in dict.fromkeys(words)}
    for left, right in pairs:
        ids, counts = pair_counts(occurrences[left], occurrences[right], params.proximity_slop)
        if len(ids):
            at, _ = scorer.place(ids)
            totals[at] += params.proximity * scorer.saturate(counts / norm[at])
