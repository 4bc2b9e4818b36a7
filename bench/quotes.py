#!/usr/bin/env python
"""Quote recall: random word spans of Reuters articles searched as quoted phrases.

A journalist pastes a sentence fragment in quotes to find who said it.  For each
of `--spans` random spans of 4-8 consecutive words, taken from the stored passages
of Reuters articles with an **even** id (odd ids are kept for the final check),
this searches `"the span"` through `Index.search` and reports:

    found      the span's own article is among the results (every version listed:
               collapse off), and, with the page's default collapse, it or the story
               version standing for it is;
    contained  every returned article holds the span word for word (lower case, words
               as runs of letters and digits, so punctuation between them is free);
               an article that holds it only through the analyzer's folding (a
               British spelling, a compound written open) is counted apart as `folded`.

    python bench/quotes.py --index DIR [--spans 200] [--seed 1] [--json]

DIR is an index holding Reuters (e.g. `newsindex ingest reuters21578.jsonl.gz
--source Reuters`); the spans are drawn from what it stores.  It uses the facade only.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Timer, even_id_articles, report, start_sampled  # noqa: E402

from index import Index, NotFound, SearchRequest  # noqa: E402
from index.text.analysis import text_analyzer  # noqa: E402

WORD = re.compile(r"\w+")
MAX_RESULTS = 100  # results read per quote (a span of common words may match more)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def holds(haystack: list[str], needle: list[str]) -> bool:
    """Does the word list `haystack` hold `needle` as consecutive words?"""
    first, n = needle[0], len(needle)
    return any(haystack[i:i + n] == needle for i, w in enumerate(haystack) if w == first)


def terms(text: str) -> list[str]:
    """The analyzer's terms of `text` in order (what folding makes of it)."""
    return [t.text for t in text_analyzer()(text)]


def stored(index: Index, article_id: str):
    try:
        return index.get(article_id)
    except NotFound:
        return None


def article_words(index: Index, article_id: str, cache: dict) -> tuple[list[str], list[str]]:
    if article_id not in cache:
        article = stored(index, article_id)
        text = " ".join([article.title or ""] + [p.text for p in article.passages]) if article else ""
        cache[article_id] = (words(text), terms(text))
    return cache[article_id]


def draw_spans(index: Index, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(article id, span text) pairs: 4-8 words in a row from one passage of a random even-id article."""
    spans = []
    for article in even_id_articles(index, rng, 100 * count if count else 0):  # gives up without Reuters' ids
        passages = [p.text for p in article.passages if len(WORD.findall(p.text)) >= 8]
        if not passages:
            continue
        tokens = rng.choice(passages).split()
        length = rng.randint(4, 8)
        if len(tokens) < length:
            continue
        start = rng.randrange(0, len(tokens) - length + 1)
        span = " ".join(tokens[start:start + length]).replace('"', "")
        if len(words(span)) >= 4:
            spans.append((article.id, span))
            if len(spans) == count:
                break
    return spans


def main(argv: list[str] | None = None) -> int:
    args, index, rng, spans = start_sampled(__doc__, "spans", 200, 1, draw_spans, argv)
    found = found_collapsed = contained = folded = wrong = returned = partial = 0
    cache: dict = {}
    misses = []
    with Timer() as clock:
        for article_id, span in spans:
            request = SearchRequest(q=f'"{span}"', per_page=MAX_RESULTS, facets=False, collapse=False, feedback=False)
            result = index.search(request)
            partial += result.partial
            hit_ids = [h.id for h in result.hits]
            found += article_id in hit_ids
            collapsed = index.search(SearchRequest(q=f'"{span}"', per_page=MAX_RESULTS, facets=False, feedback=False))
            family = next((h.family for h in result.hits if h.id == article_id), None)
            found_collapsed += any(h.id == article_id or (family and h.family == family) for h in collapsed.hits)
            if article_id not in hit_ids:
                misses.append({"id": article_id, "span": span, "total": result.total})
            needle, needle_terms = words(span), terms(span)
            for hit_id in hit_ids:
                returned += 1
                plain, analysed = article_words(index, hit_id, cache)
                if holds(plain, needle):
                    contained += 1
                elif needle_terms and holds(analysed, needle_terms):
                    folded += 1
                else:
                    wrong += 1
                    misses.append({"id": hit_id, "span": span, "wrong": True})
    figures = {
        "spans": len(spans), "found": found, "found_share": round(found / len(spans), 4),
        "found_collapsed": found_collapsed, "returned": returned, "contained": contained,
        "folded": folded, "not_contained": wrong, "partial": partial,
        "ms_a_quote": round(1000 * clock.seconds / max(1, 2 * len(spans)), 1), "misses": misses[:20],
    }
    report([f"{len(spans)} spans of 4-8 words from even-id articles: source found in {found} "
            f"({100 * found / len(spans):.1f}%), {found_collapsed} with versions collapsed",
            f"{returned} articles returned: {contained} hold the span word for word, {folded} through folding, "
            f"{wrong} do not; {partial} partial answers"], misses[:10], figures, args.json)
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
