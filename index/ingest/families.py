"""Story families: the same story filed again, lightly updated or syndicated, grouped at ingest.

Wire archives hold many identical or near-identical copies of a story.  Each
article gets a MinHash `signature` (datasketch, NUM_PERM permutations) of its
word shingles (SHINGLE_WORDS consecutive words of title and body, lower-cased),
whose share of equal values estimates the Jaccard similarity of two articles'
shingle sets.  Locality-sensitive hashing cuts the signature into BANDS bands
of ROWS values; two articles sharing a band key are *candidates*, and they are
versions of one story when their estimated similarity is at least the
threshold (NEWSINDEX_FAMILY_THRESHOLD).

A wire files a story short first and in full later (or cuts it): the short
version is nearly all inside the long one, yet their Jaccard similarity is low
(0.2-0.5 on Reuters) and LSH seldom pairs them.  So the signature also carries
its shingle count and a hash of the body's first LEAD_WORDS words, which is one
more key (versions open alike), and two candidates are also versions when the
shorter has at least CONTAINMENT of its shingles in the longer (estimated from
the similarity and the two counts).

    signature(article)          -> np.ndarray: NUM_PERM uint32 values, the shingle count, the lead's hash
    encode(sig) / decode(text)  -> the signature as a short string (Article.signature) and back
    band_keys(sig)              -> BANDS strings and the lead's: index them as a keyword field to find candidates
    likeness(a, b, threshold)   -> the estimated similarity of two versions of one story, or None
    assign_families(articles, lookup, threshold)
                                -> sets Article.family and Article.signature for a batch

`lookup(band_keys)` (called once per batch with all its keys) answers, for the
whole archive, the stored articles sharing any of the keys (of a key shared by
many, CANDIDATES_PER_KEY, the last stored) as (article_id, family_id, signature)
triples, or quadruples with the candidate's `published` datetime as the fourth;
the batch's own articles are candidates for each other too, in batch order.  An
article joins the family of its most alike candidate that is a version, published within
MAX_GAP of it when both are dated (on Reuters even ids, the 6 wrong pairs of a
hand-checked 30 were all recurring template reports days apart: bench/RESULTS.md);
with none it is its own family (its id).  Families are assigned once, when an article comes in:
a later article never re-labels an earlier one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np

from index.article import Article, stored_time

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4: a pair at similarity s is a candidate with probability 1 - (1 - s**4)**32
SHINGLE_WORDS = 4
SEED = 1
DEFAULT_THRESHOLD = 0.5
LEAD_WORDS = 25  # bodies opening with the same words are candidates (a body shorter than this has no lead key)
# The share of the shorter version's shingles found in the longer: on Reuters' even ids, of the pairs within 36 h
# that open with the same 25 words and are below the threshold, 19 of 23 are at >= 0.8, each a short take and its
# full story (read by hand); those below are a digest and one of its items (0.24) and follow-ups (0.65-0.70).
CONTAINMENT = 0.8
MIN_CONTAINED = 20  # shingles the shorter needs for the containment rule: a line or two says too little
# Of each candidate key, the stored articles a lookup reads (the last stored): an opening shared by thousands (a
# syndication notice, a daily template) is no one story's, and reading every article holding it made each write
# slower as the archive grew (5,000 articles opening alike took 85 s to ingest instead of 9, a write 0.5 s).
CANDIDATES_PER_KEY = 32
# Versions of one story are filed within hours of each other; recurring reports
# built from one template ("GRAIN SHIPS LOADING AT PORTLAND", daily) are days apart.
MAX_GAP = timedelta(hours=36)

# (article_id, family_id, signature[, published]) for each stored candidate.
Lookup = Callable[[list[str]], Iterable[tuple]]

_WORD = re.compile(r"\w+")


def load() -> None:
    """Import datasketch and draw its permutations now (0.4 s), so that a served worker's first write,
    whose story-family signature needs them, does not wait for it."""
    _template()


@lru_cache(maxsize=1)
def _template():
    from datasketch import MinHash  # the permutations are drawn once, not per article

    return MinHash(num_perm=NUM_PERM, seed=SEED)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The set of `size`-word runs of `text` (lower-cased words; a shorter text is one shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def article_text(article: Article) -> str:
    return f"{article.title}\n{article.body}"


def lead_hash(body: str) -> int:
    """A 32-bit hash of the body's first LEAD_WORDS words (lower-cased), never 0; 0 for a shorter body."""
    words = _WORD.findall(body.lower())[:LEAD_WORDS]
    if len(words) < LEAD_WORDS:
        return 0
    return int.from_bytes(hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=4).digest(), "little") or 1


def signature(article: Article | str) -> np.ndarray:
    """An article's (or a text's) signature: the MinHash of its shingles (NUM_PERM uint32 values), then
    the number of shingles and the lead's hash."""
    from datasketch import MinHash

    template = _template()
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=template.permutations, scheme=template.scheme)
    text = article if isinstance(article, str) else article_text(article)
    found = shingles(text)
    minhash.update_batch(list(found))
    lead = lead_hash(article if isinstance(article, str) else article.body)
    return np.concatenate([minhash.hashvalues.astype(np.uint32), np.asarray([len(found), lead], dtype=np.uint32)])


def encode(sig: np.ndarray) -> str:
    """A signature as ASCII (base64 of its little-endian uint32 values: 684 characters for 128)."""
    return base64.b64encode(np.asarray(sig, dtype="<u4").tobytes()).decode("ascii")


def decode(text: str | np.ndarray) -> np.ndarray:
    """The inverse of `encode` (an array is returned as it is)."""
    if isinstance(text, np.ndarray):
        return text
    return np.frombuffer(base64.b64decode(text), dtype="<u4")


def band_keys(sig: np.ndarray | str) -> list[str]:
    """One key per band: the band's number and a hash of its ROWS values ("07:1f3a..."); and the lead's
    ("lead:9c0e12ab") when the body has one (signatures stored before leads were kept have none)."""
    values = np.asarray(decode(sig), dtype="<u4")
    keys = [f"{band:02d}:{hashlib.blake2b(values[band * ROWS:(band + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
            for band in range(BANDS)]
    lead = int(values[NUM_PERM + 1]) if len(values) > NUM_PERM + 1 else 0
    return keys + [f"lead:{lead:08x}"] if lead else keys


def similarity(a: np.ndarray | str, b: np.ndarray | str) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal MinHash values."""
    return float(np.mean(decode(a)[:NUM_PERM] == decode(b)[:NUM_PERM]))


def likeness(a: np.ndarray | str, b: np.ndarray | str, threshold: float = DEFAULT_THRESHOLD) -> float | None:
    """The estimated Jaccard similarity of two articles that are versions of one story, else None: they
    are at least `threshold` alike, or the shorter has CONTAINMENT of its shingles in the longer."""
    a, b = decode(a), decode(b)
    alike = similarity(a, b)
    if alike >= threshold:
        return alike
    if len(a) <= NUM_PERM or len(b) <= NUM_PERM:
        return None  # a signature stored before counts were kept
    smaller, larger = sorted((int(a[NUM_PERM]), int(b[NUM_PERM])))
    if smaller < MIN_CONTAINED:
        return None
    shared = alike * (smaller + larger) / (1 + alike)  # |A & B| from J = |A & B| / (|A| + |B| - |A & B|)
    return alike if shared / smaller >= CONTAINMENT else None


def candidate(article_id: str, data: dict) -> tuple:
    """What a lookup answers for one stored article, from its stored data: (id, family, signature, published)."""
    return article_id, data.get("family"), data.get("signature"), stored_time(data.get("published"))


def _close_in_time(a: datetime | None, b: datetime | None, gap: timedelta | None) -> bool:
    return gap is None or a is None or b is None or abs(a - b) <= gap


def assign_families(articles: Sequence[Article], lookup: Lookup | None = None,
                    threshold: float = DEFAULT_THRESHOLD, max_gap: timedelta | None = MAX_GAP) -> None:
    """Set `signature` and `family` on each article of a batch, in place (see module docstring).

    `lookup` is called once per batch, with every band key of the batch.  An
    article never counts as its own candidate (re-ingesting it replaces it),
    and a candidate with an unreadable signature is ignored.
    """
    sigs = [signature(article) for article in articles]
    keys_of = [band_keys(sig) for sig in sigs]
    stored: dict[str, list[tuple]] = {}  # band key -> stored candidates holding it
    if lookup and articles:
        for candidate in lookup(sorted({key for keys in keys_of for key in keys})):
            try:
                for key in band_keys(candidate[2]):
                    stored.setdefault(key, []).append(candidate)
            except (ValueError, TypeError):
                continue  # an unreadable stored signature: not a candidate
    batch_keys: dict[str, list[int]] = {}  # band key -> positions in this batch seen so far
    for position, (article, sig, keys) in enumerate(zip(articles, sigs, keys_of)):
        best: tuple[float, str] | None = None
        seen: set[str] = set()
        for candidate in (c for key in keys for c in stored.get(key, ())):
            other_id, family, other_sig = candidate[:3]
            published = candidate[3] if len(candidate) > 3 else None
            if other_id in seen or other_id == article.id or not family:
                continue
            seen.add(other_id)
            if not _close_in_time(article.published, published, max_gap):
                continue
            score = likeness(sig, other_sig, threshold)
            if score is not None and (best is None or score > best[0]):
                best = (score, family)
        for other in sorted({p for key in keys for p in batch_keys.get(key, ())[-CANDIDATES_PER_KEY:]}):
            if articles[other].id == article.id or not _close_in_time(article.published, articles[other].published,
                                                                      max_gap):
                continue
            score = likeness(sig, sigs[other], threshold)
            if score is not None and (best is None or score > best[0]):
                best = (score, articles[other].family)
        article.signature = encode(sig)
        article.family = best[1] if best else article.id
        for key in keys:
            batch_keys.setdefault(key, []).append(position)
