"""How gunicorn runs the app: an event loop for the connections, threads for the Flask app.

A slow or stalled client must not hold what answers everyone else.  With
gunicorn's sync workers four clients sending their headers a byte at a time
left /healthz unanswered for 45 s; gthread workers hand a connection to a
thread as soon as its first byte arrives, and the thread then waits for the
rest, so as many slow clients as threads do the same.  Here gunicorn's asyncio
worker reads every request line, header and body in
its event loop, where a waiting connection costs a little memory and no thread
(service/worker.py: that worker, sharing connections evenly between workers);
only a complete request reaches the Flask app, which runs in a pool of
NEWSINDEX_THREADS threads (a2wsgi's WSGIMiddleware).  So searches still run in
threads of one process (the index's objects are shared and guard their caches
with locks), and a search that takes a while does not stop /healthz: Python
switches threads every few milliseconds.

`BufferedBody` reads a request's whole body before the app is called: a body
announced or found larger than NEWSINDEX_MAX_BULK_BYTES is answered 413 (the
one error shape) at once, and one that trickles in slower than BODY_TIMEOUT
allows is cut off, so neither ties up a thread.

gunicorn runs `service.serving:create_asgi_app()` (config/gunicorn.conf.py).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from a2wsgi import WSGIMiddleware

from config.settings import Settings
from service.worker import Rebalance

BODY_TIMEOUT = 60.0  # seconds a client may take to send a body, all of it
SWITCH_INTERVAL = 0.001


def error_message(status: int, code: str, message: str) -> tuple[dict, dict]:
    body = json.dumps({"error": {"status": status, "code": code, "message": message, "param": None}}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}
    return start, {"type": "http.response.body", "body": body}


class BufferedBody:
    """ASGI middleware: the whole body is read (bounded in size and time) before the inner app runs."""

    def __init__(self, app, max_bytes: int, timeout: float = BODY_TIMEOUT):
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").strip()
        if length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send, 413, "payload_too_large", self._too_large())
        chunks, size, deadline = [], 0, time.monotonic() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return await self._refuse(send, 408, "request_timeout",
                                          f"the body did not arrive within {self.timeout:g} s")
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(send, 413, "payload_too_large", self._too_large())
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False
        # The app now gets a body of known length, however it was sent (chunked has none).
        scope = {**scope, "headers": [(name, value) for name, value in scope.get("headers") or []
                                      if name not in (b"content-length", b"transfer-encoding")]
                 + [(b"content-length", str(len(body)).encode())]}

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return (f"request body larger than {self.max_bytes:,} bytes (NEWSINDEX_MAX_BULK_BYTES); nothing was "
                "written: split it into smaller requests")

    @staticmethod
    async def _refuse(send, status: int, code: str, message: str) -> None:
        start, body = error_message(status, code, message)
        await send(start)
        await send(body)


def create_asgi_app(settings: Settings | None = None):
    """The Flask app as an ASGI app for gunicorn's asgi worker (`flask_app` is kept on it for hooks)."""
    from service.app import create_app

    settings = settings or Settings.from_env()
    # Switch threads every millisecond, not five: a quick request (/healthz, a cached answer)
    # waiting behind long searches gets the interpreter back sooner.
    sys.setswitchinterval(SWITCH_INTERVAL)
    flask_app = create_app(settings)
    if settings.warm:
        from service import archive
        archive.warm_in_background(flask_app)
    app = Rebalance(BufferedBody(WSGIMiddleware(flask_app, workers=settings.threads), settings.max_bulk_bytes))
    app.flask_app = flask_app
    return app
