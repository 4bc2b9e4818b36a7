"""Our analysis, handed to OpenSearch ready-made: each text field as a string of index terms.

The cluster never analyses a word itself, so it cannot drift from
index/text/analysis.py (stop words kept, spelling variants folded, compounds,
U.S. forms): the article is analysed here, at write time, with the very
function the Whoosh store uses (index/store/analyzed.py), and each field is sent
as its tokens joined by spaces, one *slot* per position:

    "A cease-fire now"  ->  terms  "a ceasefir|ceas|fire now"
                            spelt  "a ceasefire|cease|fire now"

A slot holds the terms sharing that position (alternatives of one word: a
compound's closed form and its parts, a hyphenated word's closed form),
separated by `|`.  The mapping's `news_terms` analyzer (mapping.py) splits
slots on whitespace, then a `pattern_capture` filter emits each alternative of
a slot at the slot's position (Lucene's capture filter gives every capture
after the first a position increment of 0), so positions, and so phrases, are
exactly the Whoosh index's.  A position with no token (none so far: positions
are consecutive) would be a lone `|`, which a stop filter removes, leaving the
gap.  The `spelt` string has the folded spellings at the same positions: a
quote is matched on it, word for word ("interest rates rose" is not "interest
rate rose"); spelling determines the term, so a match there is a match of
the stems too.  Terms never hold whitespace or `|` (\\w, dots and apostrophes).
"""

from __future__ import annotations

import re

from index.article import Article
from index.store.analyzed import analyse_article

SEPARATOR = "|"
GAP = "|"  # a slot with no term (removed by the analyzer's stop filter, its position kept)


def slots(tokens: list[tuple[str, int, str]]) -> tuple[str, str]:
    """(terms, spellings) of (term, position, spelling) tokens as slot strings (see the module docstring).

    Tokens come in position order (alternatives right after their word), as the analyzer gives them.
    """
    terms: list[str] = []
    spelt: list[str] = []
    last = -1
    for term, pos, spelling in tokens:
        if SEPARATOR in term or " " in term or SEPARATOR in spelling or " " in spelling:
            term, spelling = _clean(term), _clean(spelling)  # never seen: terms are \w, dots and apostrophes
        if pos != last:
            while last + 1 < pos:  # a position without a token
                terms.append(GAP)
                spelt.append(GAP)
                last += 1
            terms.append(term)
            spelt.append(spelling)
            last = pos
            continue
        if term not in terms[-1].split(SEPARATOR):  # an alternative at the same position (rare)
            terms[-1] += SEPARATOR + term
        if spelling not in spelt[-1].split(SEPARATOR):
            spelt[-1] += SEPARATOR + spelling
    return " ".join(terms), " ".join(spelt)


def _clean(term: str) -> str:
    """A term as it can travel in a slot (whitespace and the separator cannot occur; kept safe anyway)."""
    return re.sub(r"[\s|]", "_", term)


def article_fields(article: Article) -> dict:
    """The indexed text fields of an article document: title, body, each passage, source and byline.

    The body's slots are its passages' slots one after the other: index/store/analyzed.py runs a
    passage's positions on from the previous passage's last, and slots have no gaps, so joining
    them gives exactly the body's positions without building them twice.
    """
    analysed = analyse_article(article)
    title_terms, title_spelt = slots(analysed.title)
    passages = [slots(tokens) for tokens in analysed.passages]
    return {
        "title_terms": title_terms, "title_spelt": title_spelt,
        "body_terms": " ".join(terms for terms, _ in passages if terms),
        "body_spelt": " ".join(spelt for _, spelt in passages if spelt),
        "passages": passages,
        "source_text": slots(analysed.source_text)[0] or None,
        "byline": slots(analysed.byline)[0] or None,
    }


def query_string(words) -> str:
    """Index terms (or spellings) to send as a phrase: one slot each (the search analyzer splits on spaces)."""
    return " ".join(_clean(w) for w in words)
