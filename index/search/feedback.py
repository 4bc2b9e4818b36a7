"""Pseudo-relevance feedback (RM3): a short query widened with the words of its own best results.

"barley buyers" finds articles about barley; the words those articles share
(tonnes, feed, tender, Saudi) find the barley articles that never say "buyers".
After a first ranking (scoring.py), the top `docs` articles' stored texts are
analysed (a few hundred words each: the cost is bounded by `docs`, not by the
archive) into a relevance model, sum over the documents of p(w|D) x the
document's share of the top scores (Lavrenko & Croft's RM1); its `terms`
heaviest words that the query does not hold become extra units with weights
that give them `weight` of the query against the original words' 1 - weight
(RM3).  Extra units rank the query's own matches (with `widen`, they find
articles too), but do not count for coordination, for proximity or for "holds
every word", and are not highlighted; the answer lists them in `expanded` as
{"term": the query, "to": [words], "via": "feedback"}.

Used for plain queries (words, no syntax) of at most `max_units` units
(news-style searches); on SciFact's long claims feedback measured worse
(bench/RESULTS.md).  A name keeps exactly the articles that name it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from index.search.plan import QUERY_STOP_WORDS, Alt, Unit
from index.text.analysis import text_analyzer

_ANALYZER = text_analyzer()


@dataclass(frozen=True)
class Feedback:
    """RM3's free parameters (measured on the news sets, bench/RESULTS.md)."""

    docs: int = 10  # top articles read
    terms: int = 10  # words added
    weight: float = 0.5  # share of the added words in the widened query
    max_units: int = 3  # longer queries are left as they are (0 turns feedback off)
    widen: bool = False  # the added words also find articles (else they only rank the query's own matches)


FEEDBACK = Feedback()


def _words(snapshot, ordinal: int) -> tuple[Counter, dict[str, str]]:
    """(term counts, term -> a surface form) of an article's title and body."""
    data = snapshot.article(ordinal)
    counts: Counter = Counter()
    forms: dict[str, str] = {}
    for text in (data.get("title") or "", data.get("body") or ""):
        for token in _ANALYZER(text, keeporiginal=True):
            counts[token.text] += 1
            forms.setdefault(token.text, token.original.lower())
    return counts, forms


def expansion(snapshot, units: list[Unit], top: list[tuple[int, float]], params: Feedback = FEEDBACK
              ) -> tuple[list[Unit], list[str]]:
    """(extra units, their words as shown) from the first ranking's top (ordinal, score) pairs."""
    top = [(o, s) for o, s in top[:params.docs] if s > 0]
    if not top or params.terms <= 0:
        return [], []
    asked = {alt.text for u in units for alt in u.alternatives if alt.kind == "term"}
    asked |= {w for u in units for alt in u.alternatives for w in alt.words}
    total = sum(s for _, s in top)
    model: Counter = Counter()
    shown: dict[str, str] = {}
    for ordinal, value in top:
        counts, forms = _words(snapshot, ordinal)
        length = sum(counts.values()) or 1
        for term, tf in counts.items():
            model[term] += (value / total) * tf / length
        for term, form in forms.items():
            shown.setdefault(term, form)
    chosen = [(t, p) for t, p in model.most_common()
              if t not in asked and t not in QUERY_STOP_WORDS and len(t) > 2 and not t.isdigit()][:params.terms]
    if not chosen:
        return [], []
    mass = sum(p for _, p in chosen)
    # The original units keep weight 1 each (their sum is len(units)); the added ones share weight / (1 - weight) of that.
    scale = params.weight / (1 - params.weight) * len(units) / mass
    extra = [Unit(label=shown.get(t, t), alternatives=[Alt("term", text=t)], weight=p * scale, extra=True)
             for t, p in chosen]
    return extra, [shown.get(t, t) for t, _ in chosen]
