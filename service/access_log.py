"""gunicorn's access log, without secrets: a key sent in a URL is not written down.

Keys belong in the `Authorization` header, which the log never shows; but a
client may put one in the query string (`?key=nx_...`, `?api_key=...`), and
the request line would then keep it in the log for anyone who reads it.  Here
the values of parameters named like a credential, and anything shaped like one
of our keys wherever it appears, are replaced by `[redacted]` in every field
of the line (request line, path, query, referer, request headers).
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# A parameter (name=value) at the start or after ? & ;, whose name holds one of the words. One pattern naming
# the words between two runs of name characters backtracked: a 16 KB header of "?keykeykey..." took a second
# of the worker's loop to log, and a request may carry a hundred headers. Here a parameter starts only after a
# separator and the words are looked for ahead within its name.
SECRET_PARAMS = re.compile(
    r"(?:^|(?<=[?&;]))(?=[a-z0-9_.-]*?(?:key|token|secret|password|passwd|auth))([a-z0-9_.-]*+=)[^&;#\s]*+", re.I)
KEY_SHAPED = re.compile(r"nx_[A-Za-z0-9_\-%]{8,}+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` (a URL, a query string, a header value) with credentials replaced."""
    return KEY_SHAPED.sub(REDACTED, SECRET_PARAMS.sub(lambda m: m.group(1) + REDACTED, text))


class RedactingLogger(Logger):
    """gunicorn's Logger with credentials removed from every access-log atom that may carry them."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str) and name not in ("t", "h", "s"):
                atoms[name] = redact(value)
            if name == "{authorization}i":
                atoms[name] = REDACTED
        return atoms
