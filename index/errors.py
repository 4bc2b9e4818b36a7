"""The few exceptions callers of index/ need to know (Whoosh's index.py is the model).

The service maps each to one HTTP status: NotFound -> 404, InvalidQuery -> 400,
IndexBusy -> 503 with Retry-After, Unavailable -> 503 with Retry-After,
InvalidArticle -> 400.
"""


class IndexError_(Exception):
    """Base class for every error raised by index/."""


class NotFound(IndexError_):
    """No article has the requested id."""


class InvalidQuery(IndexError_):
    """The query cannot be run as written; the message says why, `param` where."""

    def __init__(self, message: str, param: str = "q"):
        super().__init__(message)
        self.param = param


class InvalidArticle(IndexError_):
    """An article cannot be indexed (no text, bad date...); the message says why."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IndexBusy(IndexError_):
    """Another writer held the index lock for longer than the configured wait."""

    retry_after = 2


class Unavailable(IndexError_):
    """The search cluster cannot answer now (unreachable, or a shard has no copy: red); retry shortly.

    Raised by the OpenSearch backend instead of a half answer: a search that some
    shards could not run, or a write that was not acknowledged, is never returned.
    """

    retry_after = 5


class AliasFileError(IndexError_):
    """The editorial alias file is malformed; the message names file, line and problem."""


class IndexFull(IndexError_):
    """The disk holding the index is full; the write left the index as it was."""


class Stale(IndexError_):
    """Articles changed since they were read (a conditional write was refused); `ids` names them."""

    def __init__(self, ids: list[str]):
        super().__init__(f"changed meanwhile: {', '.join(ids[:5])}")
        self.ids = ids
