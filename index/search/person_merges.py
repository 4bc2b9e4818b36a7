"""The catalog's rules for people's names: which shorter or longer form is which person.

Run by index/search/entity_merges.py (`Merger`) after aliases, gazetteer,
company suffixes and acronyms, over the same union-find:

* **middle initial**: "Ivan F. Boesky" is "Ivan Boesky" when both are people;
* **rare longer form**: a name seen once whose words after the first are a
  person named at least RARE_RATIO times as often, and whose first word starts
  no other person's name, is that person ("Minster Gerhard Stoltenberg": a typo
  of a title, not a first name);
* **surname** (and any shorter form): a key joins a longer person name ending
  with its words when that is the only such name (among those seen in at least
  MIN_FULL_NAME_ARTICLES articles and RARE_SHARE as many as the most-seen one, when
  there are any: "Athough Reagan", a typo in two articles beside Ronald Reagan's 26 in
  Reuters-21578, does not make "Reagan" ambiguous, nor does it however large the archive
  grows; Howard Baker, in 30 articles beside James Baker's 221, does) in a *comparable context*, and at least
  COMPARABLE_SHARE of the key's uses are there: its articles in that context,
  plus the articles that merged it into that name.  An article's context is its
  period (publication year +-1; undated matches any) and its most-mentioned
  organisations and places (index/ingest/evidence.py); it is comparable with a
  full name when one of those was named with the full name in that period.
  "Nicol" of a 2020 Karabakh story never becomes "Peter Nicol" of 1987 OPEC
  stories; a key is one entity archive-wide, so a "Nicol" used in both kinds of
  story stays apart from both; "Baker" stays alone beside James and Howard Baker;
* a key the model mostly types as an organisation or a place (never a
  gazetteer place) joins the same way when it has at most WEAK_ARTICLES articles
  of its own ("Douglas" as ORG once), or when articles used it as that person's
  surname in at least SURNAME_SHARE of its uses ("Nakasone", an ORG to the model), in at least
  SURNAME_EVIDENCE articles unless it has no other use;
* **family name first**: "Zhao" joins Zhao Ziyang where articles used it so, as often;
* a company's short name (a key a company-suffixed name joined: "Myers Inc" ->
  Myers, "McDonald's Corp" -> McDonald) is no surname: joining it would make the
  person a company ("James McDonald" typed org through McDonald's Corp); it may
  still be a longer name's first word ("AmSouth" of "AmSouth Bancorp");
* **firm names**: a "person" left alone that begins a company-suffixed name and
  ends or begins no person's name is the company ("Dixons", "Dean Witter").
"""

from __future__ import annotations

from collections import Counter, defaultdict

from index.ingest.name_rules import COMPANY_SUFFIXES

MIN_FULL_NAME_ARTICLES = 2
RARE_SHARE = 0.1  # a second person of a surname is named in at least a tenth as many articles as the first
COMPARABLE_SHARE = 0.8
SURNAME_SHARE = 0.3  # of a name's uses that must be some one person's surname for the name to be that person
SURNAME_EVIDENCE = 2  # articles that must say so (unless the name has no other use): one article's "Rice" of a
#                       David Rice is not the commodity in four others
WEAK_ARTICLES = 3
RARE_RATIO = 5


def _years_match(a: str, b: str) -> bool:
    return a == "-" or b == "-" or (a.isdigit() and b.isdigit() and abs(int(a) - int(b)) <= 1)


class PersonRules:
    """The rules above, applied to a Merger (entity_merges.py) in one `run`."""

    def __init__(self, merger):
        self.m = merger
        self.evidence = merger.evidence

    def run(self, keys: list[str]) -> None:
        m = self.m
        full_names = [k for k in keys if len(k.split()) > 1 and m.is_person(k)]
        self.middle_initials(full_names)
        self.rare_longer_forms(full_names)
        ending: dict[tuple[str, ...], list[str]] = defaultdict(list)
        starting: dict[str, list[str]] = defaultdict(list)
        for key in full_names:
            words = tuple(key.split())
            for start in range(1, len(words)):
                ending[words[start:]].append(key)
            if len(words) == 2:
                starting[words[0]].append(key)
        contexts = self.group_contexts(full_names)
        for short in sorted(keys, key=lambda k: (-len(k.split()), k)):
            if m.find(short) != short or m.is_fixed(short) or m.is_place_name(short):
                continue
            roots: dict[str, list[str]] = defaultdict(list)
            # "Myers Inc" joined "Myers": a company's name, never Peter Myers's surname (a first word it may be:
            # "AmSouth" of "AmSouth Bancorp", which the model typed a person)
            company = short in m.org_evidence
            candidates = [] if company else [f for f in ending.get(tuple(short.split()), []) if m.find(f) != short]
            seen = {f: self.evidence.articles(f) for f in candidates}
            floor = max(MIN_FULL_NAME_ARTICLES, RARE_SHARE * max(seen.values(), default=0))
            established = [f for f in candidates if seen[f] >= floor]
            # Names seen once count only where no name is established ("Athough Reagan" beside Ronald Reagan).
            for full in established or candidates:
                roots[m.find(full)].append(full)
            kind = m.majority(short)
            if not roots:  # "Zhao" for Zhao Ziyang: only where articles used it so
                firsts = {m.find(f): [f] for f in starting.get(short, []) if m.find(f) != short}
                if firsts:
                    self.join_by_use(short, firsts, kind, "family name")
                continue
            if kind == "person" or self.evidence.articles(short) <= WEAK_ARTICLES:
                if self.join_by_context(short, roots, contexts, kind):
                    continue
            if kind != "person":
                self.join_by_use(short, roots, kind)
        self.firm_names(keys, full_names, ending)

    def firm_names(self, keys: list[str], full_names: list[str], ending) -> None:
        """A "person" that begins a company's name and is no one's surname or first name ("Dixons" of Dixons
        Group PLC, "Caesars" of Caesars World Inc) is that company: the model reads a firm named after a
        person, or a plural, as someone.  A full name ("Dean Witter" of Dean Witter Reynolds Inc) only when
        the companies it begins are named in as many articles as it is: Ivan Boesky stays a person beside
        an "Ivan Boesky and Co LP"."""
        m, articles = self.m, self.evidence.articles
        heads: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            words = key.split()
            if len(words) > 2 and words[-1] in COMPANY_SUFFIXES and m.majority(key) == "org":
                for cut in range(1, len(words) - 1):
                    heads[" ".join(words[:cut])].append(key)
        first_words = {k.split()[0] for k in full_names}
        for key in keys:
            firms = heads.get(key)
            if not firms or m.find(key) != key or m.majority(key) != "person" or m.is_fixed(key) \
                    or key in m.org_evidence or tuple(key.split()) in ending or key in first_words:
                continue
            if " " not in key or sum(articles(f) for f in firms) >= articles(key):
                m.org_evidence[key] = max(firms, key=lambda f: (articles(f), f))

    def middle_initials(self, full_names: list[str]) -> None:
        m = self.m
        for key in full_names:
            words = key.split()
            plain = " ".join(w for i, w in enumerate(words) if len(w) > 1 or i in (0, len(words) - 1))
            if plain != key and plain in m.type_counts and m.is_person(plain) and not m.is_fixed(key):
                m.join(key, plain, "middle initial", f"{m.name_of(key)} is {m.name_of(plain)} with a middle initial")

    def rare_longer_forms(self, full_names: list[str]) -> None:
        m, articles = self.m, self.evidence.articles
        first_words = Counter(k.split()[0] for k in full_names)
        for key in full_names:
            words = key.split()
            tail = " ".join(words[1:])
            if len(words) < 3 or articles(key) != 1 or first_words[words[0]] > 1 or m.is_fixed(key):
                continue
            if tail in m.type_counts and m.is_person(tail) and articles(tail) >= RARE_RATIO:
                m.join(key, tail, "rare longer form", f"seen once, with {words[0]!r} before a name seen in "
                       f"{articles(tail)} articles; {words[0]!r} starts no other person's name")

    def join_by_context(self, short: str, roots: dict[str, list[str]], contexts, kind: str) -> bool:
        """Join the one full name whose context the name's uses share (see the module docstring)."""
        m = self.m
        links = self.evidence.links.get(short, {})
        comparable: Counter = Counter()
        example: dict[str, tuple[str, str]] = {}
        total = sum(links.values())
        for (year, others), count in self.evidence.contexts.get(short, {}).items():
            total += count
            for root in roots:
                shared = self.shared(year, others, contexts.get(root, {}))
                if shared:
                    comparable[root] += count
                    example.setdefault(root, shared)
        if len(comparable) != 1:
            return False  # none, or two people of that name in comparable stories ("Baker")
        root, count = comparable.most_common(1)[0]
        linked = sum(links.get(f, 0) for f in roots[root])
        if count + linked < COMPARABLE_SHARE * total:
            return False  # the name is also used in unrelated stories: one key cannot mean both
        full = max(roots[root], key=lambda f: (self.evidence.articles(f), f))
        year, other = example[root]
        typed = "" if kind == "person" else f"; the model typed it {kind} in its {self.evidence.articles(short)} article(s)"
        m.join(short, full, "surname", f"the only full name ending so in a comparable context: {count + linked} of "
               f"its {total} uses ({year}, with {m.name_of(other)}){typed}")
        return True

    def join_by_use(self, short: str, roots: dict[str, list[str]], kind: str, what: str = "surname") -> None:
        """Join a person only if articles used this name as that person's surname (or family name)."""
        m = self.m
        links = self.evidence.links.get(short, {})
        used = {f: links[f] for fulls in roots.values() for f in fulls if links.get(f)}
        if len({m.find(f) for f in used}) != 1:
            return
        count, uses = sum(used.values()), self.evidence.articles(short) + sum(links.values())
        if count >= SURNAME_SHARE * uses and (count >= SURNAME_EVIDENCE or uses <= SURNAME_EVIDENCE):
            full = max(used, key=lambda f: (used[f], f))
            m.join(short, full, what, f"used as the {what} of {m.name_of(full)} in {count} of its "
                   f"{uses} articles (the model mostly typed it {kind})")

    def group_contexts(self, full_names: list[str]) -> dict[str, dict[str, set[str]]]:
        """Canonical root of every full name -> other entity (canonical) -> years named together."""
        m = self.m
        grouped: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for key in full_names:
            for year, others in self.evidence.contexts.get(key, {}):
                for other in others:
                    grouped[m.find(key)][m.find(other)].add(year)
        return grouped

    def shared(self, year: str, others, theirs: dict[str, set[str]]) -> tuple[str, str] | None:
        """(year, other entity) shared by one article's context and a full name's, or None."""
        for other in sorted(others):
            for their_year in sorted(theirs.get(self.m.find(other), ())):
                if _years_match(year, their_year):
                    return (year if year != "-" else their_year), other
        return None
