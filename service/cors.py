"""CORS for the API, for the origins NEWSINDEX_CORS_ORIGINS names (none by default).

A newsroom tool running in a browser on another origin (a CMS plugin, a
newsletter editor) may call /api/v1/... only when its origin is listed.  Keys
travel in the Authorization header, never in cookies, so credentials stay off;
the headers a client needs to page, export and revalidate are exposed.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

EXPOSED_HEADERS = ["Link", "ETag", "Retry-After", "Location", "X-Total-Count", "X-Export-Limit",
                   "X-Export-Truncated", "X-Search-Partial"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-None-Match"]


def origins(setting: str) -> list[str]:
    """"https://a.example, https://b.example" -> the list; "" -> []."""
    return [origin.strip().rstrip("/") for origin in setting.split(",") if origin.strip()]


def init_app(app: Flask, setting: str) -> None:
    """Allow the configured origins on /api/*; with none configured, add no CORS headers at all."""
    allowed = origins(setting)
    if not allowed:
        return
    CORS(app, resources={r"/api/*": {"origins": allowed}}, expose_headers=EXPOSED_HEADERS,
         allow_headers=ALLOWED_HEADERS, methods=["GET", "HEAD", "PUT", "DELETE", "POST", "OPTIONS"],
         supports_credentials=False, max_age=600)
