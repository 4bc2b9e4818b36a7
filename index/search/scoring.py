"""Scoring: how well a document answers a query, as one number, and which words it matched.

Whoosh decides *which* documents match (the Boolean meaning of the query, filters
included); this module decides their *order*.  It exists because Whoosh's BM25F
is not textbook BM25: its idf and average field lengths count every document of
the index, passages included (so a body term looks rarer and every body looks
long), title and body are saturated separately, and its coordination factor
gives zero to one-word queries.  Measured on SciFact (bench/RESULTS.md).

The model, per query *unit* (a word, a "phrase", or an alias with its names):

    BM25F (Robertson & Zaragoza): tf~ = sum over fields of w_f * tf_f / (1 - b + b * len_f / avglen_f)
    unit score = idf * tf~ * (k1 + 1) / (k1 + tf~),  idf = ln(1 + (N - df + 0.5) / (df + 0.5))

with N, df and avglen counted over documents of the same kind (articles for
title/body, passages for text).  A unit with alternatives (a prefix's words, an
alias's names) scores its best alternative.  Adjacent query words that appear
next to each other add a proximity bonus, and in `auto` mode the sum is scaled
by coordination: (units matched / units asked) ** coord, so articles with every
word rank first but the rest are still found.

    units = query_units(parsed_query, user_text)
    scored = score_documents(searcher, arrays, units, candidates, fields, params)
    scored.ranked(0, 10)  # [(docnum, score)], best first;  scored.match(docnum): what matched
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as Q

from index.store.schema import ARTICLE, ENTITY_FIELDS, PASSAGE
from index.store.segments import (SegmentArrays, by_segment, global_array, global_postings, phrase_key,
                            read_positions)

TEXT_FIELDS = ("title", "body", "text")
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


@dataclass
class Unit:
    """One thing the user asked for: a word, a phrase, or an alias with its alternatives.

    `alternatives` are Whoosh leaf queries (Term, Phrase, or a MultiTerm such as
    Prefix) over text fields, or Terms over entity fields; the first is what the user
    typed.  `via` names the alias when the alternatives come from an alias expansion.
    """

    label: str
    alternatives: list[Q.Query]
    via: str | None = None
    words: tuple[str, ...] = ()  # index terms of a plain word, for proximity

    @property
    def key(self) -> tuple:
        first = self.alternatives[0]
        return (type(first).__name__, tuple(getattr(first, "words", None) or [getattr(first, "text", "")]))


@dataclass
class Match:
    """What matched in one document: unit label -> fields, and the alias used, if any."""

    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    via: dict[str, str] = field(default_factory=dict)


class AliasOr(Q.Or):
    """An Or made by alias expansion: the user's word first, then the alias's other names."""

    def __init__(self, subqueries, boost=1.0, via: str | None = None):
        super().__init__(subqueries, boost=boost)
        self.via = via

    def apply(self, fn):
        return AliasOr([fn(q) for q in self.subqueries], boost=self.boost, via=self.via)


def _label(node: Q.Query, text: str) -> str:
    """The unit as the user typed it (terms carry their position in the query string)."""
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    if isinstance(node, Q.Phrase):
        from index.text.analysis import terms
        for quoted in re.findall(r'"([^"]+)"', text or ""):
            if terms(quoted) == list(node.words):
                return f'"{quoted}"'
        return '"' + " ".join(node.words) + '"'
    if start is not None and end is not None and end > start and text:
        return text[start:end].strip('"')
    return getattr(node, "text", str(node))


def query_units(parsed: Q.Query, text: str = "") -> list[Unit]:
    """The positive units of a parsed query (what is under NOT asks for nothing).

    A word searched in several fields (title and body) is one unit; so is a phrase.
    """
    units: dict[tuple, Unit] = {}

    def add(unit: Unit) -> None:
        existing = units.get(unit.key)
        if existing is None:
            units[unit.key] = unit
        else:
            for alt in unit.alternatives:
                if not any(_same(alt, a) for a in existing.alternatives):
                    existing.alternatives.append(alt)

    def walk(node: Q.Query) -> None:
        if isinstance(node, (Q.Not,)):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
            return
        if isinstance(node, AliasOr):
            first, *others = node.subqueries
            unit = _leaf_unit(first, text)
            if unit is not None:
                unit.alternatives.extend(others)
                unit.via = node.via
                add(unit)
            return
        if isinstance(node, Q.Phrase) or node.is_leaf():
            unit = _leaf_unit(node, text)
            if unit is not None:
                add(unit)
            return
        for child in node.children():
            walk(child)

    walk(parsed)
    return list(units.values())


def _leaf_unit(node: Q.Query, text: str) -> Unit | None:
    if getattr(node, "fieldname", None) not in TEXT_FIELDS:
        return None
    if isinstance(node, Q.Term):
        return Unit(label=_label(node, text), alternatives=[node], words=(node.text,))
    if isinstance(node, (Q.Phrase, Q.MultiTerm)):
        return Unit(label=_label(node, text), alternatives=[node])
    return None


def _same(a: Q.Query, b: Q.Query) -> bool:
    return type(a) is type(b) and getattr(a, "fieldname", None) == getattr(b, "fieldname", None) and (
        getattr(a, "text", None) == getattr(b, "text", None)) and getattr(a, "words", None) == getattr(b, "words", None)


class Statistics:
    """Collection statistics of one reader, counted per kind of document, cached on the reader."""

    def __init__(self, reader):
        self.reader = reader
        self.articles = max(1, reader.doc_frequency("kind", ARTICLE))
        self.passages = max(1, reader.doc_frequency("kind", PASSAGE))
        self._avg: dict[str, float] = {}
        self._df: dict[tuple[str, str], int] = {}

    @classmethod
    def of(cls, reader) -> "Statistics":
        stats = getattr(reader, "_newsindex_statistics", None)
        if stats is None:
            stats = cls(reader)
            reader._newsindex_statistics = stats
        return stats

    def count(self, fieldname: str) -> int:
        return self.passages if fieldname == "text" else self.articles

    def avg_length(self, fieldname: str) -> float:
        if fieldname not in self._avg:
            self._avg[fieldname] = max(1.0, self.reader.field_length(fieldname) / self.count(fieldname))
        return self._avg[fieldname]

    def df(self, fieldname: str, text: str) -> int:
        """Documents (deleted ones included, as Whoosh counts) holding a term."""
        key = (fieldname, text)
        if key not in self._df:
            self._df[key] = self.reader.doc_frequency(fieldname, text)
        return self._df[key]

    def idf(self, df: int, fieldname: str) -> float:
        n = self.count(fieldname)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


class Scorer:
    """Scores one set of candidate documents (a sorted array of global docnums), all at once.

    Every quantity is an array aligned with the candidates: a term's postings are
    located in it with one `searchsorted`, so a query costs a few numpy passes over
    its posting lists rather than a Python step per matching document.
    """

    def __init__(self, searcher, arrays: SegmentArrays, candidates, fields: tuple[str, ...], params: Params,
                 deadline=None):
        self.searcher = searcher
        self.deadline = deadline
        self.partial = False  # set when the deadline stopped a step early
        self.arrays = arrays
        docs = np.asarray(list(candidates) if isinstance(candidates, (set, frozenset)) else candidates, dtype=np.int64)
        self.docs = docs if len(docs) < 2 or bool(np.all(docs[1:] > docs[:-1])) else np.unique(docs)
        self.fields = fields
        self.params = params
        self.stats = Statistics.of(searcher.reader())
        self._norms: dict[str, np.ndarray] = {}

    def expired(self) -> bool:
        if self.deadline is not None and self.deadline.expired():
            self.partial = True
        return self.partial

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in the candidates, which of `ids` are candidates)."""
        pos = np.searchsorted(self.docs, ids)
        found = pos < len(self.docs)
        found[found] = self.docs[pos[found]] == ids[found]
        return pos[found], found

    def norm(self, fieldname: str) -> np.ndarray:
        """BM25's length normalisation of `fieldname` for each candidate."""
        if fieldname not in self._norms:
            lengths = global_array(self.searcher, self.arrays, "lengths", fieldname)[self.docs]
            b = self.params.b
            self._norms[fieldname] = 1 - b + b * lengths / self.stats.avg_length(fieldname)
        return self._norms[fieldname]

    def saturate(self, pseudo: np.ndarray) -> np.ndarray:
        k1 = self.params.k1
        return pseudo * (k1 + 1) / (k1 + pseudo)

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(candidate positions, frequencies) of a term in a field."""
        ids, weights = global_postings(self.searcher, self.arrays, fieldname, text)
        pos, found = self.locate(ids)
        return pos, weights[found]

    def bm25f(self, freqs: dict[str, tuple[np.ndarray, np.ndarray]], df: int) -> np.ndarray:
        """BM25F over the fields in `freqs` (field -> (positions, frequencies)), one idf for the unit."""
        pseudo = np.zeros(len(self.docs))
        for fieldname, (pos, tf) in freqs.items():
            pseudo[pos] += self.params.weight(fieldname) * tf / self.norm(fieldname)[pos]
        return self.stats.idf(df, self.fields[-1]) * self.saturate(pseudo)

    def phrase_freqs(self, phrase: Q.Phrase) -> tuple[np.ndarray, np.ndarray, int]:
        """(candidate positions, phrase frequencies, live documents with the phrase anywhere)."""
        ids, counts = global_postings(self.searcher, self.arrays, phrase.fieldname, phrase_key(phrase))
        pos, found = self.locate(ids)
        return pos, counts[found].astype(np.float64), len(ids)

    def pair_freqs(self, left: str, right: str, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(candidate positions, occurrences of `left` followed by `right` within the slop) in the main field.

        Read from the two words' positions in the given candidates only, segment by
        segment; counts what Whoosh's Phrase(slop) would: pairs 1..slop words apart.
        """
        fieldname, slop = self.fields[-1], self.params.proximity_slop
        found_pos, found_tf = [], []
        for sub, offset, local in by_segment(self.searcher, self.docs[np.sort(positions)]):
            reader = sub.reader()
            lefts = read_positions(reader, fieldname, left, local)
            rights = read_positions(reader, fieldname, right, local) if lefts else {}
            for docnum in lefts.keys() & rights.keys():
                after = set(rights[docnum])
                count = sum(1 for p in lefts[docnum] for gap in range(1, slop + 1) if p + gap in after)
                if count:
                    found_pos.append(np.searchsorted(self.docs, docnum + offset))
                    found_tf.append(count)
        return np.asarray(found_pos, dtype=np.int64), np.asarray(found_tf, dtype=np.float64)


@dataclass
class Scored:
    """The outcome of score_documents: candidates, their scores, and the evidence of what matched."""

    docs: np.ndarray
    scores: np.ndarray
    evidence: dict[str, list[tuple[str, np.ndarray, bool]]]  # unit label -> (field, positions, via alias)
    vias: dict[str, str]
    partial: bool = False  # the deadline passed before every unit was scored

    def ranked(self, start: int = 0, stop: int | None = None) -> list[tuple[int, float]]:
        """(docnum, score) best first; equal scores in index order, so results are stable."""
        within = np.arange(len(self.docs))
        if stop is not None and stop < len(self.docs):  # only the top `stop` (and ties) need sorting
            floor = -np.partition(-self.scores, stop - 1)[stop - 1]
            within = np.flatnonzero(self.scores >= floor)
        order = within[np.lexsort((self.docs[within], -self.scores[within]))][start:stop]
        return [(int(self.docs[i]), float(self.scores[i])) for i in order]

    def match(self, docnum: int) -> Match | None:
        """What matched in one candidate, or None."""
        at = np.searchsorted(self.docs, docnum)
        if at >= len(self.docs) or self.docs[at] != docnum:
            return None
        found = Match()
        for label, pieces in self.evidence.items():
            for fieldname, positions, via in pieces:
                hit = np.searchsorted(positions, at)
                if hit < len(positions) and positions[hit] == at:
                    found.fields[label].add(fieldname)
                    if via:
                        found.via[label] = self.vias[label]
        return found if found.fields else None


def score_documents(searcher, arrays: SegmentArrays, units: list[Unit], candidates,
                    fields: tuple[str, ...] = ARTICLE_FIELDS, params: Params = DEFAULT, coordinate: bool = True,
                    exact_top: int | None = None, deadline=None) -> Scored:
    """Score every candidate document (docnums) for the units.

    A candidate that matches no unit (say, only through a filter) scores 0.  The
    proximity bonus is bounded, so with `exact_top` it is computed only for the
    candidates that could still reach the top `exact_top` with it; the others keep
    their score without it, which cannot change who is in that top.  Past the
    `deadline` (index.search.matching.Deadline) the remaining units are skipped and the
    result says it is partial.
    """
    scorer = Scorer(searcher, arrays, candidates, fields, params, deadline)
    n = len(scorer.docs)
    totals = np.zeros(n)
    hits = np.zeros(n)
    evidence: dict[str, list] = defaultdict(list)
    vias: dict[str, str] = {}
    for number, unit in enumerate(units):
        if number and scorer.expired():
            break
        best = np.zeros(n)
        for index, alt in enumerate(unit.alternatives):
            scores, where = _score_alternative(scorer, alt)
            np.maximum(best, scores, out=best)
            via = index > 0 and bool(unit.via)
            for fieldname, positions in where:
                evidence[unit.label].append((fieldname, positions, via))  # sorted: from docnum order
            if via:
                vias[unit.label] = unit.via
        totals += best
        hits += best > 0
    coord = np.ones(n)
    asked = len(units)
    if coordinate and params.coord > 0 and 1 < asked <= params.coord_max_units:
        coord = (hits / asked) ** params.coord
    if params.proximity > 0 and not scorer.expired():
        _add_proximity(scorer, units, totals, coord, exact_top)
    return Scored(scorer.docs, totals * coord, dict(evidence), vias, scorer.partial)


def _score_alternative(scorer: Scorer, alt: Q.Query) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """Scores of one alternative of a unit for every candidate, and where it matched (field, positions)."""
    reader = scorer.searcher.reader()
    n = len(scorer.docs)
    fieldname = getattr(alt, "fieldname", None)
    if fieldname in ENTITY_FIELDS:
        pos, _ = scorer.postings(fieldname, alt.text)
        scores = np.zeros(n)
        scores[pos] = scorer.stats.idf(scorer.stats.df(fieldname, alt.text), scorer.fields[-1]) \
            * scorer.params.entity_score
        return scores, [("entity", pos)]
    if isinstance(alt, Q.Phrase):
        freqs, where, df = {}, [], 0
        for f in scorer.fields:
            pos, tf, found_in = scorer.phrase_freqs(Q.Phrase(f, alt.words, slop=alt.slop))
            freqs[f] = (pos, tf)
            where.append((f, pos))
            df = max(df, found_in)
        # A phrase is rarer than any of its words, so its idf ranks it above the words scattered.
        return scorer.bm25f(freqs, df), where
    if isinstance(alt, Q.Term):
        texts = [alt.text]
    elif isinstance(alt, Q.MultiTerm):
        texts = expansions(alt, reader)
    else:
        return np.zeros(n), []
    best = np.zeros(n)
    where = []
    for text in texts:
        freqs = {f: scorer.postings(f, text) for f in scorer.fields}
        df = max((scorer.stats.df(f, text) for f in scorer.fields), default=0)
        where.extend((f, pos) for f, (pos, _) in freqs.items())
        np.maximum(best, scorer.bm25f(freqs, df), out=best)
    return best, where


def expansions(node: Q.Query, reader, limit: int | None = 64) -> list[str]:
    """The index words a prefix, wildcard or fuzzy term stands for (the first `limit`; None: all)."""
    words = []
    for btext in node._btexts(reader):
        words.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
        if limit is not None and len(words) >= limit:
            break
    return words


def _add_proximity(scorer: Scorer, units, totals: np.ndarray, coord: np.ndarray, exact_top: int | None) -> None:
    """Add a bonus for each pair of consecutive query words found within `proximity_slop` of each other.

    The bonus is the pair's saturated frequency in the main text field times
    `proximity`: a fixed weight, because a pair's own idf would let one rare
    bigram outweigh every word of the query.  A pair cannot occur more often in a
    document than its rarer word, which bounds the bonus; only candidates whose
    bound could lift them into the top `exact_top` are checked for the pair.
    """
    params = scorer.params
    words = [u for u in units if len(u.words) == 1 and isinstance(u.alternatives[0], Q.Term)]
    main = scorer.fields[-1]
    pairs = list(zip(words, words[1:]))
    if not pairs:
        return
    norm = scorer.norm(main)
    bounds = []
    for left, right in pairs:
        tf = [np.zeros(len(scorer.docs)) for _ in range(2)]
        for counts, word in zip(tf, (left, right)):
            pos, freq = scorer.postings(main, word.words[0])
            counts[pos] = freq
        # A pair occurs at most (rarer word's count) x slop times.
        bounds.append(params.proximity * scorer.saturate(np.minimum(*tf) * params.proximity_slop / norm))
    check = np.ones(len(scorer.docs), dtype=bool)
    if exact_top is not None and exact_top < len(scorer.docs):
        lower = totals * coord
        threshold = -np.partition(-lower, exact_top - 1)[exact_top - 1]
        check = (totals + sum(bounds)) * coord >= threshold
    for (left, right), bound in zip(pairs, bounds):
        positions = np.flatnonzero(check & (bound > 0))
        if not len(positions):
            continue
        pos, tf = scorer.pair_freqs(left.words[0], right.words[0], positions)
        if len(pos):
            totals[pos] += params.proximity * scorer.saturate(tf / norm[pos])
