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

from index.article import Article
from index.store.analyzed import analyse, analyse_article

SEPARATOR = "|"
GAP = "|"  # a slot with no term (removed by the analyzer's stop filter, its position kept)


def slots(tokens: list[tuple[str, int, str]]) -> tuple[str, str]:
    """(terms, spellings) of (term, position, spelling) tokens as slot strings (see the module docstring)."""
    terms: list[list[str]] = []
    spelt: list[list[str]] = []
    for term, pos, spelling in tokens:
        while len(terms) <= pos:
            terms.append([])
            spelt.append([])
        if term not in terms[pos]:
            terms[pos].append(term)
        if spelling not in spelt[pos]:
            spelt[pos].append(spelling)
    return _joined(terms), _joined(spelt)


def _joined(positions: list[list[str]]) -> str:
    return " ".join(SEPARATOR.join(_clean(t) for t in slot) if slot else GAP for slot in positions)


def _clean(term: str) -> str:
    """A term as it can travel in a slot (whitespace and the separator cannot occur; kept safe anyway)."""
    return "".join("_" if c.isspace() or c == SEPARATOR else c for c in term)


def text_slots(text: str) -> tuple[str, str]:
    """(terms, spellings) slot strings of one text."""
    return slots(analyse(text or ""))


def article_fields(article: Article) -> dict:
    """The indexed text fields of an article document: title, body, each passage, source and byline."""
    analysed = analyse_article(article)
    title_terms, title_spelt = slots(analysed.title)
    body_terms, body_spelt = slots(analysed.body)
    passages = [slots(tokens) for tokens in analysed.passages]
    return {
        "title_terms": title_terms, "title_spelt": title_spelt,
        "body_terms": body_terms, "body_spelt": body_spelt,
        "passages": passages,
        "source_text": slots(analysed.source_text)[0] or None,
        "byline": slots(analysed.byline)[0] or None,
    }


def query_string(words) -> str:
    """Index terms (or spellings) to send as a phrase: one slot each (the search analyzer splits on spaces)."""
    return " ".join(_clean(w) for w in words)
