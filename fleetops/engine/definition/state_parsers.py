"""Build each state type's dataclass from its JSON, checking fields allowed for its type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fleetops.engine.definition import compound
from fleetops.engine.definition import fields as f
from fleetops.engine.definition.build import Build, MachineParser, error_handling, result_fields
from fleetops.engine.definition.common import MISSING, QueryLanguage
from fleetops.engine.definition.problems import Problems
from fleetops.engine.definition.resources import Pattern, parse_resource
from fleetops.engine.definition.states import (
    AnyState,
    ChoiceBranch,
    ChoiceState,
    FailState,
    PassState,
    SucceedState,
    TaskState,
    WaitState,
)
from fleetops.engine.errors import DefinitionError
from fleetops.engine.expressions import JsonataProblem, check_jsonata_template, parse_choice_rule

_COMMON = {"Type", "Comment", "QueryLanguage"}
_FLOW = {"Next", "End"}
_JSONPATH_IO = {"InputPath", "OutputPath"}
_TASKLIKE_JSONPATH = {"ResultPath", "ResultSelector"}
_ALLOWED: dict[str, tuple[set[str], set[str], set[str]]] = {
    # type: (fields in both languages, JSONPath only, JSONata only)
    "Pass": (_FLOW | {"Assign"}, _JSONPATH_IO | {"Parameters", "Result", "ResultPath"}, {"Output"}),
    "Task": (
        _FLOW | {"Assign", "Resource", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds", "Credentials"},
        _JSONPATH_IO | _TASKLIKE_JSONPATH | {"Parameters", "TimeoutSecondsPath", "HeartbeatSecondsPath"},
        {"Output", "Arguments"},
    ),
    "Choice": ({"Choices", "Default", "Assign"}, _JSONPATH_IO, {"Output"}),
    "Wait": (
        _FLOW | {"Assign", "Seconds", "Timestamp"},
        _JSONPATH_IO | {"SecondsPath", "TimestampPath"},
        {"Output"},
    ),
    "Succeed": (set(), _JSONPATH_IO, {"Output"}),
    "Fail": ({"Error", "Cause"}, {"ErrorPath", "CausePath"}, set()),
    "Parallel": (
        _FLOW | {"Assign", "Branches", "Retry", "Catch"},
        _JSONPATH_IO | _TASKLIKE_JSONPATH | {"Parameters"},
        {"Output", "Arguments"},
    ),
    "Map": (
        _FLOW
        | {
            "Assign",
            "Retry",
            "Catch",
            "ItemProcessor",
            "Iterator",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
        }
        | {
            "MaxConcurrency",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "Label",
            "Items",
            "ItemSelector",
        },
        _JSONPATH_IO
        | _TASKLIKE_JSONPATH
        | {
            "ItemsPath",
            "Parameters",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
        },
        {"Output"},
    ),
}


def parse_state(  # noqa: PLR0917 - mirrors parse_machine's recursion signature
    name: str,
    body: Mapping[str, Any],
    pointer: str,
    problems: Problems,
    inherited: QueryLanguage,
    parse_machine: MachineParser,
) -> AnyState | None:
    """Parse one state; problems go to ``problems``; None when its Type is unusable."""
    kind = body.get("Type")
    if kind is None:
        problems.add(pointer, "These fields are required: [Type]")
        return None
    if kind not in _ALLOWED:
        problems.add(f"{pointer}/Type", f"The value {kind!r} is not a valid state type")
        return None
    language = inherited
    if "QueryLanguage" in body:
        chosen = f.query_language(body["QueryLanguage"], f"{pointer}/QueryLanguage", problems)
        if chosen is QueryLanguage.JSONPATH and inherited is QueryLanguage.JSONATA:
            problems.add(
                pointer, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
            )
        language = chosen or inherited
    both, jsonpath_only, jsonata_only = _ALLOWED[kind]
    allowed = _COMMON | both | (jsonpath_only if language is QueryLanguage.JSONPATH else jsonata_only)
    for field in body:
        if field in allowed:
            continue
        if field in jsonpath_only | jsonata_only:
            other = QueryLanguage.JSONATA if language is QueryLanguage.JSONPATH else QueryLanguage.JSONPATH
            problems.add(
                pointer,
                f"The QueryLanguage is set to '{language.value}', but field '{field}' is only supported for "
                f"the '{other.value}' QueryLanguage",
            )
        else:
            problems.add(pointer, f"Field '{field}' is not supported")
    common: dict[str, Any] = {
        "name": name,
        "pointer": pointer,
        "query_language": language,
        "comment": body.get("Comment"),
        "next": _transition(kind, body, pointer, problems),
        "assign": f.optional_mapping(body.get("Assign", MISSING), f"{pointer}/Assign", problems, "Assign"),
        "output": body.get("Output", MISSING),
    }
    if language is QueryLanguage.JSONPATH:
        common["input_path"] = f.path(body.get("InputPath", "$"), f"{pointer}/InputPath", problems)
        common["output_path"] = f.path(body.get("OutputPath", "$"), f"{pointer}/OutputPath", problems)
    if language is QueryLanguage.JSONATA:
        _check_jsonata(body, pointer, problems)
    builder = _BUILDERS[kind]
    return builder(Build(body, pointer, problems, language, common, parse_machine))


_JSONATA_FIELDS = (
    "Output",
    "Arguments",
    "Assign",
    "Items",
    "ItemSelector",
    "ItemBatcher",
    "Seconds",
    "Timestamp",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "Error",
    "Cause",
    "Credentials",
)


def _check_jsonata(body: Mapping[str, Any], pointer: str, problems: Problems) -> None:
    """Every ``{% %}`` expression of a JSONata state parses and reads only what AWS offers."""
    found: list[JsonataProblem] = []
    for field in _JSONATA_FIELDS:
        if field in body:
            found.extend(check_jsonata_template(body[field], f"{pointer}/{field}"))
    for list_field, inner in (
        ("Choices", ("Condition", "Output", "Assign")),
        ("Catch", ("Output", "Assign")),
    ):
        entries = body.get(list_field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            for field in inner:
                if isinstance(entry, Mapping) and field in entry:
                    at = f"{pointer}/{list_field}[{index}]/{field}"
                    found.extend(check_jsonata_template(entry[field], at))
    for problem in found:
        problems.add(problem.location, problem.message, code=problem.code)


def _transition(kind: str, body: Mapping[str, Any], pointer: str, problems: Problems) -> str | None:
    if kind in ("Choice", "Succeed", "Fail"):
        return None
    has_next, end = "Next" in body, body.get("End") is True
    if has_next and end:
        problems.add(pointer, "A state can not have both 'Next' and 'End': true")
    elif not has_next and not end:
        problems.add(
            pointer,
            "These fields are required: [Next]"
            if "End" not in body
            else "'End' must be true when there is no 'Next'",
        )
    nxt = body.get("Next")
    if has_next and not isinstance(nxt, str):
        problems.add(f"{pointer}/Next", "The field 'Next' must be a string")
        return None
    return nxt if has_next else None


def _pass(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    extra: dict[str, Any] = {}
    if language is QueryLanguage.JSONPATH:
        extra["parameters"] = body.get("Parameters", MISSING)
        f.payload_template(extra["parameters"], f"{pointer}/Parameters", problems)
        extra["result_path"] = f.path(body.get("ResultPath", "$"), f"{pointer}/ResultPath", problems)
        extra["result"] = body.get("Result", MISSING)
    return PassState(**common, **extra)


def _task(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    resource = body.get("Resource")
    if not isinstance(resource, str):
        problems.add(pointer, "These fields are required: [Resource]")
        resource = ""
    else:
        ref = parse_resource(resource)
        if ref is None:
            problems.add(
                f"{pointer}/Resource",
                f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, "
                "or the resource is not available in this region.",
            )
        elif problems.machine_type == "EXPRESS" and ref.pattern is not Pattern.REQUEST_RESPONSE:
            problems.add(
                f"{pointer}/Resource",
                f"Express state machine does not support '{ref.pattern.value}' service integration"
                + (" " if ref.pattern is Pattern.WAIT_FOR_TASK_TOKEN else ""),
            )
    credentials = body.get("Credentials", MISSING)
    if credentials is not MISSING:
        if not isinstance(credentials, Mapping):
            problems.add(f"{pointer}/Credentials", "The field 'Credentials' must be an object")
        else:
            if not {"RoleArn", "RoleArn.$"} & set(credentials):
                problems.add(f"{pointer}/Credentials", "The field 'RoleArn' is required but was missing")
            known = {"RoleArn"} if language is QueryLanguage.JSONATA else {"RoleArn", "RoleArn.$"}
            for name in credentials:
                if name not in known:
                    problems.add(f"{pointer}/Credentials", f"Field '{name}' is not supported")
    extra = result_fields(body, pointer, problems, language) | error_handling(
        body, pointer, problems, language
    )
    for field in ("TimeoutSeconds", "HeartbeatSeconds"):
        value = body.get(field, MISSING)
        if value is not MISSING and not f.is_jsonata(value):
            f.positive_int(value, f"{pointer}/{field}", problems, minimum=1)
    return TaskState(
        **common,
        **extra,
        resource=resource,
        credentials=credentials,
        timeout_seconds=body.get("TimeoutSeconds", MISSING),
        timeout_seconds_path=f.path(
            body.get("TimeoutSecondsPath"), f"{pointer}/TimeoutSecondsPath", problems
        ),
        heartbeat_seconds=body.get("HeartbeatSeconds", MISSING),
        heartbeat_seconds_path=f.path(
            body.get("HeartbeatSecondsPath"), f"{pointer}/HeartbeatSecondsPath", problems
        ),
    )


def _choice(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    choices = body.get("Choices")
    branches = []
    if not isinstance(choices, list) or not choices:
        problems.add(
            pointer,
            "These fields are required: [Choices]"
            if choices is None
            else "'Choices' must be a non-empty array",
        )
        choices = []
    for index, node in enumerate(choices):
        at = f"{pointer}/Choices[{index}]"
        if not isinstance(node, Mapping):
            problems.add(at, "A Choice Rule must be an object")
            continue
        target = node.get("Next")
        if not isinstance(target, str):
            problems.add(at, "These fields are required: [Next]")
            continue
        rule = None
        condition: Any = MISSING
        if language is QueryLanguage.JSONATA:
            if "Condition" not in node:
                problems.add(at, "These fields are required: [Condition]")
            condition = node.get("Condition", MISSING)
        else:
            body_rule = {k: v for k, v in node.items() if k not in ("Next", "Assign", "Output", "Comment")}
            try:
                rule = parse_choice_rule(body_rule, at)
            except DefinitionError as err:
                for problem in err.problems:
                    problems.add(at, problem)
        branches.append(
            ChoiceBranch(
                next=target,
                rule=rule,
                condition=condition,
                assign=f.optional_mapping(node.get("Assign", MISSING), f"{at}/Assign", problems, "Assign"),
                output=node.get("Output", MISSING),
            )
        )
    default = body.get("Default")
    return ChoiceState(
        **common, choices=tuple(branches), default=default if isinstance(default, str) else None
    )


def _wait(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in body]
    if len(given) != 1:
        problems.add(
            pointer, "A Wait state must have exactly one of Seconds, Timestamp, SecondsPath, TimestampPath"
        )
    seconds = body.get("Seconds", MISSING)
    if seconds is not MISSING and not f.is_jsonata(seconds):
        f.positive_int(seconds, f"{pointer}/Seconds", problems)
    timestamp = body.get("Timestamp", MISSING)
    literal = timestamp is not MISSING and not (language is QueryLanguage.JSONATA and f.is_jsonata(timestamp))
    if literal and (not isinstance(timestamp, str) or f.parse_timestamp(timestamp) is None):
        problems.add(f"{pointer}/Timestamp", "String does not match RFC3339 timestamp")
    return WaitState(
        **common,
        seconds=seconds,
        timestamp=timestamp,
        seconds_path=f.path(body.get("SecondsPath"), f"{pointer}/SecondsPath", problems),
        timestamp_path=f.path(body.get("TimestampPath"), f"{pointer}/TimestampPath", problems),
    )


def _succeed(b: Build) -> AnyState | None:
    return SucceedState(**b.common)


def _fail(b: Build) -> AnyState | None:
    body, pointer, problems, common = b.body, b.pointer, b.problems, b.common
    for plain, path_form in (("Error", "ErrorPath"), ("Cause", "CausePath")):
        if plain in body and path_form in body:
            problems.add(pointer, f"A Fail state can not have both '{plain}' and '{path_form}'")
    return FailState(
        **common,
        error=body.get("Error", MISSING),
        cause=body.get("Cause", MISSING),
        error_path=f.path(body.get("ErrorPath"), f"{pointer}/ErrorPath", problems, intrinsic=True),
        cause_path=f.path(body.get("CausePath"), f"{pointer}/CausePath", problems, intrinsic=True),
    )


_BUILDERS: dict[str, Callable[[Build], AnyState | None]] = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": compound.parallel,
    "Map": compound.map_state,
}
