"""Highlighting: passage text HTML-escaped, with <mark> around what the query matched.

Everything but the marks is escaped, so an article containing `<script>` shows it
as text.  Words are found with the analyzer the index uses (or read from a segment,
which keeps where each of its tokens is: `occurrences`), so every spelling the
index folds together is marked: "Erdoğan" for a search on "erdogan", "centres"
and "center" for "centre", the whole of "cease-fire" for "ceasefire".

Two kinds of match, as a query has them:

- `terms`: single words, marked wherever they occur.  A bare stop word is not
  marked (ranking ignores it too) unless the query has nothing but stop words.
- `phrases`: sequences of terms (a quoted phrase's terms in query mode, as
  `index.text.analysis.terms` gives them), marked only where the whole phrase
  occurs, word after word by position, each occurrence as one span; the same
  words elsewhere are not marked.
- `quotes`: (terms, spellings) of quoted phrases matched word for word, marked
  only where each word is also spelt as quoted ("rates", not "rate").

Marks that touch or are separated only by spaces become one span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Collection, Sequence

from index.text.analysis import is_stop, token_spans

_INITIAL_DOTS = re.compile(r"(?:\w\.)+\w")  # U.S, U.K, E.U


def _tokens(text: str, analyzer) -> list[tuple[str, int, int, int, str]]:
    """(term, position, startchar, endchar, spelling) of every token of `text`, alternatives included."""
    if analyzer is None:
        return token_spans(text)
    return [(t.text, t.pos, t.startchar, t.endchar, t.text)
            for t in analyzer(text, positions=True, chars=True, mode="index", removestops=True)]


def _phrase_spans(tokens, phrases: Collection[Sequence[str]], spellings=None) -> list[tuple[int, int]]:
    """Character spans of every occurrence of each phrase, by consecutive positions.

    With `spellings` (one sequence per phrase, or None), a word must also be spelt so.
    """
    if not phrases:
        return []
    wanted = {term for phrase in phrases for term in phrase}
    at: dict[int, list[tuple[str, int, int, str]]] = {}  # the phrases' words only, by position
    starts: dict[str, list[int]] = {}  # where each term occurs: a phrase is looked for only where its first word is
    for term, pos, start, end, spelt in tokens:
        if term in wanted:
            at.setdefault(pos, []).append((term, start, end, spelt))
            starts.setdefault(term, []).append(pos)
    spans = []
    for number, phrase in enumerate(phrases):
        if not phrase:
            continue
        spelt_as = spellings[number] if spellings else None

        def find(position: int, offset: int):
            return next(((s, e) for t, s, e, w in at.get(position, ())
                         if t == phrase[offset] and (spelt_as is None or w == spelt_as[offset])), None)

        for pos in dict.fromkeys(starts.get(phrase[0], ())):
            first = find(pos, 0)
            if first is None:
                continue
            last = first
            for offset in range(1, len(phrase)):
                last = find(pos + offset, offset)
                if last is None:
                    break
            if last is not None:
                spans.append((first[0], last[1]))
    return spans


def _pair_spans(tokens, marked: Collection[str], pairs) -> list[tuple[int, int]]:
    """Spans joining two marked words that are consecutive words of a phrase, across stop words only."""
    spans, previous = [], None
    last_pos = None
    for term, pos, start, end, _ in tokens:
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


def _with_closing_dots(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """An initialism's mark takes its closing dot: "U.S." is marked whole, though its token ends at the S."""
    return [(start, end + 1) if end < len(text) and text[end] == "." and _INITIAL_DOTS.fullmatch(text[start:end])
            else (start, end) for start, end in spans]


def wanted(terms: Collection[str], phrases: Collection[Sequence[str]] = (),
           quotes: Collection[tuple[Sequence[str], Sequence[str]]] = ()) -> set[str]:
    """Every term a highlight looks for: the words, and the words of phrases and quotes."""
    return set(terms) | {t for phrase in phrases for t in phrase} | {t for words, _ in quotes for t in words}


def _singles(terms: Collection[str], words: set[str]) -> set[str]:
    """The words marked wherever they occur: not a bare stop word, unless the query has nothing else."""
    only_stop_words = all(is_stop(t) for t in words)
    return {t for t in terms if only_stop_words or not is_stop(t)}


def looked_up(terms: Collection[str], phrases: Collection[Sequence[str]] = (),
              quotes: Collection[tuple[Sequence[str], Sequence[str]]] = ()) -> set[str]:
    """The terms whose occurrences `marked_spans` uses (without `pairs`): a bare stop word
    outside phrases and quotes is never marked, so where it occurs is not needed."""
    words = wanted(terms, phrases, quotes)
    return _singles(terms, words) | wanted((), phrases, quotes)


def marked_spans(text: str, terms: Collection[str], analyzer=None,
                 pairs: Collection[tuple[str, str]] = (), *,
                 phrases: Collection[Sequence[str]] = (),
                 quotes: Collection[tuple[Sequence[str], Sequence[str]]] = (),
                 occurrences: list[tuple[str, int, int, int, str]] | None = None) -> list[tuple[int, int]]:
    """Character spans to mark in `text`: every occurrence of `terms`, each whole occurrence of `phrases`.

    `analyzer` (default: the index's own, `index.text.analysis`) finds the words.  `pairs`
    (older callers) are consecutive words of phrases: two marked words forming a
    pair, separated only by stop words, are joined into one span.  `occurrences`, where the
    index kept them (`Snapshot.occurrences`), are the wanted words' tokens as `_tokens` gives
    them, at least those of `looked_up`: the text is not analysed again (not with `pairs`, which
    look at the words between).
    """
    if not terms and not phrases and not quotes:
        return []
    tokens = occurrences if occurrences is not None and not pairs else _tokens(text, analyzer)
    singles = _singles(terms, wanted(terms, phrases, quotes))
    spans = [(start, end) for term, _, start, end, _ in tokens if term in singles]
    spans += _phrase_spans(tokens, phrases)
    spans += _phrase_spans(tokens, [w for w, _ in quotes], [s for _, s in quotes])
    if pairs:
        spans += _pair_spans(tokens, singles, pairs)
    return joined_spans(text, _with_closing_dots(text, spans))


def highlight(text: str, terms: Collection[str], analyzer=None, pairs: Collection[tuple[str, str]] = (), *,
              phrases: Collection[Sequence[str]] = (), quotes: Collection[tuple[Sequence[str], Sequence[str]]] = (),
              occurrences: list[tuple[str, int, int, int, str]] | None = None) -> str:
    """`text` as safe HTML with every match (see `marked_spans`) inside <mark>...</mark>."""
    return marked(text, marked_spans(text, terms, analyzer, pairs, phrases=phrases, quotes=quotes,
                                     occurrences=occurrences))


def marked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` as safe HTML with the character spans (sorted, apart) inside <mark>...</mark>."""
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start], quote=False))
        out.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        last = end
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def marked_across(texts: Sequence[str], phrases: Collection[Sequence[str]] = (),
                  quotes: Collection[tuple[Sequence[str], Sequence[str]]] = (),
                  analysed: Sequence[list] | None = None) -> list[list[tuple[int, int]]]:
    """Where `phrases` and `quotes` occur in consecutive texts read as one (an article's passages), each
    text's own character spans: a quote that runs across a paragraph break is found in the article's body
    but in no passage, and is marked as its end of one passage and its start of the next.  `analysed`: each
    text's `token_spans`, where the caller has them."""
    if not phrases and not quotes:
        return [[] for _ in texts]
    tokens, bounds, char, pos = [], [], 0, 0  # the texts' tokens with positions and characters running on
    for number, text in enumerate(texts):
        found = analysed[number] if analysed is not None else token_spans(text)
        tokens.extend((term, p + pos, a + char, b + char, spelt) for term, p, a, b, spelt in found)
        bounds.append((char, char + len(text)))
        if found:
            pos += max(p for _, p, _, _, _ in found) + 1
        char += len(text) + 1
    spans = _phrase_spans(tokens, phrases) + _phrase_spans(tokens, [w for w, _ in quotes], [s for _, s in quotes])
    return [[(max(a, start) - start, min(b, end) - start) for a, b in sorted(spans) if a < end and b > start]
            for start, end in bounds]


@dataclass
class Highlighter:
    """What one query marks (`highlight`'s terms, phrases and quotes): called on a text, its marked HTML;
    `passages(texts)` marks an article's passages in order, a quote across a paragraph break included."""

    terms: Collection[str] = ()
    phrases: Collection[Sequence[str]] = ()
    quotes: Collection[tuple[Sequence[str], Sequence[str]]] = ()
    words_of: object = field(default=None, repr=False)  # text -> more terms to mark in it (a prefix's words), or None

    def terms_in(self, text: str) -> Collection[str]:
        """The words marked wherever they occur in `text`."""
        return self.terms if self.words_of is None else set(self.terms) | self.words_of(text)

    def __call__(self, text: str) -> str:
        return highlight(text, self.terms_in(text), phrases=self.phrases, quotes=self.quotes)

    def passages(self, texts: Sequence[str]) -> list[str]:
        analysed = [token_spans(text) for text in texts]  # each text analysed once, for both kinds of marks
        pieces = marked_across(texts, self.phrases, self.quotes, analysed)
        out = []
        for text, tokens, across in zip(texts, analysed, pieces):
            spans = marked_spans(text, self.terms_in(text), phrases=self.phrases, quotes=self.quotes,
                                 occurrences=tokens)
            out.append(marked(text, joined_spans(text, spans + across)))
        return out


def joined_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, overlapping or space-separated ones made one: marks that touch are one mark."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1]:start].strip() == ""):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
