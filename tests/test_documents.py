"""Parsing: titles, sources, dates and boilerplate of real-world article files."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from config.settings import Settings
from index import Skipped, read_articles
from index.ingest.outlets import load_outlets
from index.ingest.passages import split_passages, split_sentences

from conftest import SEEDS

OUTLETS = load_outlets(Settings().outlets_file)


def parse_seeds() -> dict:
    return {a.origin.rsplit("/", 1)[-1][:3]: a for a in read_articles([SEEDS], OUTLETS)}


def test_seed_titles_sources_and_dates():
    seeds = parse_seeds()
    assert len(seeds) == 5 and not any(isinstance(a, Skipped) for a in seeds.values())
    # The outlet's header line is the source, not the title.
    assert seeds["003"].title == "Ankara, Moscow Discuss Involving Other Countries in Nagorno-Karabakh Ceasefire Efforts"
    assert seeds["003"].source == "Asharq Al-Awsat"
    assert seeds["003"].published == datetime(2020, 11, 26, 5, 45)
    assert seeds["002"].title == "Putin informs Erdoğan about Nagorno-Karabakh meeting with Azerbaijan, Armenia"
    assert seeds["002"].source == "Daily Sabah"
    assert seeds["002"].published == datetime(2021, 1, 13)
    assert seeds["004"].title == "Russia agrees to Turkish peacekeepers in Nagorno-Karabakh"
    # A long standfirst with no headline is the summary and stands in as the title.
    assert seeds["000"].title.startswith("President Erdogan says Ankara and Moscow will be monitoring")
    assert seeds["000"].summary == seeds["000"].title
    assert seeds["000"].source == "TRT World"
    assert seeds["001"].title.startswith("The joint monitoring centre should become active")
    # Where the text states nothing, nothing is invented.
    for key in ("000", "001", "004"):
        assert seeds[key].published is None
    assert seeds["001"].source is None and seeds["004"].source is None


def test_seed_boilerplate_is_removed():
    seeds = parse_seeds()
    for article in seeds.values():
        assert "READ MORE" not in article.body
        assert "Source:" not in article.body
        assert "originally appeared" not in article.body
        assert "Editor Picks" not in article.body
        assert "Picture from" not in article.body
    assert not seeds["004"].body.rstrip().endswith("Russia")  # trailing tag list
    # The repeated caption appears once.
    assert seeds["000"].body.count("Azerbaijanis wave national flags") == 1
    assert seeds["002"].body.count("Putin informs Erdoğan") == 0  # the repeated headline is the title


def test_passages_never_cut_a_sentence():
    for article in parse_seeds().values():
        passages = split_passages(article.body)
        assert passages, article.title
        sentences = {s for p in article.body.split("\n\n") for s in split_sentences(p)}
        for passage in passages:
            words = len(passage.text.split())
            assert words <= 150
            for line in passage.text.split("\n"):
                for sentence in split_sentences(line):
                    assert sentence in sentences, sentence
            assert passage.text.rstrip()[-1] in '.!?"”’)' or len(passage.text.split("\n")[-1].split()) < 12


def test_sentence_splitter_keeps_abbreviations():
    text = "Azerbaijan signed on Nov. 10 a deal. Mr. Smith met the U.S. Army. It ended."
    assert split_sentences(text) == ["Azerbaijan signed on Nov. 10 a deal.", "Mr. Smith met the U.S. Army.", "It ended."]


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text("A headline\n\nSome body text that is the article itself.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 news\n\nBody".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "spaces.txt").write_text("   \n\n  ", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG...")
    items = list(read_articles([tmp_path], OUTLETS))
    articles = [i for i in items if not isinstance(i, Skipped)]
    skipped = {i.path.rsplit("/", 1)[-1]: i.reason for i in items if isinstance(i, Skipped)}
    assert [a.title for a in articles] == ["A headline"]
    assert skipped["empty.txt"] == "empty file"
    assert skipped["latin1.txt"].startswith("not UTF-8")
    assert skipped["binary.txt"] == "binary file"
    assert skipped["spaces.txt"] == "empty file"
    assert "unsupported file type" in skipped["image.png"]


def test_jsonl_articles_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a1", "title": "First", "body": "Body one.", "source": "TRTWorld", "published": "2021-01-13"}),
        "{not json",
        json.dumps({"id": "a2", "title": "No body"}),
        json.dumps({"id": "a3", "title": "Bad date", "body": "Text.", "published": "yesterday-ish"}),
        json.dumps({"id": "a4", "title": "Fourth", "body": "Body four.", "published": "2020-11-26T05:45:00Z",
                    "url": "https://example.org/4", "byline": "Jane Doe"}),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_articles([path], OUTLETS))
    articles = {i.id: i for i in items if not isinstance(i, Skipped)}
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert set(articles) == {"a1", "a4"}
    assert articles["a1"].source == "TRT World" and articles["a1"].published == datetime(2021, 1, 13)
    assert articles["a4"].url == "https://example.org/4" and articles["a4"].byline == "Jane Doe"
    assert [s.path.rsplit(":", 1)[-1] for s in skipped] == ["2", "3", "4"]
    assert "invalid JSON" in skipped[0].reason and "no body" in skipped[1].reason and "published" in skipped[2].reason


@pytest.mark.parametrize("line,expected", [
    ("Source: TRTWorld and agencies", "TRT World"),
    ("This article originally appeared in DAILY SABAH on 13 Jan 2021.", "Daily Sabah"),
    ("Source: The Example Courier", "The Example Courier"),
])
def test_source_lines(line, expected, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(f"A short headline\n\nThe body of the article says something.\n\n{line}\n", encoding="utf-8")
    (article,) = read_articles([path], OUTLETS)
    assert article.source == expected
    assert line not in article.body


# -- field mapping, datelines, tags, corpus-wide source (issue 13) ----------------------------

REUTERS_LIKE = {
    "id": "r1", "date": "1987-03-03T15:01:01.790", "title": "OPEC OUTPUT BELOW CEILING",
    "dateline": "NEW YORK, March 3",
    "body": "OPEC members are producing below their\nceiling, a Kuwaiti minister said.\n    Prices firmed.",
    "topics": ["crude"], "places": ["kuwait", "usa"], "people": [], "orgs": ["opec"], "exchanges": [],
    "lewissplit": "TRAIN",
}


def test_record_with_dateline_and_tag_lists():
    from index import article_from_record
    article = article_from_record(REUTERS_LIKE, OUTLETS, source="Reuters")
    assert article.dateline == "New York" and article.source == "Reuters"
    assert article.tags == {"topics": ["crude"], "places": ["kuwait", "usa"], "orgs": ["opec"]}
    assert article.body == "OPEC members are producing below their ceiling, a Kuwaiti minister said.\n\nPrices firmed."
    assert article.published == datetime(1987, 3, 3, 15, 1, 1, 790000)
    assert not any(e.type == "place" for e in article.entities)  # tags are not entities


def test_dateline_at_the_start_of_a_body_is_the_place_not_text():
    from index import article_from_record
    article = article_from_record({"id": "d", "title": "T", "body": "ANKARA (Reuters) - Turkey said on Monday it would act."},
                                  OUTLETS)
    assert article.dateline == "Ankara" and article.body == "Turkey said on Monday it would act."
    assert article.source == "Reuters"  # the agency in the dateline, as no source was stated


def test_a_unit_in_brackets_is_no_agency():
    """A commodity table opens "TOKYO RUBBER (YEN PER KILO) - APRIL 08": no dateline, no source "YEN PER KILO"."""
    from index import article_from_record
    table = article_from_record({"id": "t", "title": "T", "body": "TOKYO RUBBER (YEN PER KILO) - APRIL 08\nAPR 122.3"}, OUTLETS)
    assert table.source is None and table.dateline is None and table.body.startswith("TOKYO RUBBER")
    wire = article_from_record({"id": "w", "title": "T", "body": "BEIJING (Xinhua) - China said on Monday it would act."},
                               OUTLETS)
    assert wire.dateline == "Beijing" and wire.source == "Xinhua"


def test_a_dateline_field_holding_no_place_gives_no_dateline():
    """Reuters' converter left a table's words or a bare date in some dateline fields: no place, no place entity."""
    from index import article_from_record
    for junk in ("(totals", "APRIL 7", "MAR8 --", "us 7.8015", "overnight 4 1/2", "As of April 7", "7",
                 "Accumulative total at 1800 gmt", "H 6.12 - 5.87 2 MTH 6.50", "- Position of APR 6"):
        article = article_from_record({"id": "j", "title": "T", "dateline": junk, "body": "Platinum 4321 19120"}, OUTLETS)
        assert article.dateline is None, junk
    for field, place in (("****LONDON, March 5", "London"), ("JOHANNESBURG March 13", "Johannesburg"),
                         ("ST. JOHN'S, Newfoundland, March 2", "St. John's, Newfoundland"), ("Rio de Janeiro", "Rio de Janeiro"),
                         ("PLYMOUTH MEETING, Pa, June 1", "Plymouth Meeting, Pa"), ("N'DJAMENA, March 3", "N'Djamena"),
                         ("ÉVRY, March 3", "Évry"), ("ZÜRICH, May 4", "Zürich"), ("İzmir", "İzmir"),
                         # the date however written, up to a dash before text; a lower-case place before a date
                         ("RICHMOND, Va. Feb 26", "Richmond, Va."), ("NEW YORK, FEb 26", "New York"),
                         ("AMSTERDAM, 2 March", "Amsterdam"), ("HAMBURG, March 4 - Vereins", "Hamburg"),
                         ("CHEVY CHASE, Md., - March 4", "Chevy Chase, Md."), ("des moines, april 7", "Des Moines"),
                         ("c CHICAGO, March 9", "Chicago")):
        article = article_from_record({"id": "p", "title": "T", "dateline": field, "body": "Talks went on."}, OUTLETS)
        assert article.dateline == place


def test_a_hostile_dateline_field_never_reaches_the_patterns(monkeypatch):
    """The field's pattern once backtracked cubically ("A", 400 spaces and "B" took 8 s; a few thousand, hours).
    It is read word by word now, and a field longer than a dateline is none, unread."""
    from index.ingest import datelines
    assert datelines.parse_dateline("A" + " " * 110 + "B") == "A B"
    assert datelines.parse_dateline("*" * 100 + "LONDON") == "London"

    class Unread:
        def __getattr__(self, name):
            raise AssertionError("a pattern ran over an overlong field")
    monkeypatch.setattr(datelines, "_PLACE_FIELD", Unread())
    monkeypatch.setattr(datelines, "display_place", Unread())
    for hostile in ("A" + " " * 5000 + "B", "A, " * 400 + "x", "LONDON" + " March 3" * 100, "*" * 100000):
        assert datelines.parse_dateline(hostile) is None


def test_the_wires_sign_off_is_no_text():
    from index import article_from_record
    wrapped = "Prices rose on Monday.\n    Traders said the figures,\nreleased today, were firm."  # as the wire wraps
    for ending in ("\n REUTER^M", "\nReuter", "\n\nREUTER\r\n"):
        article = article_from_record({"id": "s", "title": "T", "body": wrapped + ending}, OUTLETS)
        assert article.body == "Prices rose on Monday.\n\nTraders said the figures, released today, were firm.", ending
    kept = article_from_record({"id": "k", "title": "T", "body": "He spoke to Reuters\nin an interview."}, OUTLETS)
    assert kept.body.endswith("in an interview.")


def test_common_field_names_map_without_configuration():
    from index import article_from_record
    article = article_from_record({"headline": "H", "content": "Some text.", "publisher": "TRTWorld",
                                   "author": ["Jane Doe", "John Roe"], "link": "https://example.org/x",
                                   "published": "2021-01-13", "keywords": ["ceasefire"]}, OUTLETS)
    assert (article.title, article.body, article.source, article.byline, article.url) == (
        "H", "Some text.", "TRT World", "Jane Doe, John Roe", "https://example.org/x")
    assert article.tags == {"keywords": ["ceasefire"]}


def test_declared_field_map_and_source_option(tmp_path, empty_index):
    from index import read_articles
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": "m1", "hed": "Mapped title", "story": "Mapped body text.",
                                "regions": ["Caucasus"]}) + "\n" +
                    json.dumps({"id": "m2", "hed": "Second", "story": "Text.", "source": "Daily Sabah"}) + "\n",
                    encoding="utf-8")
    settings = Settings(field_map="title=hed,body=story,tags.region=regions")
    articles = {a.id: a for a in read_articles([path], OUTLETS, source="Archive Desk", settings=settings)}
    assert articles["m1"].title == "Mapped title" and articles["m1"].body == "Mapped body text."
    assert articles["m1"].tags == {"region": ["Caucasus"]} and articles["m1"].source == "Archive Desk"
    assert articles["m2"].source == "Daily Sabah"  # a stated source wins
    with pytest.raises(ValueError, match="unknown target"):
        read_articles([path], OUTLETS, settings=Settings(field_map="headline=hed"))
    empty_index.ingest(articles.values())
    stored = empty_index.get("m1")
    assert stored.tags == {"region": ["Caucasus"]}


def test_dateline_place_is_a_place_entity_when_stored(empty_index):
    from index import article_from_record
    empty_index.put(article_from_record(REUTERS_LIKE, OUTLETS))
    stored = empty_index.get("r1")
    assert stored.dateline == "New York"
    assert any(e.type == "place" and e.name == "New York" for e in stored.entities)


def test_cli_source_option(runner, tmp_path):
    from service.cli import cli
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "c1", "title": "T", "body": "Body text here."}) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(path), "--source", "Reuters", "--no-entities", "--json",
                                 "--index", str(tmp_path / "index")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[-1])  # JSON lines: batches, then the report
    assert report["added"] == 1 and report["warnings"] == []
    from index import Index
    with Index.open(tmp_path / "index", settings=Settings(index_dir=tmp_path / "index")) as index:
        assert index.get("c1").source == "Reuters"
