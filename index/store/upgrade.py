"""Segments written by an older version, brought up to what this one reads, once, in place.

A segment's arrays are written with it and never rewritten; what a newer version
derives from them (word pairs, index/store/pairs.py; the vectors' signs, signs.py) is added beside them
as new files, each whole or not at all (building.add_arrays), by the first
process that opens the segment: `upgraded` adds what is missing.  Arrays whose layout changed are rebuilt from
the stored articles instead (`rebuild_arrays`, building.FORMAT).
"""

from __future__ import annotations

import logging

from index.store import whoosh_io
from index.store.analyzed import analyse_article
from index.store.building import SegmentBuilder, add_arrays
from index.store.pairs import PAIRED_FIELDS, QUOTED_FIELDS, pairs_of_segment
from index.store.schema import stored_article
from index.store.segment import SegmentData
from index.store.signs import vector_signs

log = logging.getLogger(__name__)


def upgraded(data: SegmentData) -> SegmentData:
    """The segment, with every array this version derives from the others added first where missing: word
    pairs and quote pairs (from positions: a few seconds for 25,000 articles, 20 s for Reuters 10x, once:
    index/store/pairs.py) and the passage vectors' signs (a pass over the codes: about a second for a
    million passages, index/store/signs.py).  A read-only copy stays as it is: searches read positions,
    and every passage's vector, instead."""
    missing = [(name, False) for name in PAIRED_FIELDS if not data.has_pairs(name)]
    missing += [(name, True) for name in QUOTED_FIELDS if not data.has_quotes(name)]
    signs = data.get("vector_signs") is None
    if not missing and not signs:
        return data
    log.info("adding derived arrays (%s) to segment %s",
             ", ".join([f"{name} {'quote' if quotes else 'word'} pairs" for name, quotes in missing]
                       + ["vector signs"] * signs), data.id)
    arrays = {k: v for name, quotes in missing for k, v in pairs_of_segment(data, name, quotes).items()}
    if signs:
        arrays["vector_signs"] = vector_signs(data["vectors"])
    try:
        add_arrays(data.directory, arrays)
    except OSError as exc:
        log.warning("could not add derived arrays to segment %s: %s", data.id, exc)
        return data
    return SegmentData(data.directory, data.id)


def rebuild_arrays(ix, segment) -> tuple[dict, dict]:
    """A segment's arrays made again from the articles stored in it (for segments written without them)."""
    builder = SegmentBuilder()
    reader = whoosh_io.segment_reader(ix, segment)
    try:
        for docnum in range(segment.doc_count_all()):
            article = stored_article(reader.stored_fields(docnum))
            builder.add(article, analyse_article(article))
    finally:
        reader.close()
    return builder.build()
