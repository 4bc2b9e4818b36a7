"""Related articles: the articles most similar to one article, by its key terms.

The article's key terms (the words of its title and body weighted by tf * idf
against the archive) become one OR query, ranked with the same model as a
search (index/search/scoring.py); the article itself and exact copies of its
content (same title and body once folded) are left out.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime

import numpy as np

from index.query import RelatedArticle
from index.search.plan import Alt, Unit
from index.search.scoring import DEFAULT, Params, score
from index.store.analyzed import analyse
from index.text.analysis import fold

KEY_TERMS = 20  # terms taken from the article to find its neighbours
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


def related(snapshot, ordinal: int, limit: int = 5, params: Params = DEFAULT) -> list[RelatedArticle]:
    """Up to `limit` articles most similar to the article at `ordinal`, best first."""
    own = json.loads(snapshot.stored(ordinal)["data"])
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
    content = _content(own)
    found: list[RelatedArticle] = []
    for other, value in scored.ranked(candidates, 0, limit * 4 + 10):
        if value <= 0 or len(found) >= limit:
            break
        data = json.loads(snapshot.stored(other)["data"])
        if data.get("id") == own.get("id") or _content(data) == content:
            continue
        published = data.get("published")
        found.append(RelatedArticle(
            id=data["id"], title=data.get("title") or "", source=data.get("source"),
            published=datetime.fromisoformat(published) if isinstance(published, str) else published,
            score=round(value, 4)))
    return found
