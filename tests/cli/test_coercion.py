"""Parameter values coerced without pydantic: what typer's own coercion returns or raises, and no
pydantic imported by a command given plain values."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click import Command
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from fleetops.cli.app import app
from fleetops.cli.coercion import PlainFirst
from fleetops.cli.commands import COMMANDS

SAMPLES: tuple[Any, ...] = (
    "menu",
    "",
    " ",
    "7",
    "007",
    "-3",
    "0",
    "5 ",
    "1_000",
    "1.5",
    "-0.25",
    "1e3",
    "inf",
    "99999999999999999999",
    "table",
    "JSON",
    "Yaml",
    "info",
    "SEV2",
    "a\x00b",
    "fleet.yaml",
    "a/./b/",
    7,
    1.5,
    True,
    Path("fleet.yaml"),
    ("a", "b"),
    (),
    ["x"],
)


def _commands(command: Command) -> Iterator[Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def every_parameter() -> list[tuple[str, Command, _TyperParameter]]:
    for entry in COMMANDS:
        for module in entry.modules:
            importlib.import_module(module)
    group = typer.main.get_command(app)
    found = []
    for name in (entry.name for entry in COMMANDS):
        for command in _commands(group.commands[name]):  # type: ignore[attr-defined]
            for param in command.params:
                assert isinstance(param, _TyperParameter)
                found.append((f"{name} {command.name} {param.name}", command, param))
    return found


def outcome(coerce: Any) -> tuple[Any, ...]:
    try:
        value = coerce()
    except BadParameter as err:
        return ("refused", err.format_message())
    return ("value", type(value), value)


def test_every_parameter_coerces_each_sample_as_typer_does() -> None:
    compared = 0
    for label, command, param in every_parameter():
        descriptor = param.type_descriptor
        ctx = command.context_class(command)
        for sample in (*SAMPLES, param.default):
            info = descriptor.parameter_info
            plain = PlainFirst(parameter_info=info, annotation=descriptor.annotation, descriptor=descriptor)
            typers = build_runtime_param(descriptor)
            expected = outcome(lambda: typers._coerce_value(sample, param=param, ctx=ctx))  # noqa: B023
            assert outcome(lambda: plain._coerce_value(sample, param=param, ctx=ctx)) == expected, (  # noqa: B023
                label,
                sample,
            )
            compared += 1
    assert compared > 10_000


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["executions", "list", "--limit", "5", "-o", "json", "--env", "dev"],
        ["deploy", "dev", "--version", "v2", "--file", "other.yaml", "--wait"],
        ["incident", "open", "db down", "--severity", "SEV2"],
        ["notify", "hello", "--level", "warning"],
        ["logs", "menu", "--since", "5m"],
        ["sfn", "list-state-machines", "--help"],
    ],
)
def test_a_command_given_plain_values_imports_no_pydantic(tmp_path: Path, args: list[str]) -> None:
    code = (
        "import json, sys\n"
        "from fleetops.cli.main import main\n"
        f"sys.argv = ['fleetops', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic')\n"
        "print(json.dumps(loaded), file=sys.stderr)\n"
    )
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env_free, capture_output=True, text=True, check=False
    )
    assert json.loads(done.stderr.splitlines()[-1]) == []
