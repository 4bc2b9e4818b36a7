"""Hybrid retrieval: passage vectors beside BM25, mixed into one ranking.

Every passage the enricher has embedded (index/enrichment.py) has an int8 vector
with a scale in its segment's arrays (index/store/building.py).  For a search:

    query      the query's own vector (index/text/embeddings.py), kept per process by text
    cosines    the query against the passages of the lexical top `rerank` articles, exactly (int8
               codes times the query, times each passage's scale); an article scores its best
               passage.  Only when vectors may add articles (below) is every live passage read
    mix        over the lexical top `depth` and the dense top `depth`: weight x the cosine
               (min-max normalised over its top) plus (1 - weight) x the BM25 score as a share
               of the top one (bench/fusion.py measured a linear mix against reciprocal rank
               fusion: it won on every set; a share keeps every match's score above 0)
    additions  when no article holds every word of a plain query (words only: no quotes, fields,
               wildcards or NOT; match auto or any), the dense top whose best passage is close
               (cosine >= min_cosine) joins the results: "car maker job cuts" finds "automobile
               manufacturer layoffs".  A query whose words all meet somewhere (a name, a topic)
               keeps exactly the articles its words find, re-ranked

An article whose passages are not embedded yet is mixed as if its cosine agreed
with its words (its normalised BM25 stands in for both halves), so a search made
before the enricher has finished ranks those articles by their words, never below
a vector that is merely missing; the answer says `semantic: "pending"` then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from index.arrays import rows_owned
from index.search.plan import TEXT_FIELDS, AliasOr, EntityTerm, QueryPlan

CHUNK = 8192  # passages converted to float32 at once (12 MB)
_QUERIES: OrderedDict = OrderedDict()
_QUERIES_HELD = 1024
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Hybrid:
    """The free parameters of the mix (defaults measured on the news sets and SciFact, bench/RESULTS.md)."""

    weight: float = 0.4  # share of the cosine in the mix; the BM25 score has the rest (0.4 beat 0.3 on SciFact and both news sets)
    depth: int = 100  # how far down each ranking the mix looks
    min_cosine: float = 0.3  # an article found by its vector alone is at least this close to the query
    rerank: int = 1000  # unless vectors may add articles, only the lexical top this deep is read (0: all)


HYBRID = Hybrid()


def query_vector(text: str) -> np.ndarray:
    """The query's unit vector (384 float32), kept per process for the last _QUERIES_HELD texts."""
    from index.text import embeddings

    with _LOCK:
        found = _QUERIES.get(text)
        if found is not None:
            _QUERIES.move_to_end(text)
            return found
    found = embeddings.encode([text])[0]
    with _LOCK:
        _QUERIES[text] = found
        while len(_QUERIES) > _QUERIES_HELD:
            _QUERIES.popitem(last=False)
    return found


def status(snapshot) -> str:
    """"on" when every live article is embedded, else "pending" (the enricher is at work)."""
    return "pending" if snapshot.counts()["unembedded"] else "on"


def any_embedded(snapshot) -> bool:
    """Has any live article its vectors yet? (Right after an ingest none has: the search is lexical.)"""
    counts = snapshot.counts()
    return counts["unembedded"] < counts["articles"]


def article_cosines(snapshot, query: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Every article's best passage cosine with the query; -inf for deleted or unembedded articles.

    With `among` (sorted article ordinals), only those articles' passages are read and every
    other article is -inf: re-ranking a lexical top costs its few passages, not the archive.
    """
    best = np.full(snapshot.articles, -np.inf, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32)
    for i, part in enumerate(snapshot.parts):
        data = part.data
        codes, scale = data["vectors"], data["vector_scale"]
        if not len(scale) or not scale.any():  # a segment written before the enricher reached it
            continue
        owners = np.asarray(data["passage_article"])  # sorted: an article's passages are together
        base = snapshot.article_base[i]
        if among is None:
            rows = None
            cosines = np.empty(len(scale), dtype=np.float32)
            for start in range(0, len(scale), CHUNK):
                cosines[start:start + CHUNK] = codes[start:start + CHUNK].astype(np.float32) @ query
        else:
            local = among[(among >= base) & (among < snapshot.article_base[i + 1])] - base
            if not len(local):
                continue
            rows = rows_owned(owners, local)
            if not len(rows):
                continue
            cosines = codes[rows].astype(np.float32) @ query
        cosines *= scale if rows is None else scale[rows]
        dead = (scale == 0) | ~part.passage_live
        cosines[dead if rows is None else dead[rows]] = -np.inf
        held = owners if rows is None else owners[rows]
        starts = np.flatnonzero(np.concatenate([[True], held[1:] != held[:-1]]))
        best[held[starts] + base] = np.maximum.reduceat(cosines, starts)
    return best


def lexical_top(lexical: np.ndarray, found: np.ndarray, depth: int) -> np.ndarray:
    """The `depth` best of `found` by their lexical scores, as sorted ordinals (all of them when fewer)."""
    if len(found) <= depth:
        return np.asarray(found, dtype=np.int64)
    return np.sort(found[np.argpartition(-lexical[found], depth - 1)[:depth]])


def is_plain(plan: QueryPlan) -> bool:
    """A query of plain words (alias expansions allowed): no phrase, field, wildcard, fuzzy term or NOT."""
    def plain(node) -> bool:
        if isinstance(node, EntityTerm):
            return True
        if isinstance(node, Q.Term):
            return node.fieldname in TEXT_FIELDS
        if isinstance(node, AliasOr):
            return plain(node.subqueries[0])
        if type(node) in (Q.And, Q.Or):
            return all(plain(child) for child in node.subqueries)
        return False
    if plan.tree is None or not plain(plan.tree):
        return False
    fields: dict[str, set[str]] = {}  # a plain word is searched in title and body alike; `title:x` is not plain
    for leaf in plan.tree.leaves():
        if isinstance(leaf, Q.Term) and not isinstance(leaf, EntityTerm):
            fields.setdefault(leaf.text, set()).add(leaf.fieldname)
    return all(found == set(TEXT_FIELDS) for found in fields.values())


def _minmax(values: np.ndarray, top: np.ndarray) -> tuple[float, float]:
    """(low, span) of `values` over `top`; a lone or flat top is scaled by its value (it normalises to 1)."""
    if not len(top):
        return 0.0, 1.0
    low, high = float(values[top].min()), float(values[top].max())
    if high <= low:
        low = min(0.0, low)
    return low, (high - low) or 1.0


def mix(lexical: np.ndarray, found: np.ndarray, cosines: np.ndarray, allowed: np.ndarray, add: bool,
        params: Hybrid = HYBRID) -> tuple[np.ndarray, np.ndarray]:
    """(every article's mixed score, the articles added by their vectors alone).

    `lexical` holds BM25 scores over every article (exact for the lexical top
    `params.depth` of `found`), `cosines` what `article_cosines` gives, `allowed`
    the filters' mask; `add` lets articles outside `found` join (is_plain).
    Scores are comparable only among `found` and the additions.
    """
    depth = params.depth
    lex_top = found[np.argsort(-lexical[found], kind="stable")[:depth]]
    top_score = float(lexical[lex_top].max()) if len(lex_top) else 0.0
    lex_norm = lexical / (top_score or 1.0)  # a share of the top BM25 score: every match keeps one above 0
    eligible = np.flatnonzero(allowed & np.isfinite(cosines))
    dense_top = eligible[np.argsort(-cosines[eligible], kind="stable")[:depth]]
    dlow, dspan = _minmax(cosines, dense_top)
    dense_norm = np.clip((cosines - dlow) / dspan, 0.0, 1.0)
    in_found = np.zeros(len(lexical), dtype=bool)
    in_found[found] = True
    added = dense_top[~in_found[dense_top] & (cosines[dense_top] >= params.min_cosine)] if add \
        else np.zeros(0, np.int64)
    union = np.union1d(lex_top, added)
    union = np.union1d(union, dense_top[in_found[dense_top]])
    mixed = (1 - params.weight) * lex_norm  # below the lexical top: their words' order, under every top article
    lex_part = np.clip(lex_norm[union], 0.0, 1.0)
    lex_part[~in_found[union]] = 0.0
    dense_part = np.where(np.isfinite(cosines[union]), dense_norm[union], lex_part)  # not embedded yet
    mixed[union] = (1 - params.weight) * lex_part + params.weight * dense_part
    return mixed, np.sort(added)
