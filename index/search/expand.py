"""Prefix, wildcard and fuzzy terms: the index words they stand for, found with bounded work.

Whoosh expands `kalb*` and `kalbajr~2` by walking the vocabulary in Python
(its fuzzy terms compute an edit distance against every word: seconds per
term on Reuters, outside any deadline).  Here every expansion reads only the
slice of each segment's sorted vocabulary that shares the term's first
letter(s), so its cost is bounded by construction:

    prefix     `kalb*`        the vocabulary range starting with "kalb"
    wildcard   `ka?b*r`       the range of its literal prefix, filtered by the pattern
    fuzzy      `kalbajr~2`    words within the edit distance that keep the first
                              letter (or the `/n` prefix asked for), by rapidfuzz's
                              C++ Levenshtein over that range

A segment's decoded slices are kept on the segment (segments never change).
More than `max_expansions` words is refused with InvalidQuery, as is a
leading wildcard unless NEWSINDEX_ALLOW_LEADING_WILDCARDS is set.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract
from whoosh import query as Q

from index.errors import InvalidQuery
from index.store.held import Held

SCORED_EXPANSIONS = 64  # the most frequent expansions of a term are ranked; all of them match
# Words of segments' vocabularies kept decoded, for patterns and "did you mean" (a word and its list slot count
# one, a slice ten more: ~100 bytes a word, 25 MB a process).  Process-wide: a segment's words are every
# snapshot's.  Unbounded before, a flood of made-up words decoded every vocabulary, letter by letter.
SLICES_HELD = 250_000
_slices = Held(SLICES_HELD, lambda words: len(words) + 10)


@dataclass(frozen=True)
class Limits:
    """What one query may cost."""

    time_limit: float = 2.0
    max_query_length: int = 1000
    max_query_terms: int = 64
    allow_leading_wildcards: bool = False
    max_expansions: int = 1024


def check_expansion(node: Q.MultiTerm, limits: Limits) -> None:
    """Refuse a term whose expansion could not be bounded (a leading wildcard)."""
    if isinstance(node, Q.FuzzyTerm):
        return
    if isinstance(node, Q.Wildcard) and not limits.allow_leading_wildcards and node.text[:1] in ("*", "?"):
        raise InvalidQuery("leading wildcards (such as *stan) are not allowed; put letters before the *")


def literal_prefix(node: Q.MultiTerm) -> str:
    """The letters every expansion must start with."""
    text = node.text
    if isinstance(node, Q.FuzzyTerm):
        return text[:max(1, node.prefixlength)]
    if isinstance(node, Q.Prefix):
        return text
    return re.split(r"[*?\[]", text, maxsplit=1)[0]


def as_typed(node: Q.MultiTerm) -> str:
    """The term as the user wrote it ("a*", "zinc~2"), not as Whoosh shows it with its field ("title:a*")."""
    if isinstance(node, Q.FuzzyTerm):
        return f"{node.text}~{node.maxdist}"
    if isinstance(node, Q.Prefix):
        return f"{node.text}*"
    return node.text


def expansions(node: Q.MultiTerm, snapshot, limits: Limits, deadline=None) -> list[str]:
    """Every index word `node` stands for, sorted; InvalidQuery if more than limits.max_expansions.

    Kept on the snapshot, unless the deadline cut the walk over segments short.
    """
    key = ("expand", type(node).__name__, node.text, getattr(node, "maxdist", 0), getattr(node, "prefixlength", 0))
    found = snapshot.facts.get(key)
    if found is not None:
        return found
    prefix = literal_prefix(node)
    words: set[str] = set()
    complete = True
    for number, part in enumerate(snapshot.parts):
        if number and deadline is not None and deadline.stop():
            complete = False
            break
        words.update(_in_segment(node, part.data, prefix))
        if len(words) > limits.max_expansions:
            raise InvalidQuery(f"'{as_typed(node)}' matches more than {limits.max_expansions} words; make it more specific")
    found = sorted(words)
    if complete:
        snapshot.facts.put(key, found)
    return found


def _in_segment(node: Q.MultiTerm, data, prefix: str) -> list[str]:
    words = slice_of(data, prefix)
    if isinstance(node, Q.Prefix):
        return words
    if isinstance(node, Q.FuzzyTerm):
        return [word for word, _, _ in extract(node.text, words, scorer=Levenshtein.distance,
                                               score_cutoff=node.maxdist, limit=None)]
    pattern = re.compile(fnmatch.translate(node.text))
    return [word for word in words if pattern.match(word)]


def slice_of(data, prefix: str) -> list[str]:
    """The segment's words starting with `prefix`, decoded once and kept while there is room (SLICES_HELD)."""
    def decoded() -> list[str]:
        numbers = data.prefix_range(prefix) if prefix else range(len(data.vocab))
        return [bytes(t).decode("utf-8") for t in data.vocab[numbers.start:numbers.stop]]
    return _slices.kept((data.id, prefix), decoded)


def scored_expansions(node: Q.MultiTerm, snapshot, limits: Limits, fieldname: str = "body") -> list[str]:
    """The SCORED_EXPANSIONS most frequent expansions (ranking a thousand rare variants adds nothing)."""
    words = expansions(node, snapshot, limits)
    if len(words) <= SCORED_EXPANSIONS:
        return words
    return sorted(words, key=lambda w: -snapshot.df(fieldname, w))[:SCORED_EXPANSIONS]
