"""Request bodies: read whole within the size limit, parsed as JSON that cannot crash a worker.

`buffer_body` runs before any view: a body with a method that carries one is
read completely, chunked or not, up to NEWSINDEX_MAX_BULK_BYTES.  One byte more
and the answer is 413 before anything is parsed or written (Werkzeug alone cuts
a chunked body at the limit without a word, and the lines after the cut would
be neither written nor reported).  The body read is put back as a plain stream
with its length, so Flask, webargs and the views read it as usual.

`parse_json` is the one JSON reader for bodies and bulk lines: a UTF-8 byte
order mark is dropped, bytes that are not UTF-8, nesting deeper than Python
can follow (RecursionError) and integers of more digits than Python converts
(ValueError) are all a `BodyError` naming the problem, in the words ingest uses
for a .jsonl line (index.parse_json), never an exception that would end in a 500.
"""

from __future__ import annotations

import io
from typing import Any

from flask import current_app, request

import index
from service.errors import ApiError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20


class BodyError(ValueError):
    """A body or line that is not usable JSON; the message says why (never echoing the data)."""


def read_limited(stream, limit: int, length: int | None = None) -> bytes:
    """The body from `stream`: exactly `length` bytes when the request says how many, else
    everything up to the end of the stream; ApiError 413 as soon as it holds more than `limit`.

    With a known length no byte past it is asked for: a server's raw socket would wait for it.
    """
    want = limit + 1 if length is None else length
    parts, size = [], 0
    while size < want:
        chunk = stream.read(min(CHUNK, want - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
    return b"".join(parts)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"request body larger than {limit:,} bytes "
                    "(NEWSINDEX_MAX_BULK_BYTES); nothing was written: split it into smaller requests")


def buffer_body() -> None:
    """before_request: read a request's whole body now, refusing an oversized one with 413."""
    if request.method not in BODY_METHODS:
        return
    limit = current_app.config["SETTINGS"].max_bulk_bytes
    environ = request.environ
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    if length is None and not environ.get("wsgi.input_terminated"):
        return  # no length and no framing the server vouches for: there is no body to read
    data = read_limited(environ["wsgi.input"], limit, length)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)


def parse_json(raw: bytes | str) -> Any:
    """The JSON value in `raw`. Raises BodyError for anything that is not (see the module docstring).

    The same reading as a file's JSON at ingest (index/ingest/validate.py), so a body and a
    .jsonl line fail with the same reason; a UTF-8 BOM in front is fine.
    """
    if isinstance(raw, bytes) and raw.startswith(BOM):
        raw = raw[len(BOM):]
    elif isinstance(raw, str) and raw.startswith("\ufeff"):
        raw = raw[1:]
    try:
        return index.parse_json(raw)
    except index.BadJson as exc:
        raise BodyError(str(exc)) from None
