"""Step Functions requests checked against AWS's own description of them before they are served.

The rules come from the Step Functions service model that botocore ships (the file boto3 reads
to build its client): each action's input members, which are required, their JSON types, the
lengths of strings and lists, the ranges of integers, and enum values. So a request is refused
here exactly where AWS refuses it, with AWS's limits: a 256 KiB ``input``/``output``, a 1 MiB
``definition``, 80-character names, 256-character ARNs, ``type`` STANDARD or EXPRESS. The
answer is AWS's ``ValidationException`` (``1 validation error detected: Value at 'input' failed
to satisfy constraint: Member must have length less than or equal to 262144``). A value of the
wrong JSON type (``"input": {}``, ``"maxResults": "5"``, ``"reverseOrder": 1``) is refused the
same way; nothing is coerced. Members the model does not know are ignored, as AWS does.

The JSON carried as text (``input``, ``output``, ``definition``) is then held to the nesting
limit of :mod:`fleetops.jsonlimits`, answered with the action's own error (InvalidExecutionInput,
InvalidOutput, InvalidDefinition).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from fleetops.errors import BadInput
from fleetops.jsonlimits import MAX_DEPTH, exceeds_depth

if TYPE_CHECKING:
    import botocore.model


class ValidationException(BadInput):
    """A request missing a required member, or with one of the wrong type, length or value."""

    aws_code = "ValidationException"


# Values are echoed in a message only when short and not marked sensitive by the model.
_ECHO_LIMIT = 64
_JSON_TYPES = {
    "string": "a string",
    "blob": "a string",
    "integer": "an integer",
    "long": "an integer",
    "boolean": "a boolean",
    "double": "a number",
    "float": "a number",
    "structure": "an object",
    "map": "an object",
    "list": "an array",
    "timestamp": "a number or a string",
}


@cache
def service_model() -> botocore.model.ServiceModel:
    """The Step Functions service model shipped with botocore (loaded once).

    botocore is imported here, with the first request checked: a control plane that serves no
    Step Functions call never pays for it."""
    import botocore.loaders
    import botocore.model

    loader = botocore.loaders.create_loader()
    return botocore.model.ServiceModel(loader.load_service_model("stepfunctions", "service-2"), "states")


def validate_request(action: str, body: dict[str, Any]) -> None:
    """Raise :class:`ValidationException` (every problem, as AWS words them) or the action's error
    for JSON text nested too deeply; return when ``body`` is a valid ``action`` request."""
    shape = service_model().operation_model(action).input_shape
    problems: list[str] = []
    if shape is not None:
        _check_structure(shape, body, "", problems)
    if problems:
        count = len(problems)
        raise ValidationException(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )
    _check_json_text(action, body)


def _check(shape: botocore.model.Shape, value: Any, where: str, problems: list[str]) -> None:
    if not _is_type(shape.type_name, value):
        expected = _JSON_TYPES.get(shape.type_name, shape.type_name)
        problems.append(
            f"{_value(shape, value)}at '{where}' failed to satisfy constraint: Member must be {expected}"
        )
        return
    # botocore makes a shape of type "structure" a StructureShape, "list" a ListShape, "map" a MapShape.
    if shape.type_name == "structure":
        _check_structure(shape, value, where, problems)
    elif shape.type_name == "list":
        _check_size(shape, value, where, problems, "length")
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}.{index + 1}.member", problems)
    elif shape.type_name == "map":
        for key, item in value.items():
            _check(shape.value, item, f"{where}.{key}", problems)
    elif isinstance(value, str):
        _check_size(shape, value, where, problems, "length")
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            problems.append(
                f"{_value(shape, value)}at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_size(shape, value, where, problems, "value")


def _check_structure(
    shape: botocore.model.StructureShape, value: dict[str, Any], where: str, problems: list[str]
) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(
                f"Value null at '{_join(where, name)}' failed to satisfy constraint: Member must not be null"
            )
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(where, name), problems)


def _check_size(shape: botocore.model.Shape, value: Any, where: str, problems: list[str], kind: str) -> None:
    size = len(value) if kind == "length" else value
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        problems.append(
            f"{_value(shape, value)}at '{where}' failed to satisfy constraint: "
            f"Member must have {kind} greater than or equal to {low}"
        )
    if high is not None and size > high:
        problems.append(
            f"{_value(shape, value)}at '{where}' failed to satisfy constraint: "
            f"Member must have {kind} less than or equal to {high}"
        )


def _is_type(type_name: str, value: Any) -> bool:
    if type_name in ("string", "blob"):
        return isinstance(value, str)
    if type_name in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name in ("double", "float"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name in ("structure", "map"):
        return isinstance(value, dict)
    if type_name == "list":
        return isinstance(value, list)
    if type_name == "timestamp":
        return isinstance(value, int | float | str) and not isinstance(value, bool)
    return True


def _value(shape: botocore.model.Shape, value: Any) -> str:
    # AWS names the value it refused ("Value 'FOO' at 'type'") unless the member is sensitive.
    if shape.metadata.get("sensitive") or not isinstance(value, str | int | float) or isinstance(value, bool):
        return "Value "
    text = str(value)
    return f"Value '{text}' " if len(text) <= _ECHO_LIMIT else "Value "


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


class JsonTextTooDeep(BadInput):
    """JSON text (an input, output or definition) nesting deeper than fleetops reads."""

    def __init__(self, aws_code: str, message: str) -> None:
        super().__init__(message)
        self.aws_code = aws_code


_JSON_TEXT = {"input": "InvalidExecutionInput", "output": "InvalidOutput", "definition": "InvalidDefinition"}


def _check_json_text(action: str, body: dict[str, Any]) -> None:
    for member, code in _JSON_TEXT.items():
        text = body.get(member)
        if isinstance(text, str) and exceeds_depth(text):
            raise JsonTextTooDeep(
                code,
                f"Invalid {member} for {action}: it nests deeper than {MAX_DEPTH} levels of arrays "
                "and objects (fleetops' limit)",
            )
