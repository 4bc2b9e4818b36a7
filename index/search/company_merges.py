"""The catalog's rules for companies' names: a legal form makes a firm, and joins its short name.

Run by index/search/entity_merges.py (`Merger`) after aliases and the gazetteer, over the same union-find:

* a name ending in a legal form as the press writes one is an organisation, whatever the
  model said ("Heineken NV", "A. H. Robins Co": people to it; "Owens-Illinois Inc" a place);
* "Aramco Corp" joins "Aramco" and makes it an organisation, as "Cheung Kong (Holdings) Ltd" (the
  group's holding company, bracketed) joins "Cheung Kong"; but not a person's surname ("Boesky Corp"
  is no Ivan Boesky) nor a place named RARE_RATIO times as often as the firm ("Troy Corp" leaves
  Troy, Mich. a place); "Poor's Corp" (the model's span of "Standard and Poor's Corp") is the one
  organisation named "... and Poor".
"""

from __future__ import annotations

from collections import Counter, defaultdict

from index.ingest.name_rules import COMPANY_SUFFIXES, LEGAL_FORMS, ends_with_legal_form
from index.search.person_merges import RARE_RATIO
from index.text.aliases import entity_key

_GROUP_WORDS = frozenset({"holdings", "holding", "group"})  # the bracketed words that name the group itself


class CompanyRules:
    """The rules above, applied to a Merger (entity_merges.py) in one `run`."""

    def __init__(self, merger):
        self.m = merger
        self.evidence = merger.evidence
        self.and_endings: dict[str, set[str]] = defaultdict(set)  # "poor" -> {"standard and poor"}
        for key in merger.type_counts:  # two names joined ("Moody's and Standard and Poor") are no firm's name
            head, sep, last = key.partition(" and ")
            if sep and head and " and " not in last and merger.majority(key) == "org":
                self.and_endings[last].add(key)

    def run(self, keys: list[str]) -> None:
        m = self.m
        surnames = {w for k in keys if m.majority(k) == "person" for w in [k.split()[-1]] if " " in k}
        bases = {key: self.suffixed_base(key) for key in keys}
        firms: Counter = Counter()  # base -> articles naming it with a suffix
        for key, base in bases.items():
            if base:
                firms[base] += self.evidence.articles(key)
        for key, base in bases.items():
            if base and not m.is_fixed(base) and not m.is_fixed(key) \
                    and (base not in surnames or m.majority(base) == "org") \
                    and not (m.majority(base) == "place" and self.evidence.articles(base) >= RARE_RATIO * firms[base]):
                # Neither Ivan Boesky ("Boesky Corp") nor the town of a firm named after it ("Troy Corp") is the firm
                m.join(key, base, "company suffix", f"{base} with a company suffix")
                m.org_evidence.setdefault(m.find(base), key)
            elif key.split()[-1] in LEGAL_FORMS and not m.is_fixed(key) and ends_with_legal_form(m.name_of(key)):
                m.org_evidence.setdefault(m.find(key), key)  # "Heineken NV", a "person" to the model

    def suffixed_base(self, key: str) -> str | None:
        """The known key a name is with company suffixes ("aramco" of "aramco corp"), or None."""
        words = key.split()
        cut = len(words)
        while cut > 1 and words[cut - 1] in COMPANY_SUFFIXES:
            cut -= 1
        base = " ".join(words[:cut])
        if base.endswith("'s") and base not in self.m.type_counts:  # "Standard and Poor's Corp" is "Standard and Poor"
            base = base[:-2]
            firms = self.and_endings.get(base, ())  # and so is "Poor's Corp", the model's span of it
            if base not in self.m.type_counts and len(firms) == 1:
                base = next(iter(firms))
        if cut < len(words) and base not in self.m.type_counts:  # "Cheung Kong (Holdings) Ltd" is "Cheung Kong"
            base = self.before_bracket(key) or base
        return base if cut < len(words) and base in self.m.type_counts else None

    def before_bracket(self, key: str) -> str | None:
        """The key of a group's holding company named without its bracketed word, as its names show it: "Cheung
        Kong (Holdings) Ltd" -> "cheung kong", or None.  Only "(Holdings)" and "(Group)": "Deutsche Bank (Asia)
        AG" and "Jardine Fleming (Securities) Ltd" are units of their own, not the parent's spellings."""
        for name in self.evidence.names.get(key, ()):
            head, bracket, rest = name.partition("(")
            inside, _, after = rest.rpartition(")")
            tail = after.split()
            if bracket and head.strip() and inside.strip().lower() in _GROUP_WORDS and tail \
                    and all(w.lower().rstrip(".") in LEGAL_FORMS for w in tail):
                return entity_key(head)
        return None
