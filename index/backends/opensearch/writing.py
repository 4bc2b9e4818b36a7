"""Writing articles to OpenSearch: Article <-> document, bulk writes acknowledged by the cluster.

Each article is one document (mapping.py), its passages nested in it, so an
article and its passages are replaced together.  A write is a bulk request with
`refresh=wait_for`: it returns once every copy of each shard in sync (primary
and replicas) has the documents in its translog, which is fsynced before the
answer (`index.translog.durability: request`, OpenSearch's default), and once
they are visible to searches.  So an acknowledged write survives the loss of a
node and is found by every search that starts after it.  Items a shard could
not take (a node leaving, a primary being moved) are retried a few times; if
some still fail the write raises Unavailable and is not acknowledged (retrying
it is safe: documents are written by id).

After the articles, the archive's meta document is written again: its version
is the generation (a number that changes with every commit), read by every
worker for its caches and ETags, and its `last_commit` the time of the write.
"""

from __future__ import annotations

import logging
import time
from typing import Iterable, Iterator, Sequence

from opensearchpy import OpenSearch

from index.article import ENTITY_TYPES, Article
from index.backends.opensearch.connection import Names, search, translated
from index.backends.opensearch.tokens import article_fields
from index.ingest.evidence import entity_evidence
from index.ingest.families import candidate
from index.errors import InvalidArticle, Stale, Unavailable
from index.text.analysis import fold

log = logging.getLogger(__name__)

META_ID = "state"
TEXT_FIELDS = ("title", "body", "passages")
CANDIDATE_PAGE = 1_000  # story-family candidates read in one search; beyond, a key gives its last stored only
TERMS_A_SEARCH = 10_000  # story-family keys in one terms query (an index takes at most 65,536)
CANDIDATE_FIELDS = ["data.family", "data.signature", "data.published"]
KEYS_A_SEARCH = 1_000  # story-family keys asked in one search: a bucket each (OpenSearch allows 65,535)
RETRIES = 4  # further tries of the items a shard could not take
RETRY_PAUSE = 1.0  # seconds, doubled at each try
BULK_TIMEOUT = "30s"  # how long a shard may wait for its primary to be available
# opensearch-py reads `timeout` as its own request timeout unless `request_timeout` is given too.
REQUEST_TIMEOUT = 90


def content_hash(title: str | None, body: str | None) -> str:
    """Folded title and body: two articles with the same hash are exact duplicates."""
    import hashlib
    return hashlib.sha1(fold(f"{title or ''}\n{body or ''}").encode("utf-8")).hexdigest()


def document(article: Article, checksum: str, added: int) -> dict:
    """The OpenSearch document of one article (see mapping.py)."""
    keys = {t: sorted({e.key for e in article.entities if e.type == t}) for t in ENTITY_TYPES}
    data = article.to_dict()
    for name in TEXT_FIELDS:
        data.pop(name, None)
    indexed = article_fields(article)  # our analysis, as slot strings (tokens.py)
    passages = [{"position": p.position, "text": p.text, "terms": terms, "spelt": spelt,
                 "entity": sorted({e.key for e in article.entities if p.position in e.passages})}
                for p, (terms, spelt) in zip(article.passages, indexed["passages"])]
    lead = article.passages[0] if article.passages else None
    return {
        "id": article.id,
        "title": article.title,
        "title_terms": indexed["title_terms"],
        "title_spelt": indexed["title_spelt"],
        "body": article.body,
        "body_terms": indexed["body_terms"],
        "body_spelt": indexed["body_spelt"],
        "source": article.source or None,
        "source_text": indexed["source_text"],
        "byline": indexed["byline"],
        "published": article.published.isoformat() if article.published else None,
        **keys,
        "entity": sorted({e.key for e in article.entities}),
        "entity_forms": sorted({f"{e.key}={e.name}" for e in article.entities}),
        "entity_evidence": entity_evidence(article),
        "lsh": article.lsh,
        "family": article.family or article.id,
        "has_family": bool(article.family),
        "tag": sorted({f"{kind}:{value}" for kind, values in (article.tags or {}).items()
                       for value in values}),
        "enriched": bool(getattr(article, "enriched", True)),
        "checksum": checksum,
        "content_hash": content_hash(article.title, article.body),
        "added": added,
        "passage_count": len(article.passages),
        "passages": passages,
        "lead": {"position": lead.position, "text": lead.text} if lead else None,
        "data": data,
    }


def article_from_source(source: dict) -> Article:
    """The Article a document was written from."""
    data = dict(source.get("data") or {})
    data["title"] = source.get("title") or ""
    data["body"] = source.get("body") or ""
    data["passages"] = [{"position": p["position"], "text": p["text"]} for p in source.get("passages") or []]
    return Article.from_dict(data)


def write(client: OpenSearch, names: Names, articles: Sequence[Article], checksums: Sequence[str],
          remove: Iterable[str] = (), expect: dict[str, str] | None = None) -> dict[str, str]:
    """Index the articles and delete the `remove` ids in one bulk request; wait until acknowledged.

    Returns {id: result} ("created", "updated", "deleted", "not_found").  With
    `expect` (id -> checksum), raises Stale, writing nothing, when any of those
    articles is no longer stored with that checksum (checked just before the
    write: an enricher's guard against overwriting a newer version).  Raises
    Unavailable when the cluster cannot take some of it after retries.
    """
    if expect:
        stored = stored_checksums(client, names, list(expect))
        changed = [i for i, sum_ in expect.items() if stored.get(i) != sum_]
        if changed:
            raise Stale(changed)
    added = time.time_ns()
    actions: list[tuple[dict, dict | None]] = []
    for article_id in remove:
        actions.append(({"delete": {"_index": names.articles, "_id": article_id}}, None))
    for i, (article, checksum) in enumerate(zip(articles, checksums)):
        actions.append(({"index": {"_index": names.articles, "_id": article.id}},
                        document(article, checksum, added + i)))
    results = _bulk(client, actions)
    bump(client, names)
    return results


def _bulk(client: OpenSearch, actions: list[tuple[dict, dict | None]]) -> dict[str, str]:
    results: dict[str, str] = {}
    pending = actions
    pause = RETRY_PAUSE
    for attempt in range(RETRIES + 1):
        if not pending:
            break
        body: list[dict] = []
        for action, doc in pending:
            body.append(action)
            if doc is not None:
                body.append(doc)
        with translated("write"):
            response = client.bulk(body=body, refresh="wait_for", timeout=BULK_TIMEOUT, request_timeout=REQUEST_TIMEOUT)
        failed = []
        for (action, doc), item in zip(pending, response["items"]):
            (op, outcome), = item.items()
            status = outcome.get("status", 500)
            if status < 300 or (op == "delete" and status == 404):
                results[outcome["_id"]] = outcome.get("result", "")
            elif status == 400:
                error = outcome.get("error") or {}
                raise InvalidArticle(f"article {outcome.get('_id')!r} was refused: {error.get('reason', error)}")
            else:
                failed.append((action, doc, outcome.get("error")))
        if failed:
            log.warning("%d of %d bulk items failed (try %d): %s", len(failed), len(pending), attempt + 1,
                        failed[0][2])
            if attempt < RETRIES:
                time.sleep(pause)
                pause *= 2
        pending = [(a, d) for a, d, _ in failed]
    if pending:
        raise Unavailable(f"the search cluster did not acknowledge {len(pending)} of {len(actions)} writes")
    return results


def bump(client: OpenSearch, names: Names) -> None:
    """Write the meta document again: its version is the new generation."""
    with translated("write"):
        client.index(index=names.meta, id=META_ID, body={"last_commit": time.time()},
                     timeout=BULK_TIMEOUT, request_timeout=REQUEST_TIMEOUT)


def generation(client: OpenSearch, names: Names) -> tuple[int, float | None]:
    """(generation, time of the last commit) from the meta document (a real-time get)."""
    with translated("read"):
        found = client.get(index=names.meta, id=META_ID, ignore=404)
    if not found.get("found"):
        return 0, None
    return int(found["_version"]), (found.get("_source") or {}).get("last_commit")


def stored_checksums(client: OpenSearch, names: Names, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = list(ids[start:start + 1000])
        with translated("read"):
            response = client.mget(index=names.articles, body={"ids": chunk}, _source_includes=["checksum"])
        for doc in response["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = (doc.get("_source") or {}).get("checksum") or ""
    return found


def family_candidates(client: OpenSearch, names: Names, band_keys: list[str], per_key: int) -> list[tuple]:
    """(id, family, signature, published) of the stored articles sharing any of these band keys: all of them
    when they are fewer than CANDIDATE_PAGE (one search), else of each key the `per_key` last stored (a key
    shared by thousands, as a syndication notice opening every article: a terms aggregation's buckets).
    TERMS_A_SEARCH keys a search: a batch of 2,000 articles has 66,000, and a terms query takes 65,536."""
    keys = list(dict.fromkeys(band_keys))
    found: dict[str, tuple] = {}
    for at in range(0, len(keys), TERMS_A_SEARCH):
        chunk = keys[at:at + TERMS_A_SEARCH]
        body = {"size": CANDIDATE_PAGE, "query": {"terms": {"lsh": chunk}}, "track_total_hits": False,
                "_source": CANDIDATE_FIELDS}
        hits = search(client, names.articles, body, "read")["hits"]["hits"]
        if len(hits) < CANDIDATE_PAGE:
            found.update((hit["_id"], _candidate(hit)) for hit in hits)
        else:
            found.update(_last_of_each_key(client, names, chunk, per_key))
    return list(found.values())


def _last_of_each_key(client: OpenSearch, names: Names, keys: list[str], per_key: int) -> Iterator[tuple[str, tuple]]:
    """(id, candidate) of the `per_key` last stored articles of each key, KEYS_A_SEARCH keys (buckets) a search."""
    for at in range(0, len(keys), KEYS_A_SEARCH):
        chunk = keys[at:at + KEYS_A_SEARCH]
        body = {"size": 0, "query": {"terms": {"lsh": chunk}}, "track_total_hits": False,
                "aggs": {"keys": {"terms": {"field": "lsh", "include": chunk, "size": len(chunk)},
                                  "aggs": {"last": {"top_hits": {"size": per_key, "sort": [{"added": "desc"}],
                                                                 "_source": CANDIDATE_FIELDS}}}}}}
        for bucket in search(client, names.articles, body, "read")["aggregations"]["keys"]["buckets"]:
            yield from ((hit["_id"], _candidate(hit)) for hit in bucket["last"]["hits"]["hits"])


def _candidate(hit: dict) -> tuple:
    return candidate(hit["_id"], hit["_source"].get("data") or {})


def pending(client: OpenSearch, names: Names, limit: int) -> list[tuple[str, str]]:
    """(id, checksum) of up to `limit` articles whose entities are still to be extracted, oldest first."""
    body = {"size": limit, "query": {"term": {"enriched": False}}, "sort": [{"added": "asc"}],
            "_source": ["checksum"], "track_total_hits": False}
    with translated("read"):
        response = client.search(index=names.articles, body=body)
    return [(hit["_id"], hit["_source"].get("checksum") or "") for hit in response["hits"]["hits"]]


def get(client: OpenSearch, names: Names, article_id: str) -> Article | None:
    with translated("read"):
        found = client.get(index=names.articles, id=article_id, ignore=404)
    return article_from_source(found["_source"]) if found.get("found") else None
