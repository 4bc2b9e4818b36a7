"""Text analysis shared by indexing, querying and highlighting.

One analyzer (`text_analyzer()`) for every full-text field, so a word becomes
the same term wherever it is seen.  Per word: lower case, accents folded
(Erdoğan -> erdogan), British/Canadian/Australian spellings folded to the
American one from VarCon (centre -> center, organisation -> organization;
index/text/spelling.py), then Snowball's English (Porter2) stemmer, which
measured better than Whoosh's Porter on SciFact.  Stop words are kept, with
their positions, so a quoted phrase means exactly its words ("will be
monitoring" is not "monitoring"); ranking may ignore a bare stop word of a
query (`STOP_WORDS`, `is_stop`), the index never does.

Names: "U.S.", "U.S", "u.s." and "US" in capitals are one term, `u.s`; "us" and
"Us" are the pronoun.  Reuters writes headlines in capitals ("PACT WITH US
SPRINT", "US DLR"): there, too, "US" is the name, which every such headline in
Reuters-21578 means.  Other initialisms in capitals lose their dots ("U.K." =
"UK" -> `uk`); lower-case ones keep them ("a.m." is not "am").

Compounds.  A hyphenated word (cease-fire, Nagorno-Karabakh) is also indexed
closed; a compound of the list in index/text/data/ (cease-fire, health care)
is one word whether written hyphenated, open or closed.

Position rule (what phrase search relies on).  Tokens sharing a position are
alternatives for one word; the first at a position is the main one.

- Every word takes the next position, stop words included.
- A listed compound, in any spelling, takes ONE position: its closed form is the
  main token (characters: the whole compound), and when it is written hyphenated
  or open its parts follow as alternatives at that same position.  So
  "a cease-fire now", "a cease fire now" and "a ceasefire now" all give
  a@0 ceasefir@1 now@2 (the first two with ceas@1 and fire@1 too), and a phrase
  through it matches in every spelling.  A closed word is never split ("fire"
  does not find "ceasefire", "mark" does not find "benchmark").
- Any other hyphenated word keeps its parts at consecutive positions, as if the
  hyphen were a space, and its closed form is an extra token at the position of
  the first part, emitted right after it, spanning the whole word:
  "Nagorno-Karabakh talks" gives nagorno@0 nagornokarabakh@0 karabakh@1 talk@2
  (when its parts are letters or digits and not all digits: F-16 -> f16, not 1986-87).
- Query mode (`mode="query"`) gives the main tokens only, one per position, so a
  phrase is the query's tokens in order: a listed compound is its closed form
  in every spelling ("cease-fire" -> [ceasefir]), an unlisted hyphenated word its
  parts ("wi-fi" -> [wi, fi]), while "wifi" finds "wi-fi" through the indexed
  closed form.  (Searching an unlisted hyphenated word by its closed form alone
  measured worse on SciFact, 0.6952 against 0.7050 nDCG@10: "T-cell" must still
  find "T cells".)  A search side that wants both can take the closed form from
  index mode.  Limitations: an unlisted compound inside a quote matches only the
  spelling the quote uses (hyphenated or open vs. closed); and since a listed
  compound's parts share its position, a quote that skips its second part
  ("health costs") also matches it written open or hyphenated ("health care costs").

`fold` is the same folding for plain strings (entity keys, facet prefixes);
`terms` is what a search for a string looks up (query mode).  `exact_analyzer()`
and `exact_terms` give the same tokens and positions with the folded spelling
instead of the stem ("monitoring", not "monitor"), so a search can check that a
quote's words are really there word for word ("interest rates rose" and not
"interest rate rose", which share their stems).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer
from whoosh.analysis.filters import STOP_WORDS as _WHOOSH_STOP_WORDS
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

from index.text import spelling

# Words (with inner apostrophes or dots: "don't", "U.S") and numbers.
TOKEN_PATTERN = r"\w+(?:[.'’]\w+)*"
_WORD = re.compile(TOKEN_PATTERN)
# A word, or words joined by hyphens (hyphen-minus, hyphen, non-breaking hyphen, en dash).
_UNIT = re.compile(rf"{TOKEN_PATTERN}(?:[-‐‑–]{TOKEN_PATTERN})*")
_HYPHEN = re.compile(r"[-‐‑–]")
_INITIALISM = re.compile(r"[A-Za-z](?:\.[A-Za-z])+")
_APOSTROPHE = str.maketrans({"’": "'"})
_STEM = stemmer_for_language("en")
# Caches of words already analysed: a word's analysis is repeated in every text naming it.  Bounded for a hostile
# client too, whose every query may be made-up words (at the bound: 15 MB for words, 10 for folded names).
_CACHE_SIZE = 65_536
_words: dict[str, tuple[str, str]] = {}  # surface form -> (spelling, term)

MAIN, ALT = 0, 1


def _spelling(surface: str) -> tuple[str, bool]:
    """The folded spelling of one word, and whether it is a name that must not be stemmed."""
    if surface == "US":
        return "u.s", True
    if _INITIALISM.fullmatch(surface):
        letters = surface.replace(".", "").lower()
        if letters == "us":
            return "u.s", True
        return (letters, True) if surface.isupper() else (surface.lower(), True)
    folded = surface.lower().translate(accent_map).translate(_APOSTROPHE)
    return spelling.american(folded), False


def word(surface: str) -> tuple[str, str]:
    """(folded spelling, index term) of one word as written; cached, since words repeat."""
    found = _words.get(surface)
    if found is None:
        folded, is_name = _spelling(surface)
        found = (folded, folded if is_name else _STEM(folded))
        if len(_words) >= _CACHE_SIZE:
            _words.clear()
        _words[surface] = found
    return found


@lru_cache(maxsize=50_000)
def _term(folded: str) -> str:
    """The index term of an already folded spelling (compound parts and closed forms)."""
    return _STEM(spelling.american(folded))


def _events(value: str) -> list[tuple[str, str, int, int, int, int]]:
    """(term, spelling, MAIN or ALT, startchar, endchar, unit) for each token of `value`, in order.

    One loop over the words' spans with the caches read directly: every search
    highlights its page's passages through here, so it runs per word per passage."""
    spans = [m.span() for m in _UNIT.finditer(value)]
    found: list = []
    append = found.append
    compound_starts = spelling.compounds()
    count, i, unit = len(spans), 0, 0
    while i < count:
        start, end = spans[i]
        i += 1
        unit += 1
        text = value[start:end]
        if not text.isalnum() and _HYPHEN.search(text):
            found.extend(_hyphenated(text, start, end, unit))
            continue
        folded, term = _words.get(text) or word(text)
        if folded in compound_starts and i < count:  # maybe a listed open compound: look at the next word
            next_start, next_end = spans[i]
            following = value[next_start:next_end]
            if value[end:next_start].isspace() and not _HYPHEN.search(following):
                second, second_term = _words.get(following) or word(following)
                closed = spelling.joined(folded, second)
                if closed:
                    append((_term(closed), closed, MAIN, start, next_end, unit))
                    append((term, folded, ALT, start, end, unit))
                    append((second_term, second, ALT, next_start, next_end, unit))
                    i += 1
                    continue
        append((term, folded, MAIN, start, end, unit))
    return found


def _hyphenated(text: str, start: int, end: int, unit: int):
    """The tokens of a hyphenated word: a listed compound's closed form with its parts as alternatives,
    or else the parts at their own positions with the closed form after the first."""
    parts = [(p.group(), start + p.start(), start + p.end()) for p in _WORD.finditer(text)]
    folded = [word(p[0]) for p in parts]
    spellings = [f[0] for f in folded]
    closed = spelling.joined(*spellings) if len(spellings) == 2 else None
    if closed:
        yield _term(closed), closed, MAIN, start, end, unit
        for (_, part_start, part_end), (part, term) in zip(parts, folded):
            yield term, part, ALT, part_start, part_end, unit
        return
    yield folded[0][1], folded[0][0], MAIN, parts[0][1], parts[0][2], unit
    if all(s.isalnum() for s in spellings) and not all(s.isdigit() for s in spellings):
        closed = spelling.american("".join(spellings))
        yield _term(closed), closed, ALT, start, end, unit
    for (_, part_start, part_end), (part, term) in zip(parts[1:], folded[1:]):
        yield term, part, MAIN, part_start, part_end, unit


class TextAnalyzer(Analyzer):
    """The analyzer of title, body and passage text (see the module docstring for its token rules).

    Importable and picklable from this path: Whoosh pickles it into the index's table of contents.
    """

    is_morph = True

    def __init__(self, exact: bool = False):
        self.exact = exact  # spellings instead of stems: "monitoring" stays monitoring, centre -> center

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.stopped = False
        token.boost = 1.0
        if not tokenize:  # a prefix, wildcard or fuzzy term: the whole string, folded as one word
            token.text = word(value)[0 if self.exact else 1]
            if keeporiginal:
                token.original = value
            token.pos = start_pos
            token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        events = _events(value)
        if mode == "query":
            events = _query_events(list(events))
        pos = start_pos - 1
        exact = self.exact
        for term, folded, kind, start, end, _ in events:
            if kind == MAIN:
                pos += 1
            token.text = folded if exact else term
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def _query_events(events: list) -> list:
    """Query mode: the main tokens only, one per position."""
    return [e for e in events if e[2] == MAIN]


def text_analyzer() -> Analyzer:
    """The analyzer of title, body and passage text."""
    return TextAnalyzer()


def exact_analyzer() -> Analyzer:
    """The same tokens and positions with folded spellings instead of stems (for checking a quote word for word)."""
    return TextAnalyzer(exact=True)


def keyword_analyzer() -> Analyzer:
    """Folded but not stemmed: for names (source, byline) searched with field:value."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


_ANALYZER = TextAnalyzer()
_EXACT = TextAnalyzer(exact=True)

# Whoosh's English stop list (the one the index used to drop), as index terms.
STOP_WORDS: frozenset[str] = frozenset(word(w)[1] for w in _WHOOSH_STOP_WORDS)


def is_stop(term: str) -> bool:
    """Whether an index term is a stop word (ranking may ignore it when it stands alone)."""
    return term in STOP_WORDS


@lru_cache(maxsize=32_768)
def fold(text: str) -> str:
    """Lower-case, strip accents and collapse spaces: the comparison form of a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("ı", "i").replace("’", "'")
    return " ".join(stripped.lower().split())


def spelled_tokens(text: str, start: int = 0) -> list[tuple[str, int, str]]:
    """(term, position, folded spelling) of every token of `text` in index mode, positions from `start`.

    One pass gives both what a word is searched by (its stem) and how it is spelt,
    so an index can check a quote word for word without analysing the text twice.
    """
    found, pos = [], start - 1
    for term, folded, kind, _, _, _ in _events(text):
        if kind == MAIN:
            pos += 1
        found.append((term, pos, folded))
    return found


def token_spans(text: str) -> list[tuple[str, int, int, int, str]]:
    """(term, position, startchar, endchar, spelling) of every token of `text` in index mode: what
    highlighting marks, and what a segment keeps of its titles and passages (index/store/analyzed.py)."""
    found, pos = [], -1
    append = found.append
    for term, folded, kind, start, end, _ in _events(text):
        if kind == MAIN:
            pos += 1
        append((term, pos, start, end, folded))
    return found


def terms(text: str) -> list[str]:
    """The index terms a search for `text` looks up, in order (query mode: see the module docstring)."""
    return [t.text for t in _ANALYZER(text, mode="query")]


def exact_terms(text: str) -> list[str]:
    """`terms` without stemming: what a quote's words are, spelling folded, to check a match word for word."""
    return [t.text for t in _EXACT(text, mode="query")]
