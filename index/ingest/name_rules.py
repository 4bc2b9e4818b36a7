"""Rules on names before an article's entities are grouped: which strings are no names, and which
mentions join into one firm.

The NER model (index/ingest/ner.py) tags whatever reads like a name.  Some of what it tags
is no name at all: words of financial tables ("Qtly", "CLSG", the currency "FFR"), dates run
together ("SEP7"), legal forms alone ("Co Inc"), ranks ("Lt", "Col"), a legislator's party and
state ("R-Minn"), an instrument code ("SGEN.PA"), a credit rating ("AAA"), a money-supply
aggregate ("M3"), or a generic noun ("the Bank said").  `is_junk(key)` says so of an entity key,
and `bracketed_firms` reads the wire's angle brackets: a ticker ("Exxon Corp <XON>") is no name, a
bracketed company ("<Wagner and Brown>") one organisation.  And a firm named
after people ("Alex. Brown and Sons Inc") reaches it as persons and a stray "Sons Inc":
`join_firm_names` joins such mentions back into one organisation, with offsets into the text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from index.ingest.ner import Mention  # the module loads no model: spaCy is imported when one is
from index.ingest.surfaces import TITLE_WORDS

# Abbreviated ranks and titles: a name never ends with one ("Lt. Col. Oliver North" gives the model "Lt" and "Col").
TITLE_ABBREVIATIONS = frozenset("mr mrs ms dr lt col gen maj capt sgt adm cmdr cdr brig gov".split()
                                # and titles of several or alone: "Sens. Dole and Byrd", "Reps.", "Messrs", "Miss"
                                + "sens reps messrs miss".split())
# Words of financial tables that the model tags as names ("Qtly", "Nine Mths", "N.Z. Dlrs").
TABLE_WORDS = frozenset("qtly mths mth dlrs dlr shr shrs oper revs cts pct mln bln qtr avg clsg opg untrd dmk".split()
                        # and the wire's currencies in exchange-rate tables ("FFR", "AUS SCH", "BFR FIN", "PAK RUP")
                        + "ffr sfr dkr skr nkr dfl bfr lit sch rup stg".split()
                        # and commodity tables and trade terms ("Start Stcks", "Mthly div", "FOB Gulf", "CIF Rotterdam")
                        + "stcks mthly prev fob cif".split())
# A legislator's party and state, "(R-Minn.)", "(D-Tex.)": no person.
_PARTY_STATE = re.compile(r"^[rdi] (?P<state>[a-z]+)$")
_DATE_TOKEN = re.compile(r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\d+$")
# A wire's instrument code, a ticker and its exchange: "<SGEN.PA>", "<NWBL.L>", "<CKGH.HK>" (no "U.S": one letter).
_INSTRUMENT_CODE = re.compile(r"^[a-z0-9]{2,6}\.[a-z]{1,2}$")
# A credit rating on the agencies' scales ("rated AAA by Standard and Poor's", Moody's "Baa2", "B-plus") or a
# money-supply aggregate ("M3 rose 3.6 pct", "M-1"): no name, whatever the model said.
_GRADE = re.compile(r"^(?:a{1,3}|b{1,3}|c{1,3}|aa[a1-3]?|a[1-3]|baa[1-3]?|ba[1-3]|b[1-3]|caa[1-3]?)(?:[+-]| plus| minus)?$"
                    r"|^m[- ]?[0-4][ab]?$")
# Alone, these are the word, not a name: "the Bank said" (which bank is the article's to say).
_LONE_WORDS = frozenset("""bank banks company government ministry group committee
board agency department exchange council commission court administration congressional
partners associates holdings industries enterprises brothers""".split())
# What the markets trade is no organisation, however the wire capitalises it ("Treasuries rose", "the London
# Interbank Offered Rate", "European Currency Units", "gilts", "Special Drawing Rights").
_INSTRUMENTS = frozenset({"treasuries", "us treasuries", "treasury bills", "treasury bonds", "treasury notes", "gilts",
                          "bunds", "eurobonds", "eurodollars", "eurodollar", "euroyen", "ecu", "ecus",
                          "european currency unit", "european currency units", "libor", "london interbank",
                          "london interbank offered rate", "special drawing rights", "sdrs"})
# A crude oil's grade is a benchmark the markets trade, named after where it is pumped but no place or firm:
# "West Texas Intermediate", "West Texas Sour", "Light Louisiana Sweet", "Brent Blend" (and "... Crude Oil").
_GRADE_WORDS = frozenset("intermediate sour sweet blend".split())
# Holidays and feasts are named, but no person, organisation or place ("before Easter": an organisation to the model).
_HOLIDAYS = frozenset({"easter", "christmas", "thanksgiving", "ramadan", "passover", "hanukkah", "diwali", "eid",
                       "yom kippur", "new year", "good friday", "whitsun", "pentecost", "lent"})
# The legal forms ending a company's name; alone ("Ltd", "Co Inc": a name cut short), no name.
COMPANY_SUFFIXES = frozenset("corp co inc ltd plc sa ag nv corporation company limited llc spa bv gmbh cos na".split())
# Also "(Holdings) Pty Ltd", "Sdn Bhd", "Partners LP", "Ahlsell AB", "Henkel KGaA", "Nokia Oy".
LEGAL_FORMS = COMPANY_SUFFIXES | {"pty", "pte", "sdn", "bhd", "berhad", "lp", "ab", "kgaa", "oy", "oyj"}
_SHORT_FORMS = frozenset("sa ag nv bv na lp ab oy".split())  # also the end of a person's name ("Li Na"): capitals only


def ends_with_legal_form(name: str) -> bool:
    """Whether a name ends with a company's legal form as the press writes one ("Heineken NV", "Carrozzeria
    Bertone S.P.A.", "Muenchener Beteiligungs-AG", "A. H. Robins Co"; not "Li Na"): a firm, whatever the model
    said of it."""
    words = name.replace("-", " ").split()
    last = words[-1].replace(".", "") if len(words) > 1 else ""
    return last.lower() in LEGAL_FORMS and (last.lower() not in _SHORT_FORMS or last.isupper())


def is_junk(key: str) -> bool:
    """A key that is no name: table words, dates run together ("sep7"), legal forms alone ("Co Inc"),
    a rank ("Marine Lt"), a legislator's party and state ("R-Minn"), an instrument code ("sgen.pa"),
    a credit rating ("aaa"), a money-supply aggregate ("m3"), a holiday ("Easter") or an instrument ("Treasuries")."""
    words = key.split()
    return (not words or key in _LONE_WORDS or key in _HOLIDAYS or key in _INSTRUMENTS
            or all(w in COMPANY_SUFFIXES for w in words) or _is_party_state(key)
            or bool(_INSTRUMENT_CODE.match(key) or _GRADE.match(key))
            or words[-1] in TITLE_ABBREVIATIONS or any(w in TABLE_WORDS for w in words)
            or any(_DATE_TOKEN.match(w) for w in words))


def is_crude_grade(key: str, kind: str) -> bool:
    """Whether a key names a crude oil's grade ("west texas intermediate", "light louisiana sweet north",
    "brent blend"): no place, firm or person.  A grade word leads no grade ("Sweet Victory Inc"), a firm's legal
    form ends none ("Nature's Blend Products Inc"), and a person may be called Sweet ("Orville Sweet")."""
    words = key.split()
    if len(words) < 2 or words[-1] in LEGAL_FORMS:
        return False
    graded = [word for word in words[1:] if word in _GRADE_WORDS]
    return bool(graded) and (kind != "person" or any(word != "sweet" for word in graded))


# What the wire puts in angle brackets: a ticker ("<XON>", "<SGEN.PA>", "<NOBL ST>") or a company's name.
_BRACKETED = re.compile(r"<([^<>\n]{1,100})>")
_TICKER = re.compile(r"^[A-Z0-9.&-]{1,9}(?: [A-Z]{1,2})?$")
_FIRM = re.compile(r"^[A-Z0-9][\w.,&'()/ -]*$")  # "S.G. Warburg and Co (Japan) Ltd"; not "<script>", "<A HREF=...>"


def bracketed_firms(text: str, mentions: Sequence) -> list:
    """The wire's angle brackets: a ticker is no name, a company's name is one organisation.

    Reuters follows a listed company's name with its ticker ("Exxon Corp <XON>") and brackets
    the names of companies it has no ticker for ("<Wagner and Brown>", "<Computer Access Corp>"),
    which the model may read as two persons or miss.  Mentions inside a ticker are dropped;
    mentions inside a bracketed name become that one organisation, found by the model or not.
    `mentions` are one text's, in order, with offsets into `text`; so are those returned.
    """
    spans = [m.span(1) for m in _BRACKETED.finditer(text)]
    if not spans:
        return list(mentions)
    firms = [(start, end) for start, end in spans if not _TICKER.match(text[start:end].strip())]
    out = [m for m in mentions if not any(start <= m.start and m.end <= end for start, end in spans)]
    for start, end in firms:
        name = text[start:end].strip()
        if _FIRM.match(name) and any(c.isalpha() for c in name):
            start += text[start:end].index(name)
            out.append(Mention(name, start, start + len(name), "org"))
    return sorted(out, key=lambda m: m.start)


# The press's abbreviations of US states, as in a legislator's "(D-Kans.)" (dots and case folded by the key).
_STATE_ABBREVIATIONS = frozenset("""ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss
mo mont neb nebr nev nh nj nm ny nc nd okla ore pa ri sc sd tenn tex vt va wash wva wis wisc wyo""".split())


def _is_party_state(key: str) -> bool:
    from index.ingest.place_names import place_names

    match = _PARTY_STATE.match(key)
    if match and match.group("state") in _STATE_ABBREVIATIONS:
        return True
    place = place_names().lookup(match.group("state")) if match else None
    return place is not None and place.kind == "region"


# The end of a firm's name after a person's or firm's: "Alex. Brown and Sons Inc", "Harris Upham and Co".
_FIRM_TAIL = re.compile(r"\s*+(?:,\s*+)?(?:and|&)\s+(?:Sons?|Co|Cos|Company|Brothers|Bros|Partners|Associates)\b\.?"
                        r"(?:,?\s+(?:Inc|Ltd|Corp|Plc|LLC)\b\.?)?")
# A company's name with a word in brackets before its legal form: "Cheung Kong (Holdings) Ltd", "S.G. Warburg
# and Co (Japan) Ltd", "Total Holdings (Australia) Pty Ltd".  The model reads them as "Cheung Kong", "Holdings", "Ltd".
_BRACKETED_TAIL = re.compile(r"\s*\((?:[A-Z][\w.&'-]*)(?:\s+[A-Z][\w.&'-]*){0,2}\)"
                             r"(?:\s+(?:Pty|Sdn|Co|Pte))?\s+(?:Ltd|Limited|Inc|Corp|Co|Plc|Bhd|Berhad|AG|SA|NV|BV|GmbH)\b\.?")
_INITIAL_GAP = re.compile(r"\.\s+")


def join_firm_names(text: str, mentions: Sequence) -> list:
    """A firm named after people is one organisation, not people and a stray "Sons Inc".

    The model reads "Alex. Brown and Sons Inc" as the persons "Alex" and "Brown" and the
    organisation "Sons Inc", and "Harris Upham and Co" as a person.  A person or firm
    followed by "and Sons", "& Co", "and Brothers" ... (_FIRM_TAIL) is a firm whose name runs
    to the end of that tail, taking in any mention inside it, and a one-word person of at most
    four letters just before it, ending in a full stop, is its abbreviated first name.  Likewise a
    name followed by a bracketed word and a legal form, "Cheung Kong (Holdings) Ltd" (_BRACKETED_TAIL),
    whatever the model typed the name as: the legal form says it is a company.
    `mentions` are one text's, in order, with offsets into `text`.
    """
    out: list = []
    for mention in mentions:
        if out and mention.start < out[-1].end:
            continue  # inside the firm's name just extended
        tail = _FIRM_TAIL.match(text, mention.end) if mention.type in ("person", "org") else None
        if tail:
            start = mention.start
            before = out[-1] if out else None
            if before and before.type == "person" and len(before.text) <= 4 and before.text.isalpha() \
                    and _INITIAL_GAP.fullmatch(text[before.end:start]):
                start = out.pop().start
            mention = replace(mention, text=text[start:tail.end()], start=start, end=tail.end(), type="org")
        bracketed = _BRACKETED_TAIL.match(text, mention.end)
        if bracketed:
            end = bracketed.end()
            mention = replace(mention, text=text[mention.start:end], end=end, type="org")
        out.append(mention)
    return out


# Partners' names as a firm writes them: "Wagner and Brown", "Pratt & Whitney", "Pierce, Fenner and Smith".
_PARTNERS_AND = re.compile(r"\s+(?:and|&)\s+")
_PARTNERS_COMMA = re.compile(r",\s+")


def join_partner_names(units: Sequence[Sequence], texts: Sequence[str]) -> list[list]:
    """One article's mentions, unit by unit, with a firm named after its partners made one organisation.

    The model reads "Wagner and Brown", "Pratt and Whitney" or "Ernst and Whinney" as two persons.  News
    names a person in full before using the surname alone, so two (or more) one-word persons joined by
    "and" or "&" whom the article never names in full are one firm's name ("privately-held Wagner and Brown";
    on even-id Reuters 34 of 37 such pairs were firms, the others islands or cartoon characters).  A surname
    of a person named in full ("Baker and Volcker" beside "James Baker") or given a title anywhere in the
    article ("Prime Minister (Brian) Mulroney ... Reagan and Mulroney", "Sens. Dole and Byrd"), a gazetteer
    place and lists naming a person ("Aliyev, Putin and Pashinyan" beside Ilham Aliyev) stay as they are.
    A list's earlier names join too ("Welsh, Carson, Anderson and Stowe"); a list after an organisation is
    the rest of its name ("Merrill Lynch, Pierce, Fenner and Smith": Merrill Lynch).  The same words
    elsewhere in the article are the firm too, however the model typed them ("Phillips" an organisation,
    "Drew" a person), and so is such a person before "and" and a company's name with its legal form
    ("Procter and Gamble Co").  Such a person beside "and" and a one-word organisation is an organisation
    too ("DIW and Ifo": 16 of 20 such pairs on even-id Reuters).  `units[i]` are the mentions of
    `texts[i]`, in order, with offsets into it.
    """
    from index.ingest.ner import fold_accents
    from index.ingest.place_names import place_names

    surnames = {fold_accents(m.text.split()[-1]).lower() for unit in units for m in unit
                if m.type == "person" and len(m.text.split()) > 1}
    # and names the article gives a title somewhere: "Prime Minister (Brian) Mulroney", "President Reagan"
    surnames |= {fold_accents(m.text).lower() for unit, text in zip(units, texts) for m in unit
                 if m.type == "person" and " " not in m.text and _titled(text, m.start)}

    def partner(m) -> bool:
        word = fold_accents(m.text).lower()
        return (m.type == "person" and m.text.isalpha() and m.text[0].isupper() and word not in surnames
                and place_names().lookup(word) is None)

    def joins(before, mention, text: str) -> bool:
        # "Procter and Gamble Co": the model's person and a company ending in a legal form are that company
        last = partner(mention) or (mention.type == "org" and ends_with_legal_form(mention.text))
        return partner(before) and last and bool(_PARTNERS_AND.fullmatch(text[before.end:mention.start]))

    joined, firms = [], set()
    for unit, text in zip(units, texts):
        out: list = []
        for mention in unit:
            if out and joins(out[-1], mention, text):
                first = len(out) - 1  # the list's first name: "Welsh, Carson, Anderson and Stowe"
                while _listed(out, first, text) and partner(out[first - 1]):
                    first -= 1
                before = out[first - 1] if _listed(out, first, text) else None
                if before is not None and before.type == "person":
                    out.append(mention)  # a list of people: "signed by Aliyev, Putin and Pashinyan" beside Ilham Aliyev
                    continue
                start = out[first].start
                del out[first:]
                if before is not None and before.type == "org":
                    continue  # the rest of the organisation's name: "Merrill Lynch, Pierce, Fenner and Smith"
                mention = replace(mention, text=text[start:mention.end], start=start, type="org")
                firms.add(mention.text)
            out.append(mention)
        # then a one-word "person" and a one-word organisation joined by "and" are two organisations ("DIW and
        # Ifo", "Cedel and Euroclear", "Lilly and Roche")
        for i in range(1, len(out)):
            if _PARTNERS_AND.fullmatch(text[out[i - 1].end:out[i].start]):
                for this, other in ((i - 1, i), (i, i - 1)):
                    if partner(out[this]) and _one_word_org(out[other]):
                        out[this] = replace(out[this], type="org")
        joined.append(out)
    return [_join_same_words(unit, text, firms) for unit, text in zip(joined, texts)] if firms else joined


_WORD_BEFORE = re.compile(r"\b([A-Z][a-z]+)\.?\s+(?:\([A-Z][a-z]+\)\s+)?$")  # "Minister (Brian) " before a name
# A person's title (index/ingest/surfaces.py's words, not its small ones), and titles of several: "Sens. Dole and
# Byrd", "Messrs Baker and Volcker".
_TITLES = (TITLE_WORDS - {"of", "and", "for", "the"}) | {"sens", "reps", "messrs", "senators", "representatives",
                                                          "ministers"}


def _titled(text: str, start: int) -> bool:
    """Whether the name starting at `start` follows a person's title ("President", "Sen.", "Messrs")."""
    found = _WORD_BEFORE.search(text, max(0, start - 40), start)
    return found is not None and found.group(1).lower() in _TITLES


def _one_word_org(mention) -> bool:
    return mention.type == "org" and " " not in mention.text and mention.text[:1].isupper()


def _listed(mentions: list, i: int, text: str) -> bool:
    """Whether mentions[i - 1] and mentions[i] are separated by a comma only (names of a list)."""
    return i > 0 and bool(_PARTNERS_COMMA.fullmatch(text[mentions[i - 1].end:mentions[i].start]))


def _join_same_words(unit: list, text: str, firms: set[str]) -> list:
    """Two mentions (neither a place) spanning words joined as a firm elsewhere in the article: that firm."""
    out: list = []
    for mention in unit:
        if out and "place" not in (out[-1].type, mention.type) and text[out[-1].start:mention.end] in firms:
            start = out.pop().start
            mention = replace(mention, text=text[start:mention.end], start=start, type="org")
        out.append(mention)
    return out
