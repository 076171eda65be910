"""Input and output documents of the JSON and CBOR protocols, walked along botocore's shapes.

``read`` checks a decoded request body (JSON or CBOR) against the operation's input shape and
returns plain Python values (timestamps as aware ``datetime``, blobs as ``bytes``); a missing
required member or a value of the wrong type is a validation error naming where it is. ``write``
turns a handler's plain dict into the JSON- or CBOR-ready document of its output shape; a key
the shape does not have is a bug of the handler (``KeyError``), never silently sent.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from fleetops.server.aws.errors import AwsError, validation


def _where(path: str) -> str:
    return path or "the request"


def wrong_type(path: str, expected: str, value: Any) -> AwsError:
    """The error for a value of the wrong type at ``path``."""
    shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
    return validation(
        f"1 validation error detected: Value {shown} at '{_where(path)}' failed to satisfy "
        f"constraint: Member must be {expected}"
    )


def missing(path: str) -> AwsError:
    """The error for a required member that is absent."""
    return validation(
        f"1 validation error detected: Value null at '{path}' failed to satisfy constraint: "
        "Member must not be null"
    )


def read(shape: Any, value: Any, *, cbor: bool, path: str = "") -> Any:
    """``value`` checked against ``shape`` (see the module docstring)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise wrong_type(path, "a structure", value)
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[name] = read(member, value[name], cbor=cbor, path=_join(path, name))
        for name in shape.required_members:
            if name not in out:
                raise missing(_join(path, name))
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise wrong_type(path, "a list", value)
        return [read(shape.member, item, cbor=cbor, path=f"{path}.{i + 1}") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise wrong_type(path, "a map", value)
        return {
            read(shape.key, key, cbor=cbor, path=path): read(
                shape.value, item, cbor=cbor, path=f"{path}.{key}"
            )
            for key, item in value.items()
        }
    return read_scalar(kind, value, path, cbor=cbor)


def read_scalar(kind: str, value: Any, path: str, *, cbor: bool) -> Any:
    """One scalar of type ``kind`` as decoded from JSON or CBOR."""
    if kind == "string":
        if not isinstance(value, str):
            raise wrong_type(path, "a string", value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise wrong_type(path, "a boolean", value)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(path, "an integer", value)
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong_type(path, "a number", value)
        return float(value)
    if kind == "timestamp":
        if isinstance(value, datetime):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            return parse_timestamp(value, path)
        raise wrong_type(path, "a timestamp", value)
    if kind == "blob":
        if cbor and isinstance(value, bytes):
            return value
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except binascii.Error as err:
                raise wrong_type(path, "base64", value) from err
        raise wrong_type(path, "a blob", value)
    return value  # a document: taken as sent


def parse_timestamp(text: str, path: str) -> datetime:
    """An ISO 8601 timestamp or epoch seconds, as the query and JSON protocols send them."""
    try:
        moment = datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as err:
            raise wrong_type(path, "a timestamp (ISO 8601 or epoch seconds)", text) from err
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def write(shape: Any, value: Any, *, cbor: bool, path: str = "") -> Any:
    """A handler's ``value`` as the document of ``shape`` (see the module docstring)."""
    kind = shape.type_name
    if kind == "structure":
        unknown = set(value) - set(shape.members)
        if unknown:
            raise KeyError(f"{shape.name} has no member {sorted(unknown)} (at {_where(path)})")
        return {
            name: write(shape.members[name], item, cbor=cbor, path=_join(path, name))
            for name, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [write(shape.member, item, cbor=cbor, path=path) for item in value]
    if kind == "map":
        return {str(key): write(shape.value, item, cbor=cbor, path=path) for key, item in value.items()}
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
        return moment if cbor else moment.timestamp()
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return raw if cbor else base64.b64encode(raw).decode()
    if kind in ("float", "double"):
        return float(value)
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
