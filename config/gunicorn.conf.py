"""gunicorn configuration for newsindex: plain Python, read by `newsindex serve`.

Bind address and workers come from the same Settings as everything else
(NEWSINDEX_HOST, NEWSINDEX_PORT, NEWSINDEX_WORKERS), so one variable changes both
the CLI and a bare `gunicorn -c config/gunicorn.conf.py` run.
"""

from config.settings import Settings

_settings = Settings.from_env()

# Where to listen: loopback by default; set NEWSINDEX_HOST=0.0.0.0 in a container.
bind = f"{_settings.host}:{_settings.port}"

# Sync workers, one per core by default. Each worker opens the index after the
# fork (preload_app stays off): Whoosh file handles must not be shared.
workers = _settings.workers
worker_class = "sync"
preload_app = False

# The app factory: every worker gets a fresh, fully configured app, which reads
# its index's arrays in the background as it starts (NEWSINDEX_WARM).
wsgi_app = "service.app:serve()"

# A query is bounded by NEWSINDEX_QUERY_TIME_LIMIT (2 s); a bulk write can take
# longer, so the worker timeout leaves room for both.
timeout = 120
graceful_timeout = 30
keepalive = 5

# Logs to stderr; access log in the common format.
accesslog = "-"
errorlog = "-"
loglevel = _settings.log_level

