"""A module's routes, declared when it is imported and built once, on the app.

FastAPI builds a route (its parameters' and response's pydantic adapters, its dependencies) when
it is declared on an ``APIRouter``, then again, each of them, when the app first matches a
request against the included router: an included router's routes are only templates of the
app's. The first build was never served: 0.25 s of CPU at every control plane's start, and the
first requests paid for the second. A :class:`RouteTable` takes the same declarations as an
``APIRouter`` (``tags``, ``responses``, ``prefix``, ``include_in_schema``; ``get``, ``post``,
``delete``) and adds its routes to the app itself (:meth:`RouteTable.add_to`), as including the
router did: same paths, names, tags, responses and OpenAPI.

Built once per process and prefix, then shared by every app ``create_app`` makes in it: a
control plane makes one, but a test process makes hundreds (``fleetops.testing.api``), and
building ~85 routes costs ~0.25 s of CPU, nearly all of a new app's cost. A route holds nothing
of an app (its handler reads ``request.app.state``), with one exception: FastAPI's
``app.dependency_overrides``, which shared routes do not see. fleetops uses none; a test
replaces what a route acts on in ``app.state``.

The error answers a route declares (``responses={401: {"model": ErrorBody}}``, five to eight per
route) are one pydantic adapter per status code and model, shared by every route: FastAPI builds
one per route and status (~560 adapters of the same model, ~0.2 s of CPU at every start), used
only to write the OpenAPI document, where each comes out as the same ``$ref`` to the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi._compat import ModelField
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field, is_body_allowed_for_status_code
from pydantic import BaseModel
from starlette.routing import BaseRoute

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Declared:
    method: str
    path: str
    endpoint: Callable[..., Any]
    options: dict[str, Any]


class RouteTable:
    """The routes of one module, added to the app by ``create_app``."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.prefix = prefix
        self.tags = list(tags or [])
        self.responses = dict(responses or {})
        self.include_in_schema = include_in_schema
        self._declared: list[_Declared] = []
        self._built: dict[str, list[BaseRoute]] = {}

    def get(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """Declare a GET route, as ``APIRouter.get`` does."""
        return self._declare("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """Declare a POST route, as ``APIRouter.post`` does."""
        return self._declare("POST", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """Declare a DELETE route, as ``APIRouter.delete`` does."""
        return self._declare("DELETE", path, options)

    def _declare(self, method: str, path: str, options: dict[str, Any]) -> Callable[[Endpoint], Endpoint]:
        def declare(endpoint: Endpoint) -> Endpoint:
            self._declared.append(_Declared(method, path, endpoint, options))
            return endpoint

        return declare

    def add_to(self, app: FastAPI, prefix: str = "") -> None:
        """Add the routes to ``app`` under ``prefix``, in their order of declaration (built on
        the first call with that prefix, shared after)."""
        built = self._built.get(prefix)
        if built is None:
            built = self._built[prefix] = self._build(prefix)
        app.router.routes.extend(built)

    def _build(self, prefix: str) -> list[BaseRoute]:
        """The routes, with the table's tags and responses before each route's own, as an
        included router's are. Built on a router of FastAPI's defaults, as an app's own is
        (``create_app`` changes none of them)."""
        router = APIRouter()
        for declared in self._declared:
            options = dict(declared.options)
            responses = {**self.responses, **options.pop("responses", {})}
            router.add_api_route(
                prefix + self.prefix + declared.path,
                declared.endpoint,
                methods=[declared.method],
                tags=[*self.tags, *options.pop("tags", [])],
                responses={code: _without_shared_model(response) for code, response in responses.items()},
                include_in_schema=self.include_in_schema and options.pop("include_in_schema", True),
                **options,
            )
            route = router.routes[-1]
            assert isinstance(route, APIRoute)
            route.responses = responses
            route.response_fields = {
                code: _shared_response_field(code, response["model"])
                if _has_shared_model(response)
                else route.response_fields[code]
                for code, response in responses.items()
                if response.get("model")
            }
        return list(router.routes)


_shared_fields: dict[tuple[int | str, type[BaseModel]], ModelField] = {}


def _has_shared_model(response: dict[str, Any]) -> bool:
    # A model class's OpenAPI schema is a $ref to it whatever the field's name (FastAPI names it
    # after the route); another type (a dict, a list) is inlined with that name as its title.
    model = response.get("model")
    return isinstance(model, type) and issubclass(model, BaseModel)


def _without_shared_model(response: dict[str, Any]) -> dict[str, Any]:
    if not _has_shared_model(response):
        return response
    return {key: value for key, value in response.items() if key != "model"}


def _shared_response_field(code: int | str, model: type[BaseModel]) -> ModelField:
    """The adapter FastAPI would build for ``responses={code: {"model": model}}``, built once."""
    field = _shared_fields.get((code, model))
    if field is None:
        assert is_body_allowed_for_status_code(code), f"Status code {code} must not have a response body"
        field = _shared_fields[(code, model)] = create_model_field(
            name=f"Response_{code}_{model.__name__}", type_=model, mode="serialization"
        )
    return field
