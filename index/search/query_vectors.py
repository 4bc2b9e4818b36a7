"""The query's own vector for hybrid search, kept per process by text.

A new query's vector is started as its search begins (`vector_soon`) and taken at the mix
(index/search/run.py): its layers run on the encoder's thread when a core is idle
(index/text/embeddings.py), so the search scores its words meanwhile.  A repeated query (the
next page, a facet clicked) finds its vector kept and is not encoded again.  Where the model
cannot be loaded the vector is None, logged once: the search is then lexical.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

QUERIES_HELD = 1024  # query vectors kept per process by default (NEWSINDEX_QUERY_VECTORS_HELD)
_QUERIES: OrderedDict = OrderedDict()
_LOCK = threading.Lock()
_UNAVAILABLE: list[str] = []  # why the model could not be loaded, once it failed
log = logging.getLogger(__name__)


def query_vector(text: str, held: int = QUERIES_HELD) -> np.ndarray | None:
    """The query's unit vector (384 float32), kept per process for the last `held` texts (0: none kept);
    None when the model cannot be loaded here (logged once): the search is then lexical."""
    return vector_soon(text, held)()


def vector_soon(text: str, held: int = QUERIES_HELD) -> Callable[[], np.ndarray | None]:
    """`query_vector(text, held)` started now; call the result for it.  A new query's layers run on
    the encoder's thread (embeddings.encode_query_soon) while the search scores its words: on a
    machine with a core to spare, the vector (about 1 ms) then costs the search only what is left
    of it when the words are scored."""
    from index.text import embeddings

    with _LOCK:
        found = _QUERIES.get(text) if held else None
        if found is not None:
            _QUERIES.move_to_end(text)
            return lambda: found
    try:
        pending = embeddings.encode_query_soon(text)
    except embeddings.EmbeddingsUnavailable as exc:
        if not _UNAVAILABLE:
            _UNAVAILABLE.append(str(exc))
            log.error("hybrid search is lexical in this process: %s", exc)
        return lambda: None

    def result() -> np.ndarray:
        vector = pending()
        if held:  # 0 keeps nothing, and leaves what others keep (load_encoder asks with 0)
            with _LOCK:
                _QUERIES[text] = vector
                while len(_QUERIES) > held:
                    _QUERIES.popitem(last=False)
        return vector
    return result


def load_encoder() -> None:
    """Load the query encoder now (about 0.2 s: the weights mapped, the int8 graph built), so that a
    worker's first hybrid search does not; a model that cannot be loaded is logged, once."""
    query_vector("", 0)
