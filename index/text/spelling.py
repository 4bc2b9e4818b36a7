"""Spelling knowledge the analyzer folds with: variant spellings and compounds.

Loaded once per process from the derived lists in `index/text/data/` (their
sources and licences are in its README): `american(word)` gives the one spelling
that British, Canadian, Australian and American forms share, and
`joined(first, second)` the closed form of a compound that may be written open,
hyphenated or closed ("cease", "fire" -> "ceasefire").  Words are compared folded
(lower case, no accents), as the analyzer sees them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str):
    with (DATA / name).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


@lru_cache(maxsize=1)
def variants() -> dict[str, str]:
    """Spelling -> its American spelling (the form both are indexed under)."""
    return {word: american for word, american in _rows("spelling_variants.tsv")}


@lru_cache(maxsize=1)
def compounds() -> dict[str, dict[str, str]]:
    """First part -> {second part: closed form}, in American spelling, plurals included."""
    opened: dict[str, dict[str, str]] = {}
    for first, second in _rows("compounds.tsv"):
        first, second = american(first), american(second)
        forms = [(second, first + second)]
        if not second.endswith("s"):
            forms.append((second + "s", first + second + "s"))
        for part, whole in forms:
            opened.setdefault(first, {}).setdefault(part, whole)
    return opened


def american(word: str) -> str:
    """The American spelling of a folded word (the word itself when it has no variant)."""
    return variants().get(word, word)


def joined(first: str, second: str) -> str | None:
    """The closed form of a listed open compound `first second`, or None."""
    seconds = compounds().get(first)
    return seconds.get(second) if seconds else None

