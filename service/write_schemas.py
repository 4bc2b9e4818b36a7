"""The schemas of the bulk writes and deletes: NDJSON reports, deletes by id and by query.

Kept apart from service/schemas.py (reads, one article, errors) only for size;
the same rules hold: these objects validate, shape answers and document them.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, post_load, validate

from index import SearchRequest
from service.schemas import ErrorDetail, FilterArgs


class DeleteByQueryIn(FilterArgs):
    """The body of POST /api/v1/articles/delete-by-query: the search whose matches are removed."""

    class Meta:
        unknown = RAISE

    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only report what would be deleted"})

    @post_load
    def to_request(self, data, **kwargs):
        dry_run = data.pop("dry_run", False)
        return {"request": SearchRequest(**data), "dry_run": dry_run}


class BulkItemOut(Schema):
    """What happened to one line of a bulk request."""

    line = fields.Integer(required=True, metadata={"description": "1-based line number in the request body"})
    ok = fields.Boolean(required=True)
    id = fields.String(allow_none=True)
    status = fields.Integer(required=True, metadata={
        "description": "201 created, 200 replaced or unchanged, or the error status of this line"})
    result = fields.String(allow_none=True, validate=validate.OneOf(["created", "updated", "unchanged"]),
                           metadata={"description": "created, updated or unchanged (same content: not rewritten); "
                                                    "null on error"})
    error = fields.Nested(ErrorDetail, allow_none=True)


class BulkOut(Schema):
    took_ms = fields.Float(required=True, metadata={"description": "Time to answer the whole request"})
    errors = fields.Boolean(required=True, metadata={"description": "True when at least one line failed"})
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True, metadata={"description": "Lines identical to the stored article"})
    failed = fields.Integer(required=True)
    items = fields.List(fields.Nested(BulkItemOut), required=True)


class BulkDeleteIn(Schema):
    """The body of POST /api/v1/articles/bulk-delete."""

    class Meta:
        unknown = RAISE

    ids = fields.List(fields.String(validate=validate.Length(min=1, max=256)), required=True,
                      validate=validate.Length(min=1, max=10_000, error="ids must name 1 to 10,000 articles"),
                      metadata={"description": "Ids of the articles to remove", "example": ["cms-2021-0042", "cms-2021-0043"]})


class DeletedItemOut(Schema):
    id = fields.String(required=True)
    result = fields.String(required=True, validate=validate.OneOf(["deleted", "not_found"]))


class BulkDeleteOut(Schema):
    took_ms = fields.Float(required=True, metadata={"description": "Time to answer the whole request"})
    deleted = fields.Integer(required=True)
    not_found = fields.Integer(required=True)
    items = fields.List(fields.Nested(DeletedItemOut), required=True)


class DeleteByQueryOut(Schema):
    took_ms = fields.Float(required=True, metadata={"description": "Time to answer the whole request"})
    dry_run = fields.Boolean(required=True)
    matched = fields.Integer(required=True, metadata={"description": "Articles the search matched"})
    deleted = fields.Integer(required=True, metadata={"description": "Articles removed (0 on a dry run)"})
    ids = fields.List(fields.String(), required=True, metadata={"description": "The ids removed (or that would be)"})
    partial = fields.Boolean(required=True, metadata={
        "description": "The time limit cut the search short: some matches may remain; repeat the request"})
    truncated = fields.Boolean(required=True, metadata={
        "description": "More matches than one request removes (NEWSINDEX_EXPORT_MAX): repeat the request"})
