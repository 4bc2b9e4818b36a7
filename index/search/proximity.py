"""The proximity bonus: adjacent query words found next to each other rank an article up.

The bonus for each pair of consecutive query words is the pair's saturated
frequency in the main text field times `proximity`: a fixed weight, because a
pair's own idf would let one rare bigram outweigh every word of the query.  A
pair cannot occur more often in a document than its rarer word, which bounds
the bonus, so it is computed only for the documents whose bound could lift
them into the top `exact_top`; positions are read once per word for all of
them (index/search/positions.py).  Where the segments index the field's word
pairs (index/store/pairs.py), every document's bonus is read from the pairs'
postings instead, like a word's scores: no positions, no bound.
"""

from __future__ import annotations

import numpy as np

from index.arrays import kth_largest, values_at
from index.search.bm25 import read_only
from index.search.plan import Unit
from index.search.positions import occurrence_keys, pair_counts


def _pairs(units: list[Unit]) -> list[tuple[str, str]]:
    words = [u.word for u in units if u.word is not None]
    return list(zip(words, words[1:]))


def largest_bonus(scorer, units: list[Unit]) -> float:
    """The most the proximity bonus can add to any document (for top-k pruning)."""
    params = scorer.params
    return params.proximity * (params.k1 + 1) * len(_pairs(units))


def _from_pairs(scorer) -> bool:
    """Whether the bonus is read from the word pairs' postings (index/store/pairs.py)."""
    return scorer.params.proximity_slop == 1 and scorer.snapshot.has_pairs(scorer.fields[-1])


def reads_coordination(scorer, units: list[Unit]) -> bool:
    """Whether `add_proximity` reads the coordination factors: only the bonus from positions, bounded."""
    return bool(_pairs(units)) and not _from_pairs(scorer)


def add_proximity(scorer, units: list[Unit], totals: np.ndarray, coord, pool: np.ndarray, exact_top) -> None:
    """Add the bonus to `totals` (over the scorer's space) for the documents of `pool` that can use it."""
    pairs = _pairs(units)
    if not pairs:
        return
    if _from_pairs(scorer):
        _bonus_from_pairs(scorer, pairs, totals)  # every document's bonus, as cheap as scoring a word
        return
    scale = coord[pool] if coord is not None else np.ones(len(pool))
    if exact_top is None or exact_top >= len(pool):
        _bonus(scorer, pairs, totals, pool[_bound(scorer, pairs, pool) > 0])
        return
    # Only documents that the largest possible bonus could lift to the top are looked at: a long
    # query's matches are most of the archive, its hopeful few thousand.
    threshold = kth_largest(totals[pool] * scale, exact_top)
    keep = (totals[pool] + largest_bonus(scorer, units)) * scale >= threshold
    pool, scale = pool[keep], scale[keep]
    bound = _bound(scorer, pairs, pool)
    # Best upper bounds first, in growing chunks, until no document left can reach the top: the top is
    # exact after a few hundred documents where the bound of every match was thousands.  The threshold
    # only rises as bonuses are added, so documents already below it are never sorted.
    upper = (totals[pool] + bound) * scale
    hopeful = np.flatnonzero(upper >= threshold)
    order = hopeful[np.argsort(-upper[hopeful], kind="stable")]
    done, chunk = 0, max(64, 4 * exact_top)
    while done < len(order):
        current = totals[pool] * scale
        threshold = kth_largest(current, exact_top)
        chosen = order[done:done + chunk]
        chosen = chosen[upper[chosen] >= threshold]
        if not len(chosen):
            break
        _bonus(scorer, pairs, totals, np.sort(pool[chosen][bound[chosen] > 0]))
        done += chunk
        chunk *= 2


def _bonus_from_pairs(scorer, pairs: list[tuple[str, str]], totals: np.ndarray) -> None:
    """Add each pair's bonus to every document of the scorer's space holding it, read from the pairs'
    own postings (index/store/pairs.py): what `_bonus` computes from positions, for all documents."""
    main = scorer.fields[-1]
    for left, right in pairs:
        if scorer.docs is None:  # every document is in the space: the pair's bonuses are the snapshot's, kept
            key = ("pair bonus", main, left, right, scorer.params)
            at, bonus = scorer.snapshot.held(key, lambda: read_only(_pair_bonus(scorer, main, left, right)))
        else:
            at, bonus = _pair_bonus(scorer, main, left, right)
        if len(at):
            totals[at] += bonus


def _pair_bonus(scorer, main: str, left: str, right: str) -> tuple[np.ndarray, np.ndarray]:
    """(positions in the scorer's space, bonus) of the documents where `left` is followed by `right`."""
    ids, tfs = scorer.snapshot.pair_postings(main, left, right)
    at, found = scorer.place(ids)
    counts = (tfs if found is None else tfs[found]).astype(np.float64)
    return at, scorer.params.proximity * scorer.saturate(counts / scorer.norm(main)[scorer.ordinals(at)])


def _bound(scorer, pairs: list[tuple[str, str]], pool: np.ndarray) -> np.ndarray:
    """The most each document of `pool` can gain: a pair occurs at most as often as its rarer word."""
    params = scorer.params
    main = scorer.fields[-1]
    ordinals = scorer.ordinals(pool)
    space = scorer.snapshot.size(main)
    tf = {word: values_at(*scorer.snapshot.postings(main, word), ordinals, space).astype(np.float64)
          for word in dict.fromkeys(w for pair in pairs for w in pair)}  # each word once, however many pairs
    norm = scorer.norm(main)[ordinals]
    return sum(params.proximity * scorer.saturate(np.minimum(tf[left], tf[right]) * params.proximity_slop / norm)
               for left, right in pairs)


def _bonus(scorer, pairs: list[tuple[str, str]], totals: np.ndarray, positions: np.ndarray) -> None:
    """Add each pair's bonus to the documents at these (sorted) positions of the scorer's space."""
    if not len(positions):
        return
    params = scorer.params
    main = scorer.fields[-1]
    chosen = scorer.ordinals(positions)
    words = dict.fromkeys(w for pair in pairs for w in pair)
    occurrences = {w: occurrence_keys(scorer.snapshot, main, w, chosen) for w in words}
    norm = scorer.norm(main)
    for left, right in pairs:
        ids, counts = pair_counts(occurrences[left], occurrences[right], params.proximity_slop)
        if len(ids):
            at, _ = scorer.place(ids)
            totals[at] += params.proximity * scorer.saturate(counts / norm[ids])
