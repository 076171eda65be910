"""Intrinsic for unique identifiers: States.UUID (AWS Step Functions, "Intrinsic for unique
ID generation")."""

from __future__ import annotations

import uuid


def states_uuid() -> str:
    """AWS: "Returns a version 4 universally unique identifier (v4 UUID) generated using random
    numbers." (AWS docs)"""
    return str(uuid.uuid4())
