"""The entity catalog's merge rules, over plain counts (no index): what joins, what stays apart, and why.

`from_counts` takes what any store can count: articles per key and type, per
key and name, and per evidence string (index/ingest/evidence.py).  The real-index and
real-app checks are in tests/test_entity_merging.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from index.article import Article, Entity
from index.ingest.evidence import entity_evidence, parse_evidence
from index.search.catalog import EntityCatalog
from index.text.aliases import Aliases, AliasEntry, load_aliases

from conftest import ROOT

ALIASES = load_aliases(ROOT / "config" / "aliases.toml")


def article(year: int | None, *entities: tuple[str, str, str, list[str]]) -> Article:
    """An article with entities (type, key, name, forms) and a publication year."""
    found = [Entity(type=t, name=name, key=key, forms=forms or [name], mentions=len(forms or [name]) + 1)
             for t, key, name, forms in entities]
    return Article(id="x", title="", body="", published=datetime(year, 3, 1) if year else None, entities=found)


def catalog_of(articles: list[Article], aliases: Aliases = ALIASES) -> EntityCatalog:
    """The catalog of these articles, counted as the store counts them (one document each)."""
    types: dict[str, Counter] = {}
    forms: dict[str, Counter] = {}
    evidence: Counter = Counter()
    for a in articles:
        for e in a.entities:
            types.setdefault(e.key, Counter())[e.type] += 1
            forms.setdefault(e.key, Counter())[e.name] += 1
        evidence.update(entity_evidence(a))
    return EntityCatalog.from_counts(types, forms, aliases, evidence)


def P(key, name=None, forms=None):  # noqa: N802  (a person, an org, a place)
    return ("person", key, name or key.title(), forms)


def O(key, name=None, forms=None):  # noqa: N802
    return ("org", key, name or key.upper(), forms)


def L(key, name=None, forms=None):  # noqa: N802
    return ("place", key, name or key.title(), forms)


def shown(catalog: EntityCatalog, key: str) -> tuple[str, str]:
    target = catalog.canonical[key]
    return catalog.type_of[target], catalog.display[target]


def test_country_names_and_codes_are_one_place():
    catalog = catalog_of([
        article(1987, L("us", "U.S.")), article(1987, L("united states", "United States")),
        article(1987, L("usa", "USA")), article(1987, L("america", "America")),
        article(1987, L("united states of america", "United States of America")),
        article(1987, L("britain", "Britain")), article(1987, L("uk", "U.K.")),
        article(1987, L("united kingdom", "United Kingdom")), article(1987, L("great britain", "Great Britain")),
        article(2020, L("russia", "Russia")), article(2020, O("russian federation", "Russian Federation")),
        article(2020, O("republic of armenia", "Republic of Armenia")), article(2020, L("armenia", "Armenia")),
    ])
    for key in ("us", "united states", "usa", "america", "united states of america"):
        assert shown(catalog, key) == ("place", "United States"), key
    for key in ("britain", "uk", "united kingdom", "great britain"):
        assert shown(catalog, key) == ("place", "United Kingdom"), key
    assert shown(catalog, "russian federation") == shown(catalog, "russia") == ("place", "Russia")
    assert shown(catalog, "republic of armenia") == ("place", "Armenia")
    assert catalog.keys_for("U.S.") == catalog.keys_for("America")


def test_a_country_code_joins_only_when_used_as_a_place():
    # EC is Ecuador's ISO code, and the European Community's acronym.
    catalog = catalog_of([article(1987, O("ec", "EC")), article(1987, O("ec", "EC"))])
    assert shown(catalog, "ec") == ("org", "EC")


def test_acronym_defined_in_one_article_joins_it_everywhere():
    catalog = catalog_of([
        article(1987, O("international monetary fund", "International Monetary Fund", ["International Monetary Fund", "IMF"])),
        article(1987, O("imf", "IMF")), article(1987, O("imf", "IMF")),
    ])
    assert shown(catalog, "imf") == ("org", "International Monetary Fund")
    variants = {v["key"]: v for v in catalog.explain("IMF")["variants"]}
    assert variants["imf"]["reason"] == "acronym" and "1 article(s) use IMF" in variants["imf"]["detail"]
    assert variants["international monetary fund"]["reason"] == "canonical"


def test_an_acronym_with_two_expansions_stays_alone():
    catalog = catalog_of([
        article(1987, O("asian development bank", "Asian Development Bank", ["Asian Development Bank", "ADB"])),
        article(1987, O("african development bank", "African Development Bank", ["African Development Bank", "ADB"])),
        article(1987, O("adb", "ADB")),
    ])
    assert catalog.canonical["adb"] == "adb"


def test_surname_joins_the_one_full_name_in_a_comparable_context():
    catalog = catalog_of([
        article(1987, P("ronald reagan", "Ronald Reagan"), L("us", "U.S.")),
        article(1987, P("ronald reagan", "Ronald Reagan"), O("congress", "Congress")),
        article(1987, P("reagan", "Reagan"), L("united states", "United States")),  # the same country, another name
    ])
    assert shown(catalog, "reagan") == ("person", "Ronald Reagan")
    (surname,) = [v for v in catalog.explain("Reagan")["variants"] if v["key"] == "reagan"]
    assert surname["reason"] == "surname" and "United States" in surname["detail"]


def test_a_surname_never_joins_a_full_name_from_an_unrelated_story():
    catalog = catalog_of([
        article(1987, P("peter nicol", "Peter Nicol"), O("opec", "OPEC")),
        article(1987, P("peter nicol", "Peter Nicol"), L("saudi arabia", "Saudi Arabia")),
        article(2020, P("nicol", "Nicol"), L("armenia", "Armenia"), L("yerevan", "Yerevan")),
        article(None, P("nicol", "Nicol"), L("nagorno karabakh", "Nagorno-Karabakh")),
    ])
    assert catalog.canonical["nicol"] == "nicol"
    assert shown(catalog, "nicol") == ("person", "Nicol")
    # The same surname in the same kind of story does join ...
    opec = [*[article(1987, P("peter nicol", "Peter Nicol"), O("opec", "OPEC"))] * 2,
            article(1988, P("nicol", "Nicol"), O("opec", "OPEC"), L("london", "London"))]
    assert shown(catalog_of(opec), "nicol") == ("person", "Peter Nicol")
    # ... but not when the key is also a Karabakh story's "Nicol": one key is one entity.
    both = catalog_of([*opec, article(None, P("nicol", "Nicol"), L("nagorno karabakh", "Nagorno-Karabakh"))])
    assert both.canonical["nicol"] == "nicol"


def test_a_surname_of_two_people_in_the_same_context_stays_alone():
    catalog = catalog_of([
        *[article(1987, P("james baker", "James Baker"), O("treasury", "Treasury"))] * 2,
        *[article(1987, P("howard baker", "Howard Baker"), O("white house", "White House"), O("treasury", "Treasury"))] * 2,
        article(1987, P("baker", "Baker"), O("treasury", "Treasury")),
    ])
    assert catalog.canonical["baker"] == "baker"


def test_a_misspelt_full_name_stays_rare_however_often_an_archive_repeats_it():
    """A typo seen in 3 articles beside a name seen in 300 (a large archive repeats its typos
    too) does not make the surname ambiguous; a second real person of that name does."""
    kohl = [article(1987, P("helmut kohl", "Helmut Kohl"), L("west germany", "West Germany"))] * 300
    typo = [article(1987, P("chancelor kohl", "Chancelor Kohl"), L("west germany", "West Germany"))] * 3
    alone = [article(1987, P("kohl", "Kohl"), L("west germany", "West Germany"))] * 20
    assert shown(catalog_of(kohl + typo + alone), "kohl") == ("person", "Helmut Kohl")
    other = [article(1987, P("hannelore kohl", "Hannelore Kohl"), L("west germany", "West Germany"))] * 40
    assert catalog_of(kohl + typo + alone + other).canonical["kohl"] == "kohl"


def test_a_typo_in_two_articles_beside_a_name_in_26_leaves_the_surname_to_that_name():
    """Reuters-21578's proportions: "Athough Reagan" in 2 articles, Ronald Reagan in 26, a bare "Reagan"
    in hundreds; the typo passes the two-article floor but is under a tenth of the name.  Howard Baker
    beside James Baker (30 and 221 articles) is a second person: "Baker" stays alone."""
    us = L("us", "U.S.")
    ronald = [article(1987, P("ronald reagan", "Ronald Reagan"), us)] * 26
    typo = [article(1987, P("athough reagan", "Athough Reagan"), us)] * 2
    alone = [article(1987, P("reagan", "Reagan"), us)] * 50
    assert shown(catalog_of(ronald + typo + alone), "reagan") == ("person", "Ronald Reagan")
    james = [article(1987, P("james baker", "James Baker"), us)] * 22
    howard = [article(1987, P("howard baker", "Howard Baker"), us)] * 3
    baker = [article(1987, P("baker", "Baker"), us)] * 10
    assert catalog_of(james + howard + baker).canonical["baker"] == "baker"


def test_a_surname_the_model_calls_an_org_joins_only_with_evidence_of_use():
    full = P("yasuhiro nakasone", "Yasuhiro Nakasone", ["Yasuhiro Nakasone", "Nakasone"])
    catalog = catalog_of([article(1987, full, L("japan", "Japan"))] * 3 + [article(1987, O("nakasone", "Nakasone"), L("japan", "Japan"))] * 4)
    assert shown(catalog, "nakasone") == ("person", "Yasuhiro Nakasone")
    # "Ford" the company is not Gerald Ford because one article said "Gerald Ford ... Ford".
    gerald = P("gerald ford", "Gerald Ford", ["Gerald Ford", "Ford"])
    ford = catalog_of([article(1987, gerald, L("us", "U.S."))] * 2 + [article(1987, O("ford", "Ford"), L("us", "U.S."))] * 20)
    assert shown(ford, "ford") == ("org", "Ford")


def test_type_by_majority_with_evidence():
    catalog = catalog_of([
        *[article(1987, P("aramco", "Aramco"))] * 3, article(1987, O("aramco corp", "Aramco Corp")),
        *[article(1987, P("bandar abbas", "Bandar Abbas"))] * 2,
        *[article(1987, P("reuter", "Reuter"))] * 2,
        article(1987, P("petrobras", "Petrobras")), article(1987, P("petrobras", "Petrobras")),
        article(1987, O("petroleo brasileiro sa", "Petroleo Brasileiro SA", ["Petroleo Brasileiro SA", "Petrobras"])),
        *[article(1987, O("opec", "OPEC"))] * 3, *[article(1987, L("opec", "OPEC"))] * 2,
        *[article(1987, O("asia", "Asia"))] * 3, article(1987, L("pa", "Pa")), article(1987, L("calif", "Calif")),
    ])
    assert shown(catalog, "aramco") == ("org", "Aramco")  # "Aramco Corp": a company suffix
    possessive = catalog_of([*[article(1987, O("standard and poor", "Standard and Poor"))] * 3,
                             article(1987, O("standard and poor's corp", "Standard and Poor's Corp"))])
    assert possessive.canonical["standard and poor's corp"] == possessive.canonical["standard and poor"]
    assert shown(possessive, "standard and poor") == ("org", "Standard and Poor's")  # its name keeps the "'s"
    assert possessive.resolve("Standard and Poor's") == possessive.canonical["standard and poor"]
    cut = catalog_of([*[article(1987, O("standard and poor", "Standard and Poor"))] * 3,
                      *[article(1987, O("poor's corp", "Poor's Corp"))] * 2,  # the model's span of "Standard and Poor's Corp"
                      *[article(1987, O("smith and jones", "Smith and Jones"))] * 2, *[article(1987, O("brown and jones", "Brown and Jones"))] * 2,
                      article(1987, O("jones's inc", "Jones's Inc")),
                      *[article(1987, O("moody's and standard and poor", "Moody's and Standard and Poor"))] * 2,
                      *[article(1987, O("moody", "Moody's"))] * 2])
    assert cut.canonical["poor's corp"] == cut.canonical["standard and poor"]
    assert shown(cut, "poor's corp") == ("org", "Standard and Poor")
    assert cut.canonical["jones's inc"] == "jones's inc"  # two firms end "and Jones": neither
    # "Cheung Kong (Holdings) Ltd": the company's legal name with a bracketed word; "Cheung Kong" the model's person
    bracketed = catalog_of([*[article(1987, P("cheung kong", "Cheung Kong"))] * 3,
                            *[article(1987, O("cheung kong holdings ltd", "Cheung Kong (Holdings) Ltd"))] * 2,
                            article(1987, O("total holdings australia pty ltd", "Total Holdings (Australia) Pty Ltd")),
                            article(1987, O("total holdings", "Total Holdings")),
                            article(1987, O("world bank", "World Bank"), O("world bank pressure", "World (Bank) Pressure"))])
    assert bracketed.canonical["cheung kong holdings ltd"] == bracketed.canonical["cheung kong"]
    assert shown(bracketed, "cheung kong")[0] == "org" and "company suffix" in bracketed.explain("Cheung Kong")["type_reason"]
    assert bracketed.canonical["world bank pressure"] != bracketed.canonical["world bank"]  # no legal form after it
    # A unit named after its parent, a region or a trade in brackets, is a company of its own
    assert bracketed.canonical["total holdings australia pty ltd"] != bracketed.canonical["total holdings"]
    assert shown(catalog, "bandar abbas") == ("place", "Bandar Abbas")  # gazetteer city
    assert shown(catalog, "reuter") == ("org", "Reuters")  # the alias file
    assert shown(catalog, "petrobras") == ("org", "Petroleo Brasileiro SA")  # defined as its short name
    assert shown(catalog, "opec") == ("org", "OPEC")  # tagged both ways: once, under the majority
    assert shown(catalog, "asia") == ("place", "Asia")  # a continent, whatever the model said
    assert shown(catalog, "pa") == ("place", "Pennsylvania") and shown(catalog, "calif") == ("place", "California")
    assert "company suffix" in catalog.explain("Aramco")["type_reason"]


def test_a_name_ending_in_a_legal_form_is_an_organisation_whatever_the_model_said():
    """The model reads firms named after people or places as them ("Heineken NV", "A. H. Robins Co",
    "Owens-Illinois Inc"); a legal form ends no person's or place's name.  Two letters that can end a
    person's name ("Li Na") count only in capitals, as the press writes the form."""
    catalog = catalog_of([
        *[article(1987, P("heineken nv", "Heineken NV"))] * 3, *[article(1987, P("a h robins co", "A. H. Robins Co"))] * 2,
        *[article(1987, L("owens illinois inc", "Owens-Illinois Inc"))] * 2,
        *[article(1987, P("muenchener beteiligungs ag", "Muenchener Beteiligungs-AG"))] * 2,
        *[article(1987, P("henkel kgaa", "Henkel KGaA"))] * 2, *[article(1987, P("aircoa hotel partners lp", "AIRCOA Hotel Partners LP"))] * 2,
        *[article(1987, P("li na", "Li Na"))] * 2, *[article(1987, P("carlos sa", "Carlos Sa"))] * 2,
    ])
    for key in ("heineken nv", "a h robins co", "owens illinois inc", "muenchener beteiligungs ag", "henkel kgaa",
                "aircoa hotel partners lp"):
        assert shown(catalog, key)[0] == "org", key
        assert catalog.explain(shown(catalog, key)[1])["type_reason"].startswith("company suffix")
    assert shown(catalog, "li na") == ("person", "Li Na") and shown(catalog, "carlos sa") == ("person", "Carlos Sa")


def test_a_place_named_far_more_often_than_a_firm_named_after_it_stays_a_place():
    """"Troy Corp" named once does not make Troy, Mich. (a dateline of 33 articles) a company; a firm named
    about as often as the place its short name reads as ("Brunswick Corp" beside "Brunswick") still joins,
    and the suffixed names of one firm count together ("Atlantic Richfield Co" 6, "... Corp" 1)."""
    catalog = catalog_of([
        *[article(1987, L("troy", "Troy"))] * 10, article(1987, O("troy corp", "Troy Corp")),
        *[article(1987, L("brunswick", "Brunswick"))] * 4, *[article(1987, O("brunswick corp", "Brunswick Corp"))] * 2,
        *[article(1987, L("atlantic richfield", "Atlantic Richfield"))] * 6,
        *[article(1987, O("atlantic richfield co", "Atlantic Richfield Co"))] * 6,
        article(1987, O("atlantic richfield corp", "Atlantic Richfield Corp")),
    ])
    assert shown(catalog, "troy") == ("place", "Troy") and shown(catalog, "troy corp") == ("org", "Troy Corp")
    assert catalog.canonical["brunswick corp"] == catalog.canonical["brunswick"] and shown(catalog, "brunswick")[0] == "org"
    assert catalog.canonical["atlantic richfield corp"] == catalog.canonical["atlantic richfield"]


def test_person_is_named_by_its_usual_full_name():
    catalog = catalog_of([
        *[article(1987, P("clayton yeutter", "Clayton Yeutter"), O("gatt", "GATT"))] * 6,
        *[article(1987, P("represenative clayton yeutter", "Represenative Clayton Yeutter"), O("gatt", "GATT"))] * 2,
        article(1987, P("yeutter", "Yeutter"), O("gatt", "GATT")),
    ])
    assert {shown(catalog, k) for k in ("clayton yeutter", "represenative clayton yeutter", "yeutter")} == \
        {("person", "Clayton Yeutter")}


def test_editorial_entry_keeps_its_name_and_gathers_its_surname():
    aliases = Aliases([AliasEntry("Nikol Pashinyan", "person", ("Pashinian",))])
    catalog = catalog_of([article(2020, P("nikol pashinyan", "Nikol Pashinyan"), L("armenia", "Armenia"))] * 2
                         + [article(2020, P("pashinian", "Pashinian"), L("armenia", "Armenia")),
                            article(None, P("pashinyan", "Pashinyan"), L("armenia", "Armenia"))], aliases)
    assert {shown(catalog, k) for k in ("nikol pashinyan", "pashinian", "pashinyan")} == {("person", "Nikol Pashinyan")}


def test_evidence_round_trip():
    a = article(1987, P("ronald reagan", "Ronald Reagan", ["Ronald Reagan", "Reagan"]), L("us", "U.S."))
    terms = entity_evidence(a)
    assert set(terms) == {"reagan>ronald reagan", "ronald reagan#1987#us"}
    evidence = parse_evidence(Counter([*terms, "ronald reagan=Ronald Reagan"]))
    assert evidence.articles("ronald reagan") == 1
    assert evidence.links["reagan"] == Counter({"ronald reagan": 1})
    assert evidence.contexts["ronald reagan"] == Counter({("1987", frozenset({"us"})): 1})


def test_organisation_names_that_differ_in_small_words_or_are_cut_short_are_one():
    catalog = catalog_of([
        *[article(1987, O("organization for economic cooperation and development", "Organisation for Economic Cooperation and Development"))] * 3,
        article(1987, O("organization of economic cooperation and development", "Organisation of Economic Cooperation and Development")),
        article(1987, O("economic cooperation and development", "Economic Cooperation and Development")),
        *[article(1987, O("asian development bank", "Asian Development Bank"))] * 2,
        *[article(1987, O("african development bank", "African Development Bank"))] * 2,
        article(1987, O("development bank", "Development Bank")),
    ])
    target = catalog.canonical["organization for economic cooperation and development"]
    assert catalog.canonical["organization of economic cooperation and development"] == target
    assert catalog.canonical["economic cooperation and development"] == target
    assert catalog.canonical["development bank"] == "development bank"  # two banks end so (and two words only)


def test_an_acronym_the_gazetteer_does_not_know_is_not_a_place():
    catalog = catalog_of([*[article(1987, L("gatt", "GATT"))] * 3, article(1987, O("gatt", "GATT"))])
    assert shown(catalog, "gatt") == ("org", "GATT")
    assert "acronym" in catalog.explain("GATT")["type_reason"]


def test_middle_initials_and_rare_longer_forms_are_the_person():
    catalog = catalog_of([
        *[article(1987, P("ivan boesky", "Ivan Boesky"), O("sec", "SEC"))] * 3,
        article(1987, P("ivan f boesky", "Ivan F. Boesky"), O("sec", "SEC")),
        article(1987, O("boesky corporation", "Boesky Corporation")), article(1987, O("boesky", "Boesky")),
        *[article(1987, P("gerhard stoltenberg", "Gerhard Stoltenberg"), O("bundesbank", "Bundesbank"))] * 5,
        article(1987, P("minster gerhard stoltenberg", "Minster Gerhard Stoltenberg"), O("bundesbank", "Bundesbank")),
    ])
    assert shown(catalog, "ivan f boesky") == ("person", "Ivan Boesky")
    assert shown(catalog, "minster gerhard stoltenberg") == ("person", "Gerhard Stoltenberg")
    assert shown(catalog, "boesky corporation")[0] == "org"  # his company, not him
    assert catalog.canonical["boesky corporation"] != catalog.canonical["ivan boesky"]


def test_a_surname_the_model_mistyped_once_joins_its_person_in_context():
    catalog = catalog_of([
        *[article(1987, P("roger douglas", "Roger Douglas"), L("new zealand", "New Zealand"))] * 3,
        article(1987, O("douglas", "Douglas"), L("new zealand", "New Zealand"), O("treasury", "Treasury")),
    ])
    assert shown(catalog, "douglas") == ("person", "Roger Douglas")
    # Not a name with many articles of its own: "Ford" the company stays the company (see above).


def test_organisation_names_with_other_endings_or_a_spelled_out_acronym_are_one():
    catalog = catalog_of([
        *[article(1987, O("food and agriculture organization", "Food and Agriculture Organisation", ["Food and Agriculture Organisation", "FAO"]))] * 2,
        article(1987, O("food and agricultural organization", "Food and Agricultural Organisation", ["Food and Agricultural Organisation", "FAO"])),
        article(1987, O("fao", "FAO")),
        *[article(1987, O("united nations conference on trade and development", "United Nations Conference on Trade and Development"))] * 2,
        article(1987, O("un conference on trade and development", "U.N. Conference on Trade and Development")),
    ])
    assert len({catalog.canonical[k] for k in ("food and agriculture organization", "food and agricultural organization", "fao")}) == 1
    assert catalog.canonical["un conference on trade and development"] == "united nations conference on trade and development"


def test_a_full_name_seen_once_is_a_candidate_only_where_none_is_established():
    catalog = catalog_of([
        article(1987, P("jose luis machinea", "Jose Luis Machinea"), L("argentina", "Argentina")),
        article(1987, O("machinea", "Machinea"), L("argentina", "Argentina")),
        *[article(1987, P("ronald reagan", "Ronald Reagan"), L("us", "U.S."))] * 2,
        article(1987, P("athough reagan", "Athough Reagan"), L("us", "U.S.")),
        article(1987, P("reagan", "Reagan"), L("us", "U.S.")),
    ])
    assert shown(catalog, "machinea") == ("person", "Jose Luis Machinea")
    assert shown(catalog, "reagan") == ("person", "Ronald Reagan")


def test_a_rare_longer_organisation_name_does_not_hide_the_one_a_cut_name_ends():
    full = O("organization for economic cooperation and development", "Organisation for Economic Cooperation and Development")
    catalog = catalog_of([*[article(1987, full)] * 5,
                          article(1987, O("paris based organization for economic cooperation and development",
                                          "Paris based Organisation for Economic Cooperation and Development")),
                          article(1987, O("economic cooperation and development", "Economic Cooperation and Development"))])
    assert len(set(catalog.canonical.values())) == 1


def test_a_name_after_and_or_an_acronym_in_letters_is_no_cut_name():
    """"Standard and Poor" ends "Moody's and Standard and Poor" (two agencies, one span) and "S and P" ends
    "B. S and P" (a rating and the agency): neither is that name cut short.  A firm's name with "and" in it
    still is one: "SHOP COS INC" of "Stop and Shop Cos Inc"."""
    catalog = catalog_of([
        *[article(1987, O("moody", "Moody's"))] * 3, *[article(1987, O("standard and poor", "Standard and Poor"))] * 3,
        *[article(1987, O("moody's and standard and poor", "Moody's and Standard and Poor"))] * 2,
        *[article(1987, O("s and p", "S and P"))] * 2, *[article(1987, O("b s and p", "B. S and P"))] * 2,
        *[article(1987, O("stop and shop cos inc", "Stop and Shop Cos Inc"))] * 2, article(1987, O("shop cos inc", "SHOP COS INC")),
    ])
    assert catalog.canonical["standard and poor"] == "standard and poor"
    assert catalog.canonical["s and p"] != catalog.canonical["b s and p"]
    assert catalog.canonical["shop cos inc"] == catalog.canonical["stop and shop cos inc"]


def test_an_organisation_named_after_its_country_is_the_one_named_without():
    treasury = [article(1987, O("treasury", "Treasury"))] * 10
    us = [article(1987, O("us treasury", "U.S. Treasury"))] * 6
    catalog = catalog_of(treasury + us + [article(1987, O("uk treasury", "UK Treasury"))])
    assert catalog.canonical["us treasury"] == catalog.canonical["treasury"]
    assert shown(catalog, "us treasury") == ("org", "Treasury")
    assert catalog.canonical["uk treasury"] == "uk treasury"  # another country's stays its own
    (variant,) = [v for v in catalog.explain("U.S. Treasury")["variants"] if v["key"] == "us treasury"]
    assert variant["reason"] == "country name"
    # Named after several countries alike: "Central Bank" is no one country's.
    banks = [article(1987, O("central bank", "Central Bank"))] * 10 + [
        article(1987, O("brazil central bank", "Brazil Central Bank"))] * 3 + [
        article(1987, O("japan central bank", "Japan Central Bank"))] * 2
    catalog = catalog_of(banks)
    assert catalog.canonical["brazil central bank"] == "brazil central bank"


def test_a_company_s_short_name_is_no_person_s_surname():
    """"Myers Inc" joins "Myers" (a company suffix); articles also use "Myers" as Peter Myers's surname. Joining
    it there made Peter Myers a company (Reuters: "James McDonald" typed org through McDonald's Corp)."""
    catalog = catalog_of([
        *[article(1987, P("peter myers", "Peter Myers", ["Peter Myers", "Myers"]), O("sec", "SEC"))] * 3,
        *[article(1987, O("myers", "Myers"), O("sec", "SEC"))] * 2,
        article(1987, O("myers inc", "MYERS INC")),
    ])
    assert shown(catalog, "peter myers") == ("person", "Peter Myers")
    assert catalog.canonical["myers inc"] == catalog.canonical["myers"] != catalog.canonical["peter myers"]
    assert shown(catalog, "myers inc")[0] == "org"
    # A company's short name may still be a longer name's first word: "AmSouth Bancorp", a person to the model.
    catalog = catalog_of([article(1987, P("amsouth bancorp", "AmSouth Bancorp", ["AmSouth Bancorp", "AmSouth"])),
                          article(1987, O("amsouth", "AmSouth")), article(1987, O("amsouth corp", "AmSouth Corp"))])
    assert catalog.canonical["amsouth"] == catalog.canonical["amsouth bancorp"] == catalog.canonical["amsouth corp"]
    assert shown(catalog, "amsouth")[0] == "org"


def test_a_person_that_begins_a_company_s_name_is_the_company():
    """The model reads "Dixons" (Dixons Group PLC) and "Dean Witter" (Dean Witter Reynolds Inc) as people. A
    name that begins a company-suffixed name and is no person's surname is that company; a full name only when
    its companies are named as often as it is (Ivan Boesky stays a person beside "Ivan Boesky and Co LP"), and a
    surname stays a person ("Brown" of John Brown, whatever "Brown Group Inc" is)."""
    catalog = catalog_of([
        *[article(1987, P("dixons", "Dixons"))] * 3, *[article(1987, O("dixons group plc", "Dixons Group PLC"))] * 2,
        *[article(1987, P("dean witter", "Dean Witter"))] * 2,
        *[article(1987, O("dean witter reynolds inc", "Dean Witter Reynolds Inc"))] * 3,
        *[article(1987, P("ivan boesky", "Ivan Boesky"))] * 5,
        article(1987, O("ivan boesky and co lp", "Ivan Boesky and Co LP")),
        *[article(1987, P("john brown", "John Brown"))] * 2, article(1987, P("brown", "Brown")),
        article(1987, O("brown group inc", "Brown Group Inc")),
    ])
    assert shown(catalog, "dixons") == ("org", "Dixons") and shown(catalog, "dean witter")[0] == "org"
    assert catalog.type_why["dixons"] == "begins a company's name (Dixons Group PLC)"  # not joined to it: a reason
    assert shown(catalog, "ivan boesky") == ("person", "Ivan Boesky")
    assert shown(catalog, "brown")[0] == "person" and shown(catalog, "john brown") == ("person", "John Brown")


def test_a_place_named_by_its_last_word_alone_is_a_person():
    """The model calls Beryl Sprinkel a place more often than a person; articles call him "Sprinkel", as one
    calls a person by the surname (a place the gazetteer knows keeps its type: "Saint Petersburg")."""
    catalog = catalog_of([
        *[article(1987, L("beryl sprinkel", "Beryl Sprinkel"), O("treasury", "Treasury"))] * 3,
        *[article(1987, P("beryl sprinkel", "Beryl Sprinkel", ["Beryl Sprinkel", "Sprinkel"]))] * 2,
        article(1987, P("sprinkel", "Sprinkel")),
        *[article(1987, L("saint petersburg", "Saint Petersburg"), L("petersburg", "Petersburg"))] * 2,
    ])
    assert shown(catalog, "beryl sprinkel") == ("person", "Beryl Sprinkel")
    assert catalog.canonical["sprinkel"] == catalog.canonical["beryl sprinkel"]
    assert "last word" in catalog.explain("Beryl Sprinkel")["type_reason"]
    assert shown(catalog, "saint petersburg")[0] == "place"
