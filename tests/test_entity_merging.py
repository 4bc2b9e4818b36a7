"""One value per real entity, the same type on every endpoint: a real index (real NER) and the real app.

The index holds the five seeds and a few 1987 wire stories (tests/data/entities_1987.jsonl)
written the way Reuters writes: "U.S." and "United States", "Reagan" after
"President Ronald Reagan", "the International Monetary Fund (IMF)" then "the IMF",
"Aramco" (which the model calls a person or a place) beside "Aramco Corp", and a
"Peter Nicol" of OPEC stories beside the "Nicol" of a Karabakh seed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote, urlencode

import pytest

from index import Index, SearchRequest, article_from_record, read_articles
from service.app import create_app

from conftest import ROOT, SEEDS, make_settings

STORIES = ROOT / "tests" / "data" / "entities_1987.jsonl"


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """(Index, Flask test client) over the seeds and the 1987 stories, entities on."""
    path = tmp_path_factory.mktemp("entities") / "index"
    settings = make_settings(path)
    with Index.open(path, create=True, settings=settings) as index:
        stories = [article_from_record(json.loads(line), index.outlets, origin="stories")
                   for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
        report = index.ingest([*read_articles([SEEDS], index.outlets), *stories])
        assert report.added == 5 + len(stories), report.summary()
    index = Index.open(path, settings=settings)
    yield index, create_app(settings).test_client()
    index.close()


def facet(index: Index, kind: str, **filters) -> dict[str, int]:
    return {v.value: v.count for v in index.search(SearchRequest(per_page=100, facet_limit=100, **filters)).facets[kind]}


def ids(index: Index, **filters) -> set[str]:
    return {h.id for h in index.search(SearchRequest(per_page=100, facets=False, **filters)).hits}


def test_us_and_united_states_are_one_place(merged):
    index, _ = merged
    places = facet(index, "place")
    assert not {"U.S.", "U.S", "US", "USA"} & set(places)
    assert places["United States"] >= 5
    written = {"e-us-1", "e-us-2", "e-us-3", "e-reagan-1", "e-reagan-3"}  # United States, U.S., US
    for name in ("US", "U.S.", "United States", "America"):
        assert written <= ids(index, place=[name]), name


def test_britain_and_uk_are_one_place(merged):
    index, _ = merged
    places = facet(index, "place")
    assert "Britain" not in places and "U.K." not in places
    assert {"e-uk-1", "e-uk-2"} <= ids(index, place=["Britain"]) == ids(index, place=["U.K."])


def test_reagan_is_ronald_reagan(merged):
    index, client = merged
    people = facet(index, "person")
    assert people["Ronald Reagan"] == 3 and "Reagan" not in people
    assert ids(index, person=["Reagan"]) == {"e-reagan-1", "e-reagan-2", "e-reagan-3"}
    hit = index.search(SearchRequest(q="protectionist")).hits[0]
    assert hit.id == "e-reagan-3" and hit.entities["person"] == ["Ronald Reagan"]
    body = client.get("/api/v1/entities/person/Reagan").get_json()
    assert body["name"] == "Ronald Reagan" and body["type"] == "person"
    (surname,) = [v for v in body["variants"] if v["key"] == "reagan"]
    assert surname["reason"] == "surname" and "comparable context" in surname["detail"]


def test_imf_is_the_international_monetary_fund(merged):
    index, client = merged
    orgs = facet(index, "org")
    assert orgs["International Monetary Fund"] == 2 and "IMF" not in orgs
    assert ids(index, org=["IMF"]) == {"e-imf-1", "e-imf-2"}
    body = client.get("/api/v1/entities/org/IMF").get_json()
    assert body["name"] == "International Monetary Fund"
    assert {v["key"]: v["reason"] for v in body["variants"]}["imf"] == "acronym"


def test_nicol_of_a_karabakh_story_is_not_peter_nicol_of_opec(merged):
    index, client = merged
    karabakh = next(h.id for h in index.search(SearchRequest(q='"Nicol the traitor"')).hits)
    names = {e.name for e in index.get(karabakh).entities}
    assert "Peter Nicol" not in names
    assert ids(index, person=["Peter Nicol"]) == {"e-nicol-1", "e-nicol-2"}  # in-article "Nicol" included
    # "Nicol" alone is used in an OPEC story and in the Karabakh one: one key cannot be both people.
    body = client.get("/api/v1/entities/person/Nicol").get_json()
    assert body["name"] == "Nicol" and [v["key"] for v in body["variants"]] == ["nicol"]
    assert karabakh in ids(index, person=["Nicol"])
    article = client.get(f"/api/v1/articles/{karabakh}").get_json()
    assert "Peter Nicol" not in {e["name"] for e in article["entities"]}
    assert "Peter Nicol" not in client.get(f"/articles/{karabakh}").get_data(as_text=True)


def test_aramco_is_an_organisation_on_every_endpoint(merged):
    index, client = merged
    assert "Aramco" in facet(index, "org")
    assert not {"Aramco", "Aramco Corp"} & (set(facet(index, "person")) | set(facet(index, "place")))
    # The API article (the model called it a person here, a place in e-aramco-3).
    for article_id in ("e-aramco-1", "e-aramco-2", "e-aramco-3"):
        entities = client.get(f"/api/v1/articles/{article_id}").get_json()["entities"]
        assert [e["type"] for e in entities if "aramco" in e["key"]] == ["org"], article_id
    # The search hits.
    hits = client.get("/api/v1/search?q=aramco").get_json()["results"]
    assert {h["id"] for h in hits} == {"e-aramco-1", "e-aramco-2", "e-aramco-3"}
    for hit in hits:
        assert "Aramco" in hit["entities"]["org"]
        assert not any("Aramco" in n for n in hit["entities"]["person"] + hit["entities"]["place"])
    # The CSV export.
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/search.csv?q=aramco").get_data(as_text=True))))
    assert len(rows) == 3 and all("Aramco" in row["org"].split("; ") for row in rows)
    assert not any("Aramco" in row["person"] + row["place"] for row in rows)
    # The article page lists it under Organisations.
    page = client.get("/articles/e-aramco-2").get_data(as_text=True)
    organisations = re.search(r'id="ent-org">Organisations</h2>(.*?)</section>', page, re.S).group(1)
    assert ">Aramco<" in organisations
    assert ">Aramco<" not in re.search(r'id="ent-person".*?</section>|$', page, re.S).group(0)
    # And the entity itself says why.
    body = client.get("/api/v1/entities/org/Aramco").get_json()
    assert body["type"] == "org" and "company suffix" in body["type_reason"]
    assert client.get("/api/v1/entities/person/Aramco").status_code == 404


def test_saudi_type_ahead_offers_saudi_arabia_first(merged):
    index, client = merged
    values = client.get("/api/v1/facets/place?prefix=saudi").get_json()["values"]
    assert values[0]["value"] == "Saudi Arabia"
    assert index.facet_values("place", "saud")[0].value == "Saudi Arabia"


def test_every_endpoint_shows_one_name_and_type(merged):
    """Entities of every hit (search API) appear in the article view (API) under the same type."""
    index, client = merged
    for hit in client.get("/api/v1/search?per_page=100").get_json()["results"]:
        article = client.get(f"/api/v1/articles/{hit['id']}").get_json()
        shown = {(e["type"], e["name"]) for e in article["entities"]}
        listed = {(kind, name) for kind, names in hit["entities"].items() for name in names}
        assert listed == shown, hit["id"]
        assert len({e["key"] for e in article["entities"]}) == len(article["entities"])  # each entity once


def test_entity_endpoint_errors(merged):
    _, client = merged
    assert client.get("/api/v1/entities/person/Nobody%20Known").status_code == 404
    wrong = client.get("/api/v1/entities/person/Saudi%20Arabia")
    assert wrong.status_code == 404 and "/api/v1/entities/place/Saudi%20Arabia" in wrong.get_json()["error"]["message"]
    assert client.get("/api/v1/entities/thing/Aramco").status_code == 404


def test_every_entity_shown_answers_at_its_address_even_with_a_slash_in_its_name(merged, tmp_path):
    """A facet's entity is explained at /api/v1/entities/<type>/<name, URL-quoted>, "Royal Dutch/Shell
    Group" too (a "/" in a name decodes to a path separator before routing)."""
    index, client = merged
    shown = client.get("/api/v1/search?per_page=1&facets=person,org,place&facet_size=100").get_json()["facets"]
    for kind in ("person", "org", "place"):
        for value in shown[kind]:
            body = client.get(f"/api/v1/entities/{kind}/{quote(value['value'], safe='')}").get_json()
            assert body["name"] == value["value"] and body["type"] == kind and body["variants"], value
    settings = make_settings(tmp_path / "index")
    with Index.open(settings.index_dir, create=True, settings=settings) as one:
        one.ingest([article_from_record({"id": "rds", "title": "ROYAL DUTCH/SHELL RAISES CRUDE PRICES", "body":
                                         "Royal Dutch/Shell Group said on Monday it would raise its posted crude "
                                         "oil prices by 50 cents a barrel. A Royal Dutch/Shell Group spokesman in "
                                         "London said the rise was effective today."}, one.outlets)])
    client = create_app(settings).test_client()
    (name,) = client.get("/api/v1/search?q=crude").get_json()["results"][0]["entities"]["org"]
    assert "/" in name
    body = client.get(f"/api/v1/entities/org/{quote(name, safe='')}").get_json()
    assert body["name"] == name and body["search"] == "/api/v1/search?" + urlencode({"org": name})
    wrong = client.get(f"/api/v1/entities/person/{quote(name, safe='')}").get_json()["error"]["message"]
    assert f"/api/v1/entities/org/{quote(name, safe='')}" in wrong
