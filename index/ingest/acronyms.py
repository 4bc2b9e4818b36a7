"""Acronyms and short names, learned from the text itself.

News defines its abbreviations: "the International Monetary Fund (IMF)",
"Petroleo Brasileiro SA (Petrobras)"; or names an organisation in full first and
by its initials after.  Two questions are answered here, on plain strings:

    is_acronym_of("IMF", "International Monetary Fund")          -> True
    is_acronym_of("U.S.", "United States")                        -> True
    is_acronym_of("OPEC", "Organization of Petroleum Exporting Countries") -> True
    definitions("... the International Monetary Fund (IMF) said ...")
        -> [("International Monetary Fund", "IMF")]
    definitions("the International Cocoa Organization (ICCO)")   # Schwartz & Hearst's rule
        -> [("International Cocoa Organization", "ICCO")]

An acronym is two to eight capitals (dots allowed: "U.N."; "S and P" is how
the wire writes S&P); it matches a name when its letters are the initials of the name's words in order, small words
("of", "and", "for" ...) and the parts of hyphenated words ("Co-operation")
being optional; a name with an acronym in it ("U.S. Steel") expands nothing.  entities.py merges, inside one article, an acronym or a short
name defined there into the full name; the catalog (index/search/catalog.py)
carries those merges across the archive as evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

SMALL_WORDS = frozenset("of for and the on in de des du la le del della di da van von to at & y et".split())
# "IMF", "U.N.", "AT&T"; and "S and P", "AT and T" (the wire's S&P and AT&T).
_ACRONYM = re.compile(r"^(?:[A-Z]\.?){2,8}$|^[A-Z][A-Z&]{1,7}$|^[A-Z]{1,2}(?: and [A-Z]){1,2}$")
# "Long Name (SHORT)": a run of capitalised words (small words allowed inside) right before a parenthesis.
# At most ten capitalised words, from a word's start: unbounded, "A" x 32,000 took 10 s (quadratic).
_NAME = r"(?<![\w'&.-])[A-Z][\w'&.-]*+(?:\s+(?:(?:of|for|and|the|on|de|del|des|du|la|y|et|&)\s+){0,3}[A-Z][\w'&.-]*+){0,9}"
_DEFINITION = re.compile(rf"({_NAME})\s*\(\s*([A-Z][\w.&'-]{{1,24}})\s*\)")


@lru_cache(maxsize=1 << 16)
def is_acronym(text: str) -> bool:
    """Is `text` written as an acronym: 2-8 capitals, dots allowed ("IMF", "U.S.", "AT&T")?"""
    return bool(_ACRONYM.match(text.strip()))


def letters(acronym: str) -> str:
    """The letters of an acronym, upper-case, dots, ampersands and a spelled "and" dropped ("U.S." -> "US",
    "S and P" -> "SP")."""
    return "".join(c for c in re.sub(r"\s+and\s+", "", acronym).upper() if c.isalpha())


@lru_cache(maxsize=65536)
def is_acronym_of(acronym: str, name: str) -> bool:
    """Are the letters of `acronym` the initials of `name`'s words (small words optional)?"""
    wanted = letters(acronym)
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    if len(wanted) < 2 or len(words) < 2 or not is_acronym(acronym):
        return False
    if any(is_acronym(w.strip(".,")) for w in words if len(w.strip(".,")) > 1):
        return False  # "U.S. Steel" is not what "US" stands for
    # Each word gives its initial; a hyphenated word may also give the initials of its parts.
    choices = []
    for word in words:
        parts = [p for p in word.split("-") if p]
        if not parts or not parts[0][:1].isalpha():
            return False
        initials = {parts[0][0].upper()}
        spelled = "".join(p[0].upper() for p in parts if p[:1].isalpha())
        choices.append((word.lower() in SMALL_WORDS, initials | {spelled}))
    # Each word that is not small gives a letter at least, and no word more than its parts: most pairs end here.
    if not sum(not small for small, _ in choices) <= len(wanted) <= sum(max(map(len, o)) for _, o in choices):
        return False

    @lru_cache(maxsize=None)
    def match(i: int, j: int) -> bool:
        if j == len(choices):
            return i == len(wanted)
        optional, options = choices[j]
        if optional and match(i, j + 1):
            return True
        return any(wanted.startswith(option, i) and match(i + len(option), j + 1) for option in options)

    return match(0, 0)


def leading_initials(name: str) -> set[str]:
    """The letters an acronym of `name` can start with (`is_acronym_of`): the initials of its words up to the
    first that is not a small word.  Lets a caller look up a name's acronyms instead of trying every pair."""
    found = set()
    for word in name.split():
        if word[:1].isalpha():
            found.add(word[0].upper())
        if word.lower() not in SMALL_WORDS:
            break
    return found


def abbreviates(short: str, full: str) -> bool:
    """Schwartz & Hearst (2003): do the short form's letters occur in order in the full name,
    the first at the start of a word and the last within its last word ("ICCO", "International
    Cocoa Organization")?  Only for an explicit "Full Name (SHORT)" definition."""
    short_letters, text = letters(short).lower(), full.lower()
    if len(short_letters) < 2 or not text[:1].isalpha() or short_letters[0] != text[0]:
        return False
    position = len(text)
    for index, char in enumerate(reversed(short_letters)):
        is_first = index == len(short_letters) - 1
        while True:
            position = text.rfind(char, 0, position)
            if position < 0:
                return False
            if not is_first or position == 0 or not text[position - 1].isalnum():
                break
    last_word_start = text.rfind(" ") + 1
    return text.find(short_letters[-1], last_word_start) >= 0


def definitions(text: str) -> list[tuple[str, str]]:
    """(full name, short name) pairs the text defines as "Full Name (SHORT)".

    The full name is cut to the words the acronym stands for when the short name
    is an acronym ("the U.S. International Trade Commission (ITC)" -> "International
    Trade Commission"); a short name that is not an acronym ("(Petrobras)") is kept
    with the whole capitalised run before it, which the caller checks against the
    names the model found.
    """
    found = []
    for match in _DEFINITION.finditer(text):
        full, short = match.group(1).strip(), match.group(2).strip()
        words = full.split()
        if is_acronym(short):
            starts = [i for i in range(len(words) - 1) if words[i].lower() not in SMALL_WORDS]
            candidate = next((" ".join(words[i:]) for i in starts if is_acronym_of(short, " ".join(words[i:]))), None)
            if candidate is None:  # not plain initials ("ICCO"): the shortest run it abbreviates
                candidate = next((" ".join(words[i:]) for i in reversed(starts)
                                  if abbreviates(short, " ".join(words[i:]))), None)
            if candidate:
                found.append((candidate, short))
        elif short[:1].isupper() and short.lower() != full.lower():
            found.append((full, short))
    return found
