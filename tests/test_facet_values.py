"""Type-ahead ranking (index/search/facet_values.py): the whole name first, then counts."""

from __future__ import annotations

from index.search.facet_values import match_tier, normalise


def rank(prefix: str, values: list[tuple[str, int, list[str]]]) -> list[str]:
    """Values (display, count, variants) ordered as facet_values orders them."""
    tiers = [(match_tier(normalise(prefix), d, [d, *v]), -c, d) for d, c, v in values]
    return [d for tier, _, d in sorted(t for t in tiers if t[0] is not None)]


def test_saudi_offers_saudi_arabia_before_names_with_saudi_inside():
    values = [("Al Bank Al Saudi Al Fransi", 40, []), ("Saudia Arabia", 2, []), ("Saudi Arabia", 30, ["saudi arabia"]),
              ("Kuwait", 50, [])]
    assert rank("saudi", values) == ["Saudi Arabia", "Saudia Arabia", "Al Bank Al Saudi Al Fransi"]


def test_a_variant_typed_in_full_comes_first():
    values = [("United States", 3000, ["us", "united states", "america"]), ("US Sprint", 5, ["us sprint"]),
              ("Pacific Gas", 10, ["pacific gas"])]
    assert rank("US", values) == ["United States", "US Sprint"]
    assert rank("amer", values) == ["United States"]


def test_empty_prefix_is_by_count():
    values = [("B", 1, []), ("A", 5, []), ("C", 5, [])]
    assert rank("", values) == ["A", "C", "B"]
