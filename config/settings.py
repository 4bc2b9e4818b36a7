"""Settings for newsindex: one frozen dataclass, every field with a default and help.

Precedence, low to high: the defaults below, ``NEWSINDEX_<FIELD>`` environment
variables, command-line flags, and test overrides (``Settings(...)`` or
``dataclasses.replace``).  Values are parsed when loaded, so a wrong value fails
at start-up with the variable's name rather than in the middle of a request.

This module imports nothing of ours: ``index/``, ``service/`` and ``bench/`` all read it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

CONFIG_DIR = Path(__file__).resolve().parent
PREFIX = "NEWSINDEX_"
BACKENDS = ("whoosh", "opensearch")


def default_data_dir() -> Path:
    """Where the index and keys live by default, whatever the current folder.

    In a source checkout (where `make install` puts an editable install) that is
    the checkout's `var/`; an installed package uses the user's data folder.
    """
    root = CONFIG_DIR.parent
    if (root / "pyproject.toml").exists():
        return root / "var"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsindex"


DATA_DIR = default_data_dir()


class SettingsError(ValueError):
    """A setting's value cannot be parsed; the message names the variable."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything newsindex can be configured with (see README, "Configuration")."""

    index_dir: Path = _setting(DATA_DIR / "index", "Directory of the Whoosh index (default: var/index of the checkout).")
    backend: str = _setting("whoosh", "Where articles are stored and searched: whoosh (embedded, on this disk) or opensearch (a cluster).")
    opensearch_url: str = _setting("http://127.0.0.1:9251", "OpenSearch node URL(s), comma-separated, used when NEWSINDEX_BACKEND=opensearch.")
    opensearch_prefix: str = _setting("newsindex-", "Prefix of newsindex's OpenSearch index names (<prefix>articles, <prefix>meta).")
    opensearch_shards: int = _setting(1, "Primary shards of a new OpenSearch index.")
    opensearch_replicas: int = _setting(1, "Replicas of each shard of a new OpenSearch index (1: any one node may fail).")
    host: str = _setting("127.0.0.1", "Address gunicorn binds to.")
    port: int = _setting(8000, "Port gunicorn binds to.")
    public_url: str = _setting("", "Base URL clients reach the service at, e.g. https://news.example.org: absolute "
                                   "links (next, Link, Location, Atom) are built on it, never on the Host header. "
                                   "Empty: http://HOST:PORT.")
    threads: int = _setting(8, "Threads per gunicorn worker answering requests (slow clients do not hold one).")
    workers: int = _setting(os.cpu_count() or 2, "Number of gunicorn worker processes.")
    outlets_file: Path = _setting(CONFIG_DIR / "outlets.toml", "Known news outlets: spellings mapped to one display name.")
    aliases: Path = _setting(CONFIG_DIR / "aliases.toml", "Editorial alias file: names that are one entity.")
    entities: bool = _setting(True, "Extract named entities at ingest (off saves time in benchmarks).")
    enrich: str = _setting("background", "When entities are extracted: background (after the text is searchable, by an enricher process) or inline (before a write returns).")
    ner_processes: int = _setting(os.cpu_count() or 1, "Processes used for entity extraction during a batch ingest.")
    semantic: bool = _setting(True, "Hybrid search: passages get sentence vectors (by the enricher, after the text is searchable), mixed with BM25 at query time; off: lexical only, nothing embedded.")
    hybrid_rerank: int = _setting(300, "Hybrid search reads the vectors of the lexical top this many articles; "
                                        "0 reads every passage's (exact, slower on big archives). A query whose words "
                                        "meet in no article also reads the passages nearest it by their vectors' signs, "
                                        "to find articles by meaning.")
    hybrid_feedback: int = _setting(10, "Hybrid search of up to 4 words moves the query's vector toward the mean vector of "
                                        "its top this many articles and mixes again (feedback by meaning, no words added); "
                                        "0 turns it off.")
    query_vectors_held: int = _setting(1024, "Query vectors each worker keeps, so a repeated query is not encoded again "
                                             "(0: every hybrid search encodes its query, as a new one would).")
    feedback: bool = _setting(True, "Allow pseudo-relevance feedback when a search asks for it (feedback=true): queries of up to 3 words ranked with the words of their best results too, listed in the answer's expanded; 0 refuses it everywhere.")
    embedding_threads: int = _setting(os.cpu_count() or 1, "Threads the enricher encodes passages with (one BLAS thread each).")
    max_per_page: int = _setting(100, "Largest accepted per_page.")
    max_results_window: int = _setting(10_000, "Largest page * per_page; deeper results are for exports.")
    query_time_limit: float = _setting(2.0, "Seconds a query may run before it returns partial results.")
    result_cache_size: int = _setting(256, "Search results kept per worker until the next commit (0 turns the cache off).")
    warm: bool = _setting(True, "Each gunicorn worker reads the index's arrays in the background as it starts.")
    preload: bool = _setting(True, "Warming maps every page of the index's arrays into the worker (as Elasticsearch's "
                                   "index.store.preload), so first questions do not fault them in one by one; "
                                   "shared page cache, not worker memory. Turn off for an index larger than the machine's memory.")
    postings_cache: int = _setting(4_000_000, "Postings (document, frequency) of joined lists kept in memory per worker for ranking and matching, 10 bytes each; "
                                              "right after a commit the generation before keeps its own until its last search ends.")
    max_query_length: int = _setting(1_000, "Longest accepted query string, in characters.")
    max_query_terms: int = _setting(64, "Most terms a query may contain.")
    allow_leading_wildcards: bool = _setting(False, "Allow queries such as *stan (expensive: they walk the vocabulary).")
    write_lock_timeout: float = _setting(10.0, "Seconds a write waits for the index lock before answering 503.")
    ingest_batch_size: int = _setting(2000, "Articles written per commit during a batch ingest.")
    ingest_processes: int = _setting(os.cpu_count() or 1, "Processes writing a batch ingest's segments in parallel.")
    merge: str = _setting("background", "How segments are merged: background (a merger process), inline (before a write returns) or off.")
    keys_file: Path = _setting(DATA_DIR / "keys.json", "API keys file, hashes only (default: var/keys.json of the checkout).")
    field_map: str = _setting("", "Extra JSON field names for ingest, as target=field pairs, e.g. 'body=content,title=headline' "
                              "(targets: id, title, body, html, summary, source, published, url, byline, dateline, or "
                              "tags.KIND for a tag list); common names are mapped without it.")
    max_line_bytes: int = _setting(16 * 1024 * 1024, "Longest accepted line of a .jsonl file, in bytes; a longer line is skipped and reported.")
    max_file_bytes: int = _setting(64 * 1024 * 1024, "Largest .txt, .json or .html file, in bytes (they are read whole).")
    max_decompressed_bytes: int = _setting(4 * 1024 * 1024 * 1024, "Most bytes one .gz file may expand to; the rest of it is skipped and reported.")
    max_article_chars: int = _setting(500_000, "Longest accepted article text (title and body, or the html of a page), in characters.")
    date_min_year: int = _setting(1800, "Earliest plausible publication year; an earlier date is dropped with a warning.")
    date_max_year: int = _setting(2100, "Latest plausible publication year; a later date is dropped with a warning.")
    family_threshold: float = _setting(0.5, "Estimated Jaccard similarity of word shingles above which two articles are versions of one story.")
    require_read_key: bool = _setting(False, "Require an API key with read scope for searches.")
    max_bulk_bytes: int = _setting(16 * 1024 * 1024, "Largest accepted request body, in bytes (bulk NDJSON); "
                                                      "a larger one is refused with 413 before anything is written.")
    export_max: int = _setting(10_000, "Most articles one export returns.")
    cors_origins: str = _setting("", "Comma-separated origins allowed by CORS (none by default).")
    rate_limit: str = _setting("", "Per-client rate limit for search and writes, e.g. '120/minute' (off when empty).")
    rate_limit_loopback: bool = _setting(False, "Apply the rate limit to loopback clients too.")
    log_level: str = _setting("info", "Log level: debug, info, warning, error.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Build settings from ``NEWSINDEX_*`` variables, then apply explicit overrides.

        Raises SettingsError naming the variable when a value does not parse.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = PREFIX + f.name.upper()
            if name in environ:
                values[f.name] = _parse(name, environ[name], f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(f"NEWSINDEX_BACKEND={self.backend!r}: expected one of {', '.join(BACKENDS)}")
        url = self.public_url.strip()
        if url and (not url.lower().startswith(("http://", "https://")) or "?" in url or "#" in url):
            raise SettingsError(f"NEWSINDEX_PUBLIC_URL={self.public_url!r}: expected an http(s) URL such as "
                                "https://news.example.org or https://example.org/archive")

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash (NEWSINDEX_PUBLIC_URL, else the bind address)."""
        if self.public_url.strip():
            return self.public_url.strip().rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def as_env(self) -> dict[str, str]:
        """These settings as NEWSINDEX_* variables (for a process started with the same configuration)."""
        def text(value: Any) -> str:
            return ("1" if value else "0") if isinstance(value, bool) else str(value)
        return {PREFIX + f.name.upper(): text(getattr(self, f.name)) for f in fields(self)}

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some fields changed (None leaves a field as it is)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def describe() -> list[tuple[str, str, Any]]:
    """(variable, help, default) for every setting: the README table is checked against this."""
    return [(PREFIX + f.name.upper(), f.metadata["help"], f.default) for f in fields(Settings)]


def _parse(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError("expected 1/0, true/false, yes/no or on/off")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
        return raw
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r}: {exc}") from None
