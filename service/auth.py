"""API keys: who may read and who may write.

A key is a random string shown once, when `newsindex keys create` makes it; the
keys file (NEWSINDEX_KEYS_FILE, JSON) keeps only its SHA-256, with a name, a
scope and a creation time:

    {"keys": [{"name": "cms", "scope": "write", "sha256": "9f2c...", "created": "2026-11-23T19:40:00+00:00"}]}

Scopes nest: `admin` can do everything `write` can, `write` everything `read`
can.  Requests carry `Authorization: Bearer KEY`.  Writes need `write`; reads
are open unless NEWSINDEX_REQUIRE_READ_KEY=1.  No key, or a key that is not in
the file, is a 401; a known key of too small a scope is a 403.

The file is rewritten atomically (temporary file + os.replace) under an
exclusive lock, so two `keys create` at once cannot lose a key and a serving
worker never reads half a file; workers re-read it when it changes, so a key
works (or stops working) without a restart.  Presented keys are hashed and
compared with every stored hash in constant time; keys are never logged.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

SCOPES = ("read", "write", "admin")
KEY_PREFIX = "nx_"


class KeysFileError(ValueError):
    """A keys-file operation cannot be done (duplicate or unknown name, bad scope, unreadable file)."""


@dataclass(frozen=True)
class ApiKey:
    """One stored key: never the key itself, only its hash."""

    name: str
    scope: str
    sha256: str
    created: str

    def allows(self, scope: str) -> bool:
        """Does this key's scope include `scope` (admin > write > read)?"""
        return SCOPES.index(self.scope) >= SCOPES.index(scope)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key: 32 random bytes, URL-safe, with a recognisable prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


# -- the keys file -------------------------------------------------------------------


def read_keys(path: Path) -> list[ApiKey]:
    """The keys in `path` ([] when the file does not exist). Raises KeysFileError for a malformed file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise KeysFileError(f"cannot read keys file {path}: {exc}") from None
    try:
        return [ApiKey(name=k["name"], scope=k["scope"], sha256=k["sha256"], created=k.get("created", ""))
                for k in data.get("keys", [])]
    except (AttributeError, KeyError, TypeError) as exc:
        raise KeysFileError(f"keys file {path} is malformed ({exc})") from None


def _write_keys(path: Path, keys: list[ApiKey]) -> None:
    """Replace the file atomically: readers see the old or the new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"keys": [asdict(k) for k in keys]}, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive lock around a read-modify-write of the keys file (a sibling .lock file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def create_key(path: Path, name: str, scope: str) -> str:
    """Store a new key's hash under `name` and return the key (the only time it is seen).

    Raises KeysFileError for an unknown scope, an empty name or a name already in use.
    """
    name = name.strip()
    if scope not in SCOPES:
        raise KeysFileError(f"scope must be one of {', '.join(SCOPES)}")
    if not name:
        raise KeysFileError("a key needs a name")
    path = Path(path)
    with _locked(path):
        keys = read_keys(path)
        if any(k.name == name for k in keys):
            raise KeysFileError(f"a key named {name!r} exists; revoke it first or pick another name")
        key = new_key()
        created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        _write_keys(path, [*keys, ApiKey(name, scope, hash_key(key), created)])
    return key


def revoke_key(path: Path, name: str) -> None:
    """Remove the key called `name`. Raises KeysFileError when there is none."""
    path = Path(path)
    with _locked(path):
        keys = read_keys(path)
        kept = [k for k in keys if k.name != name]
        if len(kept) == len(keys):
            raise KeysFileError(f"no key named {name!r}; see `newsindex keys list`")
        _write_keys(path, kept)


# -- checking a presented key ------------------------------------------------------------


class KeyRing:
    """The keys file as the server sees it: re-read whenever the file changes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp: tuple | None = None
        self._keys: list[ApiKey] = []
        self._lock = threading.Lock()

    def keys(self) -> list[ApiKey]:
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or stamp is None:
                self._keys = read_keys(self.path) if stamp else []
                self._stamp = stamp
            return self._keys

    def find(self, presented: str) -> ApiKey | None:
        """The stored key matching `presented`, or None.

        Every stored hash is compared (hmac.compare_digest), so the time taken
        does not tell which key, or how much of one, matched.
        """
        digest = hash_key(presented)
        found = None
        for key in self.keys():
            if hmac.compare_digest(digest, key.sha256):
                found = key
        return found


def bearer_token(header: str | None) -> str | None:
    """The key from an `Authorization: Bearer KEY` header, or None when there is none."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# -- the Flask side ------------------------------------------------------------------------

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PROTECTED_BLUEPRINTS = {"api"}  # /api/v1/...; /healthz and the docs stay open


def require(scope: str) -> ApiKey:
    """The request's key, if it allows `scope`. Raises ApiError 401 (none, or unknown) or 403 (too small a scope)."""
    from flask import current_app, g, request

    from service.errors import ApiError

    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ApiError(401, "unauthorized", f"this request needs an API key with {scope} scope: "
                       "send the header Authorization: Bearer KEY",
                       headers={"WWW-Authenticate": 'Bearer realm="newsindex"'})
    key = current_app.extensions["newsindex_keys"].find(token)
    if key is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key",
                       headers={"WWW-Authenticate": 'Bearer realm="newsindex", error="invalid_token"'})
    if not key.allows(scope):
        raise ApiError(403, "forbidden", f"the key {key.name!r} has {key.scope} scope; this request needs {scope}",
                       headers={"WWW-Authenticate": f'Bearer realm="newsindex", error="insufficient_scope", scope="{scope}"'})
    g.api_key = key
    return key


def _check_request() -> None:
    """Writes need a write key; reads need a read key only when NEWSINDEX_REQUIRE_READ_KEY is on."""
    from flask import current_app, request

    if request.method == "OPTIONS":
        return
    require_read = current_app.config["SETTINGS"].require_read_key
    if request.blueprint == "pages" and require_read:
        # A browser cannot send a bearer key: with read keys required, the pages are closed too.
        from service.errors import ApiError
        raise ApiError(401, "unauthorized", "this archive requires an API key to read it "
                       "(NEWSINDEX_REQUIRE_READ_KEY=1), so the search page is closed; use the API with a key")
    if request.blueprint not in PROTECTED_BLUEPRINTS:
        return
    if request.method in WRITE_METHODS:
        require("write")
    elif require_read:
        require("read")


def init_app(app) -> None:
    """Load the keys file lazily and check every API request; register before anything that answers early."""
    app.extensions["newsindex_keys"] = KeyRing(app.config["SETTINGS"].keys_file)
    app.before_request(_check_request)
