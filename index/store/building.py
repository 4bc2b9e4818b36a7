"""Building a segment's arrays as the segment is written (index/store/segment.py reads them).

Whoosh keeps each segment in its own format, read one posting at a time in
Python.  Beside every segment newsindex writes the same content as numpy
arrays, built from the very tokens Whoosh was given (index/store/analyzed.py),
so that searching is array arithmetic over memory-mapped files:

    ordinals   an article's ordinal is its Whoosh document number in the segment;
               passages are numbered apart (0, 1, ...), each article's together
    columns    published, pending (entities still to extract), source, family (articles);
               article and position (passages)
    pairs      (article, value) pairs: entities by type, editorial tags; story-family band keys
               as sorted 64-bit hashes with their articles (what family_candidates looks up)
    postings   per text field (title, body, source_text, byline over articles; text over passages),
               CSR over the segment's sorted vocabulary: for term t, postings
               term_off[t]:term_off[t+1] give (ordinal, tf) in ordinal order and
               positions start at term_pos[t], each with the vocabulary number of
               its spelling (a quote is checked word for word: "rates", not "rate");
               per block of BLOCK postings the largest tf and the shortest length,
               for top-k pruning
    lengths    tokens per field and ordinal (exact; scored as Whoosh quantises them)
    word pairs adjacent terms of body and text as postings of their own (index/store/pairs.py)
    vectors    per passage, its sentence embedding as int8 codes (passages x DIM) and a float32
               scale (0 while it has none); per article, `embedded` (every passage has its vector).
               They come from `article.vectors` (codes, scales), which the enricher sets
               (index/enrichment.py); an article written without them is embedded later;
               `vector_signs`, the codes' signs, for a first look at every passage (index/store/signs.py)

Everything is derived from the articles written; nothing here is ever updated
in place: a segment's arrays live and die with the segment.
"""

from __future__ import annotations

import hashlib

import json
import os
from array import array as flat_array
from itertools import chain
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.times import datetime_to_long

from index.ingest.evidence import entity_evidence
from index.article import Article
from index.store.analyzed import ArticleTokens
from index.store.pairs import PAIRED_FIELDS, QUOTED_FIELDS, pair_postings, quote_postings
from index.store.signs import vector_signs

FORMAT = 7  # bump when the layout below changes: older segments are rebuilt from Whoosh (4: spellings; 5: entity_evidence; 6: passage vectors; 7: family band keys)
ARTICLE_FIELDS = ("title", "body", "source_text", "byline")
PASSAGE_FIELDS = ("text",)
TEXT_FIELDS = ARTICLE_FIELDS + PASSAGE_FIELDS
HIGHLIGHTED_FIELDS = ("title", "text")  # their occurrences keep their characters (`.start`, `.end`)
ENTITY_TYPES = ("person", "org", "place")
DIM = 384  # the width of a passage vector (index/text/embeddings.py)
BLOCK = 128
MAX_TERM_BYTES = 64  # longer tokens (hashes, glued junk) are left out of the arrays
UNDATED = np.iinfo(np.int64).max
_LONGEST = 106_374  # Whoosh's length byte is 255 from here on
_QUANTISED = np.asarray([byte_to_length(length_to_byte(n)) for n in range(_LONGEST + 1)], dtype=np.float32)


def quantise(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Whoosh scores them (one byte, log-scaled), as float32."""
    return _QUANTISED[np.minimum(np.asarray(lengths, dtype=np.int64), _LONGEST)]


@dataclass
class _Field:
    terms: list[str] = field(default_factory=list)
    ordinals: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    spellings: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    chars: flat_array | None = None  # startchar, endchar of each token, flat (titles and passages)

    def add(self, ordinal: int, tokens: list[tuple[str, int, str]], chars: list[tuple[int, int]] | None = None
            ) -> None:
        self.lengths.append(len(tokens))
        for term, pos, spelt in tokens:
            self.terms.append(term)
            self.ordinals.append(ordinal)
            self.positions.append(pos)
            self.spellings.append(spelt)
        if self.chars is not None:
            if chars is None:  # tokens without characters: the field keeps none
                self.chars = None
            else:
                self.chars.extend(chain.from_iterable(chars))


@dataclass
class SegmentBuilder:
    """Collects the articles of one segment in Whoosh's document order, then makes its arrays."""

    ids: list[str] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    pending: list[bool] = field(default_factory=list)
    sources: list[str | None] = field(default_factory=list)
    families: list[str | None] = field(default_factory=list)
    passage_article: list[int] = field(default_factory=list)
    passage_position: list[int] = field(default_factory=list)
    entity_pairs: list[tuple[int, str, int]] = field(default_factory=list)  # (article, key, type)
    forms: dict[str, Counter] = field(default_factory=dict)
    evidence: Counter = field(default_factory=Counter)  # index/ingest/evidence.py strings -> articles
    tag_pairs: list[tuple[int, str]] = field(default_factory=list)
    band_pairs: list[tuple[int, int]] = field(default_factory=list)  # (story-family band key hash, article)
    embedded: list[bool] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)  # per article: (its passages, DIM) int8
    scales: list[np.ndarray] = field(default_factory=list)  # per article: (its passages,) float32, 0 = none
    fields: dict[str, _Field] = field(default_factory=lambda: {
        f: _Field(chars=flat_array("I") if f in HIGHLIGHTED_FIELDS else None) for f in TEXT_FIELDS})

    def add(self, article: Article, tokens: ArticleTokens) -> None:
        """One article and its passages, in the order the articles were handed to Whoosh."""
        ordinal = len(self.ids)
        self.ids.append(article.id)
        self.published.append(datetime_to_long(article.published) if article.published else UNDATED)
        self.pending.append(not article.enriched)
        self.sources.append(article.source or None)
        self.families.append(getattr(article, "family", None))
        for name in ARTICLE_FIELDS:
            self.fields[name].add(ordinal, getattr(tokens, name), tokens.title_chars if name == "title" else None)
        for entity in article.entities:
            self.entity_pairs.append((ordinal, entity.key, ENTITY_TYPES.index(entity.type)))
            self.forms.setdefault(entity.key, Counter())[entity.name] += 1
        self.evidence.update(entity_evidence(article))
        for kind, values in (getattr(article, "tags", None) or {}).items():
            for value in dict.fromkeys(values):
                self.tag_pairs.append((ordinal, f"{kind}\t{value}"))
        self.band_pairs.extend((band_hash(key), ordinal) for key in article.lsh)
        codes, scales = _vectors(article)
        self.embedded.append(bool(len(scales) == 0 or scales.all()))
        self.codes.append(codes)
        self.scales.append(scales)
        for passage, passage_tokens, chars in zip(article.passages, tokens.passages, tokens.passage_chars):
            self.fields["text"].add(len(self.passage_article), passage_tokens, chars)
            self.passage_article.append(ordinal)
            self.passage_position.append(passage.position)

    def build(self) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays by name, metadata) of the segment."""
        arrays = {
            "published": np.asarray(self.published, dtype=np.int64),
            "pending": np.asarray(self.pending, dtype=bool),
            "embedded": np.asarray(self.embedded, dtype=bool),
            "vectors": np.concatenate(self.codes) if self.codes else np.zeros((0, DIM), np.int8),
            "vector_scale": np.concatenate(self.scales) if self.scales else np.zeros(0, np.float32),
            "passage_article": np.asarray(self.passage_article, dtype=np.int32),
            "passage_position": np.asarray(self.passage_position, dtype=np.int32),
        }
        arrays["vector_signs"] = vector_signs(arrays["vectors"])
        meta = {"format": FORMAT, "articles": len(self.ids), "passages": len(self.passage_article)}
        arrays["source"], meta["sources"] = _numbered(self.sources)
        arrays["family"], meta["families"] = _numbered(self.families)
        keys = sorted({key for _, key, _ in self.entity_pairs})
        key_number = {key: i for i, key in enumerate(keys)}
        arrays["entity_article"] = np.asarray([a for a, _, _ in self.entity_pairs], dtype=np.int32)
        arrays["entity_key"] = np.asarray([key_number[k] for _, k, _ in self.entity_pairs], dtype=np.int32)
        arrays["entity_type"] = np.asarray([t for _, _, t in self.entity_pairs], dtype=np.uint8)
        meta["entity_keys"] = keys
        meta["entity_forms"] = {key: dict(counts) for key, counts in self.forms.items()}
        meta["entity_evidence"] = dict(self.evidence)
        arrays["band_hash"], arrays["band_article"] = sorted_bands(
            np.asarray([h for h, _ in self.band_pairs], dtype=np.uint64),
            np.asarray([a for _, a in self.band_pairs], dtype=np.int32))
        tags = sorted({tag for _, tag in self.tag_pairs})
        tag_number = {tag: i for i, tag in enumerate(tags)}
        arrays["tag_article"] = np.asarray([a for a, _ in self.tag_pairs], dtype=np.int32)
        arrays["tag_value"] = np.asarray([tag_number[t] for _, t in self.tag_pairs], dtype=np.int32)
        meta["tags"] = tags
        vocab = sorted({t for f in self.fields.values() for t in (*f.terms, *f.spellings)
                        if len(t.encode("utf-8")) <= MAX_TERM_BYTES})
        number = {term: i for i, term in enumerate(vocab)}
        arrays["vocab"] = np.asarray([t.encode("utf-8") for t in vocab], dtype=f"S{_width(vocab)}")
        for name, collected in self.fields.items():
            terms = np.fromiter((number.get(t, -1) for t in collected.terms), dtype=np.int64,
                                count=len(collected.terms))
            spellings = np.fromiter((number.get(t, -1) for t in collected.spellings), dtype=np.int64,
                                    count=len(collected.spellings))
            chars = np.frombuffer(collected.chars, dtype=np.uint32).reshape(-1, 2) if collected.chars is not None else None
            ordinals = np.asarray(collected.ordinals, dtype=np.int64)
            positions = np.asarray(collected.positions, dtype=np.int64)
            arrays.update(postings(name, terms, ordinals, positions, len(vocab),
                                   np.asarray(collected.lengths, dtype=np.int64), spellings, chars))
            if name in PAIRED_FIELDS:
                arrays.update(pair_postings(name, terms, ordinals, positions, len(vocab)))
            if name in QUOTED_FIELDS:
                arrays.update(quote_postings(name, terms, spellings, ordinals, positions, len(vocab)))
        meta["ids"] = self.ids
        return arrays, meta


def band_hash(key: str) -> int:
    """A story-family band key as 64 bits (index/ingest/families.py): what the segment keeps and looks up."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def sorted_bands(hashes: np.ndarray, articles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(band key hashes, their articles) sorted by hash, for a binary search."""
    order = np.lexsort((articles, hashes))
    return hashes[order].astype(np.uint64), articles[order].astype(np.int32)


def _vectors(article: Article) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes, scales) of the article's passages from `article.vectors`; zeros (no vector) without them."""
    count = len(article.passages)
    found = getattr(article, "vectors", None)
    if found is not None:
        codes, scales = np.asarray(found[0], dtype=np.int8), np.asarray(found[1], dtype=np.float32)
        if codes.shape == (count, DIM) and scales.shape == (count,):
            return codes, scales
    return np.zeros((count, DIM), np.int8), np.zeros(count, np.float32)


def _numbered(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Each value as a number into the sorted list of distinct values (-1 for None)."""
    names = sorted({v for v in values if v})
    number = {name: i for i, name in enumerate(names)}
    return np.asarray([number[v] if v else -1 for v in values], dtype=np.int32), names


def _width(vocab: list[str]) -> int:
    return max([1, *(len(t.encode("utf-8")) for t in vocab)])


def postings(name: str, terms: np.ndarray, ordinals: np.ndarray, positions: np.ndarray, vocab_size: int,
             lengths: np.ndarray, spellings: np.ndarray, chars: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One field's CSR arrays from its token occurrences (term number, ordinal, position, spelling number,
    and for highlighted fields (startchar, endchar)).

    Occurrences with term -1 (left out of the vocabulary) are dropped; `lengths`
    are the field's token counts per ordinal.
    """
    keep = terms >= 0
    terms, ordinals, positions, spellings = terms[keep], ordinals[keep], positions[keep], spellings[keep]
    order = np.lexsort((positions, ordinals, terms))
    terms, ordinals, positions, spellings = terms[order], ordinals[order], positions[order], spellings[order]
    chosen = chars[np.flatnonzero(keep)[order]] if chars is not None else None
    offsets = char_arrays(name, chosen[:, 0], chosen[:, 1]) if chosen is not None else {}
    first = np.ones(len(terms), dtype=bool)
    first[1:] = (terms[1:] != terms[:-1]) | (ordinals[1:] != ordinals[:-1])
    starts = np.flatnonzero(first)
    posting_terms = terms[starts]
    tfs = np.diff(np.append(starts, len(terms)))
    term_off = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.bincount(posting_terms, minlength=vocab_size), out=term_off[1:])
    term_pos = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=vocab_size), out=term_pos[1:])
    quantised = quantise(lengths)
    docs = ordinals[starts].astype(np.int32)
    block_maxtf, block_minlen = block_bounds(term_off, tfs, quantised[docs] if len(docs) else np.zeros(0, np.float32))
    wide = len(positions) and positions.max() >= np.iinfo(np.uint16).max
    return {
        f"{name}.term_off": term_off,
        f"{name}.term_pos": term_pos,
        f"{name}.docs": docs,
        f"{name}.tfs": np.minimum(tfs, np.iinfo(np.uint16).max).astype(np.uint16),
        f"{name}.pos": positions.astype(np.int32 if wide else np.uint16),
        f"{name}.spelling": spellings.astype(np.int32),  # the occurrence's spelling, -1 when too long
        f"{name}.lengths": lengths.astype(np.int32),  # exact; segment.py quantises as Whoosh does
        f"{name}.block_maxtf": block_maxtf,
        f"{name}.block_minlen": block_minlen,
        **offsets,
    }


def char_arrays(name: str, starts: np.ndarray, ends: np.ndarray) -> dict[str, np.ndarray]:
    """`{name}.start` and `{name}.end`: each occurrence's characters in its text, in the order of `.pos`."""
    kind = np.uint32 if len(ends) and ends.max() >= np.iinfo(np.uint16).max else np.uint16
    return {f"{name}.start": starts.astype(kind, copy=False), f"{name}.end": ends.astype(kind, copy=False)}


def block_bounds(term_off: np.ndarray, tfs: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per block of BLOCK postings (blocks never straddle two terms): the largest tf and the shortest length.

    Block b of term t covers postings term_off[t] + BLOCK*b ...; `block_start(t)`
    in segment.py finds a term's first block from the cumulative block counts.
    """
    counts = np.diff(term_off)
    blocks = -(-counts // BLOCK)
    if not len(tfs):
        return np.zeros(0, np.uint16), np.zeros(0, np.float32)
    term_of_posting = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(len(tfs)) - term_off[term_of_posting]
    block_base = np.concatenate([[0], np.cumsum(blocks)])
    block_of_posting = block_base[term_of_posting] + within // BLOCK
    total = int(block_base[-1])
    maxtf = np.zeros(total, dtype=np.uint16)
    np.maximum.at(maxtf, block_of_posting, np.minimum(tfs, 65535).astype(np.uint16))
    minlen = np.full(total, np.inf, dtype=np.float32)
    np.minimum.at(minlen, block_of_posting, lengths)
    return maxtf, minlen


LISTS = ("ids", "entity_keys", "entity_forms", "entity_evidence", "tags", "sources", "families")  # files of their own


def save(directory: Path, arrays: dict[str, np.ndarray] | Iterable[tuple[str, np.ndarray]], meta: dict) -> None:
    """Write a segment's arrays (a dict, or (name, array) pairs as they are made) into `directory`
    atomically (a temporary folder renamed into place).

    The value lists of `meta` go to files of their own (`ids.json`, ...), read only when
    needed: opening a segment reads its small `meta.json` and maps its arrays, nothing more.
    """
    directory = Path(directory)
    temporary = directory.with_name(directory.name + ".tmp")
    temporary.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items() if isinstance(arrays, dict) else arrays:
        np.save(temporary / f"{name}.npy", array, allow_pickle=False)
    for name in LISTS:
        (temporary / f"{name}.json").write_text(json.dumps(meta.get(name, []), ensure_ascii=False), encoding="utf-8")
    small = {k: v for k, v in meta.items() if k not in LISTS}
    (temporary / "meta.json").write_text(json.dumps(small, ensure_ascii=False), encoding="utf-8")
    for entry in os.scandir(temporary):
        fsync_path(entry.path)
    fsync_path(str(temporary))
    os.replace(temporary, directory)
    fsync_path(str(directory.parent))


def add_arrays(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays into an existing segment's folder, each file whole or not at all: an upgrade adding
    what a newer version derives from the segment (a reader that opened it before never sees them)."""
    for name, array in arrays.items():
        temporary = Path(directory) / f".{name}.npy.{os.getpid()}.tmp"  # not *.npy: never mapped as an array
        with open(temporary, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, Path(directory) / f"{name}.npy")
    fsync_path(str(directory))


def fsync_path(path: str) -> None:
    """fsync a file or a folder by its path (a folder: so that a rename or a new file in it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
