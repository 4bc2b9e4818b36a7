"""The signs of the passage vectors: a cheap first look at every passage when a search must consider them all.

A hybrid query whose words meet in no article may find articles by meaning
alone (index/search/semantic.py), so it has to find the passages nearest its
vector among all of them.  Reading every passage's 384 int8 codes is reading the
archive's whole vector store (147 MB at Reuters 10x: about 20 ms a query).  The
signs of the codes are 48 bytes a passage: the number of signs a passage's
vector and the query's disagree on (their Hamming distance) grows with the angle
between them.  On the news queries the 1,000 passages nearest by signs hold 95%
of the articles of the exact top 100 (4,000 hold 99.5%), and the rankings came
out the same (bench/RESULTS.md); only those passages are read exactly.

    vector_signs   (WORDS, passages) uint64: bit j of word w is set when code 64 w + j is
                   above 0; stored a word per row, so that a scan is WORDS passes over
                   contiguous memory (one `bitwise_count` each)

Derived from the codes alone, written with them (building.py, arrays_merge.py)
and added to older segments by index/store/upgrade.py.
"""

from __future__ import annotations

import numpy as np

WORDS = 6  # 384 dimensions, 64 signs a word
FAR = 64 * WORDS + 1  # farther than any passage: a distance for passages to leave out


def vector_signs(codes: np.ndarray) -> np.ndarray:
    """(WORDS, passages) uint64 signs of (passages, 384) int8 codes (or float vectors)."""
    codes = np.asarray(codes).reshape(-1, 64 * WORDS)
    packed = np.packbits(codes > 0, axis=1, bitorder="little")  # (passages, 48) bytes
    return np.ascontiguousarray(packed.view("<u8").T)


def distances(signs: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each passage's Hamming distance (uint16, 0-384) from a query vector's signs (`vector_signs` of it)."""
    count = signs.shape[1]
    far = np.zeros(count, dtype=np.uint16)
    word = np.empty(count, dtype=np.uint64)
    bits = np.empty(count, dtype=np.uint8)
    for row, wanted in zip(signs, query.reshape(-1)):
        np.bitwise_xor(row, wanted, out=word)
        np.bitwise_count(word, out=bits)
        far += bits
    return far
