"""Entities an article names inside other names or by codes, found by the model or not.

* a country inside an organisation's name is a place of the article ("Bank of Japan", "U.S. Treasury");
* an organisation whose name begins with another's acronym names that one too ("EC Commission": EC);
* the press's dotted country codes ("U.S.", "U.K.") make the country a place wherever they stand.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from index.ingest.groups import Group, alias_key
from index.ingest.name_rules import COMPANY_SUFFIXES, is_junk
from index.text.aliases import Aliases, entity_key


def _country_in(name: str, aliases: Aliases) -> tuple[str, str, str] | None:
    """(surface, key, canonical name) of a country named inside an organisation's name, or None.

    "Bank of Japan" -> Japan, "U.S. Agriculture Department" -> United States, "National
    Westminster Bank USA" -> United States; a code counts only as the press writes one
    ("U.S.", "USA": not "IT" in "IT Group"), and a country that is also a US state or a
    large city ("Georgia Pacific") not at all.  Capitals that begin a name are its own
    initials ("AFG Industries", "GNB Inc": not Afghanistan, Guinea-Bissau; "US Treasury" is
    the United States), a legal form is no country ("Chase Manhattan Bank N.A."), and in a
    name all in capitals ("SMITH AND WESSON", "BFR FIN") only a dotted code, "US" or "USA"
    reads as one (`_reads_as_country`).
    """
    from index.ingest.place_names import place_names

    words = name.split()
    capitals = not any(c.islower() for c in name)
    for size in (4, 3, 2, 1):
        for start in range(len(words) - size + 1):
            surface = " ".join(words[start:start + size])
            if size == len(words) or not surface[:1].isupper():
                continue
            key = entity_key(surface)
            if key in COMPANY_SUFFIXES:
                continue
            entry = aliases.lookup(key)
            if entry and entry.type == "place":
                return surface, entry.key, entry.name
            place = place_names().lookup(key)
            if place and place.kind == "country" and key not in place_names().shared \
                    and _reads_as_country(surface, place, first=start == 0, capitals=capitals):
                return surface, key, place.name
    return None


_DOTTED_CODE = re.compile(r"(?:[A-Z]\.)+[A-Z]\.?")  # "U.S.", "U.K", "U.S.A.": not "Co." or "Col."


def reads_as_code(surface: str) -> bool:
    """A country code as the press writes one: dotted capitals ("U.S.", "U.K."), three capitals
    ("USA"), or "US"; not a word that happens to spell a code ("Co." in "Goldman Sachs and Co.", "Col")."""
    return bool(_DOTTED_CODE.fullmatch(surface)) or surface == "US" or (len(surface) == 3 and surface.isupper())


def _reads_as_country(surface: str, place, first: bool, capitals: bool) -> bool:
    """A name, or a code written as one inside an organisation's name: "U.S.", "U.K." (PRESS_CODES) or
    "US" anywhere; other dotted capitals only after the name's start (a person's initials begin "J.P.
    Morgan", "S.G. Warburg"); other capitals (`reads_as_code`) only after the name's start ("Bank USA",
    not the initials of "AFG Industries") and, but for "USA", not in a name all in capitals ("SMITH AND
    WESSON")."""
    if not place.is_code or PRESS_CODES.fullmatch(surface) or surface == "US":
        return True
    if _DOTTED_CODE.fullmatch(surface):
        return not first
    return reads_as_code(surface) and not first and (not capitals or surface == "USA")


def add_named_countries(groups: dict[str, Group], aliases: Aliases) -> None:
    """A country named inside an organisation's name is a place of the article too ("Bank of Japan")."""
    for group in [g for g in groups.values() if g.type == "org"]:
        for form, count in list(group.forms.items()):
            found = _country_in(form, aliases)
            if found:
                _add_place(groups, found[1], found[0], count, group.units)


def add_named_acronyms(groups: dict[str, Group], aliases: Aliases, limit: int) -> None:
    """An organisation's body named after its acronym names the organisation too ("EC Commission", "OPEC
    Secretariat", "EC Cereals Management Committee": EC and OPEC are organisations of the article; its full
    name, if the article has it, takes them in next, and the catalog says whose acronyms they are).  Only a
    body, and no country's: "AFG Industries", "ABC News" and "US Court" name no other organisation.  No new
    entity past `limit` entities (a hostile text of a thousand "XYZ Commission"s)."""
    for group in [g for g in groups.values() if g.type == "org"]:
        for form, count in list(group.forms.items()):
            head, _, rest = form.partition(" ")
            if not _ACRONYM.fullmatch(head) or not rest or rest.split()[-1].lower() not in _BODIES:
                continue
            key = alias_key(head, aliases)
            if is_junk(key):
                continue
            entry = aliases.lookup(key)
            if (entry and entry.type != "org") or (_country_in(form, aliases) or ("",))[0] == head:
                continue  # "US Court", "UK Parliament": the country's, which the rule above found
            if key not in groups and len(groups) >= limit:
                return
            named = groups.setdefault(key, Group(key))
            if not named.forms:
                named.types["org"] += count
                named.forms[head] += count
            named.units |= group.units


_ACRONYM = re.compile(r"[A-Z]{2,6}")  # "EC", "OPEC": not "J.P.", "U.S." (initials, codes) nor "Exxon"
_BODIES = frozenset("""commission council committee secretariat board parliament court assembly summit presidency
delegation mission directorate executive""".split())


# Country codes the press writes with dots (AP style), which mean the country wherever they stand: the model
# misses them in headlines in capitals ("U.S. FACTORY ORDERS ROSE") and as adjectives ("U.S.-based"). Other
# dotted capitals are mostly initials ("J.P. Morgan") or legal forms ("S.A.", "N.A.").
PRESS_CODES = re.compile(r"(?<![\w.])(?:U\.S\.A\.|U\.S\.|U\.K\.)(?!\w)")


def add_press_codes(groups: dict[str, Group], texts: Sequence[str], aliases: Aliases) -> None:
    """"U.S." or "U.K." in a unit's text makes the country a place of that unit, found by the model or not."""
    counts: Counter = Counter()
    units: dict[str, set[int]] = {}  # one look for the place per code, however many units hold it
    for unit, text in enumerate(texts):
        for surface in PRESS_CODES.findall(text):
            counts[surface] += 1
            units.setdefault(surface, set()).add(unit)
    for surface, count in counts.items():
        _add_place(groups, alias_key(surface, aliases), surface, count, units[surface], add_form=False)


def _add_place(groups: dict[str, Group], key: str, surface: str, count: int, units: set[int],
                add_form: bool = True) -> None:
    """Make `key` a place of these units: the article's group of that place (by key or by a form), or a new one."""
    place = groups.get(key) or next((g for g in groups.values() if g.type == "place"
                                     and any(entity_key(f) == key for f in g.forms)), None)
    place = place or groups.setdefault(key, Group(key))
    if not place.forms:
        place.types["place"] += count
    if add_form or not place.forms:  # a press code adds no form to a place the model found: counted once
        place.forms[surface] += count
    place.units |= units
