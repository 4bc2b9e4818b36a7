"""From a user's query to OpenSearch's query DSL, with the embedded backend's syntax and meaning.

The query is parsed by the very parser the Whoosh backend uses (Whoosh's, over
the same schema: words, "phrases", AND/OR/NOT, field:value, prefix*, fuzzy~),
so both backends accept, refuse and group a query alike.  Each thing the user
asked for (a word, a phrase, a prefix... searched in title and body) becomes a
*unit*; a unit becomes one OpenSearch clause per field, sent as the user typed
it, so OpenSearch's own analyzer (mapping.py, the mirror of ours) turns it into
terms.  Clauses are named "u<number>:<field>" so each hit says which units
matched where ("why this matched").  A word or phrase that is an editorial
alias also finds the entity's other names and keys (`expanded`).

    plan = plan_query("Kalbajar ceasefire", "auto", aliases, catalog, limits)
    plan.article_clause()   # bool query over title/body, for ranking articles
    plan.passage_clause()   # the same units over nested passages.text, for the best passages
    plan.highlight          # what index/text/highlight.py marks: analysed terms, prefixes, fuzzy terms
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from whoosh import query as Q
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser, OrGroup

from index.errors import InvalidQuery
from index.search.catalog import EntityCatalog
from index.search.plan import QUERY_FIELDS, QUERY_SCHEMA, bind_negations, drop_stop_words
from index.text.aliases import Aliases
from index.text.analysis import fold, terms as analysed

SCHEMA = QUERY_SCHEMA  # the embedded backend's query schema: the same syntax and analysis
ARTICLE_TEXT = ("title", "body")
# A unit scores its best field (and alternative) plus 0.3 of the others (dis_max), title and body
# alike: on SciFact nDCG@10 0.694, against 0.665 for the sum of both fields and 0.602 for the
# sum with the title boosted 3x as the Whoosh backend's BM25F weighs it (bench/RESULTS.md).
TITLE_WEIGHT = 1.0
TIE_BREAKER = 0.3
COORD_UNITS = 3  # in `auto` mode, a query of 2-3 units ranks the articles with every one of them first
COORD_BOOST = 1000.0


@dataclass
class Limits:
    max_query_length: int = 1000
    max_query_terms: int = 64
    allow_leading_wildcards: bool = False


@dataclass
class Unit:
    """One thing asked for: `kind` term|phrase|prefix|wildcard|fuzzy, searched in `fields`."""

    number: int
    kind: str
    label: str  # as the user typed it: what `matched` reports
    text: str  # what is sent to OpenSearch (the typed word or phrase)
    words: tuple[str, ...]  # analysed terms (Whoosh's), for highlighting
    fields: list[str]
    boost: float = 1.0
    maxdist: int = 1
    prefixlength: int = 0
    via: str | None = None  # the editorial entry whose names were added
    names: list[str] = field(default_factory=list)  # the entry's other names, searched as phrases
    keys: list[str] = field(default_factory=list)  # the entry's entity keys

    def clauses(self, fields: dict[str, str], named: bool) -> list[dict]:
        """One clause per field (and alias alternative); `fields` maps ours to OpenSearch's."""
        out = []
        for ours in self.fields:
            target = fields.get(ours)
            if target is None:
                continue
            weight = self.boost * (TITLE_WEIGHT if ours == "title" else 1.0)
            name = f"u{self.number}:{ours}" if named else None
            out.append(_leaf(self.kind, target, self.text, weight, name, self.maxdist, self.prefixlength))
            for other in self.names:
                out.append(_leaf("phrase", target, other, weight, f"u{self.number}:{ours}:via" if named else None))
        if self.keys and "entity" in fields:
            clause = {"terms": {fields["entity"]: self.keys}}
            if named:
                clause["terms"]["_name"] = f"u{self.number}:entity:via"
            out.append({"constant_score": {"filter": clause, "boost": self.boost}})
        return out

    def clause(self, fields: dict[str, str], named: bool = True) -> dict:
        clauses = self.clauses(fields, named)
        if not clauses:
            return {"match_none": {}}
        return clauses[0] if len(clauses) == 1 else {"dis_max": {"queries": clauses, "tie_breaker": TIE_BREAKER}}


def _leaf(kind: str, target: str, text: str, boost: float, name: str | None, maxdist: int = 1,
          prefixlength: int = 0) -> dict:
    if kind == "term":
        body = {"query": text, "operator": "and", "boost": boost}
        leaf = {"match": {target: body}}
    elif kind == "phrase":
        body = {"query": text, "boost": boost}
        leaf = {"match_phrase": {target: body}}
    elif kind == "prefix":
        body = {"value": text, "boost": boost}
        leaf = {"prefix": {target: body}}
    elif kind == "wildcard":
        body = {"value": text, "boost": boost, "case_insensitive": True}
        leaf = {"wildcard": {target: body}}
    elif kind == "fuzzy":
        body = {"value": text, "fuzziness": maxdist, "prefix_length": prefixlength, "boost": boost}
        leaf = {"fuzzy": {target: body}}
    else:  # every
        return {"exists": {"field": target}}
    if name:
        body["_name"] = name
    return leaf


class HighlightTerms:
    """The index terms a query marks in text: exact terms, prefixes, wildcards and fuzzy terms.

    Passed to index/text/highlight.py as its `terms` (it asks only `term in terms`),
    so a prefix or fuzzy query marks the words it matched without a vocabulary walk.
    """

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        self.patterns: list[str] = []
        self.fuzzy: list[tuple[str, int, int]] = []

    def __contains__(self, term: object) -> bool:
        if not isinstance(term, str):
            return False
        return (term in self.exact or any(term.startswith(p) for p in self.prefixes)
                or any(fnmatchcase(term, p) for p in self.patterns)
                or any(term[:n] == word[:n] and within(term, word, d) for word, d, n in self.fuzzy))

    def __len__(self) -> int:
        return len(self.exact) + len(self.prefixes) + len(self.patterns) + len(self.fuzzy)

    def __iter__(self):
        return iter(self.exact)


def within(a: str, b: str, limit: int) -> bool:
    """Is the edit distance of a and b at most `limit` (Damerau: a swap counts once, as Lucene's)?"""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


@dataclass
class QueryPlan:
    """A parsed query: its OpenSearch clauses, its units, what to highlight, what aliases added."""

    tree: dict  # the whole query over articles (units named)
    units: list[Unit]
    passage_tree: dict  # the positive units over passages
    highlight: HighlightTerms
    pairs: set[tuple[str, str]]
    expanded: list[dict]
    coordinated: bool = False

    def article_clause(self) -> dict:
        if not self.coordinated:
            return self.tree
        every = {"bool": {"must": [u.clause(ARTICLE_FIELDS, named=False) for u in self.units]}}
        return {"bool": {"must": [self.tree], "should": [{"constant_score": {"filter": every, "boost": COORD_BOOST}}]}}

    def passage_clause(self) -> dict:
        return self.passage_tree


ARTICLE_FIELDS = {"title": "title", "body": "body", "source_text": "source_text", "byline": "byline",
                  "entity": "entity"}
PASSAGE_FIELDS = {"title": "passages.text", "body": "passages.text", "entity": "passages.entity"}


def parse(text: str, match: str, limits: Limits) -> Q.Query | None:
    """The Whoosh query tree of `text` (None when nothing searchable is left). Raises InvalidQuery."""
    if len(text) > limits.max_query_length:
        raise InvalidQuery(f"q is longer than {limits.max_query_length} characters")
    parser = MultifieldParser(list(ARTICLE_TEXT), SCHEMA, group=AndGroup if match == "all" else OrGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin({"body": ["text"], "source_text": ["source"]}))
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        raise InvalidQuery(f"q could not be parsed: {exc}") from None
    if parsed is Q.NullQuery:
        return None
    _check(parsed, limits)
    return drop_stop_words(bind_negations(parsed))


def _check(parsed: Q.Query, limits: Limits) -> None:
    """The embedded backend's refusals: unknown fields, leading wildcards, too many terms."""
    allowed = set(QUERY_FIELDS.values())
    count = 0
    for leaf in parsed.leaves() if not parsed.is_leaf() else [parsed]:
        fieldname = getattr(leaf, "fieldname", None)
        if fieldname and fieldname not in allowed:
            raise InvalidQuery(
                f"unknown field '{fieldname}:'; searchable fields are {', '.join(sorted(QUERY_FIELDS))}")
        if isinstance(leaf, Q.Wildcard) and not limits.allow_leading_wildcards \
                and getattr(leaf, "text", "")[:1] in ("*", "?"):
            raise InvalidQuery("leading wildcards (such as *stan) are not allowed; put letters before the *")
        count += len(getattr(leaf, "words", None) or [1])
    if count > limits.max_query_terms:
        raise InvalidQuery(f"q has {count} terms; at most {limits.max_query_terms} are allowed")


def plan_query(text: str, match: str, aliases: Aliases, catalog: EntityCatalog, limits: Limits) -> QueryPlan | None:
    """Plan a search for `text`; None when it holds nothing searchable (only stop words: browse)."""
    parsed = parse(text, match, limits)
    if parsed is None:
        return None
    builder = _Builder(text, aliases, catalog)
    tree = builder.translate(parsed, positive=True)
    units = builder.positive
    passage_units = [u.clause(PASSAGE_FIELDS, named=False) for u in units if set(u.fields) & set(ARTICLE_TEXT)]
    passage_tree = {"bool": {"should": passage_units, "minimum_should_match": 1}} if passage_units \
        else {"match_none": {}}
    coordinated = match == "auto" and 2 <= len(units) <= COORD_UNITS and _is_or(parsed)
    return QueryPlan(tree=tree, units=units, passage_tree=passage_tree, highlight=builder.highlight,
                     pairs=builder.pairs, expanded=builder.expanded_list(), coordinated=coordinated)


def _is_or(node: Q.Query) -> bool:
    return isinstance(node, Q.Or) or (isinstance(node, Q.And) and any(isinstance(c, Q.Not) for c in node.children()))


class _Builder:
    """Walks a Whoosh tree once: units (merged across title/body), clauses, highlight terms, aliases."""

    def __init__(self, text: str, aliases: Aliases, catalog: EntityCatalog):
        self.text = text
        self.aliases = aliases
        self.catalog = catalog
        self.by_key: dict[tuple, Unit] = {}
        self.positive: list[Unit] = []
        self.highlight = HighlightTerms()
        self.pairs: set[tuple[str, str]] = set()
        self.expanded: dict[str, list[str]] = {}

    def translate(self, node: Q.Query, positive: bool) -> dict:
        if isinstance(node, Q.Not):
            return {"bool": {"must_not": [self.translate(node.query, positive=False)]}}
        if isinstance(node, Q.AndNot):
            return {"bool": {"must": [self.translate(node.a, positive)],
                             "must_not": [self.translate(node.b, positive=False)]}}
        if isinstance(node, Q.NullQuery.__class__):
            return {"match_none": {}}
        if isinstance(node, (Q.And, Q.Or)) or not node.is_leaf():
            parts = self._children(node, positive)
            if isinstance(node, Q.And):
                must = [p for p in parts if not _is_not(p)]
                must_not = [p["bool"]["must_not"][0] for p in parts if _is_not(p)]
                clause = {"bool": {"must": must or [{"match_all": {}}]}}
                if must_not:
                    clause["bool"]["must_not"] = must_not
            else:
                clause = parts[0] if len(parts) == 1 else {"bool": {"should": parts, "minimum_should_match": 1}}
            if node.boost != 1:
                clause = {"bool": {"must": [clause], "boost": node.boost}}
            return clause
        unit = self._unit(node, positive)
        return unit.clause(ARTICLE_FIELDS, named=positive) if unit else {"match_none": {}}

    def _children(self, node: Q.Query, positive: bool) -> list[dict]:
        """Children as clauses; leaves that are one unit in several fields become one clause."""
        out: list[dict] = []
        seen: set[int] = set()
        for child in node.children():
            if child.is_leaf() and not isinstance(child, Q.NullQuery.__class__):
                unit = self._unit(child, positive)
                if unit is None or unit.number in seen:
                    continue
                seen.add(unit.number)
                out.append(unit)  # type: ignore[arg-type]
            else:
                out.append(self.translate(child, positive))
        return [p.clause(ARTICLE_FIELDS, named=positive) if isinstance(p, Unit) else p for p in out]

    def _unit(self, node: Q.Query, positive: bool) -> Unit | None:
        """The unit a leaf belongs to (created on first sight; a second field joins it)."""
        fieldname = getattr(node, "fieldname", None)
        kind, text, words, label, key = self._describe(node)
        if kind is None:
            return None
        unit = self.by_key.get(key)
        if unit is None:
            unit = Unit(number=len(self.by_key), kind=kind, label=label, text=text, words=words, fields=[],
                        boost=getattr(node, "boost", 1.0) or 1.0)
            if isinstance(node, Q.FuzzyTerm):
                unit.maxdist, unit.prefixlength = node.maxdist, node.prefixlength
            self.by_key[key] = unit
            if positive:
                self.positive.append(unit)
                self._mark(unit, node)
                if fieldname in ARTICLE_TEXT:
                    self._expand(unit)
        if fieldname not in unit.fields:
            unit.fields.append(fieldname)
        return unit

    def _describe(self, node: Q.Query):
        """(kind, text to send, analysed words, label, identity) of a leaf."""
        start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
        typed = self.text[start:end] if start is not None and end is not None and end > start else None
        if isinstance(node, Q.Phrase):
            ranges = getattr(node, "char_ranges", None)
            typed = self.text[ranges[0][0]:ranges[-1][1]] if ranges else None
            words = tuple(node.words)
            text = typed or " ".join(words)
            return "phrase", text, words, f'"{text}"', ("phrase", words, ranges[0][0] if ranges else None)
        if isinstance(node, Q.FuzzyTerm):
            return "fuzzy", node.text, (node.text,), typed or node.text, ("fuzzy", node.text, start)
        if isinstance(node, Q.Prefix):
            value = fold(node.text)
            return "prefix", value, (value,), f"{node.text}*", ("prefix", value, start)
        if isinstance(node, Q.Wildcard):
            value = fold(node.text)
            return "wildcard", value, (value,), node.text, ("wildcard", value, start)
        if isinstance(node, Q.Term):
            # The typed word when it is this one term; a word Whoosh split ("2020-11-01") sends each term.
            text = typed if typed and analysed(typed) == [node.text] else node.text
            label = typed.strip('"') if typed else node.text
            return "term", text, (node.text,), label, ("term", node.text, start if text == typed else None)
        if isinstance(node, Q.Every):
            return "every", "", (), "*", ("every",)
        if isinstance(node, Q.TermRange):
            return "every", "", (), str(node), ("every",)
        return None, None, None, None, None

    def _mark(self, unit: Unit, node: Q.Query) -> None:
        if unit.kind in ("term", "phrase"):
            self.highlight.exact.update(unit.words)
            self.pairs.update(zip(unit.words, unit.words[1:]))
        elif unit.kind == "prefix":
            self.highlight.prefixes.append(unit.text)
        elif unit.kind == "wildcard":
            self.highlight.patterns.append(unit.text)
        elif unit.kind == "fuzzy":
            self.highlight.fuzzy.append((unit.text, unit.maxdist, unit.prefixlength))

    def _expand(self, unit: Unit) -> None:
        """An editorial alias also finds the entry's other names and its entity keys (as the Whoosh backend)."""
        if unit.kind not in ("term", "phrase") or not len(self.aliases):
            return
        entry = self.aliases.by_terms().get(unit.words)
        if entry is None:
            return
        named = {tuple(analysed(n)): n for n in reversed(entry.names)}
        self.expanded[named[unit.words].lower()] = entry.names
        unit.names = [n for t, n in named.items() if t and t != unit.words]
        unit.keys = self.catalog.keys_for(entry.name)
        unit.via = entry.name
        for words in named:
            self.highlight.exact.update(words)
            self.pairs.update(zip(words, words[1:]))

    def expanded_list(self) -> list[dict]:
        return [{"term": term, "to": names} for term, names in self.expanded.items()]


def _is_not(clause: dict) -> bool:
    inner = clause.get("bool", {})
    return set(inner) == {"must_not"} and len(inner["must_not"]) == 1

