"""The array helpers under facets, proximity and story collapsing, against plain-Python references on random data."""

from __future__ import annotations

import numpy as np
import pytest

from index.arrays import (SAMPLED_FROM, found_in, in_sorted, kth_largest, kth_smallest, owner_offsets, rows_between,
                          rows_owned, search_sorted, sums_before, tally, union, values_at)
from index.search.bm25 import MERGE_AT_LEAST, union_max
from index.search.collapse import collapsed_top
from index.search.positions import SHIFT, pair_counts


def test_rows_of_some_owners_are_the_rows_a_mask_would_pick():
    rng = np.random.default_rng(3)
    for _ in range(50):
        owners = np.sort(rng.integers(0, 40, size=rng.integers(0, 200))).astype(np.int32)
        wanted = np.unique(rng.integers(0, 40, size=rng.integers(0, 20)))
        expected = np.flatnonzero(np.isin(owners, wanted))
        assert rows_owned(owners, wanted).tolist() == expected.tolist()
        offsets = owner_offsets(owners, 40)
        assert offsets.dtype == np.int32 and offsets[-1] == len(owners)
        assert rows_between(offsets[wanted], offsets[wanted + 1]).tolist() == expected.tolist()


def test_membership_in_a_sorted_array_is_what_isin_says():
    rng = np.random.default_rng(5)
    for _ in range(100):
        ordered = np.unique(rng.integers(-50, 50, size=rng.integers(0, 60))).astype(np.int64)
        values = rng.integers(-60, 60, size=rng.integers(0, 80)).astype(np.int64)
        assert in_sorted(values, ordered).tolist() == np.isin(values, ordered).tolist()


@pytest.mark.parametrize("size", [0, 5, 300, 3_000, 30_000])
def test_found_in_gives_the_positions_of_the_values_held_by_search_or_by_mask(size):
    rng = np.random.default_rng(size)
    space = 40_000
    ordered = np.unique(rng.integers(0, space, 20_000)).astype(np.int32)
    values = np.unique(np.concatenate([rng.choice(ordered, size // 2), rng.integers(0, space, size - size // 2)]))
    want = np.flatnonzero(np.isin(ordered, values))
    assert found_in(values.astype(np.int64), ordered, space).tolist() == want.tolist()


@pytest.mark.parametrize("wanted", [0, 5, 300, 3_000, 30_000])
def test_values_at_reads_each_wanted_key_by_search_or_by_spreading(wanted):
    rng = np.random.default_rng(wanted + 1)
    space = 40_000
    for held in (0, 20, 20_000):  # no postings, a rare word's, a common word's
        ordered = np.unique(rng.integers(0, space, held)).astype(np.int32)
        values = rng.integers(1, 9, len(ordered)).astype(np.uint16)
        keys = np.unique(np.concatenate([rng.choice(ordered, wanted // 2) if held else np.zeros(0, np.int32),
                                         rng.integers(0, space, wanted - wanted // 2)])).astype(np.int64)
        expected = dict(zip(ordered.tolist(), values.tolist()))
        got = values_at(ordered, values, keys, space)
        assert got.tolist() == [expected.get(k, 0) for k in keys.tolist()]


def test_union_is_what_union1d_says_sorted_or_not():
    rng = np.random.default_rng(6)
    for _ in range(100):
        parts = [rng.integers(0, 60, size=rng.integers(0, 40)) for _ in range(rng.integers(1, 4))]
        parts = [np.sort(p) if rng.random() < 0.7 else p for p in parts]
        expected = np.unique(np.concatenate(parts))
        assert union(*parts).tolist() == expected.tolist()


def test_searching_with_other_integer_types_finds_what_searchsorted_finds():
    rng = np.random.default_rng(8)
    for dtype in (np.int32, np.uint32, np.int16, np.int64):
        ordered = np.sort(rng.integers(0, 30000, size=500)).astype(dtype)
        for values in (rng.integers(-5, 30005, size=50), rng.integers(0, 2 ** 40, size=20), np.zeros(0, np.int64)):
            for side in ("left", "right"):
                assert search_sorted(ordered, values, side).tolist() == \
                    np.searchsorted(ordered.astype(np.int64), values, side).tolist()


def test_sums_before_some_places_are_the_prefix_sums_there():
    rng = np.random.default_rng(10)
    for _ in range(200):
        values = rng.integers(0, 9, size=rng.integers(0, 50)).astype(np.uint16)
        at = np.unique(rng.integers(0, len(values) + 1, size=rng.integers(0, 6))) if len(values) else np.zeros(0, int)
        at = at[at < max(len(values), 1)]
        expected = [int(values[:i].sum()) for i in at]
        assert sums_before(values, at).tolist() == expected
    assert sums_before(np.array([5, 1], np.uint16), np.array([0])).tolist() == [0]


@pytest.mark.parametrize("shape", ["one value", "a few", "runs", "scattered"])
def test_tally_counts_what_bincount_counts_however_the_values_lie(shape):
    # A few values are counted one by one, runs run by run (the days of an archive ingested day by day),
    # anything else by bincount; values below `low` (an undated article's day) are not counted.
    rng = np.random.default_rng(len(shape))
    for _ in range(100):
        n = int(rng.integers(0, 3000))
        low = int(rng.integers(-3, 3))
        if shape == "one value":
            values = np.full(n, rng.integers(-5, 50))
        elif shape == "a few":
            values = rng.integers(-5, 4, n)
        elif shape == "runs":
            values = np.repeat(rng.integers(-5, 900, max(n // 40, 1)), 40)[:n]
        else:
            values = rng.integers(-5, 900, n)
        values = values.astype(np.int32)
        first, counts = tally(values, low)
        kept = values[values >= low].astype(np.int64)
        assert counts.sum() == len(kept)
        if len(kept):
            assert first == kept.min() and counts.tolist() == np.bincount(kept - first).tolist()


def _values(rng, shape: str, n: int) -> np.ndarray:
    if shape == "normal":
        return rng.normal(size=n)
    if shape == "few values":
        return rng.integers(0, 4, n).astype(float)
    if shape == "mostly zero":
        return np.where(rng.random(n) < 0.995, 0.0, rng.random(n))
    ordered = np.sort(rng.random(n))
    return ordered if shape == "sorted" else ordered[::-1]


@pytest.mark.parametrize("shape", ["normal", "few values", "mostly zero", "sorted", "reversed"])
def test_the_kth_value_is_what_a_full_partition_puts_there(shape):
    # Long arrays go through the sampled floor (the scores of a long query's matches: mostly zero,
    # many ties, sorted by ordinal), short ones straight to np.partition; both must agree with it.
    rng = np.random.default_rng(len(shape))
    for _ in range(60):
        n = int(rng.choice([rng.integers(1, 200), rng.integers(SAMPLED_FROM, 5 * SAMPLED_FROM)]))
        values = _values(rng, shape, n)
        for k in {1, min(n, 10), min(n, int(rng.integers(1, n + 1))), min(n, 130), n}:
            assert kth_largest(values, k) == -np.partition(-values, k - 1)[k - 1]
            assert kth_smallest(values, k) == np.partition(values, k - 1)[k - 1]


@pytest.mark.parametrize("combine", [np.add, np.maximum])
def test_the_union_of_scored_pieces_combines_each_position_once(combine):
    """Two pieces, one much shorter (merged), of like sizes, or more (sorted together): the same union."""
    rng = np.random.default_rng(9)
    for _ in range(60):
        sizes = rng.choice([0, 5, 300, MERGE_AT_LEAST + 500], size=rng.integers(1, 4))
        pieces = [(np.unique(rng.integers(0, 4 * MERGE_AT_LEAST, size=n)), None) for n in sizes]
        pieces = [(at, rng.random(len(at))) for at, _ in pieces]
        expected: dict[int, float] = {}
        for at, values in pieces:
            for position, value in zip(at.tolist(), values.tolist()):
                expected[position] = combine(expected[position], value) if position in expected else value
        at, values = union_max(pieces, combine)
        assert at.tolist() == sorted(expected)
        if len(pieces) <= 2:  # one addition a position: exactly; three values are added in numpy's own order
            assert values.tolist() == [expected[p] for p in sorted(expected)]
        assert np.allclose(values, [expected[p] for p in sorted(expected)], rtol=1e-15, atol=0)


@pytest.mark.parametrize("slop", [1, 2, 3])
def test_pair_counts_are_the_followers_counted_document_by_document(slop):
    """Occurrence keys of two words (document << 32 | position): how often the right word follows the left one."""
    rng = np.random.default_rng(slop)
    for _ in range(60):
        def keys():
            docs = rng.integers(0, 12, size=rng.integers(0, 40))
            return np.unique((docs.astype(np.int64) << SHIFT) | rng.integers(0, 30, size=len(docs)))
        lefts, rights = keys(), keys()
        expected = {}
        right_set = set(rights.tolist())
        for key in lefts.tolist():
            found = sum(key + gap in right_set for gap in range(1, slop + 1))
            if found:
                expected[key >> 32] = expected.get(key >> 32, 0) + found
        docs, counts = pair_counts(lefts, rights, slop)
        assert dict(zip(docs.tolist(), counts.tolist())) == expected and docs.tolist() == sorted(expected)


def reference(family, found, better, start, stop):
    """Every family's best match (smallest `better`, then ordinal), all of them sorted: the slow way."""
    best = {}
    for i in range(len(found)):
        key = int(family[i]) if family[i] >= 0 else ("alone", int(found[i]))
        if key not in best or (better[i], found[i]) < (better[best[key]], found[best[key]]):
            best[key] = i
    heads = sorted(best.values(), key=lambda i: (better[i], found[i]))
    sizes = {key: sum(1 for f in family if f == key) for key in best if not isinstance(key, tuple)}
    page = heads[start:stop]
    return page, [sizes.get(int(family[i]), 1) if family[i] >= 0 else 1 for i in page], len(best)


@pytest.mark.parametrize("seed", range(40))
def test_the_collapsed_page_is_the_page_of_every_family_sorted(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    found = np.sort(rng.choice(10_000, size=n, replace=False))
    family = np.where(rng.random(n) < 0.3, -1, rng.integers(0, max(1, n // int(rng.integers(1, 30))), size=n))
    better = -rng.integers(0, 5, size=n).astype(np.float64)  # many ties: ordinals decide
    per_page = int(rng.integers(1, 30))
    start = per_page * int(rng.integers(0, 4))
    want_page, want_sizes, want_total = reference(family, found, better, start, start + per_page)
    matched = np.bincount(family[family >= 0], minlength=n)
    for in_archive in (matched, matched + rng.integers(0, 2, size=n)):  # and with versions that did not match
        page, sizes, total = collapsed_top(family, found, better, start, start + per_page, in_archive)
        assert page.tolist() == want_page
        assert sizes.tolist() == want_sizes
        assert total == want_total
