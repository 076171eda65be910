"""Payload templates: Parameters, ResultSelector, ItemSelector and JSONPath `Assign`.

"The value of 'Parameters' MUST be an object, which we call a Payload Template." "If any
field within the Payload Template (however deeply nested) has a name ending with the
characters '.$', its value is transformed according to rules below and the field is renamed
to strip the '.$' suffix." "If the field value begins with only one '$', the value MUST be a
Path. ... If the field value begins with '$$', the first dollar sign is stripped and the
remainder MUST be a Path [into the context object]." "If the field value begins with
'States.', it is an Intrinsic Function." (Amazon States Language specification)
"""

from __future__ import annotations

from typing import Any

from fleetops.engine.expressions.fields import resolve_field_path
from fleetops.engine.expressions.intrinsics import is_intrinsic, parse_intrinsic
from fleetops.engine.expressions.jsonpath import parse_path
from fleetops.engine.expressions.scope import Scope

SUFFIX = ".$"


def evaluate_payload(template: Any, scope: Scope, *, field: str = "Parameters") -> Any:
    """Return the JSON value `template` describes, evaluated in `scope`.

    `field` names the template's field (Parameters, ResultSelector, ItemSelector, Assign).
    A path that matches nothing raises StatesError(States.Runtime) with AWS's cause:
    "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{...}'".
    """
    if isinstance(template, dict):
        result: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(SUFFIX) and isinstance(value, str):
                result[key[: -len(SUFFIX)]] = resolve_field_path(value, scope, key)
            else:
                result[key] = evaluate_payload(value, scope, field=field)
        return result
    if isinstance(template, list):
        return [evaluate_payload(item, scope, field=field) for item in template]
    return template


def validate_payload_template(template: Any, pointer: str) -> list[str]:
    """Every problem AWS reports for a payload template at `pointer` (e.g. /States/X/Parameters).

    "SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid
    intrinsic function call at /States/X/Parameters".
    """
    problems: list[str] = []
    if isinstance(template, dict):
        for key, value in template.items():
            if key.endswith(SUFFIX):
                if not _valid_dynamic(value):
                    problems.append(
                        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
                        f"function call at {pointer}"
                    )
            else:
                problems.extend(validate_payload_template(value, f"{pointer}/{_escape(key)}"))
    elif isinstance(template, list):
        for index, item in enumerate(template):
            problems.extend(validate_payload_template(item, f"{pointer}/{index}"))
    return problems


def _valid_dynamic(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        if is_intrinsic(value):
            parse_intrinsic(value)
        else:
            parse_path(value)
    except ValueError:
        return False
    return True


def _escape(key: str) -> str:
    """A key as a JSON Pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
