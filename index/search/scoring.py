"""Ranking: a query's units scored over its matches, with only the top of the page computed exactly.

    scored = score(snapshot, units, candidates=found, exact_top=20)
    scored.ranked(found, 0, 10)       # [(ordinal, score)] best first
    scored.holding(found, len(units)) # which matches hold every unit

Each unit (index/search/bm25.py) adds its BM25F scores to the documents that
hold it.  In `auto` mode short queries are scaled by coordination, (units
matched / units asked) ** coord, so articles with every word rank first but
the rest are still found.  Adjacent query words found next to each other add
a proximity bonus (index/search/proximity.py).

**MaxScore.** A long query does not score every document that holds one of
its words.  Units are scored from the highest upper bound (read from the
segments' per-block maxima) down; once the bounds of the units still to come
(plus the largest proximity bonus) cannot lift a document that has scored
nothing into the top `exact_top`, the remaining units are scored only on the
documents that can still get there (a word pruned a second time is scored whole
once and kept, and those documents' scores read from it).  Every other document
keeps a lower score than the top's, so the top is exact.  Totals and facets count
every match (matching reads every word); `holding` looks a pruned unit up only for
the matches that hold every other unit.  Without coordination nothing counts the
units each document holds while ranking: "holds every word" intersects the units'
postings, the fewest first, and counts are made only if asked (`Scored.held`).

**Coordination** of two or three words keeps one bit a word per document; each
combination's factor is computed once.  Where there are candidates, the final
scores are kept for them alone (`Scored.docs`), and one plain word whose matches
are its documents is ranked by its kept scores as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.arrays import in_sorted, kept_sorted, kth_largest
from index.search.bm25 import ARTICLE_FIELDS, DEFAULT, PASSAGE_FIELDS, Params, Scorer
from index.search.expand import Limits
from index.search.plan import Unit
from index.search.proximity import add_proximity, largest_bonus, reads_coordination

__all__ = ["ARTICLE_FIELDS", "DEFAULT", "PASSAGE_FIELDS", "Params", "Scored", "score"]


@dataclass
class Scored:
    """Scores over a scorer's space (`docs`: its ordinals, or None for every document)."""

    scores: np.ndarray
    docs: np.ndarray | None = None
    partial: bool = False
    units_found: np.ndarray | None = None  # how many of the units each document holds
    pruned: int = 0  # units scored only on the documents that could still reach the top
    exact_floor: float = -math.inf  # every document scoring above this has its exact score
    unheld: tuple = ()  # (snapshot, fields, units) of pruned units: not in units_found, looked up by `holding`
    counted: np.ndarray | None = None  # units_found holds combinations (a bit a unit): how many units each is
    held: tuple = ()  # without units_found: (each held unit's positions, the space's ordinals or None, its size, pool)

    def _at(self, candidates: np.ndarray) -> np.ndarray | slice:
        if self.docs is None:
            return candidates
        return slice(None) if candidates is self.docs else np.searchsorted(self.docs, candidates)

    def of(self, candidates: np.ndarray) -> np.ndarray:
        """Scores of these candidates (which must be in the space)."""
        return self.scores[self._at(candidates)]

    def counts(self, candidates: np.ndarray) -> np.ndarray:
        """How many of the units each candidate holds (pruned units are not counted: see `holding`)."""
        if self.units_found is None:  # counted only now that they are asked for (a mix with vectors)
            positions, _, size, pool = self.held
            found = np.zeros(size, dtype=np.uint8 if len(positions) < 256 else np.int32)
            for at in positions:
                found[at] += 1
            self.units_found = found if pool is None else found[pool]
        found = self.units_found[self._at(candidates)]
        return found if self.counted is None else self.counted[found]

    def holding(self, candidates: np.ndarray, units: int) -> np.ndarray:
        """True for each candidate that holds every one of `units` units."""
        pruned = self.unheld[2] if self.unheld else []
        if self.units_found is None and self.held and len(self.held[0]) + len(pruned) <= units:  # all, or more
            found = len(self.held[0])  # every candidate left by `_holding_all` holds all the held units
            held = self._holding_all(candidates) if found + len(pruned) == units else np.zeros(len(candidates), bool)
        else:
            found = self.counts(candidates)
            held = found + len(pruned) >= units
        if not pruned:
            return held
        snapshot, fields, _ = self.unheld
        maybe = np.flatnonzero(held)  # those holding every other unit: looked up in the pruned units' postings
        if len(maybe):
            others = found if np.isscalar(found) else found[maybe]
            held[maybe] = others + _held_count(snapshot, fields, pruned, candidates[maybe]) >= units
        return held

    def _holding_all(self, candidates: np.ndarray) -> np.ndarray:
        """Which candidates hold every held unit: the units' positions intersected, the fewest first (a few
        binary searches, not a count per article of the archive)."""
        positions, ordinals, _, _ = self.held
        common = None
        for at in sorted(positions, key=len):
            common = at if common is None else common[in_sorted(common, at)]
            if not len(common):
                break
        common = common if ordinals is None else ordinals[common]
        held = np.zeros(len(candidates), dtype=bool)
        held[kept_sorted(candidates, common)] = True
        return held

    def ranked(self, candidates: np.ndarray, start: int = 0, stop: int | None = None) -> list[tuple[int, float]]:
        """(ordinal, score) of the candidates, best first; equal scores in ordinal order."""
        scores = self.of(candidates)
        within = np.arange(len(candidates))
        if stop is not None and stop < len(candidates):  # only the top `stop` (and ties) need sorting
            floor = kth_largest(scores, stop)
            within = np.flatnonzero(scores >= floor)
        order = within[np.lexsort((candidates[within], -scores[within]))][start:stop]
        return [(int(candidates[i]), float(scores[i])) for i in order]


def score(snapshot, units: list[Unit], fields: tuple[str, ...] = ARTICLE_FIELDS, params: Params = DEFAULT,
          limits: Limits = Limits(), coordinate: bool = True, candidates: np.ndarray | None = None,
          exact_top: int | None = None, deadline=None) -> Scored:
    """Score the candidates (every document without them) for the units (see the module docstring).

    Past the `deadline` the remaining units are skipped and the result says so.
    """
    if candidates is not None and not len(candidates):  # nothing to rank (a filter no article passes)
        return Scored(np.zeros(0), np.zeros(0, np.int64), units_found=np.zeros(0, np.int32))
    scorer = Scorer(snapshot, fields, params, limits, candidates)
    alone = _one_word(scorer, units, candidates, exact_top)
    if alone is not None:
        return alone
    totals = np.zeros(scorer.size)
    asked = [u for u in units if not u.extra]  # feedback's added words rank, but are not counted as asked
    coord_on = coordinate and params.coord > 0 and 1 < len(asked) <= params.coord_max_units
    # Idf coordination: which of the (2-3) words each document holds, a bit a word; each combination's factor
    # is computed once (`_combinations`), not a float per document summed word by word.
    bits = np.zeros(scorer.size, dtype=np.uint8) if params.coord_idf and coord_on and len(asked) <= 8 else None
    # Without coordination nothing reads how many units each document holds while ranking: the held units'
    # positions are kept instead (`Scored.held`), and `holding` intersects them when asked.
    lazy = bits is None and not coord_on
    held_at = []
    hits = None if bits is not None or lazy else \
        np.zeros(scorer.size, dtype=np.uint8 if len(units) < 256 else np.int32)  # units each holds: small to read
    weights = [scorer.weight_of(u) if not u.extra else 0.0 for u in units] if bits is not None else None
    flags: dict[int, int] = {}  # unit number -> its bit, in the order the units are scored
    prune = exact_top is not None and not coord_on and len(units) > 1 and candidates is not None
    bounds = [scorer.bound(u) * u.weight for u in units] if prune else [math.inf] * len(units)
    order = sorted(range(len(units)), key=lambda i: -bounds[i])
    extra = largest_bonus(scorer, units) if prune else 0.0
    within, partial, pruned, unheld = None, False, 0, []
    # What any total can be at most so far: each unit's largest score added (read from the unit's scores, not
    # gathered from the totals); `_survivors` needs the exact largest only when this is not enough.
    best = 0.0
    for step, number in enumerate(order):
        if step and deadline is not None and deadline.stop():
            partial = True
            break
        # What the units still to come can add: infinite while any of them is a phrase, an expansion
        # or an entity (no bound), so pruning starts only once every unit left is a plain term.
        remaining = sum(bounds[i] for i in order[step + 1:])
        at, scores = scorer.unit(units[number], within)
        totals[at] += scores * units[number].weight if units[number].weight != 1.0 else scores
        if prune and within is None:  # what `_survivors` compares, until the survivors are known
            best += float(scores.max(initial=0.0)) * units[number].weight
        pruned += within is not None
        if not units[number].extra and within is not None:
            unheld.append(units[number])  # pruned: which documents hold it is looked up only if asked
        elif not units[number].extra:
            if bits is not None:
                flags[number] = 1 << len(flags)
                bits[at] |= flags[number]
            elif lazy:
                held_at.append(at)
            else:
                hits[at] += 1
        if prune and within is None and step + 1 < len(order) and math.isfinite(remaining):
            within = _survivors(scorer, totals, best, exact_top, remaining + extra)
    # Coordination and the final scores: over the candidates alone where there are candidates (below).
    factors = _combinations(flags, weights, params.coord) if bits is not None else None
    if not coord_on:
        coord = None
    elif bits is not None:
        coord = factors[bits] if params.proximity > 0 and reads_coordination(scorer, units) else None
    else:
        coord = hits / len(asked)
        coord **= params.coord
    if params.proximity > 0 and not partial:
        pool = scorer.candidates_at if candidates is not None else np.arange(scorer.size)
        add_proximity(scorer, units, totals, coord, pool, exact_top)
    counted = np.array([bin(c).count("1") for c in range(1 << len(flags))], np.uint8) if bits is not None else None
    units_found = hits if bits is None else bits
    unheld = (snapshot, fields, unheld) if unheld else ()
    pool = None
    if candidates is not None and scorer.docs is None:  # only the candidates' scores are read: kept for them alone
        pool = scorer.candidates_at
        totals, coord = totals[pool], coord[pool] if coord is not None else None
        units_found = units_found[pool] if units_found is not None else None
    held = (held_at, scorer.docs, scorer.size, pool) if lazy else ()
    if factors is not None:
        totals *= factors[units_found]
    elif coord is not None:
        totals *= coord
    floor = -math.inf
    if exact_top is not None and candidates is not None and exact_top < len(candidates):
        floor = float(kth_largest(totals, exact_top))  # the space is the candidates now
    docs = scorer.docs if scorer.docs is not None or candidates is None else candidates
    return Scored(totals, docs, partial, units_found, pruned, floor, unheld, counted, held)


def _one_word(scorer: Scorer, units: list[Unit], candidates: np.ndarray | None, exact_top: int | None) -> Scored | None:
    """A query of one plain word whose articles are exactly the candidates (no filter, nothing added):
    the word's kept scores are the ranking as they are, over the candidates, nothing summed or scattered
    into a float per article of the archive.  None otherwise."""
    if candidates is None or scorer.docs is not None or len(units) != 1:
        return None
    unit = units[0]
    if unit.extra or unit.weight != 1.0 or len(unit.alternatives) != 1 or unit.alternatives[0].kind != "term":
        return None
    at, scores = scorer.unit(unit)
    if len(at) != len(candidates) or not np.array_equal(at, candidates):
        return None
    floor = float(kth_largest(scores, exact_top)) if exact_top is not None and exact_top < len(candidates) else -math.inf
    return Scored(scores, candidates, units_found=np.ones(len(candidates), dtype=np.uint8), exact_floor=floor)


def _combinations(flags: dict[int, int], weights: list[float], exponent: float) -> np.ndarray:
    """The idf coordination factor of every combination of the units held (a bit each, `flags` in the
    order they were scored): (their weights summed in that order / all weights) ** exponent."""
    sums = np.zeros(1 << len(flags))
    for combination in range(len(sums)):
        total = 0.0
        for number, flag in flags.items():
            if combination & flag:
                total += weights[number]
        sums[combination] = total
    sums /= sum(weights) or 1.0
    return sums if exponent == 1.0 else np.power(sums, exponent, out=sums)


def _survivors(scorer: Scorer, totals: np.ndarray, most: float, top: int, still: float):
    """The candidates that can still reach the top `top`, or None while any candidate can (`most`: what
    the largest of the totals can be at most)."""
    pool = scorer.candidates_at
    if top >= len(pool) or still >= most or still >= totals.max():  # no threshold can be above the best total
        return None
    now = totals[pool]
    threshold = kth_largest(now, top)
    if still >= threshold:  # a document that scored nothing yet could still get in
        return None
    return scorer.ordinals(pool[now >= threshold - still - 1e-9 * threshold])  # the margin: rounding, as now + still


def _held_count(snapshot, fields: tuple[str, ...], units: list[Unit], ordinals: np.ndarray) -> np.ndarray:
    """How many of the (pruned, plain-term) units each of the sorted ordinals holds, in any of the fields."""
    counts = np.zeros(len(ordinals), dtype=np.int32)
    for unit in units:
        held = np.zeros(len(ordinals), dtype=bool)
        for alt in unit.alternatives:
            if alt.kind == "term":
                for fieldname in fields:
                    held |= in_sorted(ordinals, snapshot.postings(fieldname, alt.text)[0])
        counts += held
    return counts
