""""Did you mean": a corrected query when a word is rare or absent and a close, frequent word exists.

For each plain word of the query (not phrases, prefixes or field:value clauses)
whose index term is found in at most `RARE` articles, the index vocabulary of
titles and bodies is searched for words within edit distance 1 (2 for words of
eight letters or more; Whoosh's corrector over the index), and the most frequent
candidate wins if it is found in at least `FACTOR` times as many articles and at
least one.  A correct query gets no suggestion.  The candidate is a stemmed index
term, so it is shown as the word an article spells ("kalbajar", "centre").
"""

from __future__ import annotations

import json
import re

from whoosh import query as Q

from index.text.analysis import text_analyzer
from index.store.schema import ARTICLE
from index.search.scoring import Statistics

RARE = 1  # a word in at most this many articles may be a typo
FACTOR = 3  # the correction must be this many times more frequent
MIN_LENGTH = 4  # shorter words have too many neighbours to correct
_ANALYZER = text_analyzer()


def _articles_with(reader, term: str) -> int:
    stats = Statistics.of(reader)  # document frequencies remembered per reader, shared with scoring
    return max(stats.df("body", term), stats.df("title", term))


def _surface(searcher, term: str) -> str:
    """How the articles spell the index term `term` (its first occurrence in an article that has it)."""
    for fieldname in ("title", "body"):
        for docnum in searcher.docs_for_query(Q.And([Q.Term(fieldname, term), Q.Term("kind", ARTICLE)])):
            data = json.loads(searcher.stored_fields(docnum)["data"])
            text = data.get(fieldname) or ""
            for token in _ANALYZER(text, chars=True, mode="index"):
                if token.text == term:
                    return text[token.startchar:token.endchar].lower()
            break
    return term


def correct_word(searcher, word: str) -> str | None:
    """The correction of one typed word, or None when it needs none or none is good enough."""
    tokens = [t.text for t in _ANALYZER(word)]
    if len(tokens) != 1 or len(word) < MIN_LENGTH or not word.isalpha():
        return None
    term = tokens[0]
    reader = searcher.reader()
    seen = _articles_with(reader, term)
    if seen > RARE:
        return None
    maxdist = 2 if len(word) >= 8 else 1
    best, best_count = None, max(1, FACTOR * seen)
    for fieldname in ("body", "title"):
        for candidate in searcher.corrector(fieldname).suggest(term, limit=8, maxdist=maxdist, prefix=1):
            count = _articles_with(reader, candidate)
            if candidate != term and count >= best_count and (best is None or count > _articles_with(reader, best)):
                best, best_count = candidate, count
    return _surface(searcher, best) if best else None


WORD = re.compile(r'"[^"]*"|\S+')


def suggest(searcher, q: str) -> str | None:
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
            fixed = correct_word(searcher, bare)
            if fixed and bare[:1].isupper():  # keep the typed capital: Kalbajr -> Kalbajar
                fixed = fixed[:1].upper() + fixed[1:]
        if fixed:
            changed = True
            out.append(piece.replace(bare, fixed))
        else:
            out.append(piece)
    return " ".join(out) if changed else None
