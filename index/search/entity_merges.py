"""The rules that join entity keys across the archive, each join with its reason.

Input: per key, how many documents gave it each type (the `person` / `org` /
`place` fields), and the evidence articles left (index/ingest/evidence.py).
Output: `Merged`: every key's canonical key, why it was joined, and each
canonical entity's type (with why) and display name.  In order:

1. **Editorial aliases** (config/aliases.toml): a name in an entry joins the entry,
   whose name and type are final.
2. **Gazetteer** (index/ingest/place_names.py): a country's names and codes join
   the country ("U.S.", "USA", "United States of America" -> United States;
   "Russian Federation" -> Russia; "Republic of Armenia" -> Armenia); a country's or a
   continent's own name is a place whatever the model said ("Asia" is no organisation).  Codes and
   city alternate names join only when most mentions call them a place; a city
   or region the model calls a person is a place when its name has two words or
   the city a million people ("Bandar Abbas").  Gazetteer places are places.
3. **Company suffix** (index/search/company_merges.py): a name ending in a legal form is an
   organisation ("Heineken NV"), and "Aramco Corp" joins "Aramco" and makes it one.
   **Country name first**: "U.S. Treasury" joins "Treasury" where the stories that
   name the organisation after a country name that one country (AGREEMENT).
4. **Small words, endings, spelled-out acronyms**: organisations whose names
   differ only in small words or word endings are one ("Organisation of/for
   Economic Cooperation and Development", "Food and Agriculture/Agricultural
   Organisation"), as are "U.N. Conference on Trade and Development" and "United
   Nations Conference ...".
5. **Acronyms and short names** learned in articles ("IMF" defined as or used
   beside "International Monetary Fund"; "Petrobras" defined as "Petroleo
   Brasileiro SA"): the variant joins the full name (never a person's: see 6)
   when at least 4/5 of the articles that expand it agree ("ADB" is the Asian
   and the African Development Bank: it stays alone).  Then a name seen once
   that ends with an organisation's name seen RARE_RATIO times as often is that
   organisation ("Paris based Organisation for ..."), and a name of three words
   or more that ends one organisation's name only (seen in 2+ articles) is that
   organisation ("Economic Cooperation and Development", a cut span).
6. **People's names** (index/search/person_merges.py): middle initials, rare
   longer forms, surnames in a comparable context, family names written first.

A variant's own type votes do not count for its entity (the full name decides:
"Nakasone" as ORG does not make Yasuhiro Nakasone an organisation); otherwise an
entity's type is the majority of its mentions, except that an acronym no
gazetteer knows is not a place ("GATT", often a place to the model).  A person
entity is named by its longest full name seen in at least half as many
articles as the most frequent one ("Ronald Reagan", not "Represenative Clayton
Yeutter").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

from whoosh.lang.porter import stem as porter_stem

from index.ingest.acronyms import SMALL_WORDS, is_acronym, is_acronym_of
from index.ingest.surfaces import best_name
from index.ingest.evidence import Evidence
from index.ingest.place_names import place_names
from index.search.company_merges import CompanyRules
from index.search.person_merges import RARE_RATIO, PersonRules
from index.text.aliases import Aliases

RULES_VERSION = 18  # bump when a rule changes what joins, an entity's type, name or reasons (18: a firm named
#                   with its possessive ("Standard and Poor's Corp") is shown with it; 17: a second person of a
#                   surname needs a tenth of the first's articles, not 2%; 16: a name the model
#                   typed otherwise is a person's surname on two articles' word and 30% of its uses; 13: "Poor's Corp"
#                   is Standard and Poor; 14: no name after "and" is the end of a longer one; `git log -G "RULES_VERSION ="`)
AGREEMENT = 0.8  # share of an acronym's expansions that must agree
_AND = frozenset({"and", "&"})
MERGE_RULES = ("alias", "gazetteer", "company suffix", "acronym", "short name", "middle initial", "surname",
               "family name", "small words", "rare longer form")
_VARIANT_RULES = frozenset({"acronym", "short name", "surname", "family name"})  # their own type votes do not count


@dataclass
class Merged:
    canonical: dict[str, str] = field(default_factory=dict)  # key -> canonical key
    why: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (rule, detail), joined keys only
    type_of: dict[str, str] = field(default_factory=dict)  # canonical key -> type
    type_why: dict[str, str] = field(default_factory=dict)  # canonical key -> why that type
    votes: dict[str, Counter] = field(default_factory=dict)  # canonical key -> type votes counted
    display: dict[str, str] = field(default_factory=dict)  # canonical key -> name


stem = lru_cache(maxsize=1 << 16)(porter_stem)


def majority(votes: Mapping[str, int] | None) -> str | None:
    if not votes:
        return None
    return max(sorted(votes), key=lambda t: votes[t])


class Merger:
    """Applies the module's rules in order (one instance per catalog build)."""

    def __init__(self, type_counts: Mapping[str, Mapping[str, int]], evidence: Evidence, aliases: Aliases):
        self.type_counts = type_counts
        self.evidence = evidence
        self.aliases = aliases
        self.parent: dict[str, str] = {k: k for k in type_counts}
        self.why: dict[str, tuple[str, str]] = {}
        self.fixed: dict[str, tuple[str, str, str]] = {}  # root -> (type, name, why)
        self.org_evidence: dict[str, str] = {}  # root -> the company-suffixed name that makes it an org
        self._majority: dict[str, str | None] = {}

    # -- union-find ----------------------------------------------------------------------------

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, key: str, into: str, rule: str, detail: str) -> None:
        root, target = self.find(key), self.find(into)
        if root == target:
            return
        self.parent[root] = target
        self.why[key] = (rule, detail)
        if root != key and root not in self.why:
            self.why[root] = (rule, detail)
        if root in self.fixed and target not in self.fixed:
            self.fixed[target] = self.fixed.pop(root)
        if root in self.org_evidence:
            self.org_evidence.setdefault(target, self.org_evidence.pop(root))

    def is_fixed(self, key: str) -> bool:
        return self.find(key) in self.fixed

    # -- rules -----------------------------------------------------------------------------------

    def run(self) -> Merged:
        keys = sorted(self.type_counts)
        self.aliases_rule(keys)
        self.gazetteer_rule(keys)
        CompanyRules(self).run(keys)
        self.country_name_rule(keys)
        self.small_words_rule(keys)
        self.spelled_out_rule(keys)
        self.acronym_rule()
        self.truncated_name_rule(keys)
        PersonRules(self).run(keys)
        return self.result()

    def aliases_rule(self, keys: list[str]) -> None:
        source = self.aliases.path.name if self.aliases.path else "the alias file"
        for key in keys:
            entry = self.aliases.lookup(key)
            if entry:
                self.fixed.setdefault(entry.key, (entry.type, entry.name, f"editorial alias file ({source})"))
                if entry.key != key:
                    self.join(key, entry.key, "alias", f"{source} lists it as a name of {entry.name}")

    def gazetteer_rule(self, keys: list[str]) -> None:
        if not keys:
            return  # an archive without entities need not read the gazetteer
        places = place_names()
        for key in keys:
            if self.is_fixed(key) or (place := places.lookup(key)) is None:
                continue
            kind = self.majority(key)
            is_own_name = place.key == key
            if place.kind in ("country", "continent") and not place.is_code:
                allowed = True
            elif place.is_code or not is_own_name:
                allowed = kind == "place"
            else:
                allowed = kind == "place" or (kind == "person" and (len(key.split()) > 1 or place.population >= 1_000_000
                                                                    or place.kind == "region"))
            if not allowed:
                continue
            if place.key not in self.fixed:
                self.fixed[place.key] = ("place", place.name, f"gazetteer: {place.why}")
            if not is_own_name:
                self.join(key, place.key, "gazetteer", place.why)

    def country_name_rule(self, keys: list[str]) -> None:
        """"U.S. Treasury" is the archive's "Treasury" when the organisation is named after one
        country in at least AGREEMENT of the articles naming it with a country first, and no less
        often without one: the country is how the stories say which Treasury they mean."""
        orgs = {k for k in keys if self.majority(k) == "org" and not self.is_fixed(k)}
        places = place_names()
        named: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # org -> country -> keys
        for key in orgs:
            words = key.split()
            for cut in (1, 2):
                rest = " ".join(words[cut:])
                place = places.lookup(" ".join(words[:cut])) if rest in orgs else None
                if place is not None and place.kind == "country":
                    named[rest][place.key].append(key)
        articles = self.evidence.articles
        for rest, by_country in sorted(named.items()):
            counts = {country: sum(articles(k) for k in found) for country, found in by_country.items()}
            country, top = max(counts.items(), key=lambda item: (item[1], item[0]))
            total = sum(counts.values())
            if top < AGREEMENT * total or articles(rest) < top:
                continue
            for key in by_country[country]:
                self.join(key, rest, "country name", f"{self.name_of(key)} is the {self.name_of(rest)} of "
                          f"{top} of the {total} article(s) naming it after a country")

    def name_of(self, key: str) -> str:
        names = self.evidence.names.get(key)
        return best_name(names) if names else key

    def acronym_rule(self) -> None:
        for variant, targets in sorted(self.evidence.links.items()):
            if variant not in self.type_counts or self.is_fixed(variant) or self.find(variant) != variant:
                continue
            short = self.name_of(variant)
            by_root: dict[str, Counter] = defaultdict(Counter)
            for target, count in targets.items():
                if target == variant or self.is_person(target):  # people: the surname rule's business
                    continue
                by_root[self.find(target)][target] += count
            if not by_root:
                continue
            total = sum(sum(c.values()) for c in by_root.values())
            root, found = max(by_root.items(), key=lambda item: (sum(item[1].values()), item[0]))
            agreeing = sum(found.values())
            if agreeing < AGREEMENT * total or root == self.find(variant):
                continue
            target = found.most_common(1)[0][0]
            full = self.name_of(target)
            rule = "acronym" if is_acronym(short) else "short name"
            what = "its acronym" if rule == "acronym" else "a short name for it"
            self.join(variant, target, rule, f"{agreeing} article(s) use {short} as {what} ({full})"
                      + (f"; {total - agreeing} another" if total > agreeing else ""))

    def small_words_rule(self, keys: list[str]) -> None:
        """Organisations whose names differ only in small words or word endings are one:
        "Organisation of/for Economic ...", "Food and Agriculture/Agricultural Organisation"."""
        by_words: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            words = key.split()
            if len(words) > 2 and self.majority(key) == "org" and not self.is_fixed(key):
                by_words[" ".join(stem(w) for w in words if w not in SMALL_WORDS)].append(key)
        for same in by_words.values():
            if len(same) > 1:
                top = max(same, key=lambda k: (self.evidence.articles(k), k))
                for key in same:
                    if key != top:
                        self.join(key, top, "small words", f"the same name as {self.name_of(top)} but for small "
                                  "words or word endings")

    def spelled_out_rule(self, keys: list[str]) -> None:
        """"U.N. Conference on Trade ..." is "United Nations Conference on Trade ...": an organisation's
        name starting with an acronym is the one name starting with its words spelled out."""
        orgs = [k for k in keys if len(k.split()) > 2 and self.majority(k) == "org" and not self.is_fixed(k)]
        by_tail: dict[str, list[str]] = defaultdict(list)
        for key in orgs:
            words = key.split()
            for cut in range(2, len(words) - 1):
                by_tail[" ".join(words[cut:])].append(key)
        for key in orgs:
            first = self.name_of(key).split()[0]
            if not is_acronym(first):
                continue
            tail = " ".join(key.split()[1:])
            spelled = {self.find(k) for k in by_tail.get(tail, ())
                       if is_acronym_of(first, " ".join(self.name_of(k).split()[:len(k.split()) - len(tail.split())]))}
            if len(spelled) == 1 and self.find(key) not in spelled:
                target = next(k for k in by_tail[tail] if self.find(k) in spelled)
                self.join(key, target, "acronym", f"{first} spelled out: {self.name_of(target)}")

    def truncated_name_rule(self, keys: list[str]) -> None:
        """"Economic Cooperation and Development" (a cut span) is the one longer organisation ending so,
        once the rare longer forms ("Paris based Organisation for ...", seen once) are joined; not a name after
        "and" and a known organisation ("Moody's and Standard and Poor" names two) nor letters ("S and P")."""
        orgs = [k for k in keys if self.majority(k) == "org" and not self.is_fixed(k)]
        known = set(orgs)
        for key in orgs:  # first the rare longer forms: "Paris based Organisation for Economic ..."
            words = key.split()
            if self.evidence.articles(key) != 1:
                continue
            tail = next((" ".join(words[i:]) for i in range(1, len(words) - 2) if " ".join(words[i:]) in known), None)
            if tail and self.evidence.articles(tail) >= RARE_RATIO:
                self.join(key, tail, "rare longer form", f"seen once, with words before a name seen in "
                          f"{self.evidence.articles(tail)} articles")
        ending: dict[tuple[str, ...], set[str]] = defaultdict(set)
        named_orgs = known | {k for k in keys if self.is_fixed(k) and self.fixed[self.find(k)][0] == "org"}
        for key in orgs:
            words = tuple(key.split())
            for start in range(1, len(words) - 2):
                head = " ".join(words[:start - 1])
                if words[start - 1] not in _AND or not ({head, head.removesuffix("'s")} & named_orgs):
                    ending[words[start:]].add(key)  # "Moody's and Standard and Poor" names two: neither is its end
        for key in orgs:
            if all(len(w) == 1 or w in _AND for w in key.split()):
                continue  # "S and P" is an acronym (the acronym rule's), not a cut name
            longer = {self.find(k) for k in ending.get(tuple(key.split()), ())}
            if len(longer) == 1 and self.find(key) != next(iter(longer)):
                full = max(ending[tuple(key.split())], key=lambda k: (self.evidence.articles(k), k))
                if self.evidence.articles(full) >= 2:
                    self.join(key, full, "short name", f"the end of one organisation's name only ({self.name_of(full)})")

    def is_person(self, key: str) -> bool:
        fixed = self.fixed.get(self.find(key))
        return fixed[0] == "person" if fixed else self.majority(key) == "person"

    def majority(self, key: str) -> str | None:
        found = self._majority.get(key, "")
        if found == "":
            found = self._majority[key] = majority(self.type_counts.get(key))
        return found

    def is_place_name(self, key: str) -> bool:
        """A gazetteer place or an editorial place: never a person's surname."""
        fixed = self.fixed.get(self.find(key))
        return (fixed is not None and fixed[0] == "place") or place_names().lookup(key) is not None

    # -- the result --------------------------------------------------------------------------------

    def named_by_last_word(self, root: str, members: list[str]) -> bool:
        """Whether articles name it by its last word alone ("Sprinkel" for Beryl Sprinkel, whom the model
        mostly calls a place): a person's surname does that; a place the gazetteer does not know, hardly."""
        last = root.split()[-1]
        return " " in root and last in members and self.why.get(last, ("",))[0] in ("short name", "surname")

    def result(self) -> Merged:
        groups: dict[str, list[str]] = defaultdict(list)
        for key in list(self.parent):
            groups[self.find(key)].append(key)
        merged = Merged()
        for root, members in groups.items():
            votes = Counter()
            for key in members:
                if key == root or self.why.get(key, ("",))[0] not in _VARIANT_RULES:
                    votes.update(self.type_counts.get(key, {}))
            if not votes:  # only variants: theirs is all there is
                for key in members:
                    votes.update(self.type_counts.get(key, {}))
            canonical = root
            if root in self.fixed:
                type_, name, type_why = self.fixed[root]
            elif root in self.org_evidence:  # a suffixed name joined to it, or one it begins (person_merges)
                why = "company suffix" if self.find(self.org_evidence[root]) == root else "begins a company's name"
                type_, type_why = "org", f"{why} ({self.name_of(self.org_evidence[root])})"
                name = self.possessive_name(self.name_of(root), members)
            else:
                type_ = majority(votes) or "person"
                type_why = "majority of mentions (" + ", ".join(f"{t} {n}" for t, n in votes.most_common()) + ")"
                if type_ == "place" and is_acronym(self.name_of(root)):  # "GATT": no gazetteer place is an acronym
                    type_, type_why = "org", f"an acronym no gazetteer knows as a place; {type_why}"
                elif type_ == "place" and self.named_by_last_word(root, members):
                    type_, type_why = "person", f"its last word alone names it, as a surname does; {type_why}"
                if type_ == "person":
                    canonical = self._person_key(root, members)
                name = self.name_of(canonical)
            for key in members:
                merged.canonical[key] = canonical
            for key in members:
                if key in self.why:
                    merged.why[key] = self.why[key]
            if canonical != root:  # renamed: the old root is now a variant, joined by the same rule
                merged.why.setdefault(root, merged.why.pop(canonical, ("surname", "a shorter form of the name")))
            merged.type_of[canonical], merged.type_why[canonical] = type_, type_why
            merged.votes[canonical], merged.display[canonical] = votes, name
        return merged

    def possessive_name(self, name: str, members: list[str]) -> str:
        """"Standard and Poor's" when a joined name reads "Standard and Poor's Corp": a key drops the "'s", the
        firm's name keeps it (and the name shown still resolves to the key)."""
        own = (name + "'s ").lower()
        named = (n.lower().replace("\u2019", "'") for k in members for n in self.evidence.names.get(k, ()))
        return name + "'s" if any(n.startswith(own) for n in named) else name

    def _person_key(self, root: str, members: list[str]) -> str:
        """The longest full name seen in at least half as many articles as the most frequent one."""
        full = [k for k in members if len(k.split()) > 1 and k in self.evidence.names] or [root]
        most = max(self.evidence.articles(k) for k in full)
        return max((k for k in full if self.evidence.articles(k) * 2 >= most),
                   key=lambda k: (len(k.split()), self.evidence.articles(k), k))
