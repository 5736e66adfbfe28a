"""The OpenAPI document made true: every error declared as `application/problem+json`, auth as the routes enforce it.

Routes declare the errors their own work can produce with `errors(...)`. What every route shares is added
here, from the route itself, when the document is built: 400 for any parameter or body (the app answers 400
where FastAPI's default document says 422, see gridmap.api.problems), 413 for any body (BodySizeLimit), and
401/403/429 and the security requirement from the auth dependency the route uses (optional auth is declared
as `[{}, {"HTTPBearer": []}]`, so clients and schemathesis know a call without a token is allowed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from gridmap.api import dependencies
from gridmap.api.problems import PROBLEM_MEDIA_TYPE
from gridmap.settings import Settings

PROBLEM_REF = "#/components/schemas/Problem"
SECURITY_SCHEME = "HTTPBearer"

ERROR_DESCRIPTIONS = {
    400: "A parameter, header or field does not parse",
    401: "No token, or a token nobody holds, where one is needed",
    403: "The token's role may not do this",
    404: "Nothing of that name or id",
    409: "The request clashes with the current state",
    412: "If-Match names a revision other than the current one",
    413: "The body or a file in it is larger than the limit",
    415: "The body is not of a media type this route reads",
    422: "The content parses but cannot be used",
    428: "If-Match is missing where the change must name the revisions it is based on",
    429: "Too many requests from this client: retry after Retry-After seconds",
}


class ParameterProblem(BaseModel):
    """One parameter or field that does not parse, and why."""

    parameter: str = Field(description="Where, e.g. `query parameter lon` or `body field lat`")
    message: str


class Problem(BaseModel):
    """RFC 7807 problem details: every error the API answers, with the extension members the handlers add."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URN naming the kind of problem, e.g. urn:gridmap:problem:not-found")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="What is wrong, in words a user can act on")
    instance: str | None = Field(default=None, description="The path the problem happened at")
    errors: list[ParameterProblem] | None = Field(default=None, description="400: each parameter at fault")
    report: dict[str, Any] | None = Field(default=None, description="422 on publish: the check report")


class AnswerRoute(APIRoute):
    """The route class of every router: an answer model leaves out the optional members a route did not give,
    rather than serving them as null (`response_model_exclude_unset`), so a model changes no answer."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **{**options, "response_model_exclude_unset": True})


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of these error statuses, each a problem+json Problem."""
    return {
        status: {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency function a route depends on, however deep."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _shared_errors(route: APIRoute, settings: Settings) -> tuple[list[int], bool | None]:
    """The statuses the route's dependencies can answer under these settings, and whether it needs a token
    (None: it reads no token at all)."""
    calls = set(_calls(route.dependant))
    needs_role = dependencies.planner in calls or dependencies.staff in calls
    needs_token = needs_role or dependencies.signed_in in calls
    needs_token = needs_token or (dependencies.reader in calls and not settings.public_read)
    reads_token = dependencies.current_user in calls
    statuses = [
        *([401] if reads_token else []),
        *([403] if needs_role else []),
        *([429] if dependencies.costly_reader in calls else []),  # anonymous callers of costly answers
    ]
    return statuses, (needs_token if reads_token else None)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Each documented route with its full path (routers are included with their prefixes)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield context.path_format, route


def _finish_operation(operation: dict[str, Any], route: APIRoute, settings: Settings) -> None:
    """Replace FastAPI's default 422 by the statuses every such route shares, and declare its security."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
    if "HTTPValidationError" in str(default_422.get("schema", {})):
        del responses["422"]
    added: list[int] = []
    if operation.get("parameters") or "requestBody" in operation:
        added.append(400)
    if "requestBody" in operation:
        added.append(413)
    statuses, needs_token = _shared_errors(route, settings)
    added += statuses
    if needs_token is not None:
        operation["security"] = [{SECURITY_SCHEME: []}] if needs_token else [{}, {SECURITY_SCHEME: []}]
    for status, response in errors(*added).items():
        responses.setdefault(str(status), response)


def install_contract(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` finish FastAPI's document as the module docstring says (once; it is cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        for path, route in _api_routes(app):
            for method in route.methods or ():
                operation = document["paths"].get(path, {}).get(method.lower())
                if operation is not None:
                    _finish_operation(operation, route, settings)
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
