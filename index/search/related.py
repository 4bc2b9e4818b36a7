"""Related articles: the articles most similar to one article, by its key terms and its meaning.

The article's key terms (the words of its title and body weighted by tf * idf
against the archive) become one OR query, ranked with the same model as a
search (index/search/scoring.py).  With passage vectors (hybrid on), the top of
that ranking is mixed with each candidate's closeness to the article's own mean
vector, as a search mixes its words with the query's vector (semantic.py).  The
article itself, exact copies of its content (same title and body once folded)
and the other versions of its story are left out, and each other story is shown
once, by its best version (story families, index/ingest/families.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np

from index.article import stored_time
from index.query import RelatedArticle
from index.search.plan import Alt, Unit
from index.search.scoring import DEFAULT, Params, score
from index.search import semantic as dense
from index.store.analyzed import analyse
from index.text.analysis import fold

KEY_TERMS = 20  # terms taken from the article to find its neighbours
MEANING = 0.6  # the cosine's share of the mix (even-id Reuters articles: 5 related sharing a topic 0.701 by words, 0.723 / 0.737 / 0.733 / 0.721 at 0.4 / 0.6 / 0.8 / 1.0)
MIN_LENGTH = 3


def _content(data: dict) -> str:
    return fold(f"{data.get('title') or ''}\n{data.get('body') or ''}")


def key_terms(snapshot, data: dict, limit: int = KEY_TERMS) -> list[str]:
    """The words that best tell this article apart: tf * idf over its title and body."""
    counts = Counter(term for fieldname in ("title", "body") for term, _, _ in analyse(data.get(fieldname) or "")
                     if len(term) >= MIN_LENGTH and not term.isdigit())
    n = max(1, snapshot.articles)
    weighted = {term: tf * math.log(1 + n / (1 + snapshot.df("body", term))) for term, tf in counts.items()}
    return sorted(weighted, key=lambda t: (-weighted[t], t))[:limit]


def related(snapshot, ordinal: int, limit: int = 5, params: Params = DEFAULT,
            hybrid: dense.Hybrid | None = None) -> list[RelatedArticle]:
    """Up to `limit` articles most similar to the article at `ordinal`, best first (`hybrid`: by meaning too)."""
    own = snapshot.article(ordinal)
    terms = key_terms(snapshot, own)
    if not terms:
        return []
    units = [Unit(label=t, alternatives=[Alt("term", text=t)]) for t in terms]
    candidates = np.zeros(snapshot.articles, dtype=bool)
    for fieldname in ("title", "body"):
        for term in terms:
            candidates[snapshot.postings(fieldname, term)[0]] = True
    candidates[ordinal] = False
    candidates = np.flatnonzero(candidates & snapshot.live_articles())
    scored = score(snapshot, units, params=params, coordinate=False, candidates=candidates)
    shown = limit * 4 + 10  # room for the copies left out below
    by_words = scored.ranked(candidates, 0, max(shown, hybrid.depth if hybrid else 0))  # one ranking for both
    ranked = (_by_meaning(snapshot, ordinal, by_words[:hybrid.depth], hybrid) if hybrid else []) or by_words[:shown]
    content = _content(own)
    stories = {own.get("family")} - {None, ""}  # the stories shown so far, the article's own first
    found: list[RelatedArticle] = []
    for other, value in ranked:
        if value <= 0 or len(found) >= limit:
            break
        data = snapshot.article(other)
        family = data.get("family") or None
        if data.get("id") == own.get("id") or _content(data) == content or family in stories:
            continue
        if family:
            stories.add(family)
        found.append(RelatedArticle(
            id=data["id"], title=data.get("title") or "", source=data.get("source"),
            published=stored_time(data.get("published")),
            score=round(value, 4)))
    return found


def _by_meaning(snapshot, ordinal: int, top: list[tuple[int, float]], hybrid: dense.Hybrid) -> list[tuple[int, float]]:
    """The lexical `top` mixed with each one's best passage cosine to the article's mean vector, best first.

    Empty when the article has no vector yet (the enricher has not reached it): words alone then."""
    own = dense.article_vectors(snapshot, np.asarray([ordinal]))
    if not len(own) or not top:
        return []
    ordinals = np.asarray(sorted(o for o, _ in top), dtype=np.int64)
    cosines = dense.best_cosines(dense.read_passages(snapshot, ordinals), own[0])
    lexical = np.asarray([value for _, value in sorted(top)], dtype=np.float64)
    _, mixed = dense.mix(ordinals, lexical, cosines, np.ones(snapshot.articles, dtype=bool), False,
                         replace(hybrid, weight=MEANING))
    return sorted(((int(o), float(v)) for o, v in zip(ordinals, mixed)), key=lambda pair: (-pair[1], pair[0]))
