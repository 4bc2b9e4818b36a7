"""Property tests over the write API (hypothesis): whatever a client sends, never a 5xx, never a lost line.

Arbitrary text (lone surrogates and control characters included) in every
field, arbitrary bytes as a body or a bulk line, arbitrary nesting: each
answer is a 2xx or a 4xx in the one error shape.  And in a bulk body mixing
valid articles with garbage, every valid line is reported ok and is there to
read afterwards.
"""

from __future__ import annotations

import json
import os
import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import make_settings
from service import auth

EXAMPLES = 40
FIELDS = ("id", "title", "body", "html", "source", "published", "url", "byline")
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def api(seed_dir, tmp_path_factory):
    from service.app import create_app
    target = tmp_path_factory.mktemp("properties") / "index"
    shutil.copytree(seed_dir, target)
    app_settings = make_settings(target, entities=False, max_bulk_bytes=256 * 1024)
    key = {"Authorization": f"Bearer {auth.create_key(app_settings.keys_file, 'prop', 'write')}"}
    return create_app(app_settings).test_client(), key


def fresh_random() -> None:
    random.seed(os.urandom(16))  # Whoosh names segments with `random`, which hypothesis pins per example


def assert_clean(response) -> None:
    """Never a server error; an error is the one JSON shape."""
    assert response.status_code < 500, (response.status_code, response.data[:300])
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["status"] == response.status_code and error["code"] and error["message"]


any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=60)  # surrogates, controls
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3),
    max_leaves=12)


def dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()  # ASCII escapes carry lone surrogates through


@PROPERTY_SETTINGS
@given(record=st.dictionaries(st.sampled_from(FIELDS), any_text | json_values, max_size=6),
       article_id=any_text.filter(lambda s: s.strip("/") and "\x00" not in s and "?" not in s and "#" not in s))
def test_put_of_any_fields_never_a_server_error(api, record, article_id):
    fresh_random()
    client, key = api
    from urllib.parse import quote
    path = "/api/v1/articles/" + quote(article_id.encode("utf-8", "surrogatepass"), safe="/")
    assert_clean(client.put(path, data=dumps(record), content_type="application/json", headers=key))
    assert_clean(client.post("/api/v1/articles", data=dumps(record), content_type="application/json", headers=key))


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=2000), content_type=st.sampled_from(
    ["application/json", "application/x-ndjson", "text/plain", "application/merge-patch+json", ""]))
def test_any_bytes_as_a_body_never_a_server_error(api, body, content_type):
    fresh_random()
    client, key = api
    headers = {**key, **({"Content-Type": content_type} if content_type else {})}
    assert_clean(client.put("/api/v1/articles/bytes", data=body, headers=headers))
    assert_clean(client.patch("/api/v1/articles/bytes", data=body, headers=headers))
    assert_clean(client.post("/api/v1/articles/bulk", data=body, headers=headers))
    assert_clean(client.post("/api/v1/articles/bulk-delete", data=body, headers=headers))


@PROPERTY_SETTINGS
@given(depth=st.integers(min_value=1, max_value=30_000), opener=st.sampled_from([b"[", b'{"a":']))
def test_any_nesting_never_a_server_error(api, depth, opener):
    client, key = api
    closer = b"]" if opener == b"[" else b"}"
    body = b'{"body": ' + opener * depth + b"1" + closer * depth + b"}"
    assert_clean(client.put("/api/v1/articles/deep", data=body, content_type="application/json", headers=key))
    assert_clean(client.post("/api/v1/articles/bulk", data=b'{"id": "ok-deep", "body": "fine"}\n' + body, headers=key))


valid_line = st.builds(lambda n, words: {"id": f"valid-{n}", "title": f"Title {n}", "body": " ".join(words) or "text"},
                       st.integers(min_value=0, max_value=10**9),
                       st.lists(st.sampled_from(["Goris", "convoy", "reached", "the", "border", "talks"]),
                                min_size=1, max_size=12))
garbage_line = st.binary(max_size=300).map(lambda b: b.replace(b"\n", b" ")) | \
    json_values.map(lambda v: dumps(v))


@PROPERTY_SETTINGS
@given(lines=st.lists(st.one_of(valid_line, garbage_line), min_size=1, max_size=12))
def test_bulk_never_loses_a_valid_line(api, lines):
    fresh_random()
    client, key = api
    body = b"\n".join(dumps(line) if isinstance(line, dict) else line for line in lines) + b"\n"
    response = client.post("/api/v1/articles/bulk", data=body, headers=key)
    assert_clean(response)
    if response.status_code != 200:
        assert all(not isinstance(line, dict) for line in lines)  # only a body of nothing usable is refused whole
        return
    items = {item["line"]: item for item in response.get_json()["items"]}
    last_version = {}
    for number, line in enumerate(lines, 1):
        if isinstance(line, dict):
            assert items[number]["ok"], items[number]
            assert items[number]["id"] == line["id"]
            last_version[line["id"]] = line
    for article_id, line in last_version.items():
        stored = client.get(f"/api/v1/articles/{article_id}")
        assert stored.status_code == 200 and stored.get_json()["body"] == line["body"]
