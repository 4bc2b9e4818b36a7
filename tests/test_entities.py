"""Entities: merged spellings on the seeds, and the folding rules on small inputs."""

from __future__ import annotations

from dataclasses import dataclass

from index import SearchRequest
from index.text.aliases import Aliases, AliasEntry, entity_key, load_aliases
from index.ingest.entities import build_entities
from index.ingest.name_rules import bracketed_firms, join_firm_names, join_partner_names
from index.ingest.ner import Mention

from conftest import BOTH, ROOT

pytestmark = BOTH


@dataclass
class M:  # a mention as the NER model returns it
    text: str
    type: str


def facet(index, name, **filters):
    return {v.value: v.count for v in index.search(SearchRequest(per_page=100, **filters)).facets[name]}


def test_erdogan_is_one_person_across_all_five_seeds(seed_index):
    people = facet(seed_index, "person")
    erdogan = [name for name in people if "erdo" in entity_key(name)]
    assert erdogan == ["Recep Tayyip Erdoğan"]  # the fullest form, with its accent
    assert people["Recep Tayyip Erdoğan"] == 5


def test_kalbajar_is_a_place_in_exactly_the_two_articles_naming_it(seed_index):
    places = facet(seed_index, "place")
    assert places["Kalbajar"] == 2
    assert "Kalbajar" not in facet(seed_index, "person") and "Kalbajar" not in facet(seed_index, "org")
    assert {h.id for h in seed_index.search(SearchRequest(place=["Kalbajar"])).hits} == \
           {h.id for h in seed_index.search(SearchRequest(q="Kalbajar")).hits}


def test_leaders_are_persons(seed_index):
    people = facet(seed_index, "person")
    assert people["Vladimir Putin"] == 5
    assert people["Ilham Aliyev"] == 3
    assert people["Nikol Pashinyan"] == 3  # Pashinyan, Pashinian (alias) and Nikol Pashinyan
    for place in ("Stepanakert", "Lachin", "Yerevan", "Shusha"):
        assert place not in people


def test_demonyms_are_not_entities(seed_index):
    everything = {**facet(seed_index, "person"), **facet(seed_index, "org"), **facet(seed_index, "place")}
    for demonym in ("Azerbaijanis", "Armenians", "Turkish", "Russian"):
        assert demonym not in everything


def test_two_entity_filters_must_both_match(seed_index):
    both = seed_index.search(SearchRequest(person=["Erdogan", "Aliyev"]))
    assert both.total == 3
    assert seed_index.search(SearchRequest(person=["Erdoğan"])).total == 5


def test_stored_entities_list_forms_mentions_and_passages(seed_index):
    hit = seed_index.search(SearchRequest(q='"joint centre"')).hits[0]
    article = seed_index.get(hit.id)
    erdogan = next(e for e in article.entities if e.key.endswith("erdogan"))
    assert erdogan.type == "person" and erdogan.mentions >= 5
    assert {"Erdogan", "Recep Tayyip Erdogan"} <= set(erdogan.forms)
    assert erdogan.passages and all(0 <= p < len(article.passages) for p in erdogan.passages)


def test_folding_rules():
    mentions = [[M("Ilham Aliyev", "person")], [M("Aliyev's", "person"), M("the Kremlin", "place"),
                                                 M("Kremlin", "place"), M("ERDOĞAN", "person"), M("Erdogan", "org")]]
    entities = {e.key: e for e in build_entities(mentions, Aliases())}
    assert entities["ilham aliyev"].mentions == 2 and entities["ilham aliyev"].passages == [0]
    assert "aliyev" not in entities
    assert entities["kremlin"].mentions == 2
    assert entities["erdogan"].type in ("person", "org") and entities["erdogan"].mentions == 2


def test_alias_entry_wins_name_and_type():
    aliases = Aliases([AliasEntry("Nikol Pashinyan", "person", ("Pashinian",))])
    (entity,) = build_entities([[M("Pashinian", "org")], [M("Nikol Pashinyan", "person")]], aliases)
    assert (entity.name, entity.type, entity.mentions) == ("Nikol Pashinyan", "person", 2)


# -- folding one article: acronyms, titles, surnames, table words --------------------------------


def test_where_a_firm_is_based_is_no_part_of_its_name():
    """"the Paris-based Organisation for Economic Co-operation and Development": the span took in where the
    body sits, and the name shown for 70 articles of Reuters was "Paris-based Organization ..."; a span that
    is only the descriptor ("Conn.-based") is no entity."""
    mentions = [[], [M("Paris-based Organisation for Economic Co-operation and Development", "org"),
                     M("Organisation for Economic Co-operation and Development", "org"),
                     M("U.S. Based Lotus Development Inc", "org"), M("Conn.-based", "org")]]
    names = {e.name: e.mentions for e in build_entities(mentions, Aliases())}
    assert names == {"Organisation for Economic Co-operation and Development": 2, "Lotus Development Inc": 1}


def test_a_name_written_out_is_shown_before_an_acronym_of_more_words():
    """Security Pacific was shown as "S and P" (three words against two) once the article's "S and P" had read as
    its initials."""
    mentions = [[], [M("Security Pacific", "org"), M("S and P", "org"), M("S and P", "org")]]
    (entity,) = build_entities(mentions, Aliases())
    assert entity.name == "Security Pacific" and entity.mentions == 3


def test_a_full_name_that_took_in_its_acronym_is_not_an_acronym_of_another_name():
    """Reuters 5752: "The European Community (EC) delivered warnings ..." and later "the European Commission":
    EC joined the Community by its definition, and the Community's group, holding the form "EC", was then
    read as an acronym of the Commission and merged into it: the article lost the European Community."""
    texts = ["", "The European Community (EC) delivered warnings to Japan.", "EC ministers met the European Commission."]
    mentions = [[], [M("European Community", "org"), M("EC", "org")], [M("EC", "org"), M("European Commission", "org")]]
    names = {e.name: sorted(e.forms) for e in build_entities(mentions, Aliases(), texts)}
    assert names == {"European Community": ["EC", "European Community"], "European Commission": ["European Commission"]}


def test_acronym_defined_in_the_text_joins_its_full_name():
    texts = ["", "The International Monetary Fund (IMF) said it would lend more. The IMF board met."]
    mentions = [[], [M("International Monetary Fund", "org"), M("IMF", "org"), M("IMF", "org")]]
    (imf,) = build_entities(mentions, Aliases(), texts)
    assert (imf.key, imf.name, imf.mentions) == ("international monetary fund", "International Monetary Fund", 3)
    assert set(imf.forms) == {"International Monetary Fund", "IMF"}


def test_short_name_defined_in_the_text_takes_the_full_names_type():
    texts = ["", "Petroleo Brasileiro SA (Petrobras) cut prices. Petrobras said so."]
    mentions = [[], [M("Petroleo Brasileiro SA", "org"), M("Petrobras", "person"), M("Petrobras", "person")]]
    (petrobras,) = build_entities(mentions, Aliases(), texts)
    assert petrobras.type == "org" and petrobras.key == "petroleo brasileiro sa"


def test_a_place_in_brackets_is_not_a_short_name():
    texts = ["", "Citicorp Investment Bank (Singapore) lent the money."]
    mentions = [[], [M("Citicorp Investment Bank", "org"), M("Singapore", "place")]]
    assert {e.key for e in build_entities(mentions, Aliases(), texts)} == {"citicorp investment bank", "singapore"}


def test_acronym_joins_the_one_expansion_in_the_article_but_not_a_name_containing_it():
    mentions = [[M("U.S. Securities", "org"), M("U.S.", "place")], [M("United States", "place")]]
    keys = {e.key: e for e in build_entities(mentions, Aliases())}
    assert set(keys) == {"us securities", "united states"}
    assert set(keys["united states"].forms) == {"United States", "U.S."}


def test_titles_are_not_part_of_a_name_and_surnames_of_any_type_join():
    mentions = [[M("Minister of Energy and Mines Subroto", "person")], [M("President Ronald Reagan", "person"),
                M("Reagan", "org"), M("Mr Nakasone", "org"), M("Yasuhiro Nakasone", "person")]]
    entities = {e.key: e for e in build_entities(mentions, Aliases())}
    assert set(entities) == {"subroto", "ronald reagan", "yasuhiro nakasone"}
    assert entities["yasuhiro nakasone"].type == "person" and "Nakasone" in entities["yasuhiro nakasone"].forms


def test_a_place_never_becomes_a_surname():
    mentions = [[M("Michael Jordan", "person"), M("Jordan", "place")]]
    assert {e.key for e in build_entities(mentions, Aliases())} == {"michael jordan", "jordan"}


def test_table_words_are_not_names():
    mentions = [[M("Qtly", "person"), M("Nine Mths", "person"), M("N.Z. Dlrs", "person"), M("SEP7", "org"),
                 M("Ltd", "org"), M("Co Inc", "org"), M("CLSG", "org"), M("R-Minn", "person"), M("D-Calif", "person"),
                 M("D. Brown", "person"), M("G-7", "org"), M("SGEN.PA", "person"), M("NWBL.L", "org"),
                 M("Start Stcks", "org"), M("Mthly", "place"), M("FOB Gulf", "org"), M("CIF", "org"),
                 M("U.S.", "place")]]
    assert sorted(e.name for e in build_entities(mentions, Aliases())) == ["D. Brown", "G-7", "U.S."]


def test_us_and_uk_as_the_press_writes_them_are_places_wherever_they_stand():
    """The model misses "U.S." in a headline in capitals and as an adjective ("U.S.-based"); the press writes
    U.S. and U.K. with dots only for the countries. Other dotted capitals are initials or legal forms."""
    texts = ["U.S. FACTORY ORDERS ROSE 0.2 PCT IN APRIL", "Orders rose, the Commerce Department said.",
             "A U.S.-based unit of J.P. Morgan and Nestle S.A. in the U.K."]
    mentions = [[], [M("Commerce Department", "org")], [M("J.P. Morgan", "org"), M("Nestle S.A.", "org")]]
    places = {e.key: e.passages for e in build_entities(mentions, Aliases(), texts) if e.type == "place"}
    assert places == {"us": [1], "uk": [1]}


def test_a_country_inside_an_organisations_name_is_a_place_too():
    mentions = [[M("Bank of Japan", "org")], [M("U.S. Agriculture Department", "org"), M("Georgia Pacific Corp", "org")]]
    entities = {e.key: e.type for e in build_entities(mentions, Aliases())}
    assert entities == {"bank of japan": "org", "japan": "place", "us agriculture department": "org", "us": "place",
                        "georgia pacific corp": "org"}


def test_a_body_named_after_an_acronym_names_its_organisation():
    """"The EC Commission decided ...": the article names the EC, which the model missed in the headline
    in capitals ("EC OPENS SPECIAL REBATE"); a firm's own acronym ("AFG Industries") and a country's
    ("US Court") name no other organisation."""
    aliases = load_aliases(ROOT / "config" / "aliases.toml")
    mentions = [[M("EC Commission", "org")], [M("OPEC Secretariat", "org"), M("AFG Industries", "org"),
                                              M("US Court", "org"), M("UK Parliament", "org")]]
    entities = {e.key: (e.type, e.passages) for e in build_entities(mentions, aliases)}
    assert entities["ec"] == ("org", []) and entities["opec"] == ("org", [0])
    assert "afg" not in entities and entities["us"][0] == "place" and entities["united kingdom"][0] == "place"


def test_a_word_that_spells_a_country_code_is_no_country():
    """"Co." in "Goldman Sachs and Co." is no dotted "CO" (Colombia); "U.S." and "USA" are codes as written."""
    mentions = [[M("Goldman, Sachs and Co.", "org"), M("De La Rue Co. Plc", "org"), M("National Westminster Bank USA", "org"),
                 M("U.S. Treasury", "org")]]
    places = {e.key for e in build_entities(mentions, Aliases()) if e.type == "place"}
    assert places == {"us", "usa"}  # the catalog's gazetteer rule makes both United States
    # A name's own initials, a legal form, capitals that say nothing: no country (Afghanistan, Guinea-Bissau,
    # Namibia, Andorra, Finland); "US Treasury" still names the United States.
    mentions = [[M("AFG Industries", "org"), M("GNB Inc", "org"), M("Chase Manhattan Bank N.A.", "org"),
                 M("SMITH AND WESSON", "org"), M("BFR FIN", "org"), M("US Treasury", "org"), M("BANK OF JAPAN", "org")]]
    assert {e.key for e in build_entities(mentions, Aliases()) if e.type == "place"} == {"us", "japan"}


def test_ranks_alone_are_no_names():
    """"Lt. Col. Oliver North" gives the model "Lt" (a person) and "Col" (a place, the code of Colombia)."""
    mentions = [[M("Lt", "person"), M("Col", "place"), M("Oliver North", "person")], [M("Marine Lt", "person"), M("Gen", "org")]]
    assert {e.key for e in build_entities(mentions, Aliases())} == {"oliver north"}


def test_a_firm_named_after_people_is_one_organisation():
    text = ("Underwriters are Alex. Brown and Sons Inc and Lazard and Co, with Harris Upham and Co. "
            "said Smith. Jones and Sons Ltd declined; Reagan and Bush met.")

    def at(name, kind):
        return Mention(name, text.index(name), text.index(name) + len(name), kind)
    mentions = [at("Alex", "person"), at("Brown", "person"), at("Sons Inc", "org"), at("Lazard", "org"),
                at("Harris Upham", "person"), at("Smith", "person"), at("Jones", "person"), at("Sons Ltd", "org"),
                at("Reagan", "person"), at("Bush", "person")]
    joined = join_firm_names(text, mentions)
    assert [(m.text, m.type) for m in joined] == [
        ("Alex. Brown and Sons Inc", "org"), ("Lazard and Co", "org"), ("Harris Upham and Co.", "org"),
        ("Smith", "person"),  # five letters before a full stop: the end of a sentence, not a first name
        ("Jones and Sons Ltd", "org"), ("Reagan", "person"), ("Bush", "person")]
    assert all(text[m.start:m.end] == m.text for m in joined)


def test_partners_never_named_in_full_are_one_firm():
    """Two one-word "persons" joined by "and" that the article never names in full are a firm's name."""
    first = ("Treasury Secretary James Baker met Paul Volcker. AFG and Wagner and Brown bid; Pratt & Whitney and Baker; "
             "brokers Phillips and Drew")
    second = ("Baker and Volcker spoke. Merrill Lynch, Pierce, Fenner and Smith said. Sens. Dole and Byrd agreed. "
              "Memphis and Nashville are cities. Phillips and Drew said. Baker, Putin and Kohl met. Procter and Gamble Co. "
              "Prime Minister (Brian) Mulroney said. Reagan and Mulroney met. DIW and Ifo forecast.")

    def at(text, name, kind, after=0):
        start = text.index(name, after)
        return Mention(name, start, start + len(name), kind)
    units = [[at(first, "James Baker", "person"), at(first, "Paul Volcker", "person"), at(first, "AFG", "org"),
              at(first, "Wagner", "person"), at(first, "Brown", "person"), at(first, "Pratt", "person"),
              at(first, "Whitney", "person"), at(first, "Baker", "person", first.index("Whitney")),
              at(first, "Phillips", "person"), at(first, "Drew", "person")],
             [at(second, "Baker", "person"), at(second, "Volcker", "person"), at(second, "Merrill Lynch", "org"),
              at(second, "Pierce", "person"), at(second, "Fenner", "person"), at(second, "Smith", "person"),
              at(second, "Dole", "person"), at(second, "Byrd", "person"), at(second, "Memphis", "person"),
              at(second, "Nashville", "person"), at(second, "Phillips", "org"), at(second, "Drew", "person"),
              at(second, "Baker", "person", second.index("Drew")), at(second, "Putin", "person"), at(second, "Kohl", "person"),
              at(second, "Procter", "person"), at(second, "Gamble Co", "org"), at(second, "Brian", "person"),
              at(second, "Mulroney", "person"), at(second, "Reagan", "person", second.index("said. Reagan")),
              at(second, "Mulroney", "person", second.index("Reagan and")), at(second, "DIW", "org"),
              at(second, "Ifo", "person")]]
    joined = join_partner_names(units, [first, second])
    assert [[(m.text, m.type) for m in unit] for unit in joined] == [
        [("James Baker", "person"), ("Paul Volcker", "person"), ("AFG", "org"), ("Wagner and Brown", "org"),
         ("Pratt & Whitney", "org"), ("Baker", "person"),  # Baker is named in full: the pair stays people
         ("Phillips and Drew", "org")],
        [("Baker", "person"), ("Volcker", "person"), ("Merrill Lynch", "org"),  # the rest of its name
         ("Dole", "person"), ("Byrd", "person"),  # after a title of several
         ("Memphis", "person"), ("Nashville", "person"),  # places in the gazetteer
         ("Phillips and Drew", "org"),  # an organisation and a person: two names as often as one, but one
         # firm where the article joins the same words
         ("Baker", "person"), ("Putin", "person"), ("Kohl", "person"),  # a list naming a person: people
         ("Procter and Gamble Co", "org"), ("Brian", "person"), ("Mulroney", "person"),
         ("Reagan", "person"), ("Mulroney", "person"),  # a name given a title in the article is a person's
         ("DIW", "org"), ("Ifo", "org")]]  # a "person" beside a one-word organisation: two organisations
    assert all(text[m.start:m.end] == m.text for unit, text in zip(joined, [first, second]) for m in unit)


def test_a_persons_word_starting_the_articles_company_is_its_short_name():
    mentions = [[M("Harris Associates L.P.", "org"), M("Harris", "person"), M("Brown", "person"),
                 M("Brown Group Inc", "org"), M("Brown Transport Co", "org"), M("Tim Smith", "person"),
                 M("Smith", "person"), M("Smith International Inc", "org"), M("Jones", "person"),
                 M("E.F. Hutton and Co", "org"), M("Hutton", "person")]]
    got = {e.name: (e.type, sorted(e.forms)) for e in build_entities(mentions, Aliases())}
    assert got == {"Harris Associates L.P.": ("org", ["Harris Associates L.P."]),  # its short name no person
                   "Brown": ("person", ["Brown"]),  # two companies start so: which one is not known
                   "Brown Group Inc": ("org", ["Brown Group Inc"]), "Brown Transport Co": ("org", ["Brown Transport Co"]),
                   "Tim Smith": ("person", ["Smith", "Tim Smith"]),  # a surname of a person named in full
                   "Smith International Inc": ("org", ["Smith International Inc"]), "Jones": ("person", ["Jones"]),
                   "E.F. Hutton and Co": ("org", ["E.F. Hutton and Co"])}  # initials before the name


def test_a_company_with_a_bracketed_word_before_its_legal_form_is_one_organisation():
    text = ("A spokesman of Cheung Kong (Holdings) Ltd <CKGH.HK> said S.G. Warburg and Co (Japan) Ltd and "
            "Wharf (Holdings) Ltd would bid; Total Holdings (Australia) Pty Ltd declined. Reagan (R) spoke.")

    def at(name, kind, after=0):
        start = text.index(name, after)
        return Mention(name, start, start + len(name), kind)
    mentions = [at("Cheung Kong", "person"), at("Holdings", "org"), at("Ltd", "org"), at("S.G. Warburg", "org"),
                at("Japan", "place"), at("Wharf", "place"), at("Holdings", "org", text.index("Wharf")),
                at("Total Holdings", "org"), at("Australia", "place"), at("Reagan", "person")]
    joined = join_firm_names(text, mentions)
    assert [(m.text, m.type) for m in joined] == [
        ("Cheung Kong (Holdings) Ltd", "org"), ("S.G. Warburg and Co (Japan) Ltd", "org"),
        ("Wharf (Holdings) Ltd", "org"), ("Total Holdings (Australia) Pty Ltd", "org"),
        ("Reagan", "person")]  # a bracket without a legal form after it joins nothing
    assert all(text[m.start:m.end] == m.text for m in joined)


def test_brackets_a_span_cut_in_half_are_dropped_from_the_name():
    """The wire's "the (International Monetary) Fund" reaches the model's span as "International Monetary) Fund"."""
    mentions = [[M("International Monetary) Fund", "org"), M("World) Bank", "org"),
                 M("Total Holdings (Australia) Pty Ltd", "org")]]
    assert sorted(e.name for e in build_entities(mentions, Aliases())) == \
        ["International Monetary Fund", "Total Holdings (Australia) Pty Ltd", "World Bank"]


def test_the_wires_codes_ratings_and_currencies_are_no_names():
    text = ("Exxon Corp <XON> and <Wagner and Brown> bid; <Computer Access Corp> and Societe Generale "
            "<SGEN.PA> <NOBL ST> said. <script>x</script> <A HREF=x>")

    def at(name, kind):
        return Mention(name, text.index(name), text.index(name) + len(name), kind)
    found = bracketed_firms(text, [at("Exxon Corp", "org"), at("XON", "org"), at("Wagner", "person"),
                                   at("Brown", "person"), at("Societe Generale", "org"), at("SGEN.PA", "person"),
                                   at("NOBL", "org")])
    assert [(m.text, m.type) for m in found] == [
        ("Exxon Corp", "org"), ("Wagner and Brown", "org"), ("Computer Access Corp", "org"),
        ("Societe Generale", "org")]
    assert all(text[m.start:m.end] == m.text for m in found)
    mentions = [[M("AAA", "org"), M("BBB-", "org"), M("Baa2", "org"), M("B-plus", "org"), M("AA-Minus", "org"), M("Easter", "org"), M("Sens", "person"), M("Miss", "person"), M("M3", "place"), M("M-1", "org"),
                 M("FFR", "org"), M("AUS SCH", "org"), M("BFR FIN", "org"), M("IMF and", "org"), M("Babice of <", "org"),
                 M("Equitable Life Assurance Society of the", "org"), M("BA", "org"), M("GATT", "org"),
                 M("Treasuries", "org"), M("London Interbank", "org"), M("European Currency Units", "org"),
                 M("Administration", "org"), M("D-Kans.", "person"), M("R-N.Y.", "person"), M("Euroyen", "person"), M("Partners", "person"),
                 # crude oil grades: no place or firm; a person called Sweet and the region stay
                 M("West Texas Intermediate", "place"), M("West Texas Sour", "place"), M("Light Louisiana Sweet", "org"),
                 M("Brent Blend", "person"), M("West Texas Intermediate Crude Oil", "org"), M("Orville Sweet", "person"),
                 M("Light Louisiana Sweet South Onshore", "org"), M("West Texas", "place"), M("Sweet Victory Inc", "org"),
                 M("Nature's Blend Products Inc", "org")]]
    assert sorted(e.name for e in build_entities(mentions, Aliases())) == \
        ["BA", "Babice", "Equitable Life Assurance Society", "GATT", "IMF", "Nature's Blend Products Inc",
         "Orville Sweet", "Sweet Victory Inc", "West Texas"]


def test_dots_and_spellings_fold_into_one_key():
    assert entity_key("U.S.") == entity_key("US") == "us"
    assert entity_key("Organisation for Economic Co-operation and Development") == \
        entity_key("Organization for Economic Cooperation and Development")


def test_an_article_keeps_its_most_mentioned_entities_up_to_the_bound():
    """A pasted list or a hostile text naming thousands of things: the merges compare pairs, so an
    article keeps MAX_ENTITIES (the most mentioned) and its ingest stays bounded."""
    from index.ingest.entities import MAX_ENTITIES

    names = [f"Firm{i:05d} Holdings" for i in range(MAX_ENTITIES + 500)]
    mentions = [[M(name, "org") for name in names] + [M("Zeta Corp", "org"), M("Zeta Corp", "org"),
                                                      M("Anna Zeta", "person")]]
    entities = build_entities(mentions, Aliases())
    assert len(entities) == MAX_ENTITIES
    assert entities[0].name == "Zeta Corp" and entities[0].mentions == 2


def test_an_articles_acronyms_are_tried_against_a_bounded_number_of_names(monkeypatch):
    """A hostile text of a thousand acronyms ("ABC"), each beside the name it abbreviates ("Axx Byy Czz"):
    an acronym is tried only against names starting with its letter and of a length it can spell, and an
    article's tries stop at MAX_PAIRS (they were a thousand by a thousand, 8 s of one core for one article).
    Acronyms of ordinary stories still join their names."""
    import itertools
    import string

    import index.ingest.entities as entities

    tried = []
    real = entities.is_acronym_of
    monkeypatch.setattr(entities, "is_acronym_of", lambda a, f: tried.append(1) or real(a, f))
    names = ["".join(p) for p in itertools.product(string.ascii_uppercase, repeat=3)][:1500]
    mentions = [[M(n, "org"), M(f"{n[0]}xx {n[1]}yy {n[2]}zz", "org")] for n in names]
    assert len(build_entities(mentions, Aliases())) <= entities.MAX_ENTITIES
    assert 0 < len(tried) <= entities.MAX_PAIRS
    story = [[M("International Monetary Fund", "org")], [M("IMF", "org"), M("World Bank", "org")]]
    assert [e.name for e in build_entities(story, Aliases())] == ["International Monetary Fund", "World Bank"]


def test_a_one_word_person_the_article_writes_in_lower_case_is_a_common_word():
    """The model reads "Coffee" starting a sentence as a person; the article writes "coffee" too: no entity.
    A surname the article never writes in lower case stays a person."""
    texts = ["", "Coffee does not need much water, the ministry said. The coffee crop is large. Baker said so."]
    mentions = [[], [M("Coffee", "person"), M("Baker", "person")]]
    assert [(e.key, e.type) for e in build_entities(mentions, Aliases(), texts)] == [("baker", "person")]


def test_names_read_in_tables_in_capitals_are_kept_only_where_the_gazetteers_or_the_text_know_them():
    """A crop report's table all in capitals: the model takes its towns for organisations; only the names
    the gazetteers know (as places), or the article also writes in mixed case, stay."""
    aliases = load_aliases(ROOT / "config" / "aliases.toml")
    texts = ["BRAZILIAN COFFEE RAINFALL",
             "SAO PAULO STATE: PRESIDENTE PRUDENTE NIL, CATANDUVA NIL, FRANCA 5.0 MM, SAO CARLOS NIL.",
             "Exporters in Santos said the rain was late, according to Acme Trading Corp."]
    mentions = [[], [M("SAO PAULO", "place"), M("PRESIDENTE PRUDENTE NIL", "org"), M("CATANDUVA", "org"),
                     M("FRANCA", "org"), M("ACME TRADING", "org")],
                [M("Santos", "place"), M("Acme Trading Corp", "org")]]
    found = {e.key: e.type for e in build_entities(mentions, aliases, texts)}
    assert found == {"sao paulo": "place", "franca": "place", "catanduva": "place", "santos": "place",
                     "acme trading corp": "org"}  # the towns are the gazetteer's places, whatever the model said
    # A telex's prose in capitals still reads as sentences: its names stay.
    telex = ["", "THE BUNDESBANK SAID ON FRIDAY IT WOULD HOLD RATES, AND THE IMF SAID IT WAS SATISFIED."]
    assert {e.key for e in build_entities([[], [M("BUNDESBANK", "org"), M("IMF", "org")]], aliases, telex)} \
        >= {"bundesbank"}
    # In mixed case the same organisations stay: the rule reads the passage, not the names.
    mixed = [[], [M("Catanduva Mills", "org")]]
    assert [e.name for e in build_entities(mixed, aliases, ["", "Catanduva Mills said on Monday it would buy."])] \
        == ["Catanduva Mills"]


def test_an_outlet_naming_itself_is_not_an_organisation_of_its_story():
    """Reuters' stories say "told Reuters" and sign off "Reuter": the wire topped the organisation facet of
    most searches over its archive.  Another outlet's story naming Reuters keeps it."""
    from config.settings import Settings
    from index import article_from_record
    from index.ingest.entities import extract_entities
    from index.ingest.outlets import load_outlets
    from index.ingest.passages import split_passages

    outlets, aliases = load_outlets(Settings().outlets_file), load_aliases(ROOT / "config" / "aliases.toml")
    body = ("The International Monetary Fund will lend Brazil more money, Finance Minister Dilson Funaro told "
            "Reuters in an interview in Brasilia on Tuesday.\nReuter")
    own = article_from_record({"id": "r", "title": "FUNARO SEES IMF LOAN", "body": body, "source": "Reuters"}, outlets)
    other = article_from_record({"id": "s", "title": "FUNARO SEES IMF LOAN", "body": body, "source": "Daily Sabah"},
                                outlets)
    for article in (own, other):
        article.passages = split_passages(article.body)
    extract_entities([own, other], aliases)
    orgs = [{e.name for e in a.entities if e.type == "org"} for a in (own, other)]
    assert "International Monetary Fund" in orgs[0] and "Reuters" not in orgs[0], orgs[0]
    assert {"International Monetary Fund", "Reuters"} <= orgs[1], orgs[1]
