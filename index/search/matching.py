"""Matching: which articles a query's tree and filters find, as a boolean mask over the snapshot.

Each node of the plan's tree becomes a mask over every article of the snapshot
(a term is its posting list, AND is `&`, OR is `|`, NOT is `~`); a phrase is
the AND of its words narrowed by their positions (index/search/positions.py).
Filters are masks too: sources from the source column, entities from the
entity pairs, dates from the day column (a short range from the articles in
day order).  Deleted articles are removed at the end.  Masks are cheap (one
byte per article), so matching is exact and complete for any ordinary query;
only a query of very many words or expansions can reach the deadline, and then
the words not yet read are left out and the answer says it is partial.
"""

from __future__ import annotations

import time

import numpy as np
from whoosh import query as Q

from index.search.columns import entity_mask, source_mask
from index.search.dates import day_mask, days_between
from index.search.expand import Limits, expansions
from index.search.plan import AliasOr, EntityTerm
from index.search.positions import phrase_counts


class Deadline:
    """A point in time after which a search stops and answers with what it has (`cut` says it did)."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.cut = False

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def stop(self) -> bool:
        """True (and remembered) once the time is up: the caller skips the rest of its work."""
        if not self.cut and self.expired():
            self.cut = True
        return self.cut


def term_mask(snapshot, fieldname: str, texts, deadline: Deadline | None = None) -> np.ndarray:
    """Articles holding any of the words; past the deadline, those of the words read so far (at least one)."""
    mask = np.zeros(snapshot.articles, dtype=bool)
    for number, text in enumerate(texts):
        if number and deadline is not None and deadline.stop():
            break
        mask[snapshot.postings(fieldname, text)[0]] = True
    return mask


def node_mask(node: Q.Query, snapshot, limits: Limits, deadline: Deadline | None = None) -> np.ndarray:
    """True for each article `node` matches (deleted ones not yet removed)."""
    size = snapshot.articles
    if isinstance(node, EntityTerm):
        return entity_mask(snapshot, node.keys)
    if isinstance(node, Q.Term):
        return term_mask(snapshot, node.fieldname, [node.text])
    if isinstance(node, Q.Phrase):
        docs, _ = phrase_counts(snapshot, node.fieldname, tuple(node.words), node.slop,
                                getattr(node, "spellings", None))
        mask = np.zeros(size, dtype=bool)
        mask[docs] = True
        return mask
    if isinstance(node, Q.MultiTerm):
        return term_mask(snapshot, node.fieldname, expansions(node, snapshot, limits, deadline), deadline)
    if type(node) is Q.And:
        mask = np.ones(size, dtype=bool)
        for child in node.subqueries:
            mask &= node_mask(child, snapshot, limits, deadline)
            if not mask.any():
                break
        return mask
    if type(node) in (Q.Or, AliasOr):
        mask = np.zeros(size, dtype=bool)
        _or_into(node, mask, snapshot, limits, deadline)
        return mask
    if isinstance(node, Q.Not):
        return ~node_mask(node.query, snapshot, limits, deadline)
    if isinstance(node, Q.AndNot):
        return node_mask(node.a, snapshot, limits, deadline) & ~node_mask(node.b, snapshot, limits, deadline)
    if isinstance(node, Q.Every) and not node.fieldname:
        return np.ones(size, dtype=bool)
    if node is Q.NullQuery:
        return np.zeros(size, dtype=bool)
    from index.errors import InvalidQuery
    raise InvalidQuery(f"this kind of query is not supported: {node}")


def _or_into(node: Q.Query, mask: np.ndarray, snapshot, limits: Limits, deadline: Deadline | None) -> None:
    """Mark in `mask` the articles any clause of an OR matches: a word's articles, and those of ORs
    within it (a word over title and body), are marked in place, not made masks of their own first."""
    read: set = set()  # words read so far: a word over title and body is one thing asked, read whole
    for child in node.subqueries:
        word = _word(child)
        if read and word not in read and deadline is not None and deadline.stop():
            break
        read.add(word)
        if type(child) is Q.Term:
            mask[snapshot.postings(child.fieldname, child.text)[0]] = True
        elif type(child) in (Q.Or, AliasOr):
            _or_into(child, mask, snapshot, limits, deadline)
        else:
            mask |= node_mask(child, snapshot, limits, deadline)


def _word(node: Q.Query):
    """What a clause asks for whatever its field: the parser ORs each word over title and body."""
    return getattr(node, "text", None) or tuple(getattr(node, "words", ()) or ()) or id(node)


def filter_mask(snapshot, sources: list[str], entity_keys: list[list[str]], dates: tuple[int, int] | None) -> np.ndarray:
    """Live articles passing every filter: any of the sources, all of the entities, within the dates."""
    days = days_between(*dates) if dates is not None else None
    if days is not None:  # whole days: the day column, or the articles in day order for a short range (dates.py)
        mask = day_mask(snapshot, *days)
        mask &= snapshot.live_articles()
    elif dates is not None:
        published = snapshot.article_column("published")
        mask = (published >= dates[0]) & (published <= dates[1])
        mask &= snapshot.live_articles()
    else:
        mask = snapshot.live_articles().copy()
    if sources:
        mask &= source_mask(snapshot, sources)
    for keys in entity_keys:
        mask &= entity_mask(snapshot, tuple(keys))
    return mask


def matching(tree: Q.Query | None, snapshot, limits: Limits, filters: np.ndarray,
             deadline: Deadline | None = None) -> np.ndarray:
    """Sorted article ordinals matching the tree (everything without one) and the filters."""
    mask = filters if tree is None else node_mask(tree, snapshot, limits, deadline) & filters
    return np.flatnonzero(mask)
