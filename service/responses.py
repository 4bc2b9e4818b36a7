"""Responses that always encode: stored text with a lone surrogate is shown with U+FFFD, never a 500.

Python strings may hold lone surrogates (JSON's "\\ud800" parses to one), which
UTF-8 cannot encode: a page, an export or a feed showing such an article would
fail half-way (a 500, or an export cut off with status 200).  Input is
validated at the ingest edge, but an archive may hold articles stored before
that; so every text body is made encodable here, the last step before bytes.
"""

from __future__ import annotations

import re

from flask import Response

SURROGATES = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (the replacement character)."""
    return SURROGATES.sub("\ufffd", text)


def web_url(url: str | None) -> str | None:
    """`url` if it may be a link (http or https), else None: never javascript:, data:, vbscript: ..."""
    if not url or re.search(r"[\x00-\x20\x7f]", url.strip()):
        return None
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else None


class SafeResponse(Response):
    """Flask's Response, with str bodies (whole or streamed) made encodable first."""

    def set_data(self, value) -> None:
        super().set_data(encodable(value) if isinstance(value, str) else value)

    def iter_encoded(self):
        for item in self.response:
            yield encodable(item).encode("utf-8") if isinstance(item, str) else item
