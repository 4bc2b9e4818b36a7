"""Analysing an article once for its segment's arrays.

Each full-text field is run through the analyzer (index/text/analysis.py) once
per article: the title, then each passage, each token with its term (what it
is searched by) and its spelling (what a quote checks word for word).  The body's tokens are the passages'
tokens one after the other (a body is exactly its passages: split_passages only
moves whitespace), with positions running on: a phrase in a passage is in the body, and a phrase
across a paragraph break is in the body only (shown by index/search/passages.py `quote_across`).  Sources and bylines are
folded but not stemmed: they are what `source:` and `byline:` search.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.article import Article
from index.text.analysis import keyword_analyzer, spelled_tokens, token_spans

_KEYWORDS = keyword_analyzer()


def analyse(text: str, start: int = 0) -> list[tuple[str, int, str]]:
    """(term, position, spelling) of every token of `text`, positions counted from `start`."""
    return spelled_tokens(text, start) if text else []


def analyse_names(text: str) -> list[tuple[str, int, str]]:
    """Folded but not stemmed tokens of a name (source, byline): the spelling is the term."""
    return [(t.text, t.pos, t.text) for t in _KEYWORDS(text, positions=True, mode="index")] if text else []


@dataclass
class ArticleTokens:
    """The analysed text fields of one article."""

    title: list[tuple[str, int, str]]
    body: list[tuple[str, int, str]]
    passages: list[list[tuple[str, int, str]]]
    source_text: list[tuple[str, int, str]]
    byline: list[tuple[str, int, str]]
    # (startchar, endchar) of each token of the title and of each passage, in the same order:
    # highlighting reads them from the segment instead of analysing the text again
    title_chars: list[tuple[int, int]] | None = None
    passage_chars: list[list[tuple[int, int]]] | None = None


def analyse_article(article: Article) -> ArticleTokens:
    passages, chars, body, start = [], [], [], 0
    for passage in article.passages:
        tokens, where = _with_characters(passage.text)
        passages.append(tokens)
        chars.append(where)
        body.extend((term, pos + start, spelt) for term, pos, spelt in tokens)
        if tokens:  # the next passage starts after this one's last position (two terms may share one)
            start += max(pos for _, pos, _ in tokens) + 1
    title, title_chars = _with_characters(article.title)
    return ArticleTokens(title=title, body=body, passages=passages,
                         source_text=analyse_names(article.source or ""), byline=analyse_names(article.byline or ""),
                         title_chars=title_chars, passage_chars=chars)


def _with_characters(text: str) -> tuple[list[tuple[str, int, str]], list[tuple[int, int]]]:
    """`analyse(text)`, and each token's (startchar, endchar), from one pass of the analyzer."""
    spans = token_spans(text) if text else []
    return [(term, pos, spelt) for term, pos, _, _, spelt in spans], [(a, b) for _, _, a, b, _ in spans]
