""""Did you mean" over OpenSearch: the term suggester, with the Whoosh backend's rules.

The same words are candidates (index/search/suggest.py: plain alphabetic words
of at least MIN_LENGTH letters, not phrases, operators or field:value), a word
needs correcting only when at most RARE articles have it, and a correction must
be found in FACTOR times as many.  The count of articles having each word
travels in the search request itself (`parts`: one cheap filter aggregation a
word); only for a rare word do more requests run: the term suggester for it,
how articles spell the correction, and how many articles the corrected query
finds (shown only if more).
"""

from __future__ import annotations

import re

from opensearchpy import OpenSearch

from index.backends.opensearch.connection import Names, search as run_search
from index.search.suggest import FACTOR, MIN_LENGTH, RARE, WORD
from index.text.analysis import terms as analysed

MARK_START, MARK_END = "\ue000", "\ue001"


def candidates(q: str) -> list[tuple[str, str]]:
    """(piece of the query, bare word) for each word that could be a typo."""
    found = []
    for piece in WORD.findall(q):
        bare = piece.strip("()+-")
        if piece.startswith('"') or bare in ("AND", "OR", "NOT") or ":" in bare or set("*?~^") & set(bare):
            continue
        if len(bare) >= MIN_LENGTH and bare.isalpha() and len(analysed(bare)) == 1:
            found.append((piece, bare))
    return found


def parts(words: list[tuple[str, str]]) -> dict:
    """The `aggs` to add to a search request: how many articles of the archive have each word."""
    counts = {f"w{i}": {"filter": {"multi_match": {"query": bare, "fields": ["title", "body"], "operator": "and"}}}
              for i, (_, bare) in enumerate(words)}
    return {"words": {"global": {}, "aggs": counts}} if counts else {}


def _suggestions(client: OpenSearch, names: Names, rare: dict[int, str]) -> dict:
    suggest = {}
    for i, bare in rare.items():
        for fieldname in ("body", "title"):
            suggest[f"s{i}_{fieldname}"] = {"text": bare, "term": {
                "field": fieldname, "suggest_mode": "always", "max_edits": 2 if len(bare) >= 8 else 1,
                "prefix_length": 1, "min_word_length": MIN_LENGTH, "size": 8, "sort": "frequency"}}
    response = run_search(client, names.articles, {"size": 0, "track_total_hits": False, "suggest": suggest})
    return response.get("suggest", {})


def corrected_query(client: OpenSearch, names: Names, q: str, words: list[tuple[str, str]], response: dict) -> str | None:
    """The query with its rare words replaced by frequent neighbours, or None when none needs it."""
    counts = response.get("aggregations", {}).get("words", {})
    seen_in = {i: counts.get(f"w{i}", {}).get("doc_count", 0) for i in range(len(words))}
    rare = {i: bare for i, (_, bare) in enumerate(words) if seen_in[i] <= RARE}
    if not rare:
        return None
    suggestions = _suggestions(client, names, rare)
    fixes: dict[str, str] = {}
    for i, (piece, bare) in enumerate(words):
        seen = seen_in[i]
        if i not in rare:
            continue
        term = analysed(bare)[0]
        best, best_count = None, max(1, FACTOR * seen)
        for fieldname in ("body", "title"):
            for entry in suggestions.get(f"s{i}_{fieldname}", []):
                for option in entry.get("options", []):
                    if option["text"] != term and option["freq"] >= best_count:
                        best, best_count = option["text"], option["freq"]
        if best:
            fixed = surface(client, names, best)
            if bare[:1].isupper():  # keep the typed capital: Kalbajr -> Kalbajar
                fixed = fixed[:1].upper() + fixed[1:]
            fixes[piece] = piece.replace(bare, fixed)
    if not fixes:
        return None
    return " ".join(fixes.get(piece, piece) for piece in WORD.findall(q))


def surface(client: OpenSearch, names: Names, term: str) -> str:
    """How articles spell the index term `term` (its first marked occurrence), lower-cased."""
    body = {
        "size": 1, "_source": False,
        "query": {"bool": {"should": [{"term": {"body": term}}, {"term": {"title": term}}]}},
        "highlight": {"pre_tags": [MARK_START], "post_tags": [MARK_END], "fields": {
            "title": {"number_of_fragments": 1, "fragment_size": 100},
            "body": {"number_of_fragments": 1, "fragment_size": 100}}},
    }
    response = run_search(client, names.articles, body)
    for hit in response["hits"]["hits"]:
        for fragments in hit.get("highlight", {}).values():
            found = re.search(f"{MARK_START}(.*?){MARK_END}", fragments[0])
            if found:
                return found.group(1).lower()
    return term
