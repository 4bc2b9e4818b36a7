""""Did you mean": a corrected query when a word is rare or absent and a close, frequent word exists.

For each plain word of the query (not phrases, prefixes or field:value clauses)
whose index term is found in at most `RARE` articles, the words of the archive
within edit distance 1 (2 for words of eight letters or more) of the word or its
term that start with the same letter are candidates, each as its own index term
(index/search/expand.py reads them, bounded);
the most frequent wins if it is found in at least `FACTOR` times as many
articles and at least one.  A correct query gets no suggestion.  The candidate
is a stemmed index term, so it is shown in the spelling of it the articles use that is
closest to the typed word.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein
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


def _surface(snapshot, term: str, typed: str) -> str:
    """How the articles spell the index term, in the spelling closest to what was typed: a stemmed term
    stands for several words ("prodution" means production, not products, though both are "product")."""
    spellings: dict[str, int] = {}
    for fieldname in ("title", "body"):
        for spelt, count in snapshot.spellings(fieldname, term).items():
            spellings[spelt] = spellings.get(spelt, 0) + count
    return closest_spelling(spellings, typed) or term


def closest_spelling(spellings: dict[str, int], typed: str) -> str | None:
    """The spelling nearest the typed word ({spelling: occurrences}); the most used, then the first, among equals."""
    typed = typed.lower()
    return min(spellings, key=lambda spelt: (Levenshtein.distance(typed, spelt), -spellings[spelt], spelt),
               default=None)


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
    for part in snapshot.parts:  # the vocabulary holds the index terms and the words as spelt
        for probe in {term, word.lower()}:
            near.update(w for w, _, _ in extract(probe, slice_of(part.data, probe[:1]), scorer=Levenshtein.distance,
                                                 score_cutoff=maxdist, limit=CANDIDATES))
    best, best_count = None, max(1, FACTOR * seen)
    for candidate in sorted(candidate_terms(near, term)):
        count = _articles_with(snapshot, candidate)
        if count >= best_count and (best is None or count > _articles_with(snapshot, best)):
            best, best_count = candidate, count
    return _surface(snapshot, best, word) if best else None


def candidate_terms(near: set[str], term: str) -> set[str]:
    """The index terms of words near a typed one, other than its own: a word near the typed spelling
    counts as its stem ("govrnment" is near government, whose term is "govern", far from "govrnment")."""
    found = set()
    for word in near:
        terms = [t.text for t in _ANALYZER(word)]
        if len(terms) == 1 and terms[0] != term:
            found.add(terms[0])
    return found


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
