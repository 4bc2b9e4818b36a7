"""gunicorn configuration for newsindex: plain Python, read by `newsindex serve`.

Bind address and workers come from the same Settings as everything else
(NEWSINDEX_HOST, NEWSINDEX_PORT, NEWSINDEX_WORKERS), so one variable changes both
the CLI and a bare `gunicorn -c config/gunicorn.conf.py` run.
"""

import ctypes
import ctypes.util

from config.settings import Settings

_settings = Settings.from_env()

# Where to listen: loopback by default; set NEWSINDEX_HOST=0.0.0.0 in a container.
bind = f"{_settings.host}:{_settings.port}"

# Workers, one per core by default. Each worker opens the index after the fork
# (preload_app stays off): Whoosh file handles must not be shared.
workers = _settings.workers
preload_app = False

# asyncio workers: connections (request lines, headers, bodies) are read by an
# event loop, so slow clients cost no thread; complete requests run the Flask
# app in NEWSINDEX_THREADS threads per worker (service/serving.py says why).
# service/worker.py is gunicorn's asyncio worker handing each new connection to the
# worker holding fewest (keep-alive ties a connection to one worker for its life).
worker_class = "service.worker.Worker"
worker_connections = 1000

# The app factory: every worker gets a fresh, fully configured app, which warms
# its index in the background (service/serving.py; this file imports nothing of ours).
wsgi_app = "service.serving:create_asgi_app()"

# Larger than the app's own limits (service/timing.py: 8,000 bytes), so that
# the app sees an over-long URL or header and answers 414/431 in its JSON shape.
limit_request_line = 8190
limit_request_field_size = 16380

# A query is bounded by NEWSINDEX_QUERY_TIME_LIMIT (2 s); a bulk write can take
# longer, so the worker timeout leaves room for both.
timeout = 120
graceful_timeout = 30
keepalive = 5

# Logs to stderr; access log in the common format, with any key sent in a URL
# replaced by [redacted] (keys belong in the Authorization header).
logger_class = "service.access_log.RedactingLogger"
accesslog = "-"
errorlog = "-"
loglevel = _settings.log_level



def post_fork(server, worker):
    """Two malloc arenas per worker, not eight per core: a worker's request threads
    free and allocate numpy arrays all day, and glibc's per-thread arenas kept that
    memory fragmented (worker memory grew through a soak while nothing was kept)."""
    libc = ctypes.util.find_library("c")
    if libc:
        try:
            ctypes.CDLL(libc).mallopt(-8, 2)  # M_ARENA_MAX
        except (OSError, AttributeError):  # not glibc
            pass
