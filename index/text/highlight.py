"""Highlighting: passage text HTML-escaped, with <mark> around the words that matched.

Everything but the marks is escaped, so an article containing `<script>` shows it
as text.  Words are found with the same analyzer the index uses, so "Erdoğan"
is marked for a search on "erdogan" and "centres" for "centre".  Adjacent marked
words become one span, so a matched phrase reads as one mark; stop words are
never index terms, so they are never marked alone.
"""

from __future__ import annotations

from html import escape
from typing import Collection

from index.text.analysis import text_analyzer

_ANALYZER = text_analyzer()


def marked_spans(text: str, terms: Collection[str], analyzer=None,
                 pairs: Collection[tuple[str, str]] = ()) -> list[tuple[int, int]]:
    """Character spans of the words of `text` whose index term is in `terms`, adjacent ones joined.

    `pairs` are consecutive words of the query's phrases: two such words separated
    only by stop words ("Bank of England") are one span too.  `analyzer` should be
    the one the index was built with (its schema's), so that an index made by an
    older version still highlights what it matches.
    """
    spans: list[tuple[int, int]] = []
    if not terms:
        return spans
    previous = None  # the last word seen (stop words are not seen), if it was marked
    for token in (analyzer or _ANALYZER)(text, chars=True, mode="index", removestops=True):
        if token.text not in terms:
            previous = None
            continue
        gap = text[spans[-1][1]:token.startchar] if spans else ""
        if spans and (gap.strip() == "" or (previous, token.text) in pairs):
            spans[-1] = (spans[-1][0], token.endchar)
        else:
            spans.append((token.startchar, token.endchar))
        previous = token.text
    return spans


def highlight(text: str, terms: Collection[str], analyzer=None, pairs: Collection[tuple[str, str]] = ()) -> str:
    """`text` as safe HTML with every matched word inside <mark>...</mark>."""
    out, last = [], 0
    for start, end in marked_spans(text, terms, analyzer, pairs):
        out.append(escape(text[last:start], quote=False))
        out.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        last = end
    out.append(escape(text[last:], quote=False))
    return "".join(out)
