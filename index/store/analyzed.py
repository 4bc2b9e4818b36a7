"""Analysing an article once for its segment's arrays.

Each full-text field is run through the analyzer (index/text/analysis.py) once
per article: the title, then each passage.  The body's tokens are the passages'
tokens one after the other (a body is exactly its passages: split_passages only
moves whitespace), with positions running on, so a phrase found in the body is
found in a passage and the two can never disagree.  Sources and bylines are
folded but not stemmed: they are what `source:` and `byline:` search.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.article import Article
from index.text.analysis import keyword_analyzer, text_analyzer

_ANALYZER = text_analyzer()
_KEYWORDS = keyword_analyzer()


def analyse(text: str, start: int = 0, analyzer=_ANALYZER) -> list[tuple[str, int]]:
    """(term, position) of every token of `text`, positions counted from `start`."""
    if not text:
        return []
    return [(t.text, t.pos + start) for t in analyzer(text, positions=True, mode="index")]


@dataclass
class ArticleTokens:
    """The analysed text fields of one article."""

    title: list[tuple[str, int]]
    body: list[tuple[str, int]]
    passages: list[list[tuple[str, int]]]
    source_text: list[tuple[str, int]]
    byline: list[tuple[str, int]]


def analyse_article(article: Article) -> ArticleTokens:
    passages, body, start = [], [], 0
    for passage in article.passages:
        tokens = analyse(passage.text)
        passages.append(tokens)
        body.extend((term, pos + start) for term, pos in tokens)
        if tokens:  # the next passage starts after this one's last position (two terms may share one)
            start += max(pos for _, pos in tokens) + 1
    return ArticleTokens(title=analyse(article.title), body=body, passages=passages,
                         source_text=analyse(article.source or "", analyzer=_KEYWORDS),
                         byline=analyse(article.byline or "", analyzer=_KEYWORDS))
