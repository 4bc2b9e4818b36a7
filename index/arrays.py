"""Array helpers shared by the store and the search.

`unique`: numpy 2.4's `np.unique` without `return_*` takes a hash path that is
about ten times slower than sorting on the wide integers this code makes
(article << 24 | entity, document << 20 | position): 19 ms against 1.8 ms for
100,000 values, 2.1 s against 0.04 s for 1.4 million.
"""

from __future__ import annotations

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d array (what `np.unique(values)` returns)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
