"""A thin typed layer over Flask: each API operation declares its models once, and the OpenAPI 3.1
document is built from those same declarations, so the document cannot drift from what is served.

Why our own (about 150 lines) rather than flask-openapi3 or APIFlask: both bring their own
request-parsing and error conventions and their docs pages load assets from a CDN by default;
what the API needs is small — parse the query and body with pydantic, call one service,
serialise one model — and the error shape, bearer-only authentication and rate limits are the
gateway's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from app.api.models import ErrorBody
from app.services.errors import InvalidRequest

ERROR_STATUSES = {
    400: "The request was refused as invalid (details say which field)",
    401: "No acceptable bearer token (see WWW-Authenticate)",
    403: "The token lacks the scope, or Globus refused the action",
    404: "Not found, or not visible to this user",
    409: "The collection's storage refused (e.g. the name is taken)",
    429: "Too many requests (see Retry-After)",
    503: "A Globus service or the collection is unavailable (see Retry-After)",
}
_RULE_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


class RequestInvalid(InvalidRequest):
    """A query or body that does not match the operation's model."""

    def __init__(self, message: str, errors: list[dict[str, Any]]):
        super().__init__(message)
        self.errors = errors


@dataclass
class Operation:
    """One documented API operation."""

    method: str
    rule: str
    operation_id: str
    summary: str
    tag: str
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    public: bool = False

    @property
    def openapi_path(self) -> str:
        """The rule as an OpenAPI path template (<task_id> → {task_id})."""
        return _RULE_PARAMETER.sub(r"{\1}", self.rule)

    @property
    def path_parameters(self) -> list[str]:
        """Names of the rule's path parameters."""
        return _RULE_PARAMETER.findall(self.rule)


def _problems(err: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in problem["loc"]), "message": problem["msg"]}
        for problem in err.errors(include_url=False, include_context=False, include_input=False)
    ]


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model` (the first value of each parameter)."""
    try:
        return model.model_validate(request.args.to_dict(flat=True))
    except ValidationError as err:
        raise RequestInvalid("The query parameters are not valid.", _problems(err)) from None


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body as `model`."""
    if not request.is_json:
        raise RequestInvalid("Send a JSON body with Content-Type: application/json.", [])
    payload = request.get_json(silent=True)
    if payload is None:
        raise RequestInvalid("The body is not valid JSON.", [])
    try:
        return model.model_validate(payload)
    except ValidationError as err:
        raise RequestInvalid("The request body is not valid.", _problems(err)) from None


@dataclass
class ApiSpec:
    """The operations of one API version, registered on its blueprint."""

    blueprint: Blueprint
    title: str
    version: str
    description: str
    operations: list[Operation] = field(default_factory=list)

    def operation(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        tag: str,
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
    ) -> Callable[[Callable[..., BaseModel]], Callable[..., BaseModel]]:
        """Register a view: it receives path parameters plus `query=` / `body=` models and returns `response`."""

        def register(view: Callable[..., BaseModel]) -> Callable[..., BaseModel]:
            operation = Operation(method, rule, view.__name__, summary, tag, query, body, response, status)
            self.operations.append(operation)

            def endpoint(**path_args: str) -> Response | tuple[Response, int]:
                arguments: dict[str, Any] = dict(path_args)
                if query is not None:
                    arguments["query"] = parse_query(query)
                if body is not None:
                    arguments["body"] = parse_body(body)
                result = view(**arguments)
                return jsonify(result.model_dump(mode="json", by_alias=True)), status

            endpoint.__name__ = view.__name__
            endpoint.__doc__ = view.__doc__
            self.blueprint.add_url_rule(rule, view.__name__, endpoint, methods=[method])
            return view

        return register

    def document(self, server_url: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every registered operation."""
        schemas: dict[str, Any] = {}

        def ref(model: type[BaseModel], mode: str) -> dict[str, str]:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
            for name, nested in schema.pop("$defs", {}).items():
                schemas[name] = nested
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        error_ref = ref(ErrorBody, "serialization")
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            spec: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                    for name in op.path_parameters
                ],
                "responses": {},
            }
            if op.query is not None:
                spec["parameters"].extend(_query_parameters(op.query))
            if op.body is not None:
                spec["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(op.body, "validation")}},
                }
            if op.response is not None:
                spec["responses"][str(op.status)] = {
                    "description": op.summary,
                    "content": {"application/json": {"schema": ref(op.response, "serialization")}},
                }
            for status, text in ERROR_STATUSES.items():
                spec["responses"][str(status)] = {
                    "description": text,
                    "content": {"application/json": {"schema": error_ref}},
                }
            paths.setdefault(op.openapi_path, {})[op.method.lower()] = spec
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version, "description": self.description},
            "servers": [{"url": server_url}],
            "security": [{"globus_bearer": []}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "globus_bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A Globus Auth access token for the gateway's gateway_api scope",
                    }
                },
            },
        }


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = {key: value for key, value in prop.items() if key != "title"}
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
                **({"description": prop["description"]} if "description" in prop else {}),
            }
        )
    return parameters
