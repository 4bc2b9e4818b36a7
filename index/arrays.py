"""Array helpers shared by the store and the search.

`unique`: numpy 2.4's `np.unique` without `return_*` takes a hash path that is
about ten times slower than sorting on the wide integers this code makes
(article << 24 | entity, document << 20 | position): 19 ms against 1.8 ms for
100,000 values, 2.1 s against 0.04 s for 1.4 million.  `np.isin` hashes both
arrays the same way unless told they are unique; `in_sorted` asks a sorted array
instead (0.6 against 5.1 ms for 50,000 keys in 40,000; 0.14 against 14 ms for
5,000 in 300,000); `union` merges sorted arrays with a stable sort, which takes them as
runs (0.16 ms for 150,000 and 300 values, against 14.4 for `np.union1d`).

`rows_owned` / `owner_offsets` + `rows_between`: the rows of a table sorted by
owner (passages by article, entity pairs by article) that belong to some
owners, without a mask over every row.  `run_starts`: where each owner's rows
begin, for `np.ufunc.reduceat` (an article's best passage, a unit's scores).

`kth_largest` / `kth_smallest`: the value `np.partition` would put at the k-th
place, for a k much smaller than the array (the 130th best score of 150,000
matches): a strided sample gives a floor that about twice k values pass, and only
those are partitioned (0.07 against 1.4 ms); exact either way.

`tally`: `np.bincount` from the smallest value, but a column with a few values (one source, the
months of a short archive) counted value by value: bincount adds one to the same counter value after
value, each add waiting for the last, 1.8 ms for 150,000 values of one source against 0.05 ms; and
values that come in runs (the days of an archive ingested day by day) run by run: 150,000 values in
runs of 400 days 1.16 ms by bincount, 0.05 ms by runs (random values stay with bincount: 0.57 ms).

`search_sorted`: `np.searchsorted` with the values in the sorted array's own
integer type; given int64 values, numpy converts an int32 array whole first, a
copy on every call (64 against 1 microsecond for ten articles' passages among 384,240).
"""

from __future__ import annotations

from functools import cache

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d array (what `np.unique(values)` returns)."""
    return _distinct(np.sort(values))


def union(*arrays: np.ndarray) -> np.ndarray:
    """The sorted distinct values of several arrays (what `np.union1d` returns); fastest when each is sorted."""
    values = np.concatenate(arrays)
    values.sort(kind="stable")
    return _distinct(values)


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """The first of each run of equal values of a sorted array."""
    return ordered if len(ordered) < 2 else ordered[run_starts(ordered)]


SAMPLED_FROM, SAMPLE = 8192, 512  # arrays at least this long, k at most 1/32 of them: partitioned past a sample


def kth_largest(values: np.ndarray, k: int):
    """The k-th largest value (1 <= k <= len(values)): `-np.partition(-values, k - 1)[k - 1]`."""
    return _kth(values, k, True)


def kth_smallest(values: np.ndarray, k: int):
    """The k-th smallest value (1 <= k <= len(values)): `np.partition(values, k - 1)[k - 1]`."""
    return _kth(values, k, False)


def _kth(values: np.ndarray, k: int, largest: bool):
    """See the module docstring: at least k values pass the sample's floor, or every value is partitioned."""
    n = len(values)
    if n >= SAMPLED_FROM and k * 32 <= n:
        sample = np.sort(values[::n // SAMPLE])
        rank = min(len(sample), 2 * len(sample) * k // n + 4)  # twice the share expected past the floor, and a few
        floor = sample[-rank] if largest else sample[rank - 1]
        passed = values[values >= floor] if largest else values[values <= floor]
        if len(passed) >= k:  # then the k-th value lies past the floor: it is the k-th of those
            values, n = passed, len(passed)
    return np.partition(values, n - k)[n - k] if largest else np.partition(values, k - 1)[k - 1]


FEW_VALUES = 8  # a column spanning up to this many values is counted value by value (see `tally`)
RUN_SHARE = 8  # and one whose values come in runs (under 1 change in 8) run by run


def tally(values: np.ndarray, low: int = 0) -> tuple[int, np.ndarray]:
    """(first, counts): counts[i] is how many of `values` equal first + i; values below `low` are not counted.

    Values in runs (a column of an archive ingested source by source, day by day) are reduced to their runs
    first, so everything after that one comparison reads a run, not a value; a column spanning a few values
    is then counted value by value, anything else by `bincount`."""
    if not len(values):
        return low, np.zeros(0, np.int64)
    change = values[1:] != values[:-1]
    weights = None
    if (np.count_nonzero(change) + 1) * RUN_SHARE < len(values):
        starts = np.concatenate(([0], np.flatnonzero(change) + 1))
        values, weights = values[starts], np.diff(starts, append=len(values))
    smallest = int(values.min())
    if smallest < low:
        kept = values >= low
        values, weights = values[kept], weights[kept] if weights is not None else None
        if not len(values):
            return low, np.zeros(0, np.int64)
        smallest = int(values.min())
    span = int(values.max()) - smallest + 1
    if weights is not None:
        return smallest, np.bincount(values - smallest, weights=weights, minlength=span).astype(np.int64)
    if span <= FEW_VALUES:
        return smallest, np.array([np.count_nonzero(values == smallest + i) for i in range(span)], dtype=np.int64)
    return smallest, np.bincount(values - smallest, minlength=span)


def search_sorted(ordered: np.ndarray, values, side: str = "left"):
    """`np.searchsorted(ordered, values, side)`, without converting `ordered` to the values' wider type
    (values an array or one integer: a Python int makes numpy convert an int32 array whole, 61 against 1.3 us)."""
    if isinstance(values, (int, np.integer)) and ordered.dtype.kind in "iu":
        low, high = _limits(ordered.dtype)
        if low <= values <= high:
            values = ordered.dtype.type(values)
    elif (isinstance(values, np.ndarray) and values.dtype != ordered.dtype and values.size
            and ordered.dtype.kind in "iu" and values.dtype.kind in "iu"):
        low, high = _limits(ordered.dtype)
        if low <= values.min() and values.max() <= high:
            values = values.astype(ordered.dtype)
    return ordered.searchsorted(values, side=side)


@cache
def _limits(dtype: np.dtype) -> tuple[int, int]:
    """(min, max) of an integer dtype, read once: np.iinfo costs as much as a small search, called per segment."""
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def sums_before(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`values[:i].sum()` for each i of `at` (sorted, distinct), as int64: one `reduceat` over the
    prefix, not a `cumsum` of it (a uint16 cumsum writes an int64 per value: 620 against 55
    microseconds for thirty places in 200,000)."""
    if not len(at) or at[-1] == 0:
        return np.zeros(len(at), dtype=np.int64)
    sums = np.add.reduceat(values[:at[-1]], np.concatenate(([0], at[:-1])), dtype=np.int64)
    if at[0] == 0:  # reduceat gives values[0] for the empty run [0, 0)
        sums[0] = 0
    return np.cumsum(sums)


def _nearest(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where each value is, or would go, in `ordered` (not empty), kept inside it: `ordered[at] == values`
    says which are held."""
    at = search_sorted(ordered, values)
    np.minimum(at, len(ordered) - 1, out=at)
    return at


def in_sorted(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """True where a value is in `ordered` (sorted): `np.isin(values, ordered)` by binary search."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    return ordered[_nearest(ordered, values)] == values


# Under (space + len(ordered)) / MARK_SHARE values, binary searches beat marking a mask over the space:
# 2,000 ordinals among 50,000 postings of 384,240 passages 40 against 53 microseconds, 8,000 184 against 69,
# 50,000 among 120,000 999 against 173.
MARK_SHARE = 160


def _searched(few: int, ordered: np.ndarray, space: int) -> bool:
    """Whether `few` values are looked up in `ordered` by binary search, not through the space (MARK_SHARE)."""
    return few * MARK_SHARE < space + len(ordered)


def found_in(values: np.ndarray, ordered: np.ndarray, space: int) -> np.ndarray:
    """Positions in `ordered` of the `values` it holds (both sorted and distinct, below `space`), in order:
    by binary search for a few values, else by marking them in a mask over the space (a pass over each)."""
    if _searched(len(values), ordered, space):
        return kept_sorted(ordered, values)
    mask = np.zeros(space, dtype=bool)
    mask[values] = True
    return np.flatnonzero(mask[ordered])


def values_at(ordered: np.ndarray, values: np.ndarray, wanted: np.ndarray, space: int) -> np.ndarray:
    """The value of each of `wanted` in the (`ordered` keys, `values`) pairs, 0 where it has none (keys
    sorted and distinct, below `space`): by binary search for a few, else by scattering the values over the
    space and reading them back (14,300 documents in 20,000 postings: 34 against 245 microseconds)."""
    if not len(ordered):
        return np.zeros(len(wanted), dtype=values.dtype)
    if _searched(len(wanted), ordered, space):
        at = _nearest(ordered, wanted)
        return np.where(ordered[at] == wanted, values[at], 0)
    spread = np.zeros(space, dtype=values.dtype)
    spread[ordered] = values
    return spread[wanted]


def union_below(arrays: list[np.ndarray], size: int) -> np.ndarray:
    """`union(*arrays)` of values below `size`: by marking each value when they cover much of the
    range (a stop word's postings in two fields: no sort of a million values), else by sorting."""
    if len(arrays) == 1:
        return unique(arrays[0])
    if sum(len(values) for values in arrays) * 8 < size:
        return union(*arrays)
    marks = np.zeros(size, dtype=bool)
    for values in arrays:
        marks[values] = True
    return np.flatnonzero(marks)


def kept_sorted(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Positions in `values` (sorted, distinct) of the values also in `ordered` (sorted, distinct):
    `np.flatnonzero(in_sorted(values, ordered))`, searching the shorter array in the longer (a stop
    word's postings kept to a few thousand survivors: thousands of searches, not half a million)."""
    if len(ordered) >= len(values) or not len(values):
        return np.flatnonzero(in_sorted(values, ordered))
    at = _nearest(values, ordered)
    return at[values[at] == ordered]


def span_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices starts[i] .. starts[i] + counts[i] - 1 for every i, concatenated (a CSR row's items)."""
    counts = counts.astype(np.int64, copy=False)
    total = int(counts.sum())
    if not total:
        return np.zeros(0, np.int64)
    return np.repeat(starts.astype(np.int64) - np.cumsum(counts) + counts, counts) + np.arange(total)


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins in `values` (sorted, or grouped), for `reduceat`."""
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def rows_owned(owners: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions, in order, of the rows of `owners` (sorted) whose owner is in `wanted` (sorted, distinct)."""
    return rows_between(search_sorted(owners, wanted), search_sorted(owners, wanted, side="right"))


def owner_offsets(owners: np.ndarray, count: int) -> np.ndarray:
    """Where each owner's rows start in `owners` (sorted, values below `count`), and the end: int32."""
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.bincount(owners, minlength=count), out=offsets[1:])
    return offsets


def rows_between(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Every position from first[i] up to last[i], for each i in order."""
    counts = last - first
    return np.repeat(last - np.cumsum(counts), counts) + np.arange(counts.sum())
