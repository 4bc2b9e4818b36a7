"""The rules that join entity keys across the archive, each join with its reason.

Input: per key, how many documents gave it each type (the `person` / `org` /
`place` fields), and the evidence articles left (index/ingest/evidence.py).
Output: `Merged`: every key's canonical key, why it was joined, and each
canonical entity's type (with why) and display name.  In order:

1. **Editorial aliases** (config/aliases.toml): a name in an entry joins the entry,
   whose name and type are final.
2. **Gazetteer** (index/ingest/place_names.py): a country's names and codes join
   the country ("U.S.", "USA", "United States of America" -> United States;
   "Russian Federation" -> Russia; "Republic of Armenia" -> Armenia).  Codes and
   city alternate names join only when most mentions call them a place; a city
   or region the model calls a person is a place when its name has two words or
   the city a million people ("Bandar Abbas").  Gazetteer places are places.
3. **Company suffix**: "Aramco Corp" joins "Aramco" and makes it an organisation.
4. **Acronyms and short names** learned in articles ("IMF" defined as or used
   beside "International Monetary Fund"; "Petrobras" defined as "Petroleo
   Brasileiro SA"): the variant joins the full name (never a person's: that is
   rule 5) when at least 4/5 of the articles that expand it agree ("ADB" is the Asian and the African Development
   Bank: it stays alone).
5. **Surnames** (and shorter forms of a name): a key joins a longer person name
   ending with its words when that is the only such name (seen in at least
   MIN_FULL_NAME_ARTICLES articles) in a comparable context, and at least
   COMPARABLE_SHARE of the articles naming it alone are in that context.  An
   article's context is its period (publication year +-1; undated matches any)
   and its most-mentioned organisations and places: comparable when one of
   them was also named with the full name in that period.  "Nicol" of a
   Karabakh story (2020) never becomes "Peter Nicol" of OPEC stories (1987), and
   since a key is one entity archive-wide, a "Nicol" used in both kinds of story
   stays apart from both; "Baker" stays alone beside James and Howard Baker.  A
   key the model mostly types as an organisation ("Nakasone") joins only if
   articles used it as that person's surname in at least SURNAME_SHARE of its
   uses; a place never joins.  "Ivan F. Boesky" is "Ivan Boesky" (a middle
   initial); a family name written first joins its person ("Zhao" -> Zhao
   Ziyang) only where articles used it so, in SURNAME_SHARE of its uses.

A variant's own type votes do not count for its entity (the full name decides:
"Nakasone" as ORG does not make Yasuhiro Nakasone an organisation); otherwise an
entity's type is the majority of its mentions.  A person entity is named by its
longest full name seen in at least half as many articles as the most
frequent one ("Ronald Reagan", not "Represenative Clayton Yeutter").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Mapping

from index.ingest.acronyms import is_acronym
from index.ingest.entities import best_name
from index.ingest.evidence import Evidence
from index.ingest.place_names import place_names
from index.text.aliases import Aliases

MIN_FULL_NAME_ARTICLES = 2
AGREEMENT = 0.8  # share of an acronym's expansions that must agree
SURNAME_SHARE = 0.2  # share of an org-typed key's uses that must be as a person's surname
COMPARABLE_SHARE = 0.8  # share of a surname's articles that must share the full name's context
COMPANY_SUFFIXES = frozenset("corp co inc ltd plc sa ag nv corporation company limited llc spa bv gmbh cos".split())
MERGE_RULES = ("alias", "gazetteer", "company suffix", "acronym", "short name", "middle initial", "surname",
               "family name")
_VARIANT_RULES = frozenset({"acronym", "short name", "surname", "family name"})  # their own type votes do not count


@dataclass
class Merged:
    canonical: dict[str, str] = field(default_factory=dict)  # key -> canonical key
    why: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (rule, detail), joined keys only
    type_of: dict[str, str] = field(default_factory=dict)  # canonical key -> type
    type_why: dict[str, str] = field(default_factory=dict)  # canonical key -> why that type
    votes: dict[str, Counter] = field(default_factory=dict)  # canonical key -> type votes counted
    display: dict[str, str] = field(default_factory=dict)  # canonical key -> name


def majority(votes: Mapping[str, int] | None) -> str | None:
    if not votes:
        return None
    return max(sorted(votes), key=lambda t: votes[t])


def _years_match(a: str, b: str) -> bool:
    return a == "-" or b == "-" or (a.isdigit() and b.isdigit() and abs(int(a) - int(b)) <= 1)


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
        self.suffix_rule(keys)
        self.acronym_rule()
        self.surname_rule(keys)
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
        places = place_names()
        for key in keys:
            if self.is_fixed(key):
                continue
            place = places.lookup(key)
            if place is None:
                continue
            kind = majority(self.type_counts.get(key))
            is_own_name = place.key == key
            if place.kind == "country" and not place.is_code:
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

    def suffix_rule(self, keys: list[str]) -> None:
        known = set(self.type_counts)
        for key in keys:
            words = key.split()
            cut = len(words)
            while cut > 1 and words[cut - 1] in COMPANY_SUFFIXES:
                cut -= 1
            base = " ".join(words[:cut])
            if cut == len(words) or base not in known or self.is_fixed(base) or self.is_fixed(key):
                continue
            self.join(key, base, "company suffix", f"{base} with a company suffix")
            self.org_evidence.setdefault(self.find(base), key)

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
                if target == variant or self._is_person(target):  # people: the surname rule's business
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

    def surname_rule(self, keys: list[str]) -> None:
        full_names = [k for k in keys if len(k.split()) > 1 and self._is_person(k)]
        ending: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for key in full_names:
            words = tuple(key.split())
            for start in range(1, len(words)):
                ending[words[start:]].append(key)
        for key in full_names:  # "Ivan F. Boesky" is "Ivan Boesky"
            words = key.split()
            plain = " ".join(w for i, w in enumerate(words) if len(w) > 1 or i in (0, len(words) - 1))
            if plain != key and plain in self.type_counts and self._is_person(plain) and not self.is_fixed(key):
                self.join(key, plain, "middle initial", f"{self.name_of(key)} is {self.name_of(plain)} with a middle initial")
        starting: dict[str, list[str]] = defaultdict(list)  # "zhao" -> ["zhao ziyang"]: family name first
        for key in full_names:
            if len(key.split()) == 2:
                starting[key.split()[0]].append(key)
        contexts = self._group_contexts(full_names)
        for short in sorted(keys, key=lambda k: (-len(k.split()), k)):
            if self.find(short) != short or self.is_fixed(short):
                continue
            roots: dict[str, list[str]] = defaultdict(list)
            for full in ending.get(tuple(short.split()), []):
                if self.find(full) != short and self.evidence.articles(full) >= MIN_FULL_NAME_ARTICLES:
                    roots[self.find(full)].append(full)
            kind = majority(self.type_counts[short])
            if kind == "place":
                continue
            if not roots:  # "Zhao" for Zhao Ziyang: only where articles used it so
                firsts = {self.find(f): [f] for f in starting.get(short, []) if self.find(f) != short}
                if firsts:
                    self._join_by_use(short, firsts, kind, "family name")
                continue
            if kind == "person":
                self._join_by_context(short, roots, contexts)
            else:
                self._join_by_use(short, roots, kind)

    def _join_by_context(self, short: str, roots: dict[str, list[str]], contexts) -> None:
        """Join the one full name whose context the surname's articles share (see the module docstring)."""
        comparable: Counter = Counter()
        example: dict[str, tuple[str, str]] = {}
        total = 0
        for (year, others), count in self.evidence.contexts.get(short, {}).items():
            total += count
            for root in roots:
                shared = self._shared(year, others, contexts.get(root, {}))
                if shared:
                    comparable[root] += count
                    example.setdefault(root, shared)
        if len(comparable) != 1:
            return  # none, or two people of that name in comparable stories ("Baker")
        root, count = comparable.most_common(1)[0]
        if count < COMPARABLE_SHARE * total:
            return  # the name is also used in unrelated stories: one key cannot mean both
        full = max(roots[root], key=lambda f: (self.evidence.articles(f), f))
        year, other = example[root]
        self.join(short, full, "surname", f"the only full name ending so in a comparable context: {count} of its "
                  f"{total} articles share one ({year}, with {self.name_of(other)})")

    def _join_by_use(self, short: str, roots: dict[str, list[str]], kind: str, what: str = "surname") -> None:
        """Join a person only if articles used this name as that person's surname (or family name)."""
        links = self.evidence.links.get(short, {})
        used = {f: links[f] for fulls in roots.values() for f in fulls if links.get(f)}
        if len({self.find(f) for f in used}) != 1:
            return
        count, uses = sum(used.values()), self.evidence.articles(short) + sum(links.values())
        if count >= SURNAME_SHARE * uses:
            full = max(used, key=lambda f: (used[f], f))
            self.join(short, full, what, f"used as the {what} of {self.name_of(full)} in {count} of its "
                      f"{uses} articles (the model mostly typed it {kind})")

    def _is_person(self, key: str) -> bool:
        fixed = self.fixed.get(self.find(key))
        return fixed[0] == "person" if fixed else majority(self.type_counts.get(key)) == "person"

    def _group_contexts(self, full_names: list[str]) -> dict[str, dict[str, set[str]]]:
        """Canonical root of every full name -> other entity (canonical) -> years named together."""
        grouped: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for key in full_names:
            for year, others in self.evidence.contexts.get(key, {}):
                for other in others:
                    grouped[self.find(key)][self.find(other)].add(year)
        return grouped

    def _shared(self, year: str, others, theirs: dict[str, set[str]]) -> tuple[str, str] | None:
        """(year, other entity) shared by one article's context and a full name's, or None."""
        for other in sorted(others):
            for their_year in sorted(theirs.get(self.find(other), ())):
                if _years_match(year, their_year):
                    return (year if year != "-" else their_year), other
        return None

    # -- the result --------------------------------------------------------------------------------

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
            elif root in self.org_evidence:
                type_, type_why = "org", f"company suffix ({self.name_of(self.org_evidence[root])})"
                name = self.name_of(root)
            else:
                type_ = majority(votes) or "person"
                type_why = "majority of mentions (" + ", ".join(f"{t} {n}" for t, n in votes.most_common()) + ")"
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

    def _person_key(self, root: str, members: list[str]) -> str:
        """The longest full name seen in at least half as many articles as the most frequent one."""
        full = [k for k in members if len(k.split()) > 1 and k in self.evidence.names] or [root]
        most = max(self.evidence.articles(k) for k in full)
        return max((k for k in full if self.evidence.articles(k) * 2 >= most),
                   key=lambda k: (len(k.split()), self.evidence.articles(k), k))
