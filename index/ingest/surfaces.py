"""A mention's text as a name: what the model's span took in that is no part of the name goes.

Spaces collapsed, quotes and brackets that do not pair, a possessive ("Putin's"), a leading
"the", a "Paris-based" before the name, a trailing "and" or "of the" (a span cut before its
end), and for a person the titles before the name ("President", "Minister of Mines").  Of an
entity's forms, `best_name` picks the one to show.
"""

from __future__ import annotations

import re
from collections import Counter

from index.ingest.acronyms import is_acronym

# Words before a person's name that are not part of it ("President Reagan", "Minister of Energy and Mines Subroto").
TITLE_WORDS = frozenset("""
mr mrs ms miss dr sir lord lady dame president vice minister deputy prime premier chancellor secretary
treasurer chairman chairwoman governor senator sen rep representative congressman congresswoman
ambassador commissioner spokesman spokeswoman gen general adm admiral col colonel maj major capt captain
lt sgt judge justice king queen prince princess sheikh emir sultan pope cardinal bishop rev father
mines energy finance trade foreign interior defence defense economy agriculture oil labour labor
of and for the
""".split())
HONORIFICS = frozenset("mr mrs ms miss dr sir lord lady dame".split())  # "Mr Nakasone" is a person, whatever the model says


def best_name(forms: Counter) -> str:
    """A name written out in words before an acronym ("S and P" has more words than "Security Pacific"), then
    the fullest form (most words), then the one with accents, then the most frequent ("PDVSA", not "Pdvsa")."""
    if len(forms) == 1:
        return next(iter(forms))

    def rank(form: str) -> tuple:
        accents = 0 if form.isascii() else sum(ord(c) > 127 for c in form)
        return (" " in form and not is_acronym(form), form.count(" ") + 1, accents, forms[form], form)
    return max(forms, key=rank)


_TRAILING_WORDS = frozenset("and & or of the for de in on".split())


def clean_surface(text: str, type_: str = "") -> str:
    """A mention as a name: spaces collapsed, quotes, a possessive, a leading "the", a "Paris-based"
    before the name and a trailing "and" or "of the" gone, brackets that do not pair (a reporter's
    insertion cut by the span) gone, acronym dots kept ("U.S."), and for a person the titles before
    the name ("President")."""
    text = " ".join(text.split()).strip(" \"'“”‘’,;:()[]<>")
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):  # "(International Monetary) Fund"
        text = " ".join(re.sub(r"[()\[\]]", " ", text).split())
    text = text.rstrip(".") + "." if re.search(r"\b[A-Za-z]\.[A-Za-z]\.?$", text) else text.rstrip(".")
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    if text.lower().startswith("the "):
        text = text[4:]
    words = _after_based(text.split())
    while len(words) > 1 and words[-1].lower() in _TRAILING_WORDS:  # a span cut before its end: "IMF and"
        words = words[:-1]
    while type_ == "person" and len(words) > 1 and words[0].lower().rstrip(".") in TITLE_WORDS:
        words = words[1:]
    return " ".join(words)


def _after_based(words: list[str]) -> list[str]:
    """The name after a "where based" descriptor the span took in ("Paris-based Organisation for ...",
    "U.S. Based Lotus Development Inc"); nothing when the descriptor ends the span ("Conn.-based")."""
    at = [i for i, word in enumerate(words) if word.lower() == "based" or word.lower().endswith("-based")]
    if not at:
        return words
    return words[at[-1] + 1:]
