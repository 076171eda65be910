"""What every state builder receives, and the field groups several state types share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fleetops.engine.definition import fields as f
from fleetops.engine.definition.common import MISSING, QueryLanguage
from fleetops.engine.definition.problems import Problems

MachineParser = Callable[..., Any]


@dataclass(frozen=True)
class Build:
    """A state's JSON, where it is, and what its builder needs to parse it."""

    body: Mapping[str, Any]
    pointer: str
    problems: Problems
    language: QueryLanguage
    common: dict[str, Any]
    parse_machine: MachineParser


def result_fields(
    body: Mapping[str, Any], pointer: str, problems: Problems, language: QueryLanguage
) -> dict[str, Any]:
    """Parameters/Arguments, ResultSelector and ResultPath, validated for the language."""
    out: dict[str, Any] = {}
    if language is QueryLanguage.JSONPATH:
        out["parameters"] = body.get("Parameters", MISSING)
        f.payload_template(out["parameters"], f"{pointer}/Parameters", problems)
        out["result_selector"] = body.get("ResultSelector", MISSING)
        f.payload_template(out["result_selector"], f"{pointer}/ResultSelector", problems)
        out["result_path"] = f.path(body.get("ResultPath", "$"), f"{pointer}/ResultPath", problems)
    else:
        out["parameters"] = body.get("Arguments", MISSING)
    return out


def error_handling(
    body: Mapping[str, Any], pointer: str, problems: Problems, language: QueryLanguage
) -> dict[str, Any]:
    """The ``Retry`` and ``Catch`` fields of a Task, Parallel or Map state, as dataclass fields."""
    out: dict[str, Any] = {}
    if "Retry" in body:
        out["retry"] = f.retriers(body["Retry"], f"{pointer}/Retry", problems)
    if "Catch" in body:
        out["catch"] = f.catchers(body["Catch"], f"{pointer}/Catch", problems, language)
    return out
