"""Text analysis shared by indexing, querying and highlighting.

One analyzer chain for every full-text field, so a word is turned into the same
term wherever it is seen: split on word characters, lower-case, fold accents
(Erdoğan -> erdogan), drop English stop words, then stem with Snowball's English
(Porter2) stemmer, which measured better than Whoosh's Porter on SciFact and does
not stem "running" to "runn".  `fold` is the
same folding for plain strings (entity keys, facet prefixes).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.analyzers import Analyzer
from whoosh.support.charset import accent_map

# Words (with inner apostrophes or dots: "don't", "U.S") and numbers.
TOKEN_PATTERN = r"\w+(?:[.'’]\w+)*"


def text_analyzer() -> Analyzer:
    """The analyzer of title, body and passage text."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1)
        | StemFilter(lang="en", cachesize=50_000)
    )


def keyword_analyzer() -> Analyzer:
    """Folded but not stemmed: for names (source, byline) searched with field:value."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lower-case, strip accents and collapse spaces: the comparison form of a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("ı", "i").replace("’", "'")
    return " ".join(stripped.lower().split())


def terms(text: str) -> list[str]:
    """The index terms of a string, in order (what a search for it looks up)."""
    return [t.text for t in text_analyzer()(text)]
