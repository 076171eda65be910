"""CLI conventions every command keeps: ``--output table|json``, help on commands and options."""

from __future__ import annotations

from typing import Any

import typer

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat


def commands() -> dict[str, Any]:
    """Every runnable command of the app, by its full name (``token create``)."""
    found: dict[str, Any] = {}

    def walk(command: Any, name: str) -> None:
        # typer vendors click: a group is whatever has sub-commands.
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            found[name] = command
            return
        for sub_name, sub in subcommands.items():
            walk(sub, f"{name} {sub_name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def test_the_walk_finds_commands_and_subcommands() -> None:
    assert {"version", "validate", "schema", "plan", "token create", "audit security"} <= set(commands())


def output_format(command: Any) -> Any:
    """The type of the command's ``--output`` option, or None if it has none."""
    for param in command.params:
        if "--output" in getattr(param, "opts", []):
            return param.type_descriptor.annotation
    return None


# report's --format text|json|html|png is its output option; its --output names the file it writes.
OWN_FORMAT = {"report"}


def test_every_command_has_output_table_or_json() -> None:
    assert [
        name
        for name, command in commands().items()
        if output_format(command) is not OutputFormat and name not in OWN_FORMAT
    ] == []


def test_every_command_has_help() -> None:
    assert [name for name, command in commands().items() if not (command.help or "").strip()] == []


def test_every_argument_and_option_has_help() -> None:
    missing = [
        f"{name}: {param.name}"
        for name, command in commands().items()
        for param in command.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == []
