"""Analysing an article once, for Whoosh and for the segment arrays alike.

Each full-text field is run through the analyzer (index/text/analysis.py) once
per article: the title, then each passage.  The body's tokens are the passages'
tokens one after the other (a body is exactly its passages: split_passages only
moves whitespace), with positions running on.  Those tokens are handed to Whoosh
as `Analyzed` values, which the schema's `Replay` analyzer plays back instead of
analysing the text again, and to the segment builder (index/store/building.py),
so the two can never disagree about a term or a position.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.analysis import Analyzer, Token

from index.article import Article
from index.text.analysis import keyword_analyzer, text_analyzer

_ANALYZER = text_analyzer()
_KEYWORDS = keyword_analyzer()


class Analyzed(str):
    """A field's text together with its tokens: (term, position) pairs in order."""

    tokens: list[tuple[str, int]]

    def __new__(cls, text: str, tokens: list[tuple[str, int]]):
        value = super().__new__(cls, text)
        value.tokens = tokens
        return value


class Replay(Analyzer):
    """The schema's analyzer: plays back an `Analyzed` value's tokens, analyses anything else.

    Queries and highlighting pass plain strings and get the wrapped analyzer's tokens.
    """

    def __init__(self, inner: Analyzer):
        self.inner = inner

    def __call__(self, value, **kwargs):
        if isinstance(value, Analyzed):
            return _play(value.tokens, kwargs.get("removestops", True))
        return self.inner(value, **kwargs)


def _play(tokens: list[tuple[str, int]], removestops: bool):
    token = Token(positions=True, boosts=True, removestops=removestops)
    token.boost = 1.0
    token.stopped = False
    for text, pos in tokens:
        token.text, token.pos = text, pos
        yield token


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
    source_text: list[tuple[str, int]]  # names, folded but not stemmed: what `source:` and `byline:` search
    byline: list[tuple[str, int]]


def analyse_article(article: Article) -> ArticleTokens:
    passages, body, start = [], [], 0
    for passage in article.passages:
        tokens = analyse(passage.text)
        passages.append(tokens)
        body.extend((term, pos + start) for term, pos in tokens)
        if tokens:
            start += tokens[-1][1] + 1
    return ArticleTokens(title=analyse(article.title), body=body, passages=passages,
                         source_text=analyse(article.source or "", analyzer=_KEYWORDS),
                         byline=analyse(article.byline or "", analyzer=_KEYWORDS))
