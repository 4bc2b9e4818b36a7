"""The query plan: a request's query parsed and understood once, used by every later step.

    plan = make_plan(request, snapshot, limits, aliases, catalog)
    plan.tree        what must match: Whoosh query nodes (Term, Phrase, Prefix, FuzzyTerm, And, Or, Not)
    plan.units       what is ranked: one Unit per word, phrase or alias the user asked for
    plan.highlight   single index terms to mark; plan.phrases: (terms, spellings) to mark only as whole phrases
    plan.expanded    alias expansions, reported to the user

parsing.py reads the syntax (words, "phrases", AND/OR/NOT, field:value,
prefix*, fuzzy~) into a Whoosh query tree; everything after that is ours:
matching (index/search/matching.py), ranking (scoring.py), passages and
highlights (passages.py) all read this one plan.  A bare stop word is neither
required nor ranked ("the oil" asks for oil) unless the query has nothing
else; inside a phrase every word counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as Q
from whoosh.analysis import STOP_WORDS

from index.query import SearchRequest
from index.search.expand import Limits, expansions
from index.search.parsing import TEXT_FIELDS, parse
from index.text.aliases import Aliases, starts_with_article
from index.text.analysis import terms as analysis_terms

# Words a question is made of rather than what it asks about ("who is buying barley" asks for barley
# and buying): dropped from a query, like the index's own stop words, when other words remain.  Only
# bare words: inside a phrase every word counts.  Measured on the news sets (bench/RESULTS.md).
QUESTION_WORDS = (
    "who whom whose what which where why how does do did doing done was were been being has had having "
    "would should could shall might must there their they them these those about into than then such "
    "much many any some its our his her he she i me my also just very what's")
QUERY_STOP_WORDS = frozenset(STOP_WORDS) | frozenset(t for w in QUESTION_WORDS.split() for t in analysis_terms(w))

ENTITY_FIELDS = ("person", "org", "place")


@dataclass
class Alt:
    """One way a unit can be found: a term, a phrase, an expansion (prefix, wildcard, fuzzy) or entity keys."""

    kind: str  # "term" | "phrase" | "expand" | "entity"
    text: str = ""
    words: tuple[str, ...] = ()
    slop: int = 1
    node: Q.Query | None = None  # the expansion's Whoosh node
    keys: tuple[str, ...] = ()  # entity keys
    spellings: tuple[str, ...] | None = None  # a quote's words as typed (spelling folded): matched word for word

    def same(self, other: "Alt") -> bool:
        return (self.kind, self.text, self.words, self.slop, self.keys) == (
            other.kind, other.text, other.words, other.slop, other.keys)


@dataclass
class Unit:
    """One thing the user asked for; its first alternative is what they typed."""

    label: str
    alternatives: list[Alt]
    via: str | None = None  # the alias entry that added the other alternatives
    weight: float = 1.0  # what its scores count for (feedback's added words count for less)
    extra: bool = False  # added by feedback: ranks, but is not a word the user asked for

    @property
    def word(self) -> str | None:
        """The index term of a plain word (for the proximity bonus), else None."""
        first = self.alternatives[0]
        return first.text if first.kind == "term" and not self.extra else None


@dataclass
class QueryPlan:
    text: str
    tree: Q.Query | None  # None: no text query (browse or filters only)
    units: list[Unit] = field(default_factory=list)
    highlight: set[str] = field(default_factory=set)
    phrases: list[tuple[tuple[str, ...], tuple[str, ...] | None]] = field(default_factory=list)
    expanded: list[dict] = field(default_factory=list)

    def marks(self) -> dict:
        """Keyword arguments of index/text/highlight.py's `highlight` for this plan."""
        return {"phrases": [w for w, spelt in self.phrases if spelt is None],
                "quotes": [(w, spelt) for w, spelt in self.phrases if spelt is not None]}


def drop_stop_words(node: Q.Query) -> Q.Query:
    """Remove bare stop-word terms (not phrase words) from And/Or; the query itself if all are stop words."""
    leaves = [leaf for leaf in node.leaves() if isinstance(leaf, Q.Term) and leaf.fieldname in TEXT_FIELDS]
    if not leaves or all(leaf.text in QUERY_STOP_WORDS for leaf in leaves) and len(leaves) == len(list(node.leaves())):
        return node

    def prune(n: Q.Query) -> Q.Query | None:
        if isinstance(n, Q.Term) and n.fieldname in TEXT_FIELDS and n.text in QUERY_STOP_WORDS:
            return None
        if isinstance(n, (Q.And, Q.Or)):
            kept = [c for c in (prune(c) for c in n.subqueries) if c is not None]
            if not kept:
                return None
            return kept[0] if len(kept) == 1 and type(n) in (Q.And, Q.Or) else n.__class__(kept, boost=n.boost)
        if isinstance(n, Q.Not):
            inner = prune(n.query)
            return None if inner is None else Q.Not(inner)
        return n

    return prune(node) or node


class AliasOr(Q.Or):
    """An Or made by alias expansion: the user's word first, then the alias's other names."""

    def __init__(self, subqueries, boost=1.0, via: str | None = None):
        super().__init__(subqueries, boost=boost)
        self.via = via

    def apply(self, fn):
        return AliasOr([fn(q) for q in self.subqueries], boost=self.boost, via=self.via)


class EntityTerm(Q.Term):
    """Articles naming one of an entity's keys (any type): matched from the entity columns."""

    def __init__(self, keys: tuple[str, ...], via: str):
        super().__init__("entity", "|".join(keys))
        self.keys = keys
        self.via = via


def expand_aliases(parsed: Q.Query, aliases: Aliases, catalog, text: str = "",
                   snapshot=None) -> tuple[Q.Query, list[dict]]:
    """Let a word or phrase that names an editorial alias find the entity's other names too.

    "pashinian" becomes (pashinian OR "Nikol Pashinyan" OR ... OR the entity itself),
    in the same place in the query, so AND/NOT keep their meaning.  A word or phrase
    naming an entity the archive knows under several spellings is expanded likewise
    (`_entity_variants`).  Returns the new query and what was expanded:
    [{"term": ..., "to": [names]}], with "via": "entity" for the catalog's.
    """
    by_terms = aliases.by_terms() if len(aliases) else {}
    expanded: dict[str, list[str]] = {}
    via_entity: dict[str, list[str]] = {}

    def rewrite(node: Q.Query) -> Q.Query:
        words = None
        if isinstance(node, Q.Term) and node.fieldname in TEXT_FIELDS:
            words = (node.text,)
        elif isinstance(node, Q.Phrase) and node.fieldname in TEXT_FIELDS:
            words = tuple(node.words)
        if words is None:
            return node.apply(rewrite)
        entry = by_terms.get(words)
        if entry is None:
            return _entity_variants(node, words, text, catalog, via_entity, snapshot)
        terms_of = {n: tuple(analysis_terms(n)) for n in entry.names}
        named = {terms_of[n]: n for n in reversed(entry.names)}
        # A quote is words as written: its alias names are searched as written too, but not a one-word
        # name as a bare word ("Fed" would find "fed cattle"): the entity's own articles hold its mentions.
        quoted = getattr(node, "spellings", None) is not None
        searched = {t: n for t, n in named.items() if t and (t == words or not (quoted and len(t) == 1))}
        expanded[named[words].lower()] = [n for n in entry.names if terms_of[n] in searched]
        alternatives = [Q.Term(node.fieldname, t[0]) if len(t) == 1 else Q.Phrase(node.fieldname, list(t))
                        for t in searched if t != words]
        alternatives.append(EntityTerm(tuple(catalog.keys_for(entry.name)), entry.name))
        return AliasOr([node, *alternatives], via=entry.name)

    rewritten = rewrite(parsed)
    return rewritten, [{"term": term, "to": names} for term, names in expanded.items()] + [
        {"term": term, "to": names, "via": "entity"} for term, names in via_entity.items()]


ENTITY_SHARE = 0.2  # a one-word query names an entity when that entity is this share of the word's articles
SHORTEST_VARIANT = 3  # letters of the shortest one-word variant searched as a word ("jp" would find "J.P. Morgan")


def _entity_variants(node: Q.Query, words: tuple[str, ...], text: str, catalog, found: dict,
                     snapshot=None) -> Q.Query:
    """A word or phrase naming an entity of the archive also finds the entity's other spellings.

    Through the entity catalog (index/search/catalog.py): "Volcker" is Paul Volcker when the
    archive knows one Volcker; every key merged into that entity becomes an alternative
    (as words or a phrase) together with the entity itself (its articles, however it was
    written there).  Only when there is something to add: a name that is its own only
    spelling is left as it is.  A common word is not a name: one word expands only when
    the entity is named in at least ENTITY_SHARE of the articles holding the word ("bank"
    is in thousands, the entity "Bank" in a few), and a variant of one or two letters (a
    country code) is left to the entity's own articles, never searched as a word.  A quote
    starting with "the" ("The Bank of England") is text, matched word for word as every quote is:
    the entity's key leaves the article out, so expanding it would find articles without it.
    """
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    typed = text[start:end].strip('"') if text and start is not None and end is not None and end > start \
        else " ".join(words)
    if len(words) > 1 and starts_with_article(typed):
        return node  # a quote of text, not a name: the key would drop "the" and find articles without it
    target = catalog.resolve(typed) if catalog is not None and typed else None
    members = catalog.members.get(target, []) if target else []
    if not members or (len(words) == 1 and not _names_entity(words[0], target, catalog, snapshot)):
        return node
    variants = {tuple(analysis_terms(key)) for key in members} - {words, ()}
    variants = {v for v in variants if len(v) > 1 or len(v[0]) >= SHORTEST_VARIANT}
    if not variants:
        return node
    alternatives = [Q.Term(node.fieldname, t[0]) if len(t) == 1 else Q.Phrase(node.fieldname, list(t))
                    for t in sorted(variants)]
    alternatives.append(EntityTerm(tuple(sorted(members)), catalog.display.get(target, target)))
    shown = catalog.display.get(target, target)
    found[typed.lower()] = [shown, *(m for m in members if m != target)]  # the name, then its other keys
    return AliasOr([node, *alternatives], via=shown)


def _names_entity(word: str, target: str, catalog, snapshot) -> bool:
    """Is this one word mostly the entity's name in the archive, not a common word?"""
    if snapshot is None:
        return True
    named = sum(catalog.votes.get(target, {}).values())
    holding = max((snapshot.df(fieldname, word) for fieldname in TEXT_FIELDS), default=0)
    return named >= ENTITY_SHARE * holding


def make_plan(request: SearchRequest, snapshot, limits: Limits, aliases: Aliases, catalog) -> QueryPlan:
    """Parse and understand `request.q` once (see the module docstring)."""
    if request.is_browse:
        return QueryPlan(request.q, None)
    parsed = parse(request.q, limits, request.match)
    if parsed is Q.NullQuery:
        return QueryPlan(request.q, None)
    parsed = drop_stop_words(parsed)
    tree, expanded = expand_aliases(parsed, aliases, catalog, request.q, snapshot)
    units = query_units(tree, request.q, snapshot, limits)
    highlight, phrases = set(), []
    for unit in units:
        for alt in unit.alternatives:
            if alt.kind == "term":
                highlight.add(alt.text)
            elif alt.kind == "phrase":
                phrases.append((alt.words, alt.spellings))
            elif alt.kind == "expand":
                highlight.update(expansions(alt.node, snapshot, limits))
    return QueryPlan(request.q, tree, units, highlight, phrases, expanded)


def query_units(tree: Q.Query, text: str, snapshot=None, limits: Limits | None = None) -> list[Unit]:
    """The positive units of a parsed query (what is under NOT asks for nothing).

    A word searched in several fields (title and body) is one unit; so is a phrase.
    """
    units: dict[tuple, Unit] = {}

    def add(unit: Unit) -> None:
        first = unit.alternatives[0]
        key = (first.kind, first.text, first.words)
        existing = units.get(key)
        if existing is None:
            units[key] = unit
        else:
            for alt in unit.alternatives:
                if not any(alt.same(a) for a in existing.alternatives):
                    existing.alternatives.append(alt)

    def walk(node: Q.Query) -> None:
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
            return
        if isinstance(node, AliasOr):
            first, *others = node.subqueries
            unit = _leaf_unit(first, text)
            if unit is not None:
                unit.alternatives.extend(alt for alt in (_alt(o) for o in others) if alt is not None)
                unit.via = node.via
                add(unit)
            return
        if isinstance(node, Q.Phrase) or node.is_leaf():
            unit = _leaf_unit(node, text)
            if unit is not None:
                add(unit)
            return
        for child in node.children():
            walk(child)

    walk(tree)
    return list(units.values())


def _alt(node: Q.Query) -> Alt | None:
    if isinstance(node, EntityTerm):
        return Alt("entity", keys=node.keys)
    if getattr(node, "fieldname", None) not in TEXT_FIELDS:
        return None
    if isinstance(node, Q.Term):
        return Alt("term", text=node.text)
    if isinstance(node, Q.Phrase):
        return Alt("phrase", words=tuple(node.words), slop=node.slop, spellings=getattr(node, "spellings", None))
    if isinstance(node, Q.MultiTerm):
        return Alt("expand", text=str(node), node=node)
    return None


def _leaf_unit(node: Q.Query, text: str) -> Unit | None:
    alt = _alt(node)
    if alt is None or alt.kind == "entity":
        return None
    return Unit(label=_label(node, text), alternatives=[alt])


def _label(node: Q.Query, text: str) -> str:
    """The unit as the user typed it (terms carry their position in the query string)."""
    if isinstance(node, Q.Phrase):
        for quoted in re.findall(r'"([^"]+)"', text or ""):
            if analysis_terms(quoted) == list(node.words):
                return f'"{quoted}"'
        return '"' + " ".join(node.words) + '"'
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    if start is not None and end is not None and end > start and text:
        return text[start:end].strip('"')
    return getattr(node, "text", str(node))
