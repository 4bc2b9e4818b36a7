"""The gazetteer table (index/ingest/place_names.py): what it knows, and the saved copy is current."""

from __future__ import annotations

from index.ingest.place_names import TABLE, _load, build, place_names


def test_countries_by_every_name_and_code():
    places = place_names()
    for key in ("us", "usa", "united states", "united states of america"):
        assert places.lookup(key).name == "United States", key
    assert places.lookup("russian federation").name == places.lookup("russia").name == "Russia"
    assert places.lookup("republic of armenia").name == "Armenia"
    assert places.lookup("us").is_code and not places.lookup("russia").is_code
    assert places.lookup("ussr").name == "USSR"  # pycountry's historic countries


def test_cities_and_their_other_names():
    places = place_names()
    assert places.lookup("bandar abbas").kind == "city"
    assert places.lookup("peking").name == "Beijing" and places.lookup("bombay").name == "Mumbai"
    assert places.lookup("texas").kind == "region"
    assert "georgia" in places.shared  # a country and a US state
    assert places.lookup("american") is None and places.lookup("armenians") is None  # demonyms are not names


def test_the_press_abbreviations_of_us_states_win_over_country_codes():
    """"Harrisburg, Pa." is in Pennsylvania, not Panama ("PA"); "N.C." is not New Caledonia."""
    places = place_names()
    assert places.lookup("calif").name == "California" and places.lookup("calif").kind == "region"
    for key, state in (("pa", "Pennsylvania"), ("nc", "North Carolina"), ("sc", "South Carolina"), ("va", "Virginia"),
                       ("ind", "Indiana")):
        assert places.lookup(key).name == state, key
    assert places.lookup("us").name == "United States" and places.lookup("usa").is_code


def test_the_saved_table_is_what_the_libraries_give():
    saved = _load(TABLE)
    assert saved is not None, f"{TABLE} is missing or from other library versions: run python -m index.ingest.place_names"
    fresh = build()
    assert saved._places == fresh._places and saved.shared == fresh.shared


def test_translations_and_qualifiers_are_no_place_names():
    """The gazetteer's alternates of several words are translations that are English phrases ("White House"
    is Casablanca's, "Garden City" Singapore's), and a historic country's qualifier is no name ("Yemen,
    Democratic"): none means a place; exonyms of one word still do, hyphens allowed."""
    places = place_names()
    for key in ("white house", "garden city", "democratic", "metropolitan", "edo"):
        assert places.lookup(key) is None, key
    assert places.lookup("peking").name == "Beijing" and places.lookup("alma ata").name == "Almaty"
    assert places.lookup("czechoslovak socialist republic").name == "Czechoslovakia"


def test_another_citys_own_name_is_no_alternate():
    """Belém's alternates hold "Bethlehem" (its translation), Harare's "Salisbury" (its old name): both are
    also towns of their own (Bethlehem, Pa.; Salisbury, England), too small for the table but no less
    themselves, so neither name means the large city. Names no other city bears still do."""
    places = place_names()
    for key in ("bethlehem", "salisbury", "bridgetown", "whitehall"):
        assert places.lookup(key) is None, key
    assert places.lookup("belem").name == "Belém" and places.lookup("harare").name == "Harare"
    assert places.lookup("leningrad").name == "Saint Petersburg" and places.lookup("rangoon").name == "Yangon"
