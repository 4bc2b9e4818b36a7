"""From entity mentions to an article's entities: one entry per real-world name.

The NER model (index/ingest/ner.py) finds mentions in the title and each
passage.  This module folds them into the article's entities:

* spellings: case, accents (Erdogan = Erdoğan), dots (U.S. = US), possessives
  ("Putin's"), a leading "the", and titles before a person's name ("Mr",
  "President", "Minister of Mines" ...: index/ingest/surfaces.py; "Mr", "Dr" ... make a
  mention a person whatever the model said);
* editorial aliases (config/aliases.toml, index/text/aliases.py);
* an acronym or a short name the article defines ("the International Monetary
  Fund (IMF)", "Petroleo Brasileiro SA (Petrobras)"), or an acronym of a full
  name the article also uses (index/ingest/acronyms.py), into the full name;
* a surname alone into the one longer person name ending so in the same article
  ("Aliyev" -> "Ilham Aliyev"), whatever type the model gave the surname
  ("Nakasone" is often an ORG to it), unless it is a gazetteer place; failing
  that, a one-word name into the one two-word person name starting so (family
  name first: "Zhao" -> "Zhao Ziyang").

A country named inside an organisation's name ("Bank of Japan", "U.S.
Treasury") is a place of the article too, and an acronym beginning one ("EC
Commission") an organisation (index/ingest/named_within.py).  The full name decides the entity's
type: a merged variant's own votes do not count.  Each entity keeps its display name (the fullest form seen, accents
kept), the forms seen, its mention count and the passages it occurs in.  Table
fragments the model takes for names ("Qtly", "Nine Mths", "SEP7") and other
non-names are dropped, and firms named after people joined (index/ingest/name_rules.py).
Merging across the archive happens when facets are counted
(index/search/catalog.py), from the evidence this leaves (index/ingest/evidence.py),
so the result does not depend on ingest order.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import replace
from typing import Sequence

from index.article import Article, Entity
from index.ingest.acronyms import definitions, is_acronym, is_acronym_of, leading_initials, letters
from index.ingest.datelines import dateline_place
from index.ingest.groups import Group, alias_key
from index.ingest.name_rules import bracketed_firms, ends_with_legal_form, is_crude_grade, is_junk, join_firm_names, join_partner_names
from index.ingest.named_within import add_named_acronyms, add_named_countries, add_press_codes
from index.ingest.surfaces import HONORIFICS, best_name, clean_surface
from index.text.aliases import Aliases, entity_key

log = logging.getLogger(__name__)

MAX_NER_CHARS = 100_000  # longest text given to the model at once (see ner_pieces)
MAX_ENTITIES = 1_000  # most entities one article keeps (a long news story names under 100)
MAX_PAIRS = 20_000  # most (acronym, name) pairs one article's acronyms are tried against (a long story: a few hundred)


def build_entities(mentions_by_unit: Sequence[Sequence], aliases: Aliases,
                   texts: Sequence[str] | None = None) -> list[Entity]:
    """Fold mentions into entities.

    `mentions_by_unit[0]` are the title's mentions and `mentions_by_unit[i]` those
    of passage i-1; each mention has `.text` and `.type`.  `texts`, the same units'
    text, lets definitions like "the International Monetary Fund (IMF)" merge.
    """
    groups: dict[str, Group] = {}
    for unit, mentions in enumerate(mentions_by_unit):
        for mention in mentions:
            kind = "person" if mention.text.split()[0].lower().rstrip(".") in HONORIFICS else mention.type
            surface = clean_surface(mention.text, kind)
            key = entity_key(surface)
            if len(key) < 2 or not any(c.isalpha() for c in key) or is_junk(key) or is_crude_grade(key, kind):
                continue
            entry = aliases.lookup(key)
            if entry:
                key = entry.key
            group = groups.setdefault(key, Group(key))
            if entry:
                group.fixed_type, group.fixed_name = entry.type, entry.name
            group.forms[surface] += 1
            group.types[kind] += 1
            group.units.add(unit)
    if len(groups) > MAX_ENTITIES:  # a pasted list or a hostile text: the merges below compare pairs
        log.warning("an article names %d entities: the %d most mentioned kept", len(groups), MAX_ENTITIES)
        kept = sorted(groups.values(), key=lambda g: (-sum(g.forms.values()), g.key))[:MAX_ENTITIES]
        groups = {group.key: group for group in kept}
    _merge_definitions(groups, texts or [], aliases)
    add_named_acronyms(groups, aliases, MAX_ENTITIES)
    _merge_acronyms(groups)
    _merge_partial_names(groups)
    _drop_firm_short_names(groups)
    _drop_common_words(groups, texts or [])
    add_named_countries(groups, aliases)
    add_press_codes(groups, texts or [], aliases)
    _drop_read_in_tables(groups, texts or [])
    entities = []
    for group in groups.values():
        entities.append(Entity(
            type=group.type,
            name=group.fixed_name or best_name(group.forms),
            key=group.key,
            forms=sorted(group.forms),
            mentions=sum(group.forms.values()),
            passages=sorted(u - 1 for u in group.units if u > 0),
        ))
    entities.sort(key=lambda e: (-e.mentions, e.name))
    return entities


_LOWER_WORD = re.compile(r"\b[a-z]+\b")


def _drop_common_words(groups: dict[str, Group], texts: Sequence[str]) -> None:
    """A one-word "person" the article also writes in lower case is a common word that the model read as a
    name where a sentence starts ("Coffee does not need much water", "Said" in a headline's case): no
    entity.  A surname that names a person in full in the article was merged before this."""
    lower = set(_LOWER_WORD.findall(" ".join(texts))) if texts else set()
    for key in [key for key, group in groups.items() if key in lower and group.type == "person"
                and not group.fixed_name]:
        del groups[key]


CAPITALS_SHARE, CAPITALS_LETTERS = 0.9, 50  # a passage of at least 50 letters, 90% of them capitals
TABLE_SHARE = 0.12  # and under 12% of its words the words of a sentence: a table, not a telex's prose
_SENTENCE_WORDS = frozenset("the of and to in said a for on is was it that by with as at from be has have will would "
                            "its an this which are were".split())
_WORDS = re.compile(r"[^\W\d_]+")


def _table_in_capitals(text: str) -> bool:
    """A passage all in capitals that is no prose: a table of prices, a list of towns and rainfall.
    (A telex's prose in capitals still reads as sentences, and the model finds its names.)"""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < CAPITALS_LETTERS or sum(c.isupper() for c in letters) < CAPITALS_SHARE * len(letters):
        return False
    words = _WORDS.findall(text)
    return sum(w.lower() in _SENTENCE_WORDS for w in words) < TABLE_SHARE * len(words)


def _drop_read_in_tables(groups: dict[str, Group], texts: Sequence[str]) -> None:
    """A name found only in tables written all in capitals (market prices, a crop report's towns), never
    written in lower case, and unknown to the aliases, is the gazetteer's place or no entity: the model
    reads such text by its capitals, and every town of a rainfall table ("CATANDUVA", "PRESIDENTE
    PRUDENTE NIL") came out an organisation, every column head ("NY SUGAR", "CME HOGS") a name.  A
    code there ("AUS", "IRL", "TTL") is a column, not a place.  The headline counts as a table when
    every passage is one."""
    from index.ingest.place_names import place_names

    tables = {unit for unit, text in enumerate(texts) if unit and _table_in_capitals(text)}
    if not tables:
        return
    if len(tables) == len(texts) - 1:
        tables.add(0)
    for key, group in list(groups.items()):
        if group.units <= tables and not group.fixed_name and not any(c.islower() for f in group.forms for c in f):
            dotted = any("." in form for form in group.forms)  # "U.S.": how the press writes a country
            place = place_names().lookup(key) if len(key) > 3 or dotted else None  # "TTL", "JOS": a column's code
            if place is None or place.is_code and not dotted:
                del groups[key]
            else:  # the gazetteer's place, whatever the model made of it
                group.fixed_type = "place"


def _merge(groups: dict[str, Group], short: Group, full: Group) -> None:
    full.absorb(short)
    del groups[short.key]


def _merge_definitions(groups: dict[str, Group], texts: Sequence[str], aliases: Aliases) -> None:
    """"Full Name (SHORT)" in the text: the short name's entity joins the full name's."""
    for text in texts:
        for full_text, short_text in definitions(text):
            short = groups.get(alias_key(short_text, aliases))
            words = full_text.split()
            # The capitalised run may start before the name the model found ("Brazil's Petroleo ...").
            full = next((groups[k] for k in (alias_key(" ".join(words[i:]), aliases) for i in range(len(words)))
                         if k in groups), None)
            # "Citicorp Investment Bank (Singapore)" names a place, not the bank's short name.
            if short and full and short is not full and not short.fixed_name and full.type == "org" \
                    and short.type != "place":
                _merge(groups, short, full)


def _merge_acronyms(groups: dict[str, Group]) -> None:
    """An acronym joins the one organisation or place of this article whose initials it is ("IMF")."""
    from index.ingest.place_names import place_names

    budget = MAX_PAIRS
    by_initial: dict[str, list[Group]] = {}  # the names an acronym can stand for, by its first letter
    for group in [g for g in groups.values() if g.type != "person" and len(g.key.split()) > 1]:
        for initial in set().union(*(leading_initials(f) for f in group.forms)):
            by_initial.setdefault(initial, []).append(group)
    for short in [g for g in groups.values() if g.type != "person" and not g.fixed_name]:
        forms = [f for f in short.forms if is_acronym(f)]
        if not forms or short.key not in groups or any(" " in f and not is_acronym(f) for f in short.forms):
            continue  # a full name that took in its acronym ("European Community (EC)") is no acronym itself
        # "US" is the country, not "United Steelworkers": a country code joins only a place.
        is_country = place_names().lookup(short.key) is not None
        candidates = list({id(g): g for f in forms for g in by_initial.get(letters(f)[:1], ())}.values())
        budget -= len(forms) * sum(len(g.forms) for g in candidates)
        if budget < 0:  # a hostile text of a thousand acronyms: the rest stay as they are
            log.warning("an article's acronyms were compared with %d names: the rest are left unmerged", MAX_PAIRS)
            return
        full = [g for g in candidates if g is not short and g.key in groups and (g.type == "place" or not is_country)
                and any(is_acronym_of(a, f) for a in forms for f in g.forms)]
        if len(full) == 1:
            _merge(groups, short, full[0])


def _merge_partial_names(groups: dict[str, Group]) -> None:
    """Merge "Aliyev" into "Ilham Aliyev" when that is the one longer person name ending so.

    The short name may have any type from the model ("Nakasone" is often an ORG
    to it), but a gazetteer place stays a place ("Jordan" beside "Michael Jordan").
    """
    from index.ingest.place_names import place_names

    people = [g for g in groups.values() if g.type == "person"]
    candidates = [g for g in groups.values() if not g.fixed_name
                  and (g.type != "place" or place_names().lookup(g.key) is None)]
    for short in sorted(candidates, key=lambda g: len(g.key.split())):
        words = short.key.split()
        longer = [g for g in people if g is not short and g.key in groups and len(g.key.split()) > len(words)
                  and g.key.split()[-len(words):] == words]
        # Only the longest candidates count: "Erdogan" -> "Recep Tayyip Erdogan", not "Tayyip Erdogan".
        if not longer and len(words) == 1:  # a family name written first: "Zhao" for Zhao Ziyang
            longer = [g for g in people if g is not short and g.key in groups and g.key.split()[0] == words[0]
                      and len(g.key.split()) == 2 and any(" " in f for f in g.forms)]  # not "Reagan-Gorbachev"
        if longer and short.key in groups:
            top = max(len(g.key.split()) for g in longer)
            longest = [g for g in longer if len(g.key.split()) == top]
            if len(longest) == 1:
                _merge(groups, short, longest[0])


def _drop_firm_short_names(groups: dict[str, Group]) -> None:
    """A one-word "person" that is the first word of the one company of the article named after it ("Harris
    Associates L.P. ... Harris said it sold", "Brown Group Inc ... Brown's assets") is that company's short
    name, not a person: dropped (the company is an entity of the article already).  Not merged into it:
    elsewhere "Harris" is a poll, a bank or an analyst, and a merge here would tell the catalog that every
    "Harris" of the archive is this company.  A surname of a person named in full was merged before this."""
    firms: dict[str, list[Group]] = {}
    for group in groups.values():
        words = group.key.split()
        if group.type == "org" and len(words) > 1 and any(ends_with_legal_form(f) for f in group.forms):
            while len(words) > 2 and len(words[0]) <= 2:  # initials first: "E.F. Hutton and Co" is Hutton's
                words = words[1:]
            firms.setdefault(words[0], []).append(group)
    for short in [g for g in groups.values() if g.type == "person" and " " not in g.key and not g.fixed_name]:
        if len(firms.get(short.key, ())) == 1:
            firms[short.key][0].units |= short.units
            del groups[short.key]


def _is_title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha() and len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def ner_pieces(text: str, limit: int = MAX_NER_CHARS) -> list[str]:
    """`text` cut into pieces of at most `limit` characters, at a space where there is one.

    spaCy refuses a text over `nlp.max_length` (error E088, 1,000,000
    characters) and needs about 1 GB of memory per 100,000 characters for the
    parser; passages are short, but a "sentence" with no full stop can be long.
    """
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


# spaCy's tokenizer takes quadratic time on a long run of one punctuation mark ("!" x 20,000: 50 s).
_PUNCTUATION_RUN = re.compile(r"([^\w\s])\1{9,}+")


def calm_runs(text: str) -> str:
    """`text` with each run of ten or more of one punctuation mark made one mark and spaces: the same
    length, so the model's offsets are the text's (a run of dashes or dots is no name's part)."""
    return _PUNCTUATION_RUN.sub(lambda m: m.group(1) + " " * (len(m.group()) - 1), text)


def extract_entities(articles: Sequence[Article], aliases: Aliases, n_process: int = 1) -> None:
    """Run NER over every article's title and passages and set `article.entities`.

    One model call for the whole batch (the model batches internally, and uses
    `n_process` processes), then the mentions are regrouped per article.  A
    unit longer than MAX_NER_CHARS goes to the model in pieces (`ner_pieces`).
    """
    from index.ingest.ner import extract_mentions, surnames_across_article  # lazy: loading the model takes a second

    texts: list[str] = []
    unit_texts: list[str] = []  # each unit whole, for definitions like "the International Monetary Fund (IMF)"
    pieces_per_unit: list[int] = []
    piece_starts: list[int] = []  # where each piece starts in its unit: the mentions' offsets become the unit's
    units_per_article: list[int] = []
    for article in articles:
        # A Title Case headline reads as a string of names to the model ("Ceasefire Efforts"
        # as an org); its real entities recur in the text, so it is skipped.
        title = "" if _is_title_case(article.title) else article.title
        units = [title] + [p.text for p in article.passages]
        units_per_article.append(len(units))
        unit_texts.extend(units)
        for unit in units:
            pieces = ner_pieces(calm_runs(unit))
            pieces_per_unit.append(len(pieces))
            texts.extend(pieces)
            piece_starts.extend(itertools.accumulate((len(p) for p in pieces[:-1]), initial=0))
    mentions = extract_mentions(texts, n_process=n_process, batch_size=32) if texts else []
    found = iter([replace(m, start=m.start + at, end=m.end + at)
                  for m in join_firm_names(text, bracketed_firms(text, of_text))]
                 for text, of_text, at in zip(texts, mentions, piece_starts))
    by_unit = [[m for _ in range(n) for m in next(found)] for n in pieces_per_unit]
    start = 0
    for article, count in zip(articles, units_per_article):
        texts_of = unit_texts[start:start + count]
        units = join_partner_names(surnames_across_article(by_unit[start:start + count]), texts_of)
        article.entities = build_entities(units, aliases, texts_of)
        drop_own_source(article, aliases)
        add_dateline_place(article, aliases)  # stated, so kept when the enricher extracts again
        start += count


def drop_own_source(article: Article, aliases: Aliases) -> None:
    """An outlet naming itself ("told Reuters", "a Reuters survey", the "Reuter" sign-off) is not an
    organisation its story is about: it topped the organisation facet of most searches over Reuters
    (in 939 articles).  Its source is a facet of its own; another outlet's story naming it keeps it."""
    if not article.source:
        return
    key = entity_key(article.source)
    entry = aliases.lookup(key)
    own = {key, entry.key} if entry else {key}
    article.entities = [e for e in article.entities if not (e.type == "org" and e.key in own)]


def add_dateline_place(article: Article, aliases: Aliases) -> None:
    """Make the place of the article's dateline one of its place entities (merged if already found)."""
    if not article.dateline:
        return
    name = dateline_place(article.dateline)
    key = entity_key(name)
    if len(key) < 2:
        return
    entry = aliases.lookup(key)
    if entry:
        key, name = entry.key, entry.name
    for entity in article.entities:
        if entity.key == key:
            if name not in entity.forms:
                entity.forms = sorted({*entity.forms, name})
            return
    article.entities.append(Entity(type=entry.type if entry else "place", name=name, key=key, forms=[name],
                                   mentions=1, passages=[]))
