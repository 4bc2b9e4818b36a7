"""Hybrid retrieval: passage vectors beside BM25, mixed into one ranking.

Every passage the enricher has embedded (index/enrichment.py) has an int8 vector
with a scale in its segment's arrays (index/store/building.py).  For a search:

    query      the query's own vector (query_vectors.py, index/text/embeddings.py), kept per process; a new
               one is started as the search begins, its layers on a second thread when a core is
               idle, and taken at the mix: the words are scored meanwhile (and, when no article
               may join, the lexical top's passages read and the facets counted: run.py)
    cosines    the query against the passages of the lexical top `rerank` articles, exactly (int8
               codes times the query, times each passage's scale); an article scores its best
               passage.  When vectors may add articles (below), the `by_signs` passages nearest
               the query by their vectors' signs are read too (a scan of 48 bytes a passage,
               index/store/signs.py); `rerank` 0 reads every passage exactly.  The cosines are
               kept for the articles read only (`Cosines`), and the mix works over them and the
               matches, never over every article of the archive
    mix        over the lexical top `depth` and the dense top `depth`: weight x the cosine
               (min-max normalised over its top) plus (1 - weight) x the BM25 score as a share
               of the top one (bench/fusion.py measured a linear mix against reciprocal rank
               fusion: it won on every set; a share keeps every match's score above 0)
    additions  when no article holds every word of a plain query (words only: no quotes, fields,
               wildcards or NOT; match auto or any) but some hold one, the dense top whose best
               passage is close (cosine >= min_cosine) joins the results: "car maker job cuts"
               finds "automobile manufacturer layoffs".  A query whose words all meet somewhere
               (a name, a topic) keeps exactly the articles its words find, re-ranked; one whose
               words the archive never uses (a typo, a made-up word) adds nothing
               (its nearest vectors are noise)
    feedback   for queries of up to `feedback_max_units` words, the query vector moved toward
               the mean vector of the mix's top `feedback_docs` articles (Rocchio's feedback, in
               the vectors' space), then cosines and mix again over the same passages: "soybean
               oil" ranks the stories that read like its best matches above ones that merely
               repeat the words (bench/RESULTS.md: +2.7% nDCG@10 on the Reuters topic set, +0.8%
               on people; SciFact's long claims, left alone, -0.2%).  It re-ranks only: what
               joins was decided by the query's own vector.  The passages are read once; after a
               full scan the second pass reads only what its mix can reach (the lexical top
               `depth` and the FULL_SCAN_AGAIN x `depth` closest), never the archive again

An article whose passages are not embedded yet is mixed as if its cosine agreed
with its words (its normalised BM25 stands in for both halves), so a search made
before the enricher has finished ranks those articles by their words, never below
a vector that is merely missing; the answer says `semantic: "pending"` then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from index.arrays import in_sorted, kth_largest, rows_owned, run_starts, union, unique
from index.search.parsing import TEXT_FIELDS
from index.search.plan import AliasOr, EntityTerm, QueryPlan
from index.search.query_vectors import QUERIES_HELD
from index.store.signs import FAR, distances, vector_signs
from index.text.embeddings import DIM

CHUNK = 8192  # passages converted to float32 at once (12 MB)
FULL_SCAN_AGAIN = 3  # after a full scan, feedback's second pass reads the closest this many times the mix's depth


@dataclass(frozen=True)
class Hybrid:
    """The free parameters of the mix (defaults measured on the news sets and SciFact, bench/RESULTS.md)."""

    weight: float = 0.4  # share of the cosine in the mix; the BM25 score has the rest (0.4 beat 0.3 on SciFact and both news sets)
    depth: int = 100  # how far down each ranking the mix looks
    min_cosine: float = 0.3  # an article found by its vector alone is at least this close to the query
    rerank: int = 300  # the lexical top this deep is read (0: every passage); 300 ranked as well as 1,000
    by_signs: int = 1000  # when vectors may add articles, the passages this many nearest by signs are read too
    feedback_docs: int = 10  # the mix's top this many articles move the query vector (0: no feedback)
    feedback_weight: float = 1.0  # their mean vector's weight beside the query's own (both unit length)
    feedback_max_units: int = 4  # longer queries say what they are about: left as they are (3-6 measured)
    queries_held: int = QUERIES_HELD  # query vectors kept per process (0: every search encodes its query)


HYBRID = Hybrid()


def status(snapshot) -> str:
    """"on" when every live article is embedded, else "pending" (the enricher is at work)."""
    return "pending" if snapshot.counts()["unembedded"] else "on"


def any_embedded(snapshot) -> bool:
    """Has any live article its vectors yet? (Right after an ingest none has: the search is lexical.)"""
    counts = snapshot.counts()
    return counts["unembedded"] < counts["articles"]


def _part_rows(snapshot, i: int, among: np.ndarray) -> np.ndarray:
    """Rows of part i's passages owned by the articles `among` (sorted snapshot ordinals) that fall in it."""
    base = snapshot.article_base[i]
    local = among[(among >= base) & (among < snapshot.article_base[i + 1])] - base
    if not len(local):
        return np.zeros(0, np.int64)
    return rows_owned(np.asarray(snapshot.parts[i].data["passage_article"]), local)


@dataclass(frozen=True)
class Passages:
    """The live embedded passages of some articles, read once and scored against several query vectors.

    Kept as their int8 codes in float32 (`levels`) and a scale a row, not multiplied out: a
    cosine is (levels @ query) x scale, and only the few vectors feedback averages are
    dequantised (on 1,000 articles, 2,000 passages: 0.2 ms to read instead of 0.45)."""

    owners: np.ndarray  # each row's article (snapshot ordinal), sorted
    levels: np.ndarray  # float32 copies of the rows' int8 codes
    scale: np.ndarray  # each row's float32 scale: its vector is levels x scale

    @property
    def starts(self) -> np.ndarray:
        """Where each article's rows start."""
        return run_starts(self.owners)

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """Each row's cosine with a unit query vector."""
        return (self.levels @ np.asarray(query, np.float32)) * self.scale

    def only(self, keep: np.ndarray) -> "Passages":
        """The rows where `keep` is true."""
        return Passages(self.owners[keep], self.levels[keep], self.scale[keep])


def read_passages(snapshot, among: np.ndarray, near: dict[int, np.ndarray] | None = None) -> Passages:
    """The live embedded passages of the articles `among` (sorted ordinals), and the passages `near`
    (rows by part, sorted: what `closest_by_signs` found) too."""
    owners, levels, scales = [], [], []
    for i in embedded_parts(snapshot):
        part = snapshot.parts[i]
        codes, scale = part.data["vectors"], part.data["vector_scale"]
        rows = _part_rows(snapshot, i, among)
        if near is not None and i in near:
            rows = union(rows, near[i])
        rows = rows[(scale[rows] != 0) & part.passage_live[rows]]
        if len(rows):
            owners.append(np.asarray(part.data["passage_article"])[rows] + snapshot.article_base[i])
            levels.append(codes[rows].astype(np.float32))
            scales.append(scale[rows])
    if not owners:
        return Passages(np.zeros(0, np.int64), np.zeros((0, DIM), np.float32), np.zeros(0, np.float32))
    if len(owners) == 1:  # one segment (an optimized index): nothing to join
        return Passages(owners[0], levels[0], scales[0])
    return Passages(np.concatenate(owners), np.concatenate(levels), np.concatenate(scales))


def embedded_parts(snapshot) -> list[int]:
    """The parts that hold any passage vector (segments written before the enricher reached them hold none)."""
    return snapshot.derived("embedded_parts", lambda: [
        i for i, part in enumerate(snapshot.parts) if len(part.data["vector_scale"]) and part.data["vector_scale"].any()])


@dataclass(frozen=True)
class Cosines:
    """Articles' best passage cosines with a query: only the articles whose passages were read.

    Kept as (sorted ordinals, values), never an array over the archive: a mix touches the
    matches and the few hundred articles read, not every article (0.6 ms a mix at Reuters 10x)."""

    docs: np.ndarray  # sorted ordinals
    values: np.ndarray  # float32, each one's best passage cosine

    def of(self, ordinals: np.ndarray) -> np.ndarray:
        """The cosines of these ordinals; -inf for those not read."""
        found = np.full(len(ordinals), -np.inf, dtype=np.float32)
        if len(self.docs):
            at = np.minimum(np.searchsorted(self.docs, ordinals), len(self.docs) - 1)
            read = self.docs[at] == ordinals
            found[read] = self.values[at[read]]
        return found


def best_cosines(passages: Passages, query: np.ndarray) -> Cosines:
    """Each article's best passage cosine with the query, for the articles of `passages`."""
    if not len(passages.owners):
        return Cosines(np.zeros(0, np.int64), np.zeros(0, np.float32))
    starts = passages.starts
    return Cosines(passages.owners[starts], np.maximum.reduceat(passages.cosines(query), starts))


def article_vectors(snapshot, ordinals: np.ndarray, passages: Passages | None = None) -> np.ndarray:
    """The unit mean vector of each given article's live embedded passages; a row per article that has any.

    Taken from `passages` when they hold every one of these articles, else read."""
    wanted = unique(np.asarray(ordinals, dtype=np.int64))
    if passages is None or not in_sorted(wanted, passages.owners).all():
        passages = read_passages(snapshot, wanted)
    chosen = passages.only(in_sorted(passages.owners, wanted))
    if not len(chosen.owners):
        return np.zeros((0, DIM), np.float32)
    sums = np.add.reduceat(chosen.levels * chosen.scale[:, None], chosen.starts, axis=0)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def feedback_vector(snapshot, query: np.ndarray, top: np.ndarray, params: Hybrid = HYBRID,
                    passages: Passages | None = None) -> np.ndarray | None:
    """The query's vector moved toward the mean of the `top` articles' (unit length), or None when none is embedded."""
    if not params.feedback_docs or not len(top):
        return None
    found = article_vectors(snapshot, top, passages)
    if not len(found):
        return None
    centre = found.mean(axis=0)
    moved = np.asarray(query, np.float32) + params.feedback_weight * centre / max(float(np.linalg.norm(centre)), 1e-12)
    return (moved / max(float(np.linalg.norm(moved)), 1e-12)).astype(np.float32)


def closest_by_signs(snapshot, query: np.ndarray, allowed: np.ndarray, count: int) -> dict[int, np.ndarray] | None:
    """The `count` live embedded passages of `allowed` articles nearest the query by their vectors' signs
    (and any as near as the last), as sorted rows by part; None when a segment has no signs (an older
    version's, in a read-only index): the caller then reads every passage."""
    wanted = vector_signs(query)
    filtered = np.count_nonzero(allowed) < snapshot.counts()["articles"]  # else every live article is allowed
    found = {}
    for i in embedded_parts(snapshot):
        data = snapshot.parts[i].data
        if data.get("vector_signs") is None:
            return None
        far = distances(data["vector_signs"], wanted)
        far[_unusable(snapshot, i)] = FAR
        if filtered:
            far[~allowed[np.asarray(data["passage_article"]) + snapshot.article_base[i]]] = FAR
        found[i] = far
    if not found:
        return {}
    within = np.cumsum(sum(np.bincount(far, minlength=FAR + 1) for far in found.values())[:FAR])
    limit = min(int(np.searchsorted(within, count)), FAR - 1)  # the distance `count` passages are within
    return {i: np.flatnonzero(far <= limit) for i, far in found.items()}


def _unusable(snapshot, i: int) -> np.ndarray:
    """Rows of part i's passages that have no vector or are deleted (kept for the snapshot's life)."""
    def build() -> list[np.ndarray]:
        return [np.flatnonzero((p.data["vector_scale"] == 0) | ~p.passage_live) for p in snapshot.parts]
    return snapshot.derived("unusable_passages", build)[i]


def article_cosines(snapshot, query: np.ndarray, among: np.ndarray | None = None) -> Cosines:
    """Every live embedded article's best passage cosine with the query, every passage read exactly.

    With `among` (sorted article ordinals), only those articles' passages are read: re-ranking
    a lexical top costs its few passages, not the archive.
    """
    if among is not None:
        return best_cosines(read_passages(snapshot, among), query)
    best = np.full(snapshot.articles, -np.inf, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32)
    for i in embedded_parts(snapshot):  # the full scan, a chunk at a time: never the archive's floats at once
        data = snapshot.parts[i].data
        codes, scale = data["vectors"], data["vector_scale"]
        owners = np.asarray(data["passage_article"])  # sorted: an article's passages are together
        cosines = np.empty(len(scale), dtype=np.float32)
        for start in range(0, len(scale), CHUNK):
            cosines[start:start + CHUNK] = codes[start:start + CHUNK].astype(np.float32) @ query
        cosines *= scale
        cosines[_unusable(snapshot, i)] = -np.inf
        starts = run_starts(owners)
        best[owners[starts] + snapshot.article_base[i]] = np.maximum.reduceat(cosines, starts)
    docs = np.flatnonzero(np.isfinite(best))
    return Cosines(docs, best[docs])


def top_of(scores: np.ndarray, among: np.ndarray, depth: int) -> np.ndarray:
    """The `depth` best of the ordinals `among` (sorted) by their `scores` (one each, in the same order),
    as sorted ordinals (all of them when fewer)."""
    return np.sort(np.asarray(among, dtype=np.int64)[_best(scores, depth)])


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


def _best(scores: np.ndarray, depth: int) -> np.ndarray:
    """Positions of the `depth` best `scores`, best first; equal scores in position order."""
    within = np.arange(len(scores))
    if len(scores) > depth:
        within = np.flatnonzero(scores >= kth_largest(scores, depth))
    return within[np.argsort(-scores[within], kind="stable")[:depth]]


def _minmax(values: np.ndarray) -> tuple[float, float]:
    """(low, span) of a top's values; a lone or flat top is scaled by its value (it normalises to 1)."""
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if high <= low:
        low = min(0.0, low)
    return low, (high - low) or 1.0


def mix(found: np.ndarray, lexical: np.ndarray, cosines: Cosines, allowed: np.ndarray, add: bool,
        params: Hybrid = HYBRID) -> tuple[np.ndarray, np.ndarray]:
    """(the matches: `found` and the articles added by their vectors alone, sorted; each one's mixed score).

    `lexical` holds the BM25 score of each of `found` (sorted ordinals; exact for its top
    `params.depth`), `cosines` what `best_cosines` gives, `allowed` the filters' mask; `add`
    lets articles outside `found` join (is_plain).  Scores are comparable only among the matches.
    """
    depth, weight = params.depth, params.weight
    lex_top = _best(lexical, depth)
    top_score = float(lexical[lex_top].max()) if len(lex_top) else 0.0
    lex_norm = lexical / (top_score or 1.0)  # a share of the top BM25 score: every match keeps one above 0
    usable = allowed[cosines.docs]
    close, closeness = cosines.docs[usable], cosines.values[usable]
    dense_at = _best(closeness, depth)
    dense_top, dense_values = close[dense_at], closeness[dense_at]
    dlow, dspan = _minmax(dense_values)
    matched = in_sorted(dense_top, found)
    added = np.sort(dense_top[~matched & (dense_values >= params.min_cosine)]) if add else np.zeros(0, np.int64)
    matches = union(found, added) if len(added) else found
    mixed = np.zeros(len(matches))
    mixed[np.searchsorted(matches, found) if len(added) else slice(None)] = (1 - weight) * lex_norm
    # below the tops: their words' order, under every top article
    tops = union(found[lex_top], added, dense_top[matched])
    lex_part = np.zeros(len(tops))
    words = in_sorted(tops, found)
    lex_part[words] = np.clip(lex_norm[np.searchsorted(found, tops[words])], 0.0, 1.0)
    closest = cosines.of(tops)
    dense_part = np.where(np.isfinite(closest), np.clip((closest - dlow) / dspan, 0.0, 1.0), lex_part)  # not embedded yet
    mixed[np.searchsorted(matches, tops)] = (1 - weight) * lex_part + weight * dense_part
    return matches, mixed


def mix_again(snapshot, query: np.ndarray, matches: np.ndarray, lexical: np.ndarray, cosines: Cosines,
              mixed: np.ndarray, allowed: np.ndarray, passages: Passages | None, params: Hybrid = HYBRID) -> np.ndarray:
    """Feedback by meaning: the matches' mix again, with the query's vector moved toward their best.

    `lexical` and `mixed` hold each match's BM25 score (0 for an addition) and first mix,
    `cosines` the first pass's, `passages` what it read (None after a full scan: the second pass
    then reads the articles its mix can reach, the lexical top `depth` and the FULL_SCAN_AGAIN x
    `depth` closest, not the archive again).  It re-ranks only: which articles joined by their
    vectors was the query's own decision.
    """
    best = top_of(mixed, matches, params.feedback_docs) if params.feedback_docs else np.zeros(0, np.int64)
    moved = feedback_vector(snapshot, query, best, params, passages)
    if moved is None:
        return mixed
    if passages is None:  # after a full scan: the lexical top the mix looks at, and the closest few times as many
        closest = top_of(cosines.values, cosines.docs, FULL_SCAN_AGAIN * params.depth)
        passages = read_passages(snapshot, union(top_of(lexical, matches, params.depth), closest))
    _, again = mix(matches, lexical, best_cosines(passages, moved), allowed, False, params)
    return again
