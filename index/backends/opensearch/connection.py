"""The connection to the cluster, and what its failures mean to newsindex's callers.

`connect(settings)` gives an opensearch-py client over every URL of
NEWSINDEX_OPENSEARCH_URL: requests go round the nodes, a node that does not
answer is set aside and the request retried on another, so losing one node of
several is invisible to callers.  `translated()` turns the client's exceptions
into index/errors.py's: an unreachable or red cluster is `Unavailable` (the
service answers 503 with Retry-After), a query OpenSearch refuses is
`InvalidQuery`.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from config.settings import Settings
from index.errors import InvalidQuery, Unavailable

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30  # seconds, for one request to one node
RETRIES = 3  # other nodes tried after a connection failure or timeout


@dataclass(frozen=True)
class Names:
    """The index names of one archive."""

    articles: str
    meta: str

    @classmethod
    def of(cls, prefix: str) -> "Names":
        return cls(articles=f"{prefix}articles", meta=f"{prefix}meta")


def hosts(urls: str) -> list[str]:
    return [u.strip().rstrip("/") for u in urls.split(",") if u.strip()]


def connect(settings: Settings) -> OpenSearch:
    logging.getLogger("opensearch").setLevel(logging.WARNING)  # not a line per request at NEWSINDEX_LOG_LEVEL=info
    return OpenSearch(
        hosts=hosts(settings.opensearch_url),
        timeout=REQUEST_TIMEOUT,
        max_retries=RETRIES,
        retry_on_timeout=True,
        retry_on_status=(502, 504),  # not 503: a red index is no reason to set a node aside
        http_compress=False,
        pool_maxsize=16,  # threads of one worker (and the search thread of a test) share the client
    )


def _reason(exc: os_errors.TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    if isinstance(error, dict):
        root = (error.get("root_cause") or [{}])[0]
        return root.get("reason") or error.get("reason") or str(exc.error)
    return str(error or exc.error)


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Run a cluster call, raising Unavailable or InvalidQuery instead of the client's errors.

    `what` names the call in messages ("search", "write").
    """
    try:
        yield
    except (os_errors.ConnectionError, os_errors.ConnectionTimeout) as exc:
        log.warning("OpenSearch %s failed: %s", what, exc)
        raise Unavailable(f"the search cluster cannot be reached ({what})") from None
    except os_errors.NotFoundError as exc:
        if "index_not_found" in str(exc.error):
            raise Unavailable(f"the search cluster has no index for this archive ({what}): {_reason(exc)}") from None
        raise
    except os_errors.RequestError as exc:  # 400: the query or document
        reason = _reason(exc)
        if what == "search":
            raise InvalidQuery(f"q cannot be searched: {reason}") from None
        raise
    except os_errors.TransportError as exc:
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        if status in (429, 502, 503, 504) or status >= 500:
            log.warning("OpenSearch %s failed with %s: %s", what, status, _reason(exc))
            raise Unavailable(f"the search cluster could not complete the {what}: {_reason(exc)}") from None
        raise


READ_TRIES = 3  # a search that fails while a node leaves is run again (its fetch phase cannot move to a replica)


def search(client: OpenSearch, index: str, body: dict, what: str = "search", **params) -> dict:
    """Run a search, again after a short pause when the cluster could not answer; raise Unavailable at last."""
    pause = 0.5
    for attempt in range(READ_TRIES):
        try:
            with translated(what):
                response = client.search(index=index, body=body, **params)
            check_shards(response, what)
            return response
        except Unavailable:
            if attempt == READ_TRIES - 1:
                raise
            time.sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


def check_shards(response: dict, what: str) -> None:
    """A search some shards could not run would be a silent half answer: refuse it (cluster red)."""
    shards = response.get("_shards") or {}
    if shards.get("failed"):
        failures = shards.get("failures") or [{}]
        reason = (failures[0].get("reason") or {}).get("reason", "shard failure")
        if any((f.get("reason") or {}).get("type") in ("query_shard_exception", "parse_exception",
                                                        "illegal_argument_exception") for f in failures):
            raise InvalidQuery(f"q cannot be searched: {reason}")
        raise Unavailable(f"{shards['failed']} of {shards.get('total')} shards could not answer the {what}: {reason}")
