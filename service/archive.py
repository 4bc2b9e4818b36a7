"""The open Index of this process (the Flask tutorial's db.py, for a Whoosh index).

`get_index()` opens the configured index the first time a request needs it, in
the process that serves the request: gunicorn forks workers before any request,
so each worker opens its own files (Whoosh file handles must not be shared
across a fork) and keeps one searcher for its whole life.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from index import Index

_lock = threading.Lock()


def get_index() -> Index:
    """This process's Index for the current app, opened (and created if missing) on first use."""
    state = current_app.extensions["newsindex"]
    if state.get("pid") != os.getpid():
        with _lock:
            if state.get("pid") != os.getpid():
                settings = current_app.config["SETTINGS"]
                state["index"] = Index.open(settings.index_dir, create=True, settings=settings)
                state["pid"] = os.getpid()
    return state["index"]


def init_app(app: Flask) -> None:
    app.extensions["newsindex"] = {}


def warm_in_background(app: Flask) -> threading.Thread:
    """Open this process's index and read its arrays in a daemon thread (see Index.warm); restart the
    enricher if articles still wait for their entities or vectors.

    Called by gunicorn as each worker starts (config/gunicorn.conf.py), so a large
    archive's first searches are not the ones that pay for reading it.
    """
    def run() -> None:
        with app.app_context():
            try:
                index = get_index()
                index.warm(follow=True)  # and each new generation, before searches read it
                index.resume_enrichment()  # an enricher stopped midway (a crash, a reboot) goes on
            except Exception:  # a missing or broken index is reported by the first request instead
                app.logger.exception("warming the index failed")

    thread = threading.Thread(target=run, name="newsindex-warm", daemon=True)
    thread.start()
    return thread
