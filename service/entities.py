"""GET /api/v1/entities/<type>/<name>: one entity, its variants, and why they were joined.

Facets, filters, hits and articles show one canonical value per real entity
(index/search/catalog.py); this says what that value stands for, so a merge
can be checked rather than trusted:

    GET /api/v1/entities/org/IMF
    {"key": "international monetary fund", "name": "International Monetary Fund", "type": "org",
     "type_reason": "majority of mentions (org 220, place 7)", "type_votes": {...}, "articles": 120,
     "variants": [{"key": "imf", "names": ["IMF"], "articles": 50, "reason": "acronym",
                   "detail": "41 article(s) use IMF as its acronym (International Monetary Fund)"}, ...],
     "search": "/api/v1/search?org=International+Monetary+Fund"}

`name` is any spelling of the entity (a variant, a surname, the display name).
The route lives on the API blueprint (service/api.py), so keys, errors and the
OpenAPI document treat it as every other read; importing this module adds it.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask.views import MethodView
from marshmallow import Schema, fields

from service.api import ETAG_HEADER, IF_NONE_MATCH, api, read_endpoint
from service.archive import get_index
from service.errors import ApiError
from service.schemas import ErrorOut

ENTITY_TYPES = ("person", "org", "place")


class EntityVariantOut(Schema):
    key = fields.String(required=True, metadata={"description": "The folded key articles index it by"})
    names = fields.List(fields.String(), required=True, metadata={"description": "How articles wrote it, most frequent first"})
    articles = fields.Integer(required=True, metadata={"description": "Articles naming the entity by this variant alone"})
    reason = fields.String(required=True, metadata={"description": "canonical, same spelling, alias, gazetteer, "
                                                    "company suffix, acronym, short name or surname"})
    detail = fields.String(required=True, metadata={"description": "The evidence, in words"})


class EntityDetailOut(Schema):
    key = fields.String(required=True, metadata={"description": "The entity's id: its canonical key"})
    name = fields.String(required=True, metadata={"description": "The value facets, filters and articles show"})
    type = fields.String(required=True, metadata={"description": "person, org or place, the same on every endpoint"})
    type_reason = fields.String(required=True)
    type_votes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                             metadata={"description": "Documents giving it each type (the variants' own votes excluded)"})
    articles = fields.Integer(required=True)
    variants = fields.List(fields.Nested(EntityVariantOut), required=True)
    search = fields.String(required=True, metadata={"description": "The search for articles naming it"})


@api.route("/entities/<string:type>/<path:name>", parameters=[IF_NONE_MATCH, {  # a name may hold "/"
    "in": "path", "name": "type", "required": True, "schema": {"type": "string", "enum": list(ENTITY_TYPES)}}])
class EntityView(MethodView):
    @read_endpoint
    @api.response(200, EntityDetailOut, headers=ETAG_HEADER)
    @api.alt_response(404, schema=ErrorOut, description="No entity of that type known by that name")
    def get(self, type: str, name: str):  # noqa: A002  (the route's own word)
        """One entity: its canonical name and type, and every variant joined into it, with the reason.

        `name` may be any spelling the archive has seen ("IMF", "U.S.", "Reagan").
        A name known as another type answers 404 with the right address.
        """
        kind = type
        if kind not in ENTITY_TYPES:
            raise ApiError(404, "not_found", f"no entity type {kind!r}; types are {', '.join(ENTITY_TYPES)}", "type")
        found = get_index().entity(name)
        if found is None:
            raise ApiError(404, "not_found", f"no entity known as {name!r}", "name")
        if found["type"] != kind:
            raise ApiError(404, "not_found", f"{found['name']!r} is a {found['type']}, not a {kind}: "
                           f"see /api/v1/entities/{found['type']}/{quote(found['name'], safe='')}", "type")
        return {**found, "search": f"/api/v1/search?{urlencode({kind: found['name']})}"}
