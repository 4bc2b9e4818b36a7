"""Highlighting: passage text HTML-escaped, with <mark> around what the query matched.

Everything but the marks is escaped, so an article containing `<script>` shows it
as text.  Words are found with the analyzer the index uses, so every spelling the
index folds together is marked: "Erdoğan" for a search on "erdogan", "centres"
and "center" for "centre", the whole of "cease-fire" for "ceasefire".

Two kinds of match, as a query has them:

- `terms`: single words, marked wherever they occur.  A bare stop word is not
  marked (ranking ignores it too) unless the query has nothing but stop words.
- `phrases`: sequences of terms (a quoted phrase's terms in query mode, as
  `index.text.analysis.terms` gives them), marked only where the whole phrase
  occurs, word after word by position, each occurrence as one span; the same
  words elsewhere are not marked.

Marks that touch or are separated only by spaces become one span.
"""

from __future__ import annotations

from html import escape
from typing import Collection, Sequence

from index.text.analysis import is_stop, text_analyzer

_ANALYZER = text_analyzer()


def _tokens(text: str, analyzer) -> list[tuple[str, int, int, int]]:
    """(term, position, startchar, endchar) of every token of `text`, alternatives included."""
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True, mode="index", removestops=True)]


def _phrase_spans(tokens, phrases: Collection[Sequence[str]]) -> list[tuple[int, int]]:
    """Character spans of every occurrence of each phrase, by consecutive positions."""
    at: dict[int, list[tuple[str, int, int]]] = {}
    for term, pos, start, end in tokens:
        at.setdefault(pos, []).append((term, start, end))
    spans = []
    for phrase in phrases:
        if not phrase:
            continue
        for pos, found in at.items():
            first = next(((s, e) for t, s, e in found if t == phrase[0]), None)
            if first is None:
                continue
            last = first
            for offset, term in enumerate(phrase[1:], 1):
                last = next(((s, e) for t, s, e in at.get(pos + offset, ()) if t == term), None)
                if last is None:
                    break
            if last is not None:
                spans.append((first[0], last[1]))
    return spans


def _pair_spans(tokens, marked: Collection[str], pairs) -> list[tuple[int, int]]:
    """Spans joining two marked words that are consecutive words of a phrase, across stop words only."""
    spans, previous = [], None
    last_pos = None
    for term, pos, start, end in tokens:
        if pos == last_pos:
            continue  # an alternative form at the same position
        last_pos = pos
        if term in marked:
            if previous is not None and (previous[0], term) in pairs:
                spans.append((previous[1], end))
            previous = (term, start)
        elif not is_stop(term):
            previous = None
    return spans


def marked_spans(text: str, terms: Collection[str], analyzer=None,
                 pairs: Collection[tuple[str, str]] = (), *,
                 phrases: Collection[Sequence[str]] = ()) -> list[tuple[int, int]]:
    """Character spans to mark in `text`: every occurrence of `terms`, each whole occurrence of `phrases`.

    `analyzer` should be the one the index was built with (its schema's), so that
    an index made by an older version still highlights what it matches.  `pairs`
    (older callers) are consecutive words of phrases: two marked words forming a
    pair, separated only by stop words, are joined into one span.
    """
    if not terms and not phrases:
        return []
    tokens = _tokens(text, analyzer or _ANALYZER)
    words = set(terms) | {t for phrase in phrases for t in phrase}
    only_stop_words = all(is_stop(t) for t in words)
    singles = {t for t in terms if only_stop_words or not is_stop(t)}
    spans = [(start, end) for term, _, start, end in tokens if term in singles]
    spans += _phrase_spans(tokens, phrases)
    if pairs:
        spans += _pair_spans(tokens, singles, pairs)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1]:start].strip() == ""):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: Collection[str], analyzer=None, pairs: Collection[tuple[str, str]] = (), *,
              phrases: Collection[Sequence[str]] = ()) -> str:
    """`text` as safe HTML with every match (see `marked_spans`) inside <mark>...</mark>."""
    out, last = [], 0
    for start, end in marked_spans(text, terms, analyzer, pairs, phrases=phrases):
        out.append(escape(text[last:start], quote=False))
        out.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        last = end
    out.append(escape(text[last:], quote=False))
    return "".join(out)
