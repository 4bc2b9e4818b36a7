"""Related articles: the articles most similar to one article, by its key terms.

The key terms of the article's title and body (Whoosh's `key_terms_from_text`, weighted by
BM25 against the archive) become one OR query, scored with the same model as a
search (index/scoring.py); the article itself and exact duplicates of its
content (same title and body once folded) are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from whoosh import query as Q

from index.text.analysis import fold
from index.errors import NotFound
from index.query import RelatedArticle
from index.store.schema import ARTICLE
from index.search.scoring import ARTICLE_FIELDS, DEFAULT, Params, Unit, score_documents
from index.search.matching import matching_docs
from index.store.segments import SegmentArrays

KEY_TERMS = 20  # terms taken from the article to find its neighbours


def _content(data: dict) -> str:
    return fold(f"{data.get('title') or ''}\n{data.get('body') or ''}")


def related(searcher, arrays: SegmentArrays, article_id: str, limit: int = 5,
            params: Params = DEFAULT) -> list[RelatedArticle]:
    """Up to `limit` articles most similar to `article_id`, best first. Raises NotFound."""
    docnum = searcher.document_number(doc_id=article_id, kind=ARTICLE)
    if docnum is None:
        raise NotFound(f"no article with id {article_id!r}")
    own = json.loads(searcher.stored_fields(docnum)["data"])
    weighted: dict[str, float] = {}
    for fieldname in ("body", "title"):
        text = own.get(fieldname) or ""
        for term, weight in searcher.key_terms_from_text(fieldname, text, numterms=KEY_TERMS) if text else ():
            weighted[term] = max(weighted.get(term, 0.0), weight)
    terms = sorted(weighted, key=lambda t: -weighted[t])[:KEY_TERMS]
    if not terms:
        return []
    units = [Unit(label=t, alternatives=[Q.Term("body", t)], words=(t,)) for t in terms]
    query = Q.And([Q.Or([Q.Term(f, t) for t in terms for f in ARTICLE_FIELDS]), Q.Term("kind", ARTICLE)])
    found, _ = matching_docs(searcher, arrays, query)
    candidates = found[found != docnum]
    scored = score_documents(searcher, arrays, units, candidates, ARTICLE_FIELDS, params, coordinate=False)
    content = _content(own)
    found: list[RelatedArticle] = []
    for other, score in scored.ranked():
        if score <= 0 or len(found) >= limit:
            break
        data = json.loads(searcher.stored_fields(other)["data"])
        if data.get("id") == article_id or _content(data) == content:
            continue
        published = data.get("published")
        found.append(RelatedArticle(
            id=data["id"], title=data.get("title") or "", source=data.get("source"),
            published=datetime.fromisoformat(published) if isinstance(published, str) else published,
            score=round(score, 4)))
    return found
