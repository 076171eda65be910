"""A typer group that imports a command's module only when that command is run.

Every ``fleetops`` process used to import every command module (the control-plane client, the
health checks, the rollout display...) before parsing its arguments: ~0.25 s of CPU per call,
paid hundreds of times by the tests and the README. The group lists each command from a
registry (its name, the modules that define it, its line in ``fleetops --help``) and imports
the modules when the command is resolved: run, completed into, or asked for its own help.
``fleetops --help`` and the completion of a command name read the registry alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

# typer vendors click: its groups take and return the vendored click's types.
from typer._click import Command, Context, HelpFormatter
from typer._click.shell_completion import CompletionItem
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Listed:
    """A top-level command as the registry lists it."""

    name: str
    help: str
    """Its line in ``fleetops --help``: the first paragraph of the command's help."""
    modules: tuple[str, ...]
    """The modules that register it and its subcommands, imported in this order to run it."""


def listed(name: str, help: str, *modules: str) -> Listed:
    """A registry entry, written on one line: ``listed("deploy", "Deploy...", "fleetops.cli.deploy")``."""
    return Listed(name, help, modules)


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands: every listed name, each command built on first access.

    Commands registered by modules already imported (``loaded``) are served as they are, and
    listed after the registry's, so that a command missing from the registry still runs once
    its module is imported (a test of the registry says it is missing).
    """

    def __init__(
        self,
        loaded: MutableMapping[str, Command],
        registry: Sequence[Listed],
        load: Callable[[Listed], Command],
    ) -> None:
        self.loaded = loaded
        self._registry = {entry.name: entry for entry in registry}
        self._load = load

    def __getitem__(self, name: str) -> Command:
        if name not in self.loaded:
            entry = self._registry[name]
            self.loaded[name] = self._load(entry)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._registry
        yield from (name for name in self.loaded if name not in self._registry)

    def __len__(self) -> int:
        return len(self._registry.keys() | self.loaded.keys())

    def listing(self) -> dict[str, Command]:
        """Every command as ``--help`` lists it, importing nothing: stand-ins carrying the
        registry's name and help for the commands not loaded yet."""
        return {
            name: self.loaded[name] if name in self.loaded else _stand_in(self._registry[name])
            for name in self
        }


def _stand_in(entry: Listed) -> Command:
    return TyperCommand(name=entry.name, help=entry.help)


class LazyGroup(TyperGroup):
    """The root group: ``registry`` lists its commands, ``load`` builds one from its modules."""

    registry: ClassVar[Sequence[Listed]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands, self.registry, self.load)

    def load(self, entry: Listed) -> Command:
        """Import ``entry``'s modules and return its command."""
        raise NotImplementedError

    def _lazy(self) -> LazyCommands:
        assert isinstance(self.commands, LazyCommands)
        return self.commands

    def list_commands(self, ctx: Context) -> list[str]:
        # TyperGroup's walks the commands themselves, which would import every module.
        return list(self.commands)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        listing = copy.copy(self)
        listing.commands = self._lazy().listing()
        TyperGroup.format_help(listing, ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        listing = self._lazy().listing()
        return [
            CompletionItem(name, help=command.get_short_help_str())
            for name, command in listing.items()
            if name.startswith(incomplete) and not command.hidden
        ] + Command.shell_complete(self, ctx, incomplete)
