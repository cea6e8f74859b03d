"""The API blueprint, the ``route`` decorator every API module uses, and the OpenAPI
document built from what was registered (so the document cannot forget a route)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint

from engine.messages import N_

PREFIX = "/api/v1"
blueprint = Blueprint("api", __name__, url_prefix=PREFIX)


@dataclass(frozen=True)
class ApiRoute:
    path: str            # Flask rule below PREFIX, e.g. /instances/<int:instance_id>
    method: str
    endpoint: str        # "api.<function name>"
    summary: str
    tag: str
    request: dict | None = None     # JSON schema of the body
    response: dict | None = None    # JSON schema of the success body
    status: int = 200
    content_type: str = "application/json"
    public: bool = False            # readable without a token
    errors: tuple[int, ...] = field(default=(401, 404))
    operation_id: str | None = None  # a name users of call-center APIs know (TakeBreak)
    query: tuple[dict, ...] = ()     # query parameters: {"name", "schema", "required"...}


ROUTES: list[ApiRoute] = []


def route(path: str, method: str, summary: str, *, request: dict | None = None,
          response: dict | None = None, status: int = 200, public: bool = False,
          content_type: str = "application/json", errors: tuple[int, ...] = (401, 404),
          operation_id: str | None = None, query: tuple[dict, ...] = ()):
    """Register a view on the API blueprint and describe it for the OpenAPI document."""
    def decorate(view):
        tag = view.__module__.rsplit(".", 1)[-1]
        view.public = public  # read by the token check in webadmin.api
        blueprint.add_url_rule(path, view_func=view, methods=[method])
        ROUTES.append(ApiRoute(path, method, f"api.{view.__name__}", summary, tag, request,
                               response, status, content_type, public, errors,
                               operation_id, query))
        return view
    return decorate


# Shared schemas.
ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "field name -> what is wrong with it"}}}
PBX = {"type": ["object", "null"], "description": "the PBX change that followed the commit",
       "properties": {"live": {"type": "boolean"}, "message": {"type": "string"},
                      "error": {"type": "boolean"}}}
ERROR_TEXT = {400: "Malformed request", 401: "Missing or bad token",
              403: "The user's role may not do this", 404: "No such resource in the account",
              409: "Conflicts with existing data", 422: "Invalid fields",
              503: "The PBX is not reachable"}
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(path: str) -> str:
    return PREFIX + _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", path)


def _operation(api: ApiRoute) -> dict:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer" if conv == "int" else "string"}}
                  for conv, name in _CONVERTER.findall(api.path)]
    parameters += [{"in": "query", **parameter} for parameter in api.query]
    responses = {str(api.status): {"description": "Success"}}
    if api.response is not None:
        responses[str(api.status)]["content"] = {"application/json": {"schema": api.response}}
    for code in (() if api.public else api.errors) + ((422,) if api.request else ()):
        responses[str(code)] = {"description": ERROR_TEXT[code], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    operation = {"operationId": api.operation_id or api.endpoint.removeprefix("api."),
                 "summary": api.summary,
                 "tags": [api.tag], "parameters": parameters, "responses": responses}
    if api.public:
        operation["security"] = []
    if api.request is not None:
        operation["requestBody"] = {"required": True, "content": {
            api.content_type: {"schema": api.request}}}
    return operation


def openapi_document() -> dict:
    """OpenAPI 3.1 for every registered route."""
    paths: dict[str, dict] = {}
    for api in ROUTES:
        paths.setdefault(openapi_path(api.path), {})[api.method.lower()] = _operation(api)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ccc call center API", "version": "1",
                 "description": "Every operation of the web admin; the same engine services."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "A user's token: `ccc account token create --account A --user U`"}},
            "schemas": {"Error": ERROR}},
        "paths": dict(sorted(paths.items())),
    }


_TYPES = {"string": str, "integer": int, "object": dict, "array": list, "boolean": bool,
          "number": (int, float), "null": type(None)}
# A JSON integer the database can store: every id and count column is 64-bit signed.
INT_RANGE = range(-2 ** 63, 2 ** 63)


def _kinds(spec: dict) -> list[str]:
    kind = spec.get("type")
    return [kind] if isinstance(kind, str) else list(kind or [])


def _fits(value, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False  # JSON true is not 1
    if not isinstance(value, _TYPES.get(kind, object)):
        return False
    return not isinstance(value, int) or isinstance(value, bool) or value in INT_RANGE


def _field_error(value, spec: dict):
    """What is wrong with one field's value against its schema (None when nothing)."""
    kinds = [k for k in _kinds(spec) if k in _TYPES]
    if "enum" in spec and value not in spec["enum"]:
        return N_("one of %(choices)s", choices=", ".join(map(str, spec["enum"])))
    if kinds and not any(_fits(value, kind) for kind in kinds):
        if isinstance(value, int) and not isinstance(value, bool) and value not in INT_RANGE \
                and {"integer", "number"} & set(kinds):
            return N_("out of range")
        return N_("must be a JSON %(kind)s", kind=" or ".join(kinds))
    item_kind = spec.get("items", {}).get("type") if isinstance(value, list) else None
    if item_kind in _TYPES and not all(_fits(item, item_kind) for item in value):
        return N_("must be an array of %(kind)ss", kind=item_kind)
    return None


def type_errors(data: dict, schema: dict) -> dict[str, str]:
    """Fields of ``data`` whose JSON type differs from ``schema``'s (the services check
    the values; this keeps a list from reaching a service that expects a name, and a
    null or a 100-digit integer from a service or a column that cannot take one)."""
    errors = {}
    for name in schema.get("required", []):
        if name not in data:
            errors[name] = N_("required")
    for name, spec in schema.get("properties", {}).items():
        if name in data and name not in errors:
            error = _field_error(data[name], spec)
            if error is not None:
                errors[name] = error
    return errors
