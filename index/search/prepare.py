"""What searches derive from a new snapshot, derived before they need it.

A served worker prepares each new generation in a background thread while its
searches read the one before (index/store/store.py), so that the first search
on the new one costs what any search costs.  Only what is per snapshot or per
new segment is made here: live masks, article columns, BM25 norms, and each new
segment's articles in day order, entity and tag pairs and their live totals; a
commit's other costs (joined posting lists) are per query word and small.
"""

from __future__ import annotations

from index.search.bm25 import ARTICLE_FIELDS, PASSAGE_FIELDS, Scorer
from index.search.columns import entity_pairs_by_article, family_column, live_totals, source_column, tag_pairs_by_article
from index.search.dates import day_column, month_column, segment_day_order


def prepare(ctx) -> None:
    """Derive a snapshot's per-generation state (`ctx`: index/search/run.py's Context over it)."""
    snapshot = ctx.snapshot
    snapshot.live_articles()
    snapshot.live_passages()
    snapshot.article_column("published")
    source_column(snapshot)
    month_column(snapshot)
    day_column(snapshot)
    family_column(snapshot)
    catalog = ctx.catalog
    for part in snapshot.parts:
        segment_day_order(part.data)
        for pairs in (entity_pairs_by_article(part, catalog), tag_pairs_by_article(part)):
            live_totals(part, pairs)
    for fields in (ARTICLE_FIELDS, PASSAGE_FIELDS):
        scorer = Scorer(snapshot, fields, ctx.params)
        for fieldname in fields:
            scorer.norm(fieldname)
