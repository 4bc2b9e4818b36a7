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


class SettingsError(ValueError):
    """A setting's value cannot be parsed; the message names the variable."""


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything newsindex can be configured with (see README, "Configuration")."""

    index_dir: Path = _setting(Path("var/index"), "Directory of the Whoosh index.")
    backend: str = _setting("whoosh", "Where articles are stored and searched: whoosh (embedded, on this disk) or opensearch (a cluster).")
    opensearch_url: str = _setting("http://127.0.0.1:9251", "OpenSearch node URL(s), comma-separated, used when NEWSINDEX_BACKEND=opensearch.")
    opensearch_prefix: str = _setting("newsindex-", "Prefix of newsindex's OpenSearch index names (<prefix>articles, <prefix>meta).")
    opensearch_shards: int = _setting(1, "Primary shards of a new OpenSearch index.")
    opensearch_replicas: int = _setting(1, "Replicas of each shard of a new OpenSearch index (1: any one node may fail).")
    host: str = _setting("127.0.0.1", "Address gunicorn binds to.")
    port: int = _setting(8000, "Port gunicorn binds to.")
    workers: int = _setting(os.cpu_count() or 2, "Number of gunicorn worker processes.")
    outlets_file: Path = _setting(CONFIG_DIR / "outlets.toml", "Known news outlets: spellings mapped to one display name.")
    aliases: Path = _setting(CONFIG_DIR / "aliases.toml", "Editorial alias file: names that are one entity.")
    entities: bool = _setting(True, "Extract named entities at ingest (off saves time in benchmarks).")
    enrich: str = _setting("background", "When entities are extracted: background (after the text is searchable, by an enricher process) or inline (before a write returns).")
    ner_processes: int = _setting(os.cpu_count() or 1, "Processes used for entity extraction during a batch ingest.")
    max_per_page: int = _setting(100, "Largest accepted per_page.")
    max_results_window: int = _setting(10_000, "Largest page * per_page; deeper results are for exports.")
    query_time_limit: float = _setting(2.0, "Seconds a query may run before it returns partial results.")
    result_cache_size: int = _setting(256, "Search results kept per worker until the next commit (0 turns the cache off).")
    warm: bool = _setting(True, "Each gunicorn worker reads the index's arrays in the background as it starts.")
    postings_cache: int = _setting(10_000_000, "Postings (document, frequency) kept in memory per worker for ranking and matching, 8 bytes each.")
    max_query_length: int = _setting(1_000, "Longest accepted query string, in characters.")
    max_query_terms: int = _setting(64, "Most terms a query may contain.")
    allow_leading_wildcards: bool = _setting(False, "Allow queries such as *stan (expensive: they walk the vocabulary).")
    write_lock_timeout: float = _setting(10.0, "Seconds a write waits for the index lock before answering 503.")
    ingest_batch_size: int = _setting(2000, "Articles written per commit during a batch ingest.")
    ingest_processes: int = _setting(os.cpu_count() or 1, "Processes writing a batch ingest's segments in parallel.")
    merge: str = _setting("background", "How segments are merged: background (a merger process), inline (before a write returns) or off.")
    keys_file: Path = _setting(Path("var/keys.json"), "API keys file (hashes only).")
    require_read_key: bool = _setting(False, "Require an API key with read scope for searches.")
    max_bulk_bytes: int = _setting(16 * 1024 * 1024, "Largest accepted request body, in bytes (bulk NDJSON).")
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
