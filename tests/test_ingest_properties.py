"""Property tests (hypothesis) over the ingest parsers: no input raises out of them, no valid line is lost.

Plain text, JSON, JSON Lines and HTML files are generated from arbitrary text,
bytes and nesting; reading them yields Articles and Skipped items only, and
every valid JSON Lines line among the junk comes out as its article.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from config.settings import Settings
from index import Article, InvalidArticle, Skipped, article_from_record
from index.ingest.files import Reader, read_file
from index.ingest.outlets import load_outlets
from index.ingest.reflow import reflow

OUTLETS = load_outlets(Settings().outlets_file)
READER = Reader(OUTLETS)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
records = st.dictionaries(
    st.sampled_from(["id", "title", "body", "text", "source", "publisher", "published", "date", "url", "link",
                     "byline", "author", "authors", "dateline", "places", "topics", "html", "summary", "extra"]),
    json_values | st.text(), max_size=8)
junk_lines = st.binary(max_size=200).filter(lambda b: b"\n" not in b) | st.text(max_size=200).map(
    lambda t: t.replace("\n", " ").encode("utf-8", "surrogatepass"))
valid_records = st.builds(
    lambda n, title, body: {"id": f"valid-{n}", "title": title, "body": body},
    st.integers(0, 10**6), st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=40),
    st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=300).map(lambda t: "Word " + t),
)


def read(tmp_path, name: str, data: bytes) -> list:
    path = tmp_path / name
    path.write_bytes(data)
    items = list(read_file(path, READER))
    assert all(isinstance(i, (Article, Skipped)) for i in items)
    return items


@SETTINGS
@given(record=records)
def test_any_record_is_an_article_or_invalid_article(record):
    try:
        article = article_from_record(record, OUTLETS)
    except InvalidArticle:
        return
    assert article.body.strip() and isinstance(article.title, str)
    json.dumps(article.to_dict(), ensure_ascii=False).encode("utf-8")  # storable: no lone surrogates


@SETTINGS
@given(lines=st.lists(st.one_of(valid_records.map(lambda r: ("valid", r)), junk_lines.map(lambda b: ("junk", b))),
                      max_size=12))
def test_jsonl_never_raises_and_never_loses_a_valid_line(tmp_path_factory, lines):
    tmp_path = tmp_path_factory.mktemp("jsonl")
    data = b"\n".join(json.dumps(x).encode() if kind == "valid" else x for kind, x in lines)
    items = read(tmp_path, "a.jsonl", data)
    found = {i.id for i in items if isinstance(i, Article)}
    assert {x["id"] for kind, x in lines if kind == "valid"} <= found


@SETTINGS
@given(data=st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
       depth=st.integers(0, 3000))
def test_json_file_of_any_bytes_or_nesting_never_raises(tmp_path_factory, data, depth):
    tmp_path = tmp_path_factory.mktemp("json")
    read(tmp_path, "a.json", data)
    read(tmp_path, "b.json", b"[" * depth + data + b"]" * depth)
    read(tmp_path, "c.jsonl", b'{"title": ' * depth + data)


@SETTINGS
@given(text=st.text(max_size=3000))
def test_plain_text_of_any_text_never_raises(tmp_path_factory, text):
    tmp_path = tmp_path_factory.mktemp("txt")
    items = read(tmp_path, "a.txt", text.encode("utf-8", "surrogatepass"))
    for item in items:
        if isinstance(item, Article):
            assert item.title and item.body


@SETTINGS
@given(body=st.text(max_size=2000), tag=st.sampled_from(["p", "div", "pre", "article", "script", "x"]))
def test_html_of_any_text_never_raises(tmp_path_factory, body, tag):
    tmp_path = tmp_path_factory.mktemp("html")
    page = f"<html><head><title>{body[:50]}</title></head><body><{tag}>{body}</{tag}></body></html>"
    read(tmp_path, "a.html", page.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(text=st.text(max_size=2000))
def test_reflow_keeps_every_word(text):
    clean = text.replace("\r", "\n")
    assert "".join(reflow(clean).split()) .replace("-", "") == "".join(clean.expandtabs(4).split()).replace("-", "")
