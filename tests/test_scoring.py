"""Ranking and filtering internals (index/search/scoring.py, matching.py) against plain reference computations: MaxScore's exact top
and holders are what scoring every match gives, though pruned units are scored on the survivors only and
their holders looked up only when asked; idf coordination is each article's held words' idf share; a date
filter read from the day column keeps what comparing `published` keeps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.query import SearchRequest
from index.search.catalog_keeper import exact_catalog
from index.search.expand import Limits
from index.search.matching import matching
from index.search.plan import make_plan
from index.search.bm25 import Scorer
from index.search.scoring import DEFAULT, score
from index.text.aliases import Aliases
from test_store import reuters_in_segments


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    index, records = reuters_in_segments(tmp_path_factory.mktemp("scoring") / "index", 400, 2)
    index.delete([records[3]["id"], records[250]["id"]])  # deleted articles are no candidates
    yield index.backend.store.snapshot()
    index.close()


QUERIES = ["oil prices dollar market trading crude opec output production barrels",
           "bank rate interest dollar yen currency markets trading dealers said",
           "company shares profit year net income quarter earnings dividend said"]
NO_BONUS = replace(DEFAULT, proximity=0.0)  # at this size the largest bonus keeps every unit whole


@pytest.mark.parametrize("q", QUERIES)
def test_the_pruned_top_and_holders_are_those_of_scoring_every_match(snapshot, q):
    plan = make_plan(SearchRequest(q=q), snapshot, Limits(), Aliases(), exact_catalog(snapshot, Aliases()))
    found = matching(plan.tree, snapshot, Limits(), snapshot.live_articles())
    every = score(snapshot, plan.units, candidates=found, params=NO_BONUS)
    exact = every.ranked(found, 0, 10)
    for _ in range(2):  # the second time, a word pruned again is read from its kept scores
        pruned = score(snapshot, plan.units, candidates=found, exact_top=10, params=NO_BONUS)
        assert pruned.pruned and pruned.unheld  # units were scored on the survivors only
        top = pruned.ranked(found, 0, 10)
        assert [o for o, _ in top] == [o for o, _ in exact]
        assert np.allclose([s for _, s in top], [s for _, s in exact], rtol=1e-12)  # units added in another order
    held = np.zeros(len(found), dtype=np.int64)  # the reference: each unit's word looked up in its postings
    for unit in plan.units:
        (alt,) = unit.alternatives
        held += np.isin(found, np.concatenate([snapshot.postings(f, alt.text)[0] for f in ("title", "body")]))
    for asked in (len(plan.units), len(plan.units) - 1, len(plan.units) - 3, 3):  # fewer asked: counts, not only "all"
        assert np.array_equal(pruned.holding(found, asked), held >= asked)
        assert np.array_equal(every.holding(found, asked), held >= asked)
    assert (held >= 3).any() and not (held >= 3).all()  # the checks can fail
    assert np.array_equal(every.counts(found), held)  # counted only when asked (a mix with vectors asks)


@pytest.mark.parametrize("q", ["crude oil", "oil prices opec", "dollar yen", "net profit dividend"])
def test_idf_coordination_is_each_articles_share_of_the_words_idf(snapshot, q):
    plan = make_plan(SearchRequest(q=q), snapshot, Limits(), Aliases(), exact_catalog(snapshot, Aliases()))
    assert 1 < len(plan.units) <= DEFAULT.coord_max_units
    found = matching(plan.tree, snapshot, Limits(), snapshot.live_articles())
    scored = score(snapshot, plan.units, candidates=found, params=NO_BONUS)
    scorer = Scorer(snapshot, ("title", "body"), NO_BONUS, Limits(), found)
    totals, held, count = np.zeros(snapshot.articles), np.zeros(snapshot.articles), np.zeros(snapshot.articles, int)
    weights = [scorer.weight_of(unit) for unit in plan.units]
    for unit, weight in zip(plan.units, weights):
        at, scores = scorer.unit(unit)
        totals[scorer.ordinals(at)] += scores
        held[scorer.ordinals(at)] += weight
        count[scorer.ordinals(at)] += 1
    expected = totals[found] * held[found] / sum(weights)
    assert np.allclose(scored.of(found), expected, rtol=1e-12)
    assert scored.counts(found).tolist() == count[found].tolist()
    assert np.array_equal(scored.holding(found, len(plan.units)), count[found] == len(plan.units))
    assert (held[found] < sum(weights)).any() and (held[found] == sum(weights)).any()  # some lack a word


@pytest.mark.parametrize("q", ["oil", "dividend", "yen"])
def test_one_word_is_ranked_by_its_scores_with_or_without_a_filter(snapshot, q):
    plan = make_plan(SearchRequest(q=q), snapshot, Limits(), Aliases(), exact_catalog(snapshot, Aliases()))
    found = matching(plan.tree, snapshot, Limits(), snapshot.live_articles())
    scorer = Scorer(snapshot, ("title", "body"), DEFAULT, Limits(), found)
    at, scores = scorer.unit(plan.units[0])
    expected = dict(zip(scorer.ordinals(at).tolist(), scores.tolist()))
    for candidates in (found, found[::2]):  # every holder, or a filter's share of them
        scored = score(snapshot, plan.units, candidates=candidates, exact_top=10)
        assert scored.of(candidates).tolist() == [expected[o] for o in candidates.tolist()]
        assert scored.holding(candidates, 1).all()
        best = sorted(candidates.tolist(), key=lambda o: (-expected[o], o))[:10]
        assert [o for o, _ in scored.ranked(candidates, 0, 10)] == best


@pytest.mark.parametrize("days", [(0, 0), (0, 1), (1, 3), (-400, 0), (2, 400)])
@pytest.mark.parametrize("share", [0, 10 ** 9])  # the range's articles marked from the day order / days compared
def test_a_date_filter_by_days_keeps_what_published_keeps(snapshot, days, share, monkeypatch):
    from datetime import timedelta
    from index.query import SearchRequest as Request
    from index.search import dates
    from index.search.matching import filter_mask
    from index.search.run import published_bounds
    from whoosh.util.times import long_to_datetime
    monkeypatch.setattr(dates, "MARK_SHARE", share)
    published = snapshot.article_column("published")
    first = long_to_datetime(int(published.min())).date()  # the archive's first day
    bounds = published_bounds(Request(date_from=first + timedelta(days[0]), date_to=first + timedelta(days[1])))
    expected = snapshot.live_articles() & (published >= bounds[0]) & (published <= bounds[1])
    assert np.array_equal(filter_mask(snapshot, [], [], bounds), expected)
    assert expected.any() and not expected[snapshot.live_articles()].all()  # some kept, some not
