"""The registry of commands: each command's module is imported only when that command runs,
and ``fleetops --help`` lists every command as its own help says."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from typing import Any

import pytest
import typer
from typer._click import Command
from typer.core import TyperGroup
from typer.testing import CliRunner

import fleetops.cli
from fleetops.cli.app import app
from fleetops.cli.commands import COMMANDS
from fleetops.cli.lazy import LazyCommands, Listed

COMMAND_MODULES = {module for entry in COMMANDS for module in entry.modules}


def command_modules_loaded_by(*args: str) -> set[str]:
    """The command modules loaded by running ``fleetops ARGS`` in a fresh process."""
    code = (
        "import json, sys\n"
        "from fleetops.cli.main import main\n"
        f"sys.argv = ['fleetops', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('fleetops.cli'))), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return set(json.loads(result.stderr.splitlines()[-1])) & COMMAND_MODULES


def test_the_help_loads_no_command_module() -> None:
    assert command_modules_loaded_by("--help") == set()


def test_a_command_loads_its_own_modules() -> None:
    assert command_modules_loaded_by("plan", "--help") == {"fleetops.cli.plan"}


def test_a_command_of_several_modules_loads_them_all() -> None:
    assert command_modules_loaded_by("sfn", "backup", "--help") == {
        "fleetops.cli.sfn",
        "fleetops.cli.sfn_backup",
        "fleetops.cli.sfn_export",
        "fleetops.cli.sfn_versions",
    }


def root() -> TyperGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group


def _unloadable(entry: Listed) -> Command:
    raise AssertionError(f"{entry.name} loaded")


def from_the_registry() -> TyperGroup:
    """The app's group as a fresh process has it: no command loaded, and none loadable here."""
    group = copy.copy(root())
    group.commands = LazyCommands({}, COMMANDS, _unloadable)
    return group


def loaded() -> TyperGroup:
    """A plain group of every command, loaded."""
    lazy = root()
    return TyperGroup(
        name=lazy.name,
        commands=dict(lazy.commands.items()),
        callback=lazy.callback,
        params=lazy.params,
        help=lazy.help,
        no_args_is_help=lazy.no_args_is_help,
        rich_markup_mode=lazy.rich_markup_mode,
    )


def render_help(group: TyperGroup, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        group.main(["--help"], prog_name="fleetops")
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_the_registry_lists_the_commands_in_their_order() -> None:
    assert list(loaded().commands) == [entry.name for entry in COMMANDS]


def test_the_help_from_the_registry_is_the_help_of_the_loaded_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert render_help(from_the_registry(), capsys) == render_help(loaded(), capsys)


def completions(group: TyperGroup, incomplete: str) -> list[tuple[str, str | None]]:
    return [(item.value, item.help) for item in group.shell_complete(typer.Context(group), incomplete)]


def test_a_command_name_completes_from_the_registry() -> None:
    assert completions(from_the_registry(), "d") == completions(loaded(), "d")
    assert [name for name, _help in completions(from_the_registry(), "d")] == ["deploy", "down", "drill"]


def test_an_unknown_command_is_refused_with_the_nearest_names() -> None:
    result = CliRunner().invoke(app, ["deplo"], prog_name="fleetops")
    assert result.exit_code == 2
    assert "No such command 'deplo'. Did you mean 'deploy'?" in result.output


def _modules_of(command: Any) -> set[str]:
    """The modules of the functions behind a command and all its subcommands."""
    found = set()
    if command.callback is not None:
        found.add(inspect.unwrap(command.callback).__module__)
    for sub in getattr(command, "commands", {}).values():
        found |= _modules_of(sub)
    return found


def test_every_registered_command_is_listed_with_its_help_and_modules() -> None:
    for module in pkgutil.iter_modules(fleetops.cli.__path__, "fleetops.cli."):
        importlib.import_module(module.name)
    group = root()
    assert isinstance(group.commands, LazyCommands)
    registered = group.commands.loaded
    assert sorted(registered) == sorted(entry.name for entry in COMMANDS)
    assert [(entry.name, entry.help, set(entry.modules)) for entry in COMMANDS] == [
        (entry.name, _first_paragraph(registered[entry.name]), _modules_of(registered[entry.name]))
        for entry in COMMANDS
    ]


def _first_paragraph(command: Any) -> str:
    """What ``--help`` lists of a command."""
    return inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
