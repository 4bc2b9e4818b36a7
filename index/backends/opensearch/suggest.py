""""Did you mean" over OpenSearch: the term suggester, with the Whoosh backend's rules.

The same words are candidates (index/search/suggest.py: plain alphabetic words
of at least MIN_LENGTH letters, not phrases, operators or field:value), a word
needs correcting only when at most RARE articles have its term (in title or
body, whichever has more), and a correction must be found in FACTOR times as
many.  The count of articles having each word travels in the search request
itself (`parts`: two cheap filter aggregations a word); only for a rare word do
more requests run: the term suggester over the words as spelt (edit distance 1,
2 from eight letters, the first letter kept: the Whoosh backend's candidates,
each taken as its index term),
how an article spells the correction (our analyzer over its stored text), and
how many articles the corrected query finds (shown only if more).
"""

from __future__ import annotations

from collections import Counter

from opensearchpy import OpenSearch

from index.backends.opensearch.connection import Names, search as run_search
from index.search.suggest import (CANDIDATES, FACTOR, MIN_LENGTH, RARE, WORD, best_term, candidate_terms,
                                  closest_spelling)
from index.text.analysis import terms as analysed, token_spans

FIELDS = ("title_terms", "body_terms")
SPELT = ("title_spelt", "body_spelt")  # the words as articles spell them


def candidates(q: str) -> list[tuple[str, str, str]]:
    """(piece of the query, bare word, its index term) for each word that could be a typo."""
    found = []
    for piece in WORD.findall(q):
        bare = piece.strip("()+-")
        if piece.startswith('"') or bare in ("AND", "OR", "NOT") or ":" in bare or set("*?~^") & set(bare):
            continue
        if len(bare) >= MIN_LENGTH and bare.isalpha():
            terms = analysed(bare)
            if len(terms) == 1:
                found.append((piece, bare, terms[0]))
    return found


def parts(words: list[tuple[str, str, str]]) -> dict:
    """The `aggs` to add to a search request: how many articles of the archive have each word, per field."""
    counts = {f"w{i}_{f}": {"filter": {"term": {f: term}}} for i, (_, _, term) in enumerate(words) for f in FIELDS}
    return {"words": {"global": {}, "aggs": counts}} if counts else {}


def _seen(aggs: dict, i: int) -> int:
    counts = aggs.get("words", {})
    return max(counts.get(f"w{i}_{f}", {}).get("doc_count", 0) for f in FIELDS)


def _suggestions(client: OpenSearch, names: Names, typed: dict[int, str]) -> dict:
    """The term suggester's options near each rare word as typed, over the `*_spelt` fields (the words as
    articles spell them), as the Whoosh backend reads its vocabulary."""
    suggest = {}
    for i, word in typed.items():
        for fieldname in SPELT:
            suggest[f"s{i}_{fieldname}"] = {"text": word.lower(), "term": {
                "field": fieldname, "suggest_mode": "always", "max_edits": 2 if len(word) >= 8 else 1,
                "prefix_length": 1, "min_word_length": 1, "size": CANDIDATES, "sort": "score",
                "string_distance": "levenshtein", "max_term_freq": 1.0}}
    response = run_search(client, names.articles, {"size": 0, "track_total_hits": False, "suggest": suggest})
    return response.get("suggest", {})


def _frequency(client: OpenSearch, names: Names, term: str) -> int:
    """Articles having `term`, in title or body, whichever has more (as the Whoosh backend counts)."""
    aggs = {f: {"filter": {"term": {f: term}}} for f in FIELDS}
    response = run_search(client, names.articles, {"size": 0, "track_total_hits": False, "aggs": aggs})
    return max(response["aggregations"][f]["doc_count"] for f in FIELDS)


def corrected_query(client: OpenSearch, names: Names, q: str, words: list[tuple[str, str, str]],
                    aggs: dict) -> str | None:
    """The query with its rare words replaced by frequent neighbours, or None when none needs it."""
    rare = {i: term for i, (_, _, term) in enumerate(words) if _seen(aggs, i) <= RARE}
    if not rare:
        return None
    suggestions = _suggestions(client, names, {i: words[i][1] for i in rare})
    fixes: dict[str, str] = {}
    for i, term in rare.items():
        piece, bare, _ = words[i]
        candidates = candidate_terms({option["text"] for fieldname in SPELT
                                      for entry in suggestions.get(f"s{i}_{fieldname}", [])
                                      for option in entry.get("options", [])}, term, bare)
        best = best_term(candidates, max(1, FACTOR * _seen(aggs, i)),
                         lambda candidate: _frequency(client, names, candidate))
        if best:
            fixed = surface(client, names, best, bare, candidates[best][1])
            if bare[:1].isupper():  # keep the typed capital: Kalbajr -> Kalbajar
                fixed = fixed[:1].upper() + fixed[1:]
            fixes[piece] = piece.replace(bare, fixed)
    if not fixes:
        return None
    return " ".join(fixes.get(piece, piece) for piece in WORD.findall(q))


SURFACE_ARTICLES = 20  # articles whose spellings of a correction are read


def surface(client: OpenSearch, names: Names, term: str, typed: str, near: set[str]) -> str:
    """How articles spell the index term, in the spelling closest to what was typed (lower-cased): a stemmed
    term stands for several words, as in the Whoosh backend (read from the first articles having it, and
    the suggester's words near the typed one that are its)."""
    spellings = Counter(dict.fromkeys(near, 0))
    for fieldname, stored in (("title_terms", "title"), ("body_terms", "body")):
        body = {"size": SURFACE_ARTICLES, "query": {"term": {fieldname: term}}, "sort": [{"added": "asc"}],
                "_source": [stored], "track_total_hits": False}
        for hit in run_search(client, names.articles, body)["hits"]["hits"]:
            text = hit["_source"].get(stored) or ""
            for found, _, start, end, _ in token_spans(text):
                if found == term:
                    spellings[text[start:end].lower()] += 1
    return closest_spelling(spellings, typed) or term
