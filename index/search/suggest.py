""""Did you mean": a corrected query when a word is rare or absent and a close, frequent word exists.

For each plain word of the query (not phrases, prefixes or field:value clauses)
whose index term is found in at most `RARE` articles, the words of the archive as
spelt within edit distance 1 of the word as typed (2 for words of eight letters or
more; two letters swapped are one edit, as in Lucene's fuzzy queries) that start
with the same letter are candidates, each as its index term (index/search/expand.py
reads them, bounded).  The nearest found in at least `FACTOR` times as many
articles (and at least one) wins, the most frequent among equally near ones.  A
correct query gets no suggestion.  The winner is a stemmed index term, so it is
shown in the spelling of it, among those the articles use, closest to the typed word.
"""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from index.search.expand import slice_of
from index.text.analysis import text_analyzer

RARE = 1  # a word in at most this many articles may be a typo
FACTOR = 3  # the correction must be this many times more frequent
MIN_LENGTH = 4  # shorter words have too many neighbours to correct
CANDIDATES = 8
_ANALYZER = text_analyzer()
WORD = re.compile(r'"[^"]*"|\S+')


def _articles_with(snapshot, term: str) -> int:
    return max(snapshot.df("body", term), snapshot.df("title", term))


def _surface(snapshot, term: str, typed: str, near: set[str]) -> str:
    """How the articles spell the index term, in the spelling closest to what was typed: a stemmed term
    stands for several words ("prodution" means production, not products, though both are "product").
    The spellings read from the term's first articles, and the words near the typed one that are its."""
    spellings = Counter(dict.fromkeys(near, 0))
    for fieldname in ("title", "body"):
        spellings.update(snapshot.spellings(fieldname, term))
    return closest_spelling(spellings, typed) or term


def closest_spelling(spellings: dict[str, int], typed: str) -> str | None:
    """The spelling nearest the typed word ({spelling: occurrences}); the most used, then the first, among equals."""
    typed = typed.lower()
    return min(spellings, key=lambda spelt: (OSA.distance(typed, spelt), -spellings[spelt], spelt), default=None)


def correct_word(snapshot, word: str) -> str | None:
    """The correction of one typed word, or None when it needs none or none is good enough."""
    tokens = [t.text for t in _ANALYZER(word)]
    if len(tokens) != 1 or len(word) < MIN_LENGTH or not word.isalpha():
        return None
    term = tokens[0]
    seen = _articles_with(snapshot, term)
    if seen > RARE:
        return None
    maxdist = 2 if len(word) >= 8 else 1
    near: set[str] = set()
    typed = word.lower()
    for part in snapshot.parts:  # the vocabulary holds the index terms and the words as spelt
        near.update(w for w, _, _ in extract(typed, slice_of(part.data, typed[:1]), scorer=OSA.distance,
                                             score_cutoff=maxdist, limit=CANDIDATES))
    candidates = candidate_terms(near, term, word)
    best = best_term(candidates, max(1, FACTOR * seen), lambda candidate: _articles_with(snapshot, candidate))
    return _surface(snapshot, best, word, candidates[best][1]) if best else None


def candidate_terms(near: set[str], term: str, typed: str) -> dict[str, tuple[int, set[str]]]:
    """The index terms of words near a typed one, other than its own: term -> (edit distance of its nearest
    word, the near words that are spellings of it).  A word near the typed spelling counts as its stem
    ("govrnment" is near government, whose term "govern" is far from it)."""
    typed = typed.lower()
    found: dict[str, tuple[int, set[str]]] = {}
    for word in near:
        terms = [t.text for t in _ANALYZER(word)]
        if len(terms) != 1 or terms[0] == term:
            continue
        distance, spellings = found.get(terms[0], (len(typed), set()))
        if terms[0] != word:  # a word that is not its own stem is a spelling, never a bare stem ("compani")
            spellings.add(word)
        found[terms[0]] = (min(distance, OSA.distance(typed, word)), spellings)
    return found


def best_term(candidates: dict[str, tuple[int, set[str]]], floor: int, articles_with) -> str | None:
    """The nearest candidate found in at least `floor` articles, the most frequent among the nearest:
    one edit away beats two ("lawmaers" is lawmakers, not the commoner lawyers)."""
    counted = [(distance, -count, candidate) for candidate, (distance, _) in sorted(candidates.items())
               for count in [articles_with(candidate)] if count >= floor]
    return min(counted)[2] if counted else None


def suggest(snapshot, q: str) -> str | None:
    """The query with its misspelt words corrected, or None when no word needs it.

    Quoted phrases, operators (AND, OR, NOT), field:value clauses and words with
    wildcards or ~ are left exactly as typed.
    """
    changed = False
    out = []
    for piece in WORD.findall(q):
        fixed = None
        bare = piece.strip("()+-")
        if not piece.startswith('"') and bare not in ("AND", "OR", "NOT") and ":" not in bare \
                and not set("*?~^") & set(bare):
            fixed = correct_word(snapshot, bare)
            if fixed and bare[:1].isupper():  # keep the typed capital: Kalbajr -> Kalbajar
                fixed = fixed[:1].upper() + fixed[1:]
        if fixed:
            changed = True
            out.append(piece.replace(bare, fixed))
        else:
            out.append(piece)
    return " ".join(out) if changed else None
