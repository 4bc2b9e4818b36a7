"""Validation at the edge (issue 12): each hostile input reproduced, then the behaviour it gets now.

Files: a bad line is skipped and reported with its number, the good lines land.
API bodies go through the same `article_from_record`, which raises
InvalidArticle naming the field (the service answers 400).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from config.settings import Settings
from index import Article, InvalidArticle, Skipped, article_from_record, read_articles
from index.ingest.entities import extract_entities, ner_pieces
from index.ingest.files import Reader, read_file
from index.ingest.outlets import load_outlets
from index.ingest.validate import BadJson, Limits, parse_json
from index.text.aliases import Aliases

OUTLETS = load_outlets(Settings().outlets_file)
GOOD = {"title": "Ceasefire monitors arrive", "body": "Turkish and Russian officers opened the centre."}


def good_line(n: int) -> str:
    return json.dumps(dict(GOOD, id=f"good-{n}"))


def read(tmp_path: Path, name: str, data: bytes, **settings) -> tuple[dict, list[Skipped]]:
    path = tmp_path / name
    path.write_bytes(data)
    items = list(read_articles([path], OUTLETS, settings=Settings(**settings)))
    return ({i.id: i for i in items if isinstance(i, Article)}, [i for i in items if isinstance(i, Skipped)])


# -- 2 and 7: lone surrogates and control characters ---------------------------------------

@pytest.mark.parametrize("field", ["title", "body", "source", "byline", "url"])
@pytest.mark.parametrize("bad", ["\ud800", "\udc80", "\u0000", "\u0001", "\u007f", "\u0085x\u0090"])
def test_invalid_text_in_any_field_skips_only_its_line(tmp_path, field, bad):
    if bad.startswith("\u0085"):
        bad = "\u0090"  # a C1 control (NEL alone is a line break)
    record = dict(GOOD, id="bad", url="https://example.org/a")
    record[field] = record.get(field, "x") + bad
    lines = [good_line(1), json.dumps(record), good_line(3)]  # json.dumps writes "\ud800" as an escape
    articles, skipped = read(tmp_path, "a.jsonl", "\n".join(lines).encode())
    assert set(articles) == {"good-1", "good-3"}
    (skip,) = skipped
    assert skip.path.endswith("a.jsonl:2") and field in skip.reason and "not valid text" in skip.reason
    with pytest.raises(InvalidArticle) as raised:  # the API's way in
        article_from_record(record, OUTLETS)
    assert raised.value.field == field


def test_tab_newline_crlf_and_form_feed_are_text():
    article = article_from_record({"id": "t", "title": "A\ttitle", "body": "One.\r\nTwo.\fThree.\r\n\r\nFour."}, OUTLETS)
    assert article.title == "A title" and "\r" not in article.body and "\f" not in article.body


# -- 3: JSON that parses badly -------------------------------------------------------------

@pytest.mark.parametrize("bad", ["[" * 100_000 + "]" * 100_000, '{"id": ' + "9" * 5000 + "}", "{not json"])
def test_json_that_breaks_the_parser_is_a_reported_skip(tmp_path, bad):
    with pytest.raises(BadJson):
        parse_json(bad)
    articles, skipped = read(tmp_path, "a.jsonl", "\n".join([good_line(1), bad, good_line(3)]).encode())
    assert set(articles) == {"good-1", "good-3"}  # the huge integer no longer drops the rest of the file
    assert [s.path.rsplit(":", 1)[-1] for s in skipped] == ["2"] and "JSON" in skipped[0].reason
    articles, skipped = read(tmp_path, "b.json", bad.encode())
    assert not articles and skipped[0].path.endswith("b.json")


def test_deep_nesting_inside_a_record_field_is_refused_by_field(tmp_path):
    record = dict(GOOD, id="n", title={"a": [[[[]]]]})
    articles, skipped = read(tmp_path, "a.jsonl", json.dumps(record).encode())
    assert not articles and "title must be a string" in skipped[0].reason


# -- 4: one invalid UTF-8 line -------------------------------------------------------------

def test_invalid_utf8_line_loses_only_itself(tmp_path):
    lines = [good_line(n).encode() for n in range(1, 11)]
    lines.insert(5, b'{"title": "caf\xe9", "body": "x"}')
    articles, skipped = read(tmp_path, "a.jsonl", b"\n".join(lines))
    assert len(articles) == 10
    assert skipped[0].path.endswith(":6") and "not UTF-8" in skipped[0].reason


def test_utf8_bom_is_fine_in_jsonl_json_and_text(tmp_path):
    articles, skipped = read(tmp_path, "a.jsonl", b"\xef\xbb\xbf" + good_line(1).encode())
    assert set(articles) == {"good-1"} and not skipped
    articles, skipped = read(tmp_path, "a.json", b"\xef\xbb\xbf" + good_line(2).encode())
    assert set(articles) == {"good-2"} and not skipped
    articles, skipped = read(tmp_path, "a.txt", "\ufeffA headline\n\nThe body text.".encode())
    assert [a.title for a in articles.values()] == ["A headline"]


# -- size limits -----------------------------------------------------------------------------

def test_overlong_line_and_article_text_are_per_line_reasons(tmp_path):
    long_body = json.dumps(dict(GOOD, id="long", body="word " * 3000))
    articles, skipped = read(tmp_path, "a.jsonl", "\n".join([good_line(1), long_body, good_line(3)]).encode(),
                             max_line_bytes=10_000)
    assert set(articles) == {"good-1", "good-3"} and "NEWSINDEX_MAX_LINE_BYTES" in skipped[0].reason
    articles, skipped = read(tmp_path, "b.jsonl", "\n".join([good_line(1), long_body]).encode(),
                             max_article_chars=5_000)
    assert set(articles) == {"good-1"} and "NEWSINDEX_MAX_ARTICLE_CHARS" in skipped[0].reason
    with pytest.raises(InvalidArticle) as raised:
        article_from_record(dict(GOOD, body="x" * 600_000), OUTLETS)
    assert raised.value.field == "body"


def test_a_small_gz_expanding_to_a_huge_line_takes_bounded_memory(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(good_line(1).encode() + b"\n")
        handle.write(b'{"body": "' + b"a" * (64 * 1024 * 1024) + b'"}\n')
        handle.write(good_line(3).encode() + b"\n")
    assert path.stat().st_size < 1024 * 1024
    reader = Reader(OUTLETS, limits=Limits(max_line_bytes=1024 * 1024))
    tracemalloc.start()
    items = list(read_file(path, reader))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [i.id for i in items if isinstance(i, Article)] == ["good-1", "good-3"]
    assert "NEWSINDEX_MAX_LINE_BYTES" in items[1].reason
    assert peak < 16 * 1024 * 1024, peak  # the 64 MB line was never held


def test_decompressed_size_limit_keeps_the_lines_before_it(tmp_path):
    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(good_line(1).encode() + b"\n" + b" " * (3 * 1024 * 1024) + b"\n" + good_line(3).encode())
    items = list(read_file(path, Reader(OUTLETS, limits=Limits(max_decompressed_bytes=2 * 1024 * 1024))))
    assert [i.id for i in items if isinstance(i, Article)] == ["good-1"]
    assert "NEWSINDEX_MAX_DECOMPRESSED_BYTES" in items[-1].reason


# -- 6: long texts for entity extraction ---------------------------------------------------

def test_long_units_go_to_the_model_in_pieces(monkeypatch):
    text = "word " * 300_000  # 1.5 M characters: spaCy's E088 limit is 1,000,000
    pieces = ner_pieces(text)
    assert "".join(pieces) == text and max(map(len, pieces)) <= 100_000
    import index.ingest.entities as entities
    monkeypatch.setattr(entities, "MAX_NER_CHARS", 60)
    monkeypatch.setattr(entities, "ner_pieces", lambda t, limit=60: ner_pieces(t, limit))
    article = article_from_record({"id": "e", "title": "Talks", "body": "Vladimir Putin met Recep Tayyip Erdogan "
                                   "in Moscow on Tuesday and the talks went on for a long time without a full stop "
                                   "while Ilham Aliyev waited in Baku for the result of the talks"}, OUTLETS)
    from index.ingest.passages import split_passages
    article.passages = split_passages(article.body)
    extract_entities([article], Aliases())
    names = {e.name for e in article.entities}
    assert {"Vladimir Putin", "Ilham Aliyev"} <= names, names


def test_a_run_of_text_with_no_full_stop_becomes_bounded_passages():
    from index.ingest.passages import MAX_WORDS, split_passages
    article = article_from_record(dict(GOOD, body="word " * 90_000), OUTLETS)  # 450 KB, one "sentence"
    passages = split_passages(article.body)
    assert max(len(p.text.split()) for p in passages) <= MAX_WORDS
    assert sum(len(p.text.split()) for p in passages) == 90_000
    assert [len(p.text.split()) for p in split_passages("A short one. " + "long " * 300 + "end.")] == [304]


# -- 8: urls are http(s) only ---------------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "vbscript:msgbox(1)",
                                 "data:text/html,<script>alert(1)</script>", "ftp://example.org/x", "//example.org",
                                 "http:///nohost"])
def test_non_http_urls_are_dropped_with_a_warning(empty_index, url):
    article = article_from_record(dict(GOOD, id="u", url=url), OUTLETS)
    assert article.url is None and "url dropped" in article.warnings[0]
    report = empty_index.ingest([article])
    assert report.added == 1 and any("url dropped" in w for w in report.warnings)
    assert article_from_record(dict(GOOD, id="v", url="https://example.org/a?b=1"), OUTLETS).url == "https://example.org/a?b=1"


# -- 9 and 10: dates keep their offset and lie in plausible years --------------------------

def test_offsets_are_applied_and_stored_as_utc(empty_index):
    article = article_from_record(dict(GOOD, id="tz", published="2021-01-30T09:00:00+02:00"), OUTLETS)
    assert article.published == datetime(2021, 1, 30, 7, 0)
    assert Article.from_dict(article.to_dict()) == article
    assert Article.from_dict(dict(article.to_dict(), published="2021-01-30T09:00:00+02:00")).published == \
        datetime(2021, 1, 30, 7, 0)
    empty_index.put(article)
    assert empty_index.get("tz").published == datetime(2021, 1, 30, 7, 0)
    assert article_from_record(dict(GOOD, published="30 January 2021 09:00 +0200"), OUTLETS).published == \
        datetime(2021, 1, 30, 7, 0)


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "1799-12-31T23:00:00", "0001-01-01T00:00:00+02:00"])
def test_implausible_dates_are_dropped_with_a_warning(date):
    article = article_from_record(dict(GOOD, id="d", published=date), OUTLETS)
    assert article.published is None and "date dropped" in article.warnings[0]


def test_the_plausible_range_is_a_setting(tmp_path):
    line = json.dumps(dict(GOOD, id="d", published="1987-02-26T15:01:01"))
    articles, _ = read(tmp_path, "a.jsonl", line.encode(), date_min_year=1990)
    assert articles["d"].published is None and "1990-2100" in articles["d"].warnings[0]


# -- 13: symlinks and unreadable folders ----------------------------------------------------

def test_symlinks_are_reported_not_followed_out_of_the_folder(tmp_path):
    folder, outside = tmp_path / "articles", tmp_path / "secret.txt"
    folder.mkdir()
    outside.write_text("Private headline\n\nPrivate body text.", encoding="utf-8")
    (folder / "ok.txt").write_text("A headline\n\nThe body text.", encoding="utf-8")
    (folder / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (folder / "escape.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to(folder / "ok.txt")
    items = list(read_articles([folder], OUTLETS))
    titles = [i.title for i in items if isinstance(i, Article)]
    reasons = {Path(i.path).name: i.reason for i in items if isinstance(i, Skipped)}
    assert "Private headline" not in titles and titles.count("A headline") == 2
    assert "dangling symlink" in reasons["dangling.txt"] and "outside" in reasons["escape.txt"]


def _walk_as_unprivileged(folder: Path) -> list:
    """iter_files(folder) in a forked child that drops root's rights first (root reads every folder)."""
    from index.ingest.files import iter_files

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            os.close(read_end)
            if os.getuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            items = [[str(i.path), i.reason] if isinstance(i, Skipped) else str(i) for i in iter_files([folder])]
            os.write(write_end, json.dumps(items).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_unreadable_folder_is_reported():
    base = Path(tempfile.mkdtemp(prefix="newsindex-perm-"))
    try:
        os.chmod(base, 0o755)
        (base / "ok.txt").write_text("A headline\n\nThe body text.", encoding="utf-8")
        (base / "locked").mkdir()
        (base / "locked" / "x.txt").write_text("Hidden\n\nText.", encoding="utf-8")
        os.chmod(base / "locked", 0)
        items = _walk_as_unprivileged(base)
        assert str(base / "ok.txt") in items
        assert [str(base / "locked"), "unreadable folder: Permission denied"] in items
    finally:
        os.chmod(base / "locked", 0o755)
        shutil.rmtree(base, ignore_errors=True)
