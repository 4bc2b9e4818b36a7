"""The arrays of a merged segment, from its sources' arrays: no text is analysed again.

Whoosh's merge copies each source's live documents (articles) in order, so
the merged segment's ordinals are the sources' live ordinals one after the other.  Every
array follows: columns and pairs are filtered and renumbered, and each text
field's postings are filtered, moved to the merged vocabulary and sorted by
term (a stable sort keeps ordinal order), their positions carried along; the
word pairs are made from the merged positions (index/store/pairs.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np

from index.arrays import span_index, unique
from index.ingest.evidence import entity_evidence
from index.store.building import DIM, FORMAT, TEXT_FIELDS, block_bounds, char_arrays, quantise, sorted_bands
from index.store.pairs import PAIRED_FIELDS, QUOTED_FIELDS, pair_postings, quote_postings
from index.store.signs import vector_signs
from index.store.segment import SegmentData


def _renumber(values_per_source: list[list[str]], columns: list[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Columns of value numbers (-1 for none) renumbered into the sorted values the live rows still use
    (what a rebuild from the merged articles would number: a deleted article's value is gone)."""
    used = [unique(column[column >= 0]) for column in columns]
    names = sorted({values[i] for values, numbers in zip(values_per_source, used) for i in numbers.tolist()})
    number = {name: i for i, name in enumerate(names)}
    out = []
    for values, column in zip(values_per_source, columns):
        mapping = np.asarray([number.get(v, -1) for v in values] + [-1], dtype=np.int32)
        out.append(mapping[np.where(column >= 0, column, len(values))])
    return (np.concatenate(out) if out else np.zeros(0, np.int32)), names


def merge_arrays(sources: list[tuple[SegmentData, np.ndarray]], dropped=()
                 ) -> tuple[Iterator[tuple[str, np.ndarray]], dict]:
    """(arrays, meta) of the segment made of these sources' live articles (`article_live` per source).

    The arrays come as (name, array) pairs, a text field's only once the one before was taken: a
    merge saving them as they come holds one field's arrays at a time, not the whole segment's.
    `dropped` are the sources' deleted articles (as stored): the names and evidence they added to their
    segment's entity counts are taken out, so a rewritten or deleted article stops counting once merged."""
    article_maps, passage_maps, article_lives, passage_lives = [], [], [], []
    articles = passages = 0
    for data, article_live in sources:
        passage_live = article_live[data["passage_article"]]
        article_lives.append(article_live)
        passage_lives.append(passage_live)
        article_maps.append(_map(article_live, articles))
        passage_maps.append(_map(passage_live, passages))
        articles += int(article_live.sum())
        passages += int(passage_live.sum())
    arrays = {
        "published": np.concatenate([np.asarray(d["published"])[live] for (d, _), live in zip(sources, article_lives)]),
        "pending": np.concatenate([np.asarray(d["pending"])[live] for (d, _), live in zip(sources, article_lives)]),
        "embedded": np.concatenate([np.asarray(d["embedded"])[live] for (d, _), live in zip(sources, article_lives)]),
        # A passage's vector goes where the passage goes: the live passages of each source, in order.
        "vectors": np.concatenate([np.asarray(d["vectors"])[live] for (d, _), live in zip(sources, passage_lives)]
                                  ).reshape(-1, DIM),
        "vector_scale": np.concatenate([np.asarray(d["vector_scale"])[live]
                                        for (d, _), live in zip(sources, passage_lives)]).astype(np.float32),
        "passage_article": np.concatenate([amap[np.asarray(d["passage_article"])[live]] for (d, _), live, amap
                                           in zip(sources, passage_lives, article_maps)]).astype(np.int32),
        "passage_position": np.concatenate([np.asarray(d["passage_position"])[live]
                                            for (d, _), live in zip(sources, passage_lives)]).astype(np.int32),
    }
    arrays["vector_signs"] = vector_signs(arrays["vectors"])  # derived from the codes, as a segment's own are
    meta: dict = {"format": FORMAT, "articles": articles, "passages": passages}
    for column, names in (("source", "sources"), ("family", "families")):
        arrays[column], meta[names] = _renumber(
            [d.meta[names] for d, _ in sources],
            [np.asarray(d[column])[live] for (d, _), live in zip(sources, article_lives)])
    meta["ids"] = [i for (d, _), live in zip(sources, article_lives) for i, keep in zip(d.meta["ids"], live) if keep]
    _merge_pairs(arrays, meta, sources, article_maps, "entity", "entity_keys", "entity_key", extra="entity_type")
    _merge_pairs(arrays, meta, sources, article_maps, "tag", "tags", "tag_value")
    bands = [(np.asarray(d["band_hash"]), amap[np.asarray(d["band_article"], dtype=np.int64)])
             for (d, _), amap in zip(sources, article_maps)]
    arrays["band_hash"], arrays["band_article"] = sorted_bands(
        np.concatenate([h[a >= 0] for h, a in bands]) if bands else np.zeros(0, np.uint64),
        np.concatenate([a[a >= 0] for _, a in bands]) if bands else np.zeros(0, np.int32))
    forms: dict[str, Counter] = {}
    evidence: Counter = Counter()
    for data, _ in sources:
        for key, names in data.meta.get("entity_forms", {}).items():
            forms.setdefault(key, Counter()).update(names)
        evidence.update(data.meta.get("entity_evidence", {}))
    for article in dropped:  # as index/store/building.py counted them
        for entity in article.entities:
            forms.setdefault(entity.key, Counter())[entity.name] -= 1
        evidence.subtract(entity_evidence(article))
    meta["entity_forms"] = {key: kept for key, names in forms.items() if (kept := {n: c for n, c in names.items() if c > 0})}
    meta["entity_evidence"] = {term: count for term, count in evidence.items() if count > 0}
    vocab = _vocabulary(sources, article_lives, passage_lives)
    arrays["vocab"] = vocab

    def every_array():
        yield from arrays.items()
        for fieldname in TEXT_FIELDS:
            maps = passage_maps if fieldname == "text" else article_maps
            lives = passage_lives if fieldname == "text" else article_lives
            yield from _merge_field(fieldname, sources, maps, lives, vocab).items()
    return every_array(), meta


def _vocabulary(sources, article_lives, passage_lives) -> np.ndarray:
    """The sorted terms and spellings that live documents of the sources still hold (in any field)."""
    kept = []
    for (data, _), article_live, passage_live in zip(sources, article_lives, passage_lives):
        used = np.zeros(len(data.vocab), dtype=bool)
        for fieldname in TEXT_FIELDS:
            live = passage_live if fieldname == "text" else article_live
            off = np.asarray(data[f"{fieldname}.term_off"], dtype=np.int64)
            docs = np.asarray(data[f"{fieldname}.docs"], dtype=np.int64)
            if len(docs):
                keep = live[docs]
                used[np.repeat(np.arange(len(off) - 1), np.diff(off))[keep]] = True
                tfs = np.asarray(data[f"{fieldname}.tfs"], dtype=np.int64)
                spelt = np.asarray(data[f"{fieldname}.spelling"])[span_index((np.cumsum(tfs) - tfs)[keep], tfs[keep])]
                used[spelt[spelt >= 0]] = True
        kept.append(np.asarray(data.vocab)[used])
    return np.unique(np.concatenate(kept)) if kept else np.zeros(0, "S1")


def _map(live: np.ndarray, base: int) -> np.ndarray:
    """Old ordinal -> new ordinal (-1 for a deleted one)."""
    mapping = np.full(len(live), -1, dtype=np.int64)
    mapping[live] = base + np.arange(int(live.sum()))
    return mapping


def _merge_pairs(arrays, meta, sources, article_maps, prefix: str, names_key: str, value_key: str,
                 extra: str | None = None) -> None:
    names = sorted({n for d, _ in sources for n in d.meta[names_key]})
    number = {n: i for i, n in enumerate(names)}
    found_articles, found_values, found_extra = [], [], []
    for (data, _), amap in zip(sources, article_maps):
        new_articles = amap[np.asarray(data[f"{prefix}_article"], dtype=np.int64)]
        keep = new_articles >= 0
        mapping = np.asarray([number[n] for n in data.meta[names_key]], dtype=np.int32)
        found_articles.append(new_articles[keep])
        found_values.append(mapping[np.asarray(data[value_key], dtype=np.int64)[keep]] if len(mapping)
                            else np.zeros(0, np.int32))
        if extra:
            found_extra.append(np.asarray(data[extra])[keep])
    arrays[f"{prefix}_article"] = np.concatenate(found_articles).astype(np.int32) if found_articles else np.zeros(0, np.int32)
    arrays[value_key] = np.concatenate(found_values).astype(np.int32) if found_values else np.zeros(0, np.int32)
    if extra:
        arrays[extra] = np.concatenate(found_extra).astype(np.uint8) if found_extra else np.zeros(0, np.uint8)
    # Keep only the values live articles still hold, numbered as a rebuild would number them.
    used = unique(np.asarray(arrays[value_key]))
    renumber = np.zeros(len(names), dtype=np.int32)
    renumber[used] = np.arange(len(used), dtype=np.int32)
    arrays[value_key] = renumber[arrays[value_key]] if len(arrays[value_key]) else arrays[value_key]
    meta[names_key] = [names[i] for i in used]


def _merge_field(fieldname: str, sources, maps, lives, vocab: np.ndarray) -> dict[str, np.ndarray]:
    terms, docs, tfs, positions, spellings, lengths = [], [], [], [], [], []
    chars = ([], []) if all(data.keeps_characters(fieldname) for data, _ in sources) else None  # kept if all have them
    for (data, _), mapping, live in zip(sources, maps, lives):
        off = np.asarray(data[f"{fieldname}.term_off"], dtype=np.int64)
        old_docs = np.asarray(data[f"{fieldname}.docs"], dtype=np.int64)
        old_tfs = np.asarray(data[f"{fieldname}.tfs"], dtype=np.int64)
        term_of = np.repeat(np.arange(len(off) - 1), np.diff(off))
        keep = live[old_docs] if len(old_docs) else np.zeros(0, bool)
        starts = np.cumsum(old_tfs) - old_tfs
        new_terms = np.searchsorted(vocab, np.asarray(data.vocab))[term_of[keep]] if len(term_of) else term_of
        terms.append(new_terms)
        docs.append(mapping[old_docs[keep]])
        tfs.append(old_tfs[keep])
        spans = span_index(starts[keep], old_tfs[keep])
        positions.append(np.asarray(data[f"{fieldname}.pos"])[spans].astype(np.int32))  # a position fits, and
        # every per-occurrence array is as long as a segment's words: the merge's memory
        if chars is not None:
            for kept, name in zip(chars, ("start", "end")):
                kept.append(np.asarray(data[f"{fieldname}.{name}"])[spans])
        old_spellings = np.asarray(data[f"{fieldname}.spelling"])[spans]
        renumbered = np.searchsorted(vocab, np.asarray(data.vocab)[np.maximum(old_spellings, 0)]) \
            if len(old_spellings) else old_spellings.astype(np.int64)
        spellings.append(np.where(old_spellings >= 0, renumbered, -1).astype(np.int32))
        lengths.append(np.asarray(data[f"{fieldname}.lengths"])[live])
    terms, docs, tfs = (np.concatenate(a) if a else np.zeros(0, np.int64) for a in (terms, docs, tfs))
    positions = np.concatenate(positions) if positions else np.zeros(0, np.int32)
    spellings = np.concatenate(spellings) if spellings else np.zeros(0, np.int32)
    order = np.argsort(terms, kind="stable")  # sources in order, ordinals ascending within each: stays sorted
    starts = np.cumsum(tfs) - tfs
    spans = span_index(starts[order], tfs[order])
    positions, spellings = positions[spans], spellings[spans]
    offsets = {} if chars is None else char_arrays(
        fieldname, *((np.concatenate(kept) if kept else np.zeros(0, np.uint32))[spans] for kept in chars))
    terms, docs, tfs = terms[order], docs[order], tfs[order]
    size = len(vocab)
    term_off = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=size), out=term_off[1:])
    term_pos = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, weights=tfs, minlength=size).astype(np.int64), out=term_pos[1:])
    lengths = np.concatenate(lengths).astype(np.int32) if lengths else np.zeros(0, np.int32)
    docs = docs.astype(np.int32)
    block_maxtf, block_minlen = block_bounds(term_off, tfs, quantise(lengths)[docs] if len(docs) else np.zeros(0, np.float32))
    wide = len(positions) and positions.max() >= np.iinfo(np.uint16).max
    # Word pairs are made again from the merged positions (sources written before pairs have none).
    occurrences = (np.repeat(terms, tfs), np.repeat(docs, tfs))
    pairs = pair_postings(fieldname, *occurrences, positions, size) if fieldname in PAIRED_FIELDS else {}
    if fieldname in QUOTED_FIELDS:
        pairs.update(quote_postings(fieldname, occurrences[0], spellings, occurrences[1], positions, size))
    del occurrences
    return {
        f"{fieldname}.term_off": term_off, f"{fieldname}.term_pos": term_pos, f"{fieldname}.docs": docs,
        f"{fieldname}.tfs": np.minimum(tfs, np.iinfo(np.uint16).max).astype(np.uint16),
        f"{fieldname}.pos": positions.astype(np.int32 if wide else np.uint16),
        f"{fieldname}.spelling": spellings,
        f"{fieldname}.lengths": lengths, f"{fieldname}.block_maxtf": block_maxtf,
        f"{fieldname}.block_minlen": block_minlen, **offsets, **pairs,
    }
