"""Pagination of list answers: an opaque token (an offset) handed back as the next page's."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from fleetops.server.aws.errors import AwsError

T = TypeVar("T")


def page(
    items: Sequence[T],
    params: dict[str, Any],
    *,
    default: int,
    limit: int,
    size_key: str = "MaxRecords",
    token_key: str = "NextToken",
    invalid: str = "InvalidNextToken",
) -> tuple[list[T], str | None]:
    """The page of ``items`` the request asks for and the token of the next (None: last page)."""
    size = params.get(size_key, default)
    if not 1 <= size <= limit:
        raise AwsError("ValidationError", f"{size_key} must be between 1 and {limit}, got {size}")
    offset = 0
    token = params.get(token_key)
    if token:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError) as err:
            raise AwsError(invalid, f"The token {token!r} is invalid.") from err
    chosen = list(items[offset : offset + size])
    if offset + size >= len(items):
        return chosen, None
    return chosen, base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode()
