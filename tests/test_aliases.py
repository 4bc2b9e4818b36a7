"""The editorial alias file: merging at ingest, expansion at query time, clear errors."""

from __future__ import annotations

import json

import pytest

from index import AliasFileError, Index, SearchRequest, read_articles
from index.text.aliases import load_aliases
from service.app import create_app

from conftest import BOTH, make_settings

pytestmark = BOTH

ALIASES = """
[[entity]]
name = "Nikol Pashinyan"
type = "person"
aliases = ["Pashinian", "Nikol Pashinian"]
"""


def write_articles(path):
    articles = [
        {"id": "a", "title": "Yerevan talks", "body": "Prime Minister Nikol Pashinyan met officials in Yerevan on Monday."},
        {"id": "b", "title": "Moscow talks", "body": "Armenian Prime Minister Nikol Pashinian flew to Moscow for talks."},
        {"id": "c", "title": "Unrelated", "body": "The central bank left interest rates unchanged on Thursday."},
    ]
    path.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")


@pytest.fixture
def alias_index(tmp_path):
    alias_file = tmp_path / "aliases.toml"
    alias_file.write_text(ALIASES, encoding="utf-8")
    settings = make_settings(tmp_path / "index", aliases=alias_file)
    write_articles(tmp_path / "a.jsonl")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest(read_articles([tmp_path / "a.jsonl"], index.outlets))
        yield index, settings


def test_aliases_merge_at_ingest(alias_index):
    index, _ = alias_index
    people = index.search(SearchRequest()).facets["person"]
    assert [(v.value, v.count) for v in people if "Pash" in v.value] == [("Nikol Pashinyan", 2)]
    assert {e.name for e in index.get("b").entities if e.type == "person"} == {"Nikol Pashinyan"}


def test_query_for_an_alias_finds_the_other_spellings_and_says_so(alias_index):
    index, settings = alias_index
    result = index.search(SearchRequest(q="pashinian"))
    assert {h.id for h in result.hits} == {"a", "b"}
    aliases = [e for e in result.expanded if e.get("via") != "feedback"]  # feedback words are listed too
    assert aliases == [{"term": "pashinian", "to": ["Nikol Pashinyan", "Pashinian", "Nikol Pashinian"]}]
    body = create_app(settings).test_client().get("/api/v1/search?q=pashinian").get_json()
    assert body["expanded"][0]["term"] == "pashinian"
    assert "Nikol Pashinyan" in body["expanded"][0]["to"]


def test_a_quoted_name_finds_its_alias_names_written_out_not_a_one_word_alias_as_a_word(tmp_path):
    alias_file = tmp_path / "aliases.toml"
    alias_file.write_text('[[entity]]\nname = "Federal Reserve"\ntype = "org"\n'
                          'aliases = ["Fed", "Federal Reserve Board"]\n', encoding="utf-8")
    articles = [
        {"id": "rates", "title": "Rates", "body": "The Federal Reserve raised interest rates on Tuesday."},
        {"id": "board", "title": "Board", "body": "The Federal Reserve Board approved the merger of two banks."},
        {"id": "cattle", "title": "Cattle", "body": "Steers fed on corn gained weight, the cattle report said."},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    settings = make_settings(tmp_path / "index", aliases=alias_file)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest(read_articles([tmp_path / "a.jsonl"], index.outlets))
        quoted = index.search(SearchRequest(q='"Federal Reserve"', feedback=False))
        assert {h.id for h in quoted.hits} == {"rates", "board"}
        assert quoted.expanded == [{"term": "federal reserve", "to": ["Federal Reserve", "Federal Reserve Board"]}]


def test_plain_query_has_no_expansion(alias_index):
    index, _ = alias_index
    assert index.search(SearchRequest(q="Yerevan", feedback=False)).expanded == []


@pytest.mark.parametrize("text,problem", [
    ('[[entity]]\nname = "X"\naliases = ["Y"\n', "aliases.toml:"),
    ('[[entity]]\ntype = "person"\naliases = ["Y"]\n', "needs a non-empty `name`"),
    ('[[entity]]\nname = "X"\ntype = "planet"\n', ":3: type 'planet'"),
    ('[[entity]]\nname = "X"\naliases = "Y"\n', "must be a list"),
    ('[[entity]]\nname = "A"\n\n[[entity]]\nname = "X"\nalias = ["Y"]\n', ":6: unknown key(s) ['alias']"),
])
def test_malformed_alias_file_names_file_line_and_problem(tmp_path, text, problem):
    path = tmp_path / "aliases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AliasFileError) as err:
        load_aliases(path)
    assert str(path) in str(err.value) and problem in str(err.value)
    with pytest.raises(AliasFileError):
        create_app(make_settings(tmp_path / "index", aliases=path))


def test_shipped_alias_file_loads():
    from config.settings import Settings
    assert len(load_aliases(Settings().aliases)) >= 5
