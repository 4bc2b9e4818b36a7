"""Segments written by an older version, brought up to what this one reads, once, in place.

A segment's arrays are written with it and never rewritten; what a newer version
derives from them (the word pairs of index/store/pairs.py) is added beside them
as new files, each whole or not at all (building.add_arrays), by the first
process that opens the segment: `upgraded` adds what is missing.  Arrays whose layout changed are rebuilt from
the stored articles instead (store.rebuild_arrays, building.FORMAT).
"""

from __future__ import annotations

import logging

from index.store.building import add_arrays
from index.store.pairs import PAIRED_FIELDS, QUOTED_FIELDS, pairs_of_segment
from index.store.segment import SegmentData
from index.store.signs import vector_signs

log = logging.getLogger(__name__)


def upgraded(data: SegmentData) -> SegmentData:
    """The segment with every array this version derives from the others (added first where missing)."""
    return with_signs(with_pairs(data))


def with_signs(data: SegmentData) -> SegmentData:
    """The segment, the signs of its passage vectors added first if it was written before they were
    (index/store/signs.py; a pass over the codes: about a second for a million passages)."""
    if data.get("vector_signs") is not None:
        return data
    log.info("adding vector signs to the arrays of segment %s", data.id)
    try:
        add_arrays(data.directory, {"vector_signs": vector_signs(data["vectors"])})
    except OSError as exc:  # a read-only copy of an index: a search by meaning alone reads every passage
        log.warning("could not add vector signs to segment %s: %s", data.id, exc)
        return data
    return SegmentData(data.directory, data.id)


def with_pairs(data: SegmentData) -> SegmentData:
    """The segment, its word pairs and quote pairs added first if it was written before they were indexed
    (a few seconds for 25,000 articles, 20 s for Reuters 10x, once: index/store/pairs.py)."""
    missing = [(name, False) for name in PAIRED_FIELDS if not data.has_pairs(name)]
    missing += [(name, True) for name in QUOTED_FIELDS if not data.has_quotes(name)]
    if not missing:
        return data
    log.info("adding word pairs to the arrays of segment %s", data.id)
    try:
        add_arrays(data.directory, {k: v for name, quotes in missing
                                    for k, v in pairs_of_segment(data, name, quotes).items()})
    except OSError as exc:  # a read-only copy of an index: searches read word positions instead
        log.warning("could not add word pairs to segment %s: %s", data.id, exc)
        return data
    return SegmentData(data.directory, data.id)
