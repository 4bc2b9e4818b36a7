"""Acronyms and short names learned from text (index/ingest/acronyms.py), on plain strings."""

from __future__ import annotations

import pytest

from index.ingest.acronyms import abbreviates, definitions, is_acronym, is_acronym_of


@pytest.mark.parametrize("acronym, name", [
    ("IMF", "International Monetary Fund"), ("U.S.", "United States"), ("USA", "United States of America"),
    ("OPEC", "Organization of Petroleum Exporting Countries"), ("GATT", "General Agreement on Tariffs and Trade"),
    ("OECD", "Organisation for Economic Co-operation and Development"), ("EC", "European Community"),
    ("UNCTAD", "United Nations Conference on Trade and Development"), ("UK", "United Kingdom"),
    ("S and P", "Standard and Poor"), ("AT and T", "American Telephone and Telegraph"),  # as the wire writes S&P, AT&T
])
def test_initials(acronym, name):
    assert is_acronym_of(acronym, name)


@pytest.mark.parametrize("acronym, name", [
    ("US", "Ronald Reagan"), ("US", "U.S. Securities"), ("EC", "EC Commission"), ("Imf", "International Monetary Fund"),
    ("IMF", "Monetary Fund"), ("I", "International"),
])
def test_not_initials(acronym, name):
    assert not is_acronym_of(acronym, name)


def test_what_reads_as_an_acronym():
    assert is_acronym("IMF") and is_acronym("U.S.") and is_acronym("AT&T")
    assert not is_acronym("Petrobras") and not is_acronym("I") and not is_acronym("imf")
    assert is_acronym("S and P") and not is_acronym("US and UK") and not is_acronym("Smith and Jones")


def test_definitions_in_brackets():
    text = ("the International Monetary Fund (IMF) said. Petroleo Brasileiro SA (Petrobras) and the U.S. "
            "International Trade Commission (ITC). The International Cocoa Organization (ICCO) met.")
    assert definitions(text) == [("International Monetary Fund", "IMF"), ("Petroleo Brasileiro SA", "Petrobras"),
                                 ("International Trade Commission", "ITC"), ("International Cocoa Organization", "ICCO")]


def test_schwartz_hearst_abbreviation():
    assert abbreviates("ICCO", "International Cocoa Organization")
    assert not abbreviates("ICCO", "Cocoa Organization") and not abbreviates("XYZ", "International Monetary Fund")
