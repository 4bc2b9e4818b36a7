"""From a user's query to OpenSearch's query DSL, with the embedded backend's meaning.

The query is parsed and understood by index/search/plan.py itself (Whoosh's
syntax, quotes with their spellings, bare stop words dropped, NOT bound,
editorial aliases expanded, units), so both backends accept, refuse and read a
query alike.  Here its tree and units become clauses over the term fields of
mapping.py, whose terms are ours (tokens.py): nothing is analysed by the cluster.

    match     the tree, in filter context: what is found.  Term -> term, Phrase ->
              match_phrase over the `*_terms` field, or the `*_spelt` field for a quote
              (word for word), prefix/wildcard/fuzzy on `*_terms`, an alias's entity ->
              terms on `entity`, AND/OR/NOT -> bool (index/search/matching.py's masks)
    rank      each unit scores its best alternative (dis_max) over title and body, the
              units are summed; in `auto` mode a query of 2-3 units is scaled by the share
              of its units an article holds (function_score: Whoosh's coordination), and
              adjacent query words found next to each other add a fixed bonus (Whoosh's
              proximity).  Lucene's BM25 per field, not Whoosh's BM25F: orders agree on
              what matters (tests compare orders and sets), scores do not.
    passages  the same units over the nested passages (their best ones are shown)
    every     all units held (`total_all_words`; by date, what is paged through)
    marks     what index/text/highlight.py marks: terms, phrases, quotes, and the words
              of a text that a prefix, wildcard or fuzzy term stands for

Clauses of the units are named "u<unit>:<field>:<alternative>", so each hit says
which units it holds where (`matched`, as the Whoosh backend's describe_match).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from rapidfuzz.distance import Levenshtein
from whoosh import query as Q

from index.errors import InvalidQuery
from index.search.catalog import EntityCatalog
from index.search.expand import Limits
from index.search.parsing import parse
from index.search.plan import AliasOr, Alt, EntityTerm, Unit, drop_stop_words, expand_aliases, query_units
from index.search.scoring import DEFAULT
from index.text.aliases import Aliases
from index.text.analysis import token_spans
from index.text.highlight import Highlighter
from index.backends.opensearch.tokens import query_string

# Per query field: (terms field, spellings field).
ARTICLE_FIELDS = {"title": ("title_terms", "title_spelt"), "body": ("body_terms", "body_spelt"),
                  "source_text": ("source_text", "source_text"), "byline": ("byline", "byline")}
PASSAGE_FIELDS = {"title": ("passages.terms", "passages.spelt"), "body": ("passages.terms", "passages.spelt")}
# A unit scores its best field plus 0.3 of the other (dis_max), title and body alike: on SciFact
# nDCG@10 0.694, against 0.665 for the sum of both fields and 0.602 for the sum with the title
# boosted 3x as the Whoosh backend's BM25F weighs it (bench/RESULTS.md).
TIE_BREAKER = 0.3
COORD_MAX_UNITS = DEFAULT.coord_max_units
PROXIMITY = DEFAULT.proximity  # fixed bonus of a pair of adjacent query words found adjacent
ENTITY_SCORE = DEFAULT.entity_score
SCORED_EXPANSIONS = 64  # a prefix or wildcard scores its best terms; all of them match


class Expansions:
    """Prefixes, wildcards and fuzzy terms of a query: which index terms they stand for (highlighting)."""

    def __init__(self) -> None:
        self.prefixes: list[str] = []
        self.patterns: list[str] = []
        self.fuzzy: list[tuple[str, int, int]] = []

    def add(self, node: Q.MultiTerm) -> None:
        if isinstance(node, Q.FuzzyTerm):
            self.fuzzy.append((node.text, node.maxdist, max(1, node.prefixlength)))
        elif isinstance(node, Q.Prefix):
            self.prefixes.append(node.text)
        elif isinstance(node, Q.Wildcard):
            self.patterns.append(node.text)

    def __bool__(self) -> bool:
        return bool(self.prefixes or self.patterns or self.fuzzy)

    def __contains__(self, term: object) -> bool:
        if not isinstance(term, str):
            return False
        return (any(term.startswith(p) for p in self.prefixes)
                or any(fnmatchcase(term, p) for p in self.patterns)
                or any(term[:n] == word[:n] and Levenshtein.distance(term, word, score_cutoff=d) <= d
                       for word, d, n in self.fuzzy))


@dataclass
class Marks:
    """What a query marks in a text (index/text/highlight.py), as the Whoosh plan's `highlight` and `marks()`."""

    terms: set[str] = field(default_factory=set)
    phrases: list[tuple[tuple[str, ...], tuple[str, ...] | None]] = field(default_factory=list)
    expansions: Expansions = field(default_factory=Expansions)

    def highlighter(self) -> Highlighter:
        # the words of a text that the query's prefixes (etc.) stand for are marked too
        words_of = (lambda text: {t for t, *_ in token_spans(text) if t in self.expansions}) if self.expansions else None
        return Highlighter(self.terms, [w for w, spelt in self.phrases if spelt is None],
                           [(w, spelt) for w, spelt in self.phrases if spelt is not None], words_of)


@dataclass
class QueryPlan:
    """A parsed query as OpenSearch clauses (see the module docstring)."""

    tree: Q.Query
    units: list[Unit]
    marks: Marks
    expanded: list[dict]
    coordinated: bool
    entity_boosts: dict[tuple[str, ...], float] = field(default_factory=dict)

    def match(self) -> dict:
        return match(self.tree, ARTICLE_FIELDS)

    def scoring(self, passages: bool = False, named: bool = True) -> dict | None:
        """The ranking clause over articles (or passages): None when nothing is ranked."""
        fields = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
        clauses = [c for c in (self.unit(n, fields, named and not passages) for n in range(len(self.units)))
                   if c is not None]
        if not clauses:
            return None
        words = [u.word for u in self.units if u.word is not None]
        target = fields["body"][0]
        for left, right in zip(words, words[1:]):
            clauses.append({"constant_score": {"filter": {"match_phrase": {target: query_string((left, right))}},
                                               "boost": PROXIMITY}})
        query = {"bool": {"should": clauses, "minimum_should_match": 1}}
        # Passages are always coordinated (as the Whoosh backend scores them); articles in `auto` mode.
        if (passages or self.coordinated) and 1 < len(self.units) <= COORD_MAX_UNITS:
            share = 1 / len(self.units)
            functions = [{"filter": held, "weight": share}
                         for held in (self.unit(n, fields, False) for n in range(len(self.units))) if held]
            query = {"function_score": {"query": query, "functions": functions, "score_mode": "sum",
                                        "boost_mode": "multiply"}}
        return query

    def every(self) -> dict:
        """Articles holding every unit (in title, body or, for an alias, as the entity)."""
        return {"bool": {"filter": [self.unit(n, ARTICLE_FIELDS, False) or {"match_none": {}}
                                    for n in range(len(self.units))]}}

    def unit(self, number: int, fields: dict, named: bool) -> dict | None:
        """One unit: its best alternative, each alternative its best field (plus TIE_BREAKER of the other)."""
        alternatives = []
        for which, alt in enumerate(self.units[number].alternatives):
            clauses = []
            if alt.kind == "entity":
                if fields is ARTICLE_FIELDS:
                    clause = {"constant_score": {"filter": {"terms": {"entity": list(alt.keys)}},
                                                 "boost": self.entity_boosts.get(alt.keys, ENTITY_SCORE)}}
                    if named:
                        clause["constant_score"]["_name"] = f"u{number}:entity:{which}"
                    clauses.append(clause)
            else:
                for ours in ("title", "body") if fields is ARTICLE_FIELDS else ("body",):
                    name = f"u{number}:{ours}:{which}" if named and alt.kind != "expand" else None
                    clauses.append(_scored_leaf(alt, fields[ours], name))
            if clauses:
                alternatives.append(clauses[0] if len(clauses) == 1
                                    else {"dis_max": {"queries": clauses, "tie_breaker": TIE_BREAKER}})
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else {"dis_max": {"queries": alternatives}}


def _named(leaf: dict, name: str | None) -> dict:
    if name:
        (kind, body), = leaf.items()
        (target, params), = body.items()
        params["_name"] = name
    return leaf


def _scored_leaf(alt: Alt, fields: tuple[str, str], name: str | None) -> dict:
    if alt.kind == "term":
        return _named({"term": {fields[0]: {"value": alt.text}}}, name)
    if alt.kind == "phrase":
        return _named(phrase(fields, alt.words, alt.slop, alt.spellings), name)
    return expansion(alt.node, fields[0], scored=True)


def phrase(fields: tuple[str, str], words, slop: int = 1, spellings=None) -> dict:
    """A phrase over its terms, or word for word over the spellings (a quote). Whoosh's slop 1 is Lucene's 0."""
    if spellings is not None and len(spellings) == len(words):
        target, text = fields[1], query_string(spellings)
    else:
        target, text = fields[0], query_string(words)
    return {"match_phrase": {target: {"query": text, "slop": max(0, slop - 1)}}}


def expansion(node: Q.MultiTerm, target: str, scored: bool = False) -> dict:
    """Every index term a prefix, wildcard or fuzzy term stands for (scored: its best SCORED_EXPANSIONS)."""
    if isinstance(node, Q.FuzzyTerm):
        return {"fuzzy": {target: {"value": node.text, "fuzziness": min(2, node.maxdist),
                                   "prefix_length": max(1, node.prefixlength), "transpositions": False,
                                   "max_expansions": 1024}}}
    rewrite = {"rewrite": f"top_terms_blended_freqs_{SCORED_EXPANSIONS}"} if scored else {}
    if isinstance(node, Q.Prefix):
        return {"prefix": {target: {"value": node.text, **rewrite}}}
    if isinstance(node, Q.Wildcard):
        return {"wildcard": {target: {"value": node.text, **rewrite}}}
    raise InvalidQuery(f"this kind of query is not supported: {node}")


def match(node: Q.Query, fields: dict) -> dict:
    """The articles a node of the tree finds (as index/search/matching.py's node_mask), in filter context."""
    if isinstance(node, EntityTerm):
        return {"terms": {"entity": list(node.keys)}}
    if isinstance(node, Q.Phrase):
        return phrase(fields[node.fieldname], tuple(node.words), node.slop, getattr(node, "spellings", None))
    if isinstance(node, Q.Term):
        return {"term": {fields[node.fieldname][0]: node.text}}
    if isinstance(node, (Q.Prefix, Q.Wildcard, Q.FuzzyTerm)):
        return expansion(node, fields[node.fieldname][0])
    if type(node) is Q.And:
        return {"bool": {"filter": [match(c, fields) for c in node.subqueries]}}
    if type(node) in (Q.Or, AliasOr):
        return {"bool": {"should": [match(c, fields) for c in node.subqueries], "minimum_should_match": 1}}
    if isinstance(node, Q.Not):
        return {"bool": {"must_not": [match(node.query, fields)]}}
    if isinstance(node, Q.AndNot):
        return {"bool": {"filter": [match(node.a, fields)], "must_not": [match(node.b, fields)]}}
    if isinstance(node, Q.Every) and not node.fieldname:
        return {"match_all": {}}
    if node is Q.NullQuery:
        return {"match_none": {}}
    raise InvalidQuery(f"this kind of query is not supported: {node}")


def plan_query(text: str, match_mode: str, aliases: Aliases, catalog: EntityCatalog, limits: Limits,
               entity_idf=None) -> QueryPlan | None:
    """Plan a search for `text` as index/search/plan.make_plan does; None when nothing is searched (browse).

    `entity_idf(keys)`, when given, scores an alias's entity clause as the Whoosh backend
    does (idf of the articles naming the entity); else it scores ENTITY_SCORE.
    """
    parsed = parse(text, limits, match_mode)
    if parsed is Q.NullQuery:
        return None
    tree, expanded = expand_aliases(drop_stop_words(parsed), aliases, catalog, text)
    units = query_units(tree, text)
    marks = Marks()
    boosts = {}
    for unit in units:
        for alt in unit.alternatives:
            if alt.kind == "term":
                marks.terms.add(alt.text)
            elif alt.kind == "phrase":
                marks.phrases.append((alt.words, alt.spellings))
            elif alt.kind == "expand":
                marks.expansions.add(alt.node)
            elif alt.kind == "entity" and entity_idf is not None:
                boosts[alt.keys] = entity_idf(alt.keys) * ENTITY_SCORE
    return QueryPlan(tree=tree, units=units, marks=marks, expanded=expanded,
                     coordinated=match_mode == "auto", entity_boosts=boosts)


def parse_only(text: str, match_mode: str, limits: Limits) -> dict:
    """The match clause of a query as parsed, nothing dropped or expanded (what a suggestion is counted by)."""
    return match(parse(text, limits, match_mode), ARTICLE_FIELDS)
