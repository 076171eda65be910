"""FastAPI dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fleetops.redaction import Redactor
from fleetops.store import Store


def get_store(request: Request) -> Store:
    """The store the app was created with."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
"""A route parameter typed ``StoreDep`` receives the app's ``Store``."""


def get_redactor(request: Request) -> Redactor:
    """The app's redaction of secret values (``app.state.redactor``)."""
    redactor: Redactor = request.app.state.redactor
    return redactor


RedactorDep = Annotated[Redactor, Depends(get_redactor)]
"""A route parameter typed ``RedactorDep`` receives the redaction its answer passes through."""
