"""The expression layer of the ASL engine: JSONPath, payload templates, intrinsic functions,
Choice rules and JSONata, evaluated against a `Scope` (input, context object, variables).

Errors raised here carry AWS's error name and the state-independent part of AWS's cause; the
state layer prefixes "An error occurred while executing the state '<name>' (entered at the
event id #<n>). " where AWS does.
"""

from fleetops.engine.expressions.intrinsics import evaluate_intrinsic, is_intrinsic, parse_intrinsic
from fleetops.engine.expressions.jsonpath import ParsedPath, PathNotFound, parse_path, resolve_path
from fleetops.engine.expressions.jsontext import compact_json
from fleetops.engine.expressions.payload import evaluate_payload, validate_payload_template
from fleetops.engine.expressions.result_path import set_path
from fleetops.engine.expressions.scope import Scope

__all__ = [
    "ParsedPath",
    "PathNotFound",
    "Scope",
    "compact_json",
    "evaluate_intrinsic",
    "evaluate_payload",
    "is_intrinsic",
    "parse_intrinsic",
    "parse_path",
    "resolve_path",
    "set_path",
    "validate_payload_template",
]
