"""Reading a query's syntax: `q` as typed -> a Whoosh query tree (what must match), checked and bounded.

    tree = parse("oil NOT gas", limits)      # And([Or([title:oil, body:oil]), Not(Or([title:gas, body:gas]))])

Whoosh's parser reads the syntax (words, "phrases", AND/OR/NOT, field:value,
prefix*, fuzzy~; not its term ranges) with the index's own analyzers; a query of plain words gets
the same tree made directly (`words_only`), since the parser costs more than
the rest of a short query's plan.  Then the tree is checked (known fields, how
many terms, bounded expansions), quotes keep their spellings, and NOT always
excludes.  Understanding the tree (units, aliases, entities) is plan.py's.
"""

from __future__ import annotations

import re
from functools import cache

from whoosh import query as Q
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser, OrGroup, RangePlugin

from index.errors import InvalidQuery
from index.search.expand import Limits, check_expansion
from index.text.analysis import exact_terms, keyword_analyzer, terms as analysis_terms, text_analyzer

# Fields a query may name, and the index field each one searches.
QUERY_FIELDS = {"title": "title", "body": "body", "text": "body", "source": "source_text", "byline": "byline"}
TEXT_FIELDS = ("title", "body")
# What the parser analyses query words with: the same analyzers the segment arrays were built with.
# Names of the index's own fields parse as fields too, so that `kind:passage` is refused by name
# rather than searched as the words "kind" and "passage".
QUERY_SCHEMA = Schema(title=TEXT(analyzer=text_analyzer(), phrase=True), body=TEXT(analyzer=text_analyzer(), phrase=True),
                      source_text=TEXT(analyzer=keyword_analyzer()), byline=TEXT(analyzer=keyword_analyzer()),
                      **{name: ID() for name in ("kind", "doc_id", "article_id", "position", "published", "month",
                                                 "person", "org", "place", "checksum", "data", "lsh", "family")})


def parse(text: str, limits: Limits, match: str = "auto") -> Q.Query:
    """Parse a user query over titles and bodies; InvalidQuery if it cannot run as written."""
    if len(text) > limits.max_query_length:
        raise InvalidQuery(f"q is longer than {limits.max_query_length} characters")
    parsed = words_only(text, match == "all")
    if parsed is None:
        parsed = phrase_only(text)
    if parsed is None:
        try:
            parsed = _parser(match == "all").parse(text)
        except Exception as exc:  # Whoosh raises assorted errors on odd syntax
            raise InvalidQuery(f"q could not be parsed: {exc}") from None
    _check(parsed, limits)
    _spell_quotes(parsed, text)
    return bind_negations(parsed)


OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})  # words Whoosh's parser may read as syntax
_SPACED = re.compile(r"\S+")


def words_only(text: str, every_word: bool = False) -> Q.Query | None:
    """The tree Whoosh's parser makes of a query of plain words (letters and digits, no syntax), made
    directly: the parser costs more than the rest of a one-word search's plan.  None for anything else.

    As the parser does: each word analysed alone into one term, searched in title and body, carrying
    its place in `text`; the words' Or (or And) normalised (a repeated word once).
    """
    groups = []
    for found in _SPACED.finditer(text):
        word = found.group()
        if not word.isalnum() or word in OPERATORS:
            return None
        analysed = analysis_terms(word)
        if len(analysed) != 1:
            return None
        fields = []
        for fieldname in TEXT_FIELDS:
            term = Q.Term(fieldname, analysed[0])
            term.startchar, term.endchar = found.start(), found.end()
            fields.append(term)
        groups.append(Q.Or(fields))
    if not groups:
        return None
    if every_word:
        return Q.And(groups).normalize()
    # The words' Or flattened, a repeated term once, as normalize() makes it, without the deep copy
    # of every term it takes to flatten (88 us, half of a date-filtered search at Reuters 1x).
    terms = list(dict.fromkeys(term for group in groups for term in group.subqueries))
    return Q.Or(terms) if len(terms) > 1 else terms[0]


_QUOTED = re.compile(r'"([^"]+)"')


def phrase_only(text: str) -> Q.Query | None:
    """The tree Whoosh's parser makes of a query that is one quoted phrase and nothing else, made
    directly (the parser was a third of such a search).  None for anything else.

    As the parser does: the quote's text analysed in query mode, its words with their characters
    in `text`, a phrase in title and in body (slop 1); a quote of one word is that word's term.
    """
    found = _QUOTED.fullmatch(text)
    if found is None:
        return None
    words, ranges = [], []
    for token in text_analyzer()(found.group(1), mode="query", chars=True):
        words.append(token.text)
        ranges.append((token.startchar + 1, token.endchar + 1))
    if not words:
        return None
    return Q.Or([Q.Phrase(fieldname, words, slop=1, char_ranges=ranges).normalize() for fieldname in TEXT_FIELDS])


@cache
def _parser(every_word: bool) -> MultifieldParser:
    """One parser per grouping, made once: a parser keeps no state between parses."""
    parser = MultifieldParser(list(TEXT_FIELDS), QUERY_SCHEMA, group=AndGroup if every_word else OrGroup)
    # No term ranges ("[a TO z]": every headline word between two words, no newsroom's question; dates have
    # from/to): Whoosh's range syntax took 0.2-0.5 s of a worker to parse "[TO " x 250, under the length limit.
    parser.remove_plugin_class(RangePlugin)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin({"body": ["text"], "source_text": ["source"]}))
    return parser


def _spell_quotes(parsed: Q.Query, text: str) -> None:
    """Give each quoted phrase its words as typed (`node.spellings`), so it matches word for word.

    The parser turns a quote into index terms (stems: "rates" -> rate); the quote's
    spellings let matching keep only the occurrences written so ("interest rates
    rose" does not match "interest rate rose").
    """
    quotes = {tuple(analysis_terms(q)): tuple(exact_terms(q)) for q in re.findall(r'"([^"]+)"', text)}
    for node in parsed.leaves():
        if isinstance(node, Q.Phrase):
            node.spellings = quotes.get(tuple(node.words))


def _check(parsed: Q.Query, limits: Limits) -> None:
    terms = 0
    allowed = set(QUERY_FIELDS.values())
    for sub in parsed.leaves():
        fieldname = getattr(sub, "fieldname", None)
        if fieldname and fieldname not in allowed:
            raise InvalidQuery(
                f"unknown field '{fieldname}:'; searchable fields are {', '.join(sorted(QUERY_FIELDS))}")
        if isinstance(sub, Q.MultiTerm):
            check_expansion(sub, limits)
        terms += len(getattr(sub, "words", None) or [1])
    if terms > limits.max_query_terms:
        raise InvalidQuery(f"q has {terms} terms; at most {limits.max_query_terms} are allowed")


def bind_negations(node: Q.Query) -> Q.Query:
    """Make NOT exclude in every match mode.

    With OR as the default group, `pashinian NOT putin` parses as
    Or([pashinian, Not(putin)]), which finds every article without putin.  An Or
    with NOT clauses becomes And([Or(the others), Not(Or(the negated))]).
    """
    node = node.apply(bind_negations) if not node.is_leaf() else node
    if isinstance(node, Q.Or):
        negated = [c.query for c in node.subqueries if isinstance(c, Q.Not)]
        positive = [c for c in node.subqueries if not isinstance(c, Q.Not)]
        if negated and positive:
            keep = positive[0] if len(positive) == 1 else node.__class__(positive, boost=node.boost)
            return Q.And([keep, Q.Not(negated[0] if len(negated) == 1 else Q.Or(negated))])
    return node
