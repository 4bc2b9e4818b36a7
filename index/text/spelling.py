"""Spelling knowledge the analyzer folds with: variant spellings and compounds.

Loaded once per process from the derived lists in `index/text/data/` (their
sources and licences are in its README): `american(word)` gives the one spelling
that British, Canadian, Australian and American forms share, `split(word)` the
two parts of a closed compound that may also be written open or hyphenated
("ceasefire" -> cease, fire), and `joined(first, second)` the closed form of
an open pair ("cease", "fire" -> "ceasefire").  Words are compared folded
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
def compounds() -> tuple[dict[str, tuple[str, str]], dict[str, dict[str, str]]]:
    """(closed form -> parts, first part -> {second part: closed form}), plurals included."""
    closed: dict[str, tuple[str, str]] = {}
    opened: dict[str, dict[str, str]] = {}
    for first, second in _rows("compounds.tsv"):
        first, second = american(first), american(second)
        forms = [(second, first + second)]
        if not second.endswith("s"):
            forms.append((second + "s", first + second + "s"))
        for part, whole in forms:
            closed.setdefault(whole, (first, part))
            opened.setdefault(first, {}).setdefault(part, whole)
    return closed, opened


def american(word: str) -> str:
    """The American spelling of a folded word (the word itself when it has no variant)."""
    return variants().get(word, word)


def split(word: str) -> tuple[str, str] | None:
    """The two parts of a listed closed compound, or None."""
    return compounds()[0].get(word)


def joined(first: str, second: str) -> str | None:
    """The closed form of a listed open compound `first second`, or None."""
    seconds = compounds()[1].get(first)
    return seconds.get(second) if seconds else None


def starts_compound(word: str) -> bool:
    """Whether `word` is the first part of some listed compound (cheap test before a look-ahead)."""
    return word in compounds()[1]
