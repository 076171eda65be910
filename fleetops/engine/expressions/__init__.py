"""The expression layer of the ASL engine: JSONPath, payload templates, intrinsic functions,
Choice rules and JSONata, evaluated against a `Scope` (input, context object, variables).

Errors raised here carry AWS's error name and the state-independent part of AWS's cause; the
state layer prefixes "An error occurred while executing the state '<name>' (entered at the
event id #<n>). " where AWS does.
"""

from fleetops.engine.expressions.choice import ChoiceRule, is_timestamp, parse_choice_rule, parse_timestamp
from fleetops.engine.expressions.fields import missing_field_path, resolve_field_path, resolve_io_path
from fleetops.engine.expressions.intrinsics import evaluate_intrinsic, is_intrinsic, parse_intrinsic
from fleetops.engine.expressions.jsonata_check import JsonataProblem, check_jsonata, check_jsonata_template
from fleetops.engine.expressions.jsonata_query import (
    evaluate_jsonata,
    evaluate_jsonata_template,
    expression_of,
    is_jsonata,
    jsonata_type,
    query_error,
    unexpected_type,
    validate_jsonata,
)
from fleetops.engine.expressions.jsonpath import ParsedPath, PathNotFound, parse_path, resolve_path
from fleetops.engine.expressions.jsontext import compact_json
from fleetops.engine.expressions.payload import evaluate_payload, validate_payload_template
from fleetops.engine.expressions.result_path import set_path
from fleetops.engine.expressions.scope import Scope

__all__ = [
    "ChoiceRule",
    "JsonataProblem",
    "ParsedPath",
    "PathNotFound",
    "Scope",
    "check_jsonata",
    "check_jsonata_template",
    "compact_json",
    "evaluate_intrinsic",
    "evaluate_jsonata",
    "evaluate_jsonata_template",
    "evaluate_payload",
    "expression_of",
    "is_intrinsic",
    "is_jsonata",
    "is_timestamp",
    "jsonata_type",
    "missing_field_path",
    "parse_choice_rule",
    "parse_intrinsic",
    "parse_path",
    "parse_timestamp",
    "query_error",
    "resolve_field_path",
    "resolve_io_path",
    "resolve_path",
    "set_path",
    "unexpected_type",
    "validate_jsonata",
    "validate_payload_template",
]
