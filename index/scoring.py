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
    scores, matched = score_documents(searcher, units, candidates, fields, params)
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from whoosh import query as Q

from index.schema import ARTICLE, ENTITY_FIELDS, PASSAGE

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
        from index.analysis import terms
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
        self._lengths: dict[str, dict[int, int]] = defaultdict(dict)
        self._avg: dict[str, float] = {}

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

    def length(self, docnum: int, fieldname: str) -> int:
        cache = self._lengths[fieldname]
        if docnum not in cache:
            cache[docnum] = self.reader.doc_field_length(docnum, fieldname, 0)
        return cache[docnum]

    def idf(self, df: int, fieldname: str) -> float:
        n = self.count(fieldname)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _postings(reader, fieldname: str, text: str, candidates) -> dict[int, float]:
    """docnum -> term frequency of `text` in `fieldname`, for candidate documents only.

    Few candidates against a long posting list (a page's passages, a filtered
    search) skip through it; otherwise it is read from end to end.
    """
    if (fieldname, text) not in reader:
        return {}
    matcher = reader.postings(fieldname, text)
    if len(candidates) * 16 >= reader.doc_frequency(fieldname, text):
        return {d: w for d, w in matcher.items_as("weight") if d in candidates}
    found: dict[int, float] = {}
    for docnum in sorted(candidates):
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            found[docnum] = matcher.weight()
    return found


def _phrase_freqs(searcher, phrase: Q.Phrase, candidates) -> tuple[dict[int, float], int]:
    """docnum -> how often the phrase occurs (candidates only), and in how many documents it occurs."""
    found: dict[int, float] = {}
    df = 0
    matcher = phrase.matcher(searcher)
    while matcher.is_active():
        docnum = matcher.id()
        df += 1
        if docnum in candidates:
            try:
                found[docnum] = float(len(matcher.spans())) or 1.0
            except Exception:  # a matcher without spans still says the phrase is there
                found[docnum] = 1.0
        matcher.next()
    return found, df


def _expansions(node: Q.Query, reader, limit: int = 64) -> list[str]:
    words = []
    for btext in node._btexts(reader):
        words.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
        if len(words) >= limit:
            break
    return words


def _bm25f(stats: Statistics, freqs: dict[str, dict[int, float]], df: int, params: Params, idf_field: str) -> dict[int, float]:
    """BM25F over the fields in `freqs` (field -> docnum -> frequency), one idf for the unit."""
    idf = stats.idf(df, idf_field)
    pseudo: dict[int, float] = defaultdict(float)
    for fieldname, by_doc in freqs.items():
        weight, avg = params.weight(fieldname), stats.avg_length(fieldname)
        for docnum, tf in by_doc.items():
            norm = 1 - params.b + params.b * stats.length(docnum, fieldname) / avg
            pseudo[docnum] += weight * tf / norm
    k1 = params.k1
    return {d: idf * t * (k1 + 1) / (k1 + t) for d, t in pseudo.items()}


def _score_alternative(searcher, alt: Q.Query, fields: tuple[str, ...], candidates, stats: Statistics,
                       params: Params) -> tuple[dict[int, float], dict[int, set[str]]]:
    """Scores and matched fields of one alternative of a unit, over `fields`."""
    reader = searcher.reader()
    fieldname = getattr(alt, "fieldname", None)
    where: dict[int, set[str]] = defaultdict(set)
    if fieldname in ENTITY_FIELDS:
        docs = _postings(reader, fieldname, alt.text, candidates)
        idf = stats.idf(reader.doc_frequency(fieldname, alt.text), fields[-1])
        for d in docs:
            where[d].add("entity")
        return {d: idf * params.entity_score for d in docs}, where
    if isinstance(alt, Q.Term):
        texts = [alt.text]
    elif isinstance(alt, Q.MultiTerm):
        texts = _expansions(alt, reader)
    elif isinstance(alt, Q.Phrase):
        freqs, df = {}, 0
        for f in fields:
            phrase = Q.Phrase(f, alt.words, slop=alt.slop)
            freqs[f], found_in = _phrase_freqs(searcher, phrase, candidates)
            df = max(df, found_in)
            for d in freqs[f]:
                where[d].add(f)
        # A phrase is rarer than any of its words, so its idf ranks it above the words scattered.
        return _bm25f(stats, freqs, df, params, fields[-1]), where
    else:
        return {}, where
    best: dict[int, float] = {}
    for text in texts:
        freqs = {f: _postings(reader, f, text, candidates) for f in fields}
        df = max((reader.doc_frequency(f, text) for f in fields), default=0)
        for f, docs in freqs.items():
            for d in docs:
                where[d].add(f)
        for d, s in _bm25f(stats, freqs, df, params, fields[-1]).items():
            best[d] = max(best.get(d, 0.0), s)
    return best, where


def score_documents(searcher, units: list[Unit], candidates, fields: tuple[str, ...] = ARTICLE_FIELDS,
                    params: Params = DEFAULT, coordinate: bool = True) -> tuple[dict[int, float], dict[int, Match]]:
    """Score every candidate document (docnums) for the units; return scores and what matched.

    A candidate that matches no unit (say, only through a filter) scores 0.
    """
    candidates = candidates if isinstance(candidates, (set, frozenset)) else set(candidates)
    stats = Statistics.of(searcher.reader())
    totals: dict[int, float] = defaultdict(float)
    hits: dict[int, int] = defaultdict(int)
    matches: dict[int, Match] = {}
    for unit in units:
        best: dict[int, float] = {}
        for index, alt in enumerate(unit.alternatives):
            scores, where = _score_alternative(searcher, alt, fields, candidates, stats, params)
            for d, s in scores.items():
                if s > best.get(d, -1.0):
                    best[d] = s
                match = matches.setdefault(d, Match())
                match.fields[unit.label].update(where.get(d, ()))
                if index > 0 and unit.via:
                    match.via[unit.label] = unit.via
        for d, s in best.items():
            totals[d] += s
            hits[d] += 1
    if params.proximity > 0:
        _add_proximity(searcher, units, candidates, fields, stats, params, totals)
    asked = len(units)
    if coordinate and params.coord > 0 and 1 < asked <= params.coord_max_units:
        for d in totals:
            totals[d] *= (hits[d] / asked) ** params.coord
    scores = {d: totals.get(d, 0.0) for d in candidates}
    return scores, matches


def _add_proximity(searcher, units, candidates, fields, stats, params, totals) -> None:
    """Add a bonus for each pair of consecutive query words found within `proximity_slop` of each other.

    The bonus is the pair's saturated frequency in the main text field times
    `proximity`: a fixed weight, because a pair's own idf would let one rare
    bigram outweigh every word of the query.
    """
    words = [u for u in units if len(u.words) == 1 and isinstance(u.alternatives[0], Q.Term)]
    main = fields[-1]
    avg, k1, b = stats.avg_length(main), params.k1, params.b
    for left, right in zip(words, words[1:]):
        pair = Q.Phrase(main, [left.words[0], right.words[0]], slop=params.proximity_slop)
        freqs, _ = _phrase_freqs(searcher, pair, candidates)
        for d, tf in freqs.items():
            t = tf / (1 - b + b * stats.length(d, main) / avg)
            totals[d] += params.proximity * t * (k1 + 1) / (k1 + t)


def rank(scores: dict[int, float]) -> list[tuple[int, float]]:
    """Documents best first; equal scores in index order, so results are stable."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
