"""Prometheus metrics at /metrics (prometheus-client, text exposition format).

    newsindex_http_requests_total{endpoint,method,status}     counter
    newsindex_http_request_duration_seconds{endpoint,method}  histogram
    newsindex_index_size_bytes, newsindex_index_articles, newsindex_index_passages,
    newsindex_index_segments, newsindex_index_last_commit_timestamp_seconds,
    newsindex_entities_pending, newsindex_entities_done                       gauges, read at scrape time
    process_resident_memory_bytes, ...                          this worker's process (single-process mode)

`endpoint` is the route pattern (`/api/v1/articles/<string:article_id>`), never the
raw path, so the number of series stays bounded; requests that match no route are
counted as `<unmatched>`.

Workers: by default every gunicorn worker counts its own requests, so one scrape
of /metrics shows the worker that answered it (its `process_*` figures too).  For
totals over all workers, start gunicorn with `PROMETHEUS_MULTIPROC_DIR` set to an
empty directory: the request metrics are then written there by every worker and
summed at scrape time (prometheus-client's multiprocess mode; process metrics are
left out there, as they would describe one worker).  The index gauges are the same
in both modes: they describe the index on disk.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector

from service.archive import get_index

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

blp = Blueprint("metrics", __name__, description="Prometheus metrics for monitoring.")


class IndexCollector:
    """Gauges describing the index on disk, read when Prometheus scrapes (cached per commit by Index.stats)."""

    def collect(self):
        stats = get_index().stats()
        for name, help_text, value in (
            ("newsindex_index_size_bytes", "Size of the index files on disk.", stats["size_bytes"]),
            ("newsindex_index_articles", "Articles in the index.", stats["articles"]),
            ("newsindex_index_passages", "Passages in the index.", stats["passages"]),
            ("newsindex_index_segments", "Segments in the index (merged as it grows).", stats["segments"]),
            ("newsindex_entities_pending", "Articles searchable by their words whose entities are still to be "
             "extracted (the enricher's queue).", stats.get("pending", 0)),
            ("newsindex_entities_done", "Articles whose entities are extracted.",
             stats["articles"] - stats.get("pending", 0)),
            ("newsindex_index_last_commit_timestamp_seconds", "Unix time of the last commit.",
             stats["last_commit"] or 0),
        ):
            yield GaugeMetricFamily(name, help_text, value=value)


class Metrics:
    """The request metrics of one app, and the registry /metrics renders."""

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.registry = CollectorRegistry()
        self.requests = Counter("newsindex_http_requests", "HTTP requests answered.",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("newsindex_http_request_duration_seconds", "Time to answer an HTTP request.",
                                 ["endpoint", "method"], buckets=BUCKETS, registry=self.registry)
        if self.multiprocess_dir:
            # Scrape what every worker wrote to the shared directory, not this process's objects.
            self.scrape_registry = CollectorRegistry()
            MultiProcessCollector(self.scrape_registry, path=self.multiprocess_dir)
        else:
            self.scrape_registry = self.registry
            ProcessCollector(registry=self.registry)
        self.scrape_registry.register(IndexCollector())

    def render(self) -> bytes:
        """The exposition text: request metrics (this worker's, or all workers' in multiprocess mode) and the index."""
        return generate_latest(self.scrape_registry)


@blp.route("/metrics")
class MetricsView(MethodView):
    @blp.response(200, description="Prometheus text exposition format (text/plain).", content_type="text/plain")
    def get(self):
        """Request counts and latencies by endpoint, index size, articles, last commit time."""
        body = current_app.extensions["newsindex_metrics"].render()
        return Response(body, mimetype=None, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None:
        return response
    metrics: Metrics = current_app.extensions["newsindex_metrics"]
    endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
    metrics.latency.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask, api) -> Metrics:
    """Count every request and serve /metrics (documented in the OpenAPI document through `api`)."""
    metrics = Metrics()
    app.extensions["newsindex_metrics"] = metrics
    # First of all before_request hooks, so the time includes key checks and rate limiting.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_record)
    api.register_blueprint(blp)
    return metrics
