"""What happens to a parsed article before it is stored: passages, entities, a checksum.

The same steps for every way in (files, the API's PUT and bulk), so an article
is stored alike whichever way it came.  The checksum says what the stored
version was built from: re-ingesting an article whose checksum is unchanged is
skipped, and bumping PIPELINE_VERSION makes every article count as changed.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Sequence

from index.article import Article
from index.ingest.entities import add_dateline_place, extract_entities
from index.ingest.passages import split_passages
from index.text.aliases import Aliases

# Bump when parsing, passages or entities change, so re-ingesting rewrites stored articles.
# 2: analysis keeps stop words, folds spelling variants and compounds; 3: reflowed text, datelines, tags;
# 4: entity evidence for the archive-wide catalog (index/ingest/evidence.py); 5: generic nouns alone ("Bank") are no entity;
# 6: firms named after people, ranks, legal forms, party-state tags and table words alone, dotted codes, the wire's
# sign-off, units in brackets; 7: the NER model of 2026-11-30 (seed soup), a surname anywhere in an
# article is that person; the wire's brackets, codes, ratings, currencies; 8: "Paris-based" is no part of a name, a
# full name that took in its acronym is no acronym of another name; 9: a rating in words ("B-plus"), a holiday, a
# title alone ("Sens.") are no names; 10: an organisation's body named after its acronym ("EC Commission") names it;
# 11: partners' names ("Wagner and Brown") are a firm, a person's word starting the article's company is its short name.
# 12: a name found only in tables all in capitals is the gazetteer's place or no entity.
# 13: an outlet naming itself is no organisation of its story; story-family signatures carry their shingle count
# and lead, so a short take and its full story are one family.
PIPELINE_VERSION = "13"


def checksum(article: Article) -> str:
    fields = [PIPELINE_VERSION, article.title, article.body, article.source, article.published,
              article.url, article.byline, article.summary, article.dateline, article.tags]
    return hashlib.sha1(json.dumps(fields, default=str).encode("utf-8")).hexdigest()


def prepare(articles: Sequence[Article], aliases: Aliases, entities: bool = True, ner_processes: int = 1) -> float:
    """Split passages and extract entities for a batch of parsed articles, in place.

    The dateline's place is a place entity even without extraction (it is stated, not guessed).

    Returns the seconds spent extracting entities (the ingest report adds them up).
    """
    for article in articles:
        article.passages = split_passages(article.body)
    seconds = 0.0
    if entities and articles:
        started = time.perf_counter()
        extract_entities(articles, aliases, n_process=ner_processes)
        seconds = time.perf_counter() - started
    for article in articles:
        add_dateline_place(article, aliases)
    return seconds
