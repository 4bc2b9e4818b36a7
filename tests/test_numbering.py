"""Archive-wide value numbers (index/search/numbering.py): story families numbered by hash as strings would be."""

from __future__ import annotations

import random

from index.search.numbering import HashedNames, Names


def test_families_are_numbered_as_the_string_numbering_numbers_them():
    rng = random.Random(4)
    hashed, plain = HashedNames(), Names()
    pool = [f"{rng.randrange(10 ** 9)}-{i}" for i in range(3000)]
    for _ in range(20):  # segments arriving one after another, sharing some families
        names = [rng.choice(pool) for _ in range(rng.randrange(0, 400))]
        assert hashed.of(names).tolist() == plain.of(names).tolist()
    asked = pool[:50] + ["never seen", "nor this"]
    assert hashed.known(asked).tolist() == [plain.number[n] for n in asked if n in plain.number]
    assert hashed.of([]).tolist() == [] and hashed.known([]).tolist() == []
