"""The base classes of every REST request model: bodies are strict, query filters refuse unknowns.

A JSON body is validated without coercion: ``{"keep": true}`` is not the integer 1 and
``{"desired": "3"}`` is not 3 (422, nothing changes). Strictness is set once here, not per
field. FastAPI validates a body as Python data (already decoded from JSON), where pydantic's
strict mode would also refuse the text of an enum member; enum fields in a body therefore use
:data:`EnumText`, which takes a member's value and nothing else.

Query parameters are text by nature (``?limit=5``), so :class:`QueryModel` reads them as pydantic
does by default and only refuses parameters it does not know.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Strict

E = TypeVar("E")

EnumText = Annotated[E, Strict(False)]
"""An enum field of a body: one of the members' values, as JSON gives it (``"admin"``)."""


class StrictModel(BaseModel):
    """A JSON request body: unknown members and values of the wrong JSON type are refused (422)."""

    model_config = ConfigDict(strict=True, extra="forbid")


class QueryModel(BaseModel):
    """Query parameters of a route: unknown ones are refused (422)."""

    model_config = ConfigDict(extra="forbid")
