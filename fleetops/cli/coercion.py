"""Typer's coercion of parameter values, without pydantic for the plain values our commands take.

typer coerces every parameter's value through a pydantic ``TypeAdapter`` it builds on first use,
also for an option not given (whose value stays ``None``, which the adapter never sees): ~4 ms
of CPU per parameter, and the first one imports pydantic (~0.06 s). A ``fleetops status`` paid
that for its five options, a ``fleetops deploy`` for fourteen, and a command talking to the
control plane needs pydantic for nothing else. Each parameter of our commands gets a
``PlainFirst`` instead: a value typer would leave alone stays alone (as before), a plain value
(a string, an enum member or its name, a path, an integer or a number within its bounds, a list
of strings) is coerced here to what typer's adapter returns for it, and any other value, or one
the plain rule refuses, goes to typer's own coercion, which returns its own result or raises its
own error. ``tests/cli/test_coercion.py`` compares both on every kind of parameter we have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args, get_origin

from typer._click import Command, Context
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import (
    choice_coercion_annotation,
    coerce_cli_choice,
    coerce_cli_path,
    lenient_issubclass,
    routes_to_path,
)
from typer.core import _TyperParameter

NOT_PLAIN: Final = object()
"""What ``plain_value`` returns for a value it leaves to typer."""

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def plain_value(descriptor: TypeDescriptor, value: Any, param: _TyperParameter, ctx: Context) -> Any:
    """``value`` coerced as typer's adapter for ``descriptor`` coerces it, or ``NOT_PLAIN``.

    Raises what typer's own rules raise (a choice not listed, a path refused): the caller then
    asks typer, for its message. The cases are typer's, in typer's order (``build_adapter``).
    """
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if info.parser is not None or descriptor.file_annotation is not None:
        return NOT_PLAIN
    origin: Any = get_origin(annotation)
    if origin is list:
        plain_list = get_args(annotation) == (str,) and isinstance(value, list | tuple)
        return list(value) if plain_list and all(type(item) is str for item in value) else NOT_PLAIN
    if origin is not None:
        return NOT_PLAIN
    choices = choice_coercion_annotation(annotation, info)
    if choices is not None:
        listed, case_sensitive = choices
        return coerce_cli_choice(value, choices=listed, case_sensitive=case_sensitive, ctx=ctx)
    if annotation is int or annotation is float:
        return _number(annotation, value, descriptor)
    if annotation is str:
        return value if type(value) is str else NOT_PLAIN
    if routes_to_path(annotation, info):
        return _path(annotation, value, descriptor, param, ctx)
    return NOT_PLAIN


def _number(annotation: type[Any], value: Any, descriptor: TypeDescriptor) -> Any:
    info = descriptor.parameter_info
    if info.clamp:
        return NOT_PLAIN
    number: int | float
    if type(value) is int or (type(value) is str and _INTEGER.fullmatch(value)):
        number = annotation(value)
    elif annotation is float and (type(value) is float or (type(value) is str and _DECIMAL.fullmatch(value))):
        number = float(value)
    else:
        return NOT_PLAIN
    if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
        return NOT_PLAIN  # typer's message says the bounds
    return number


def _path(
    annotation: Any, value: Any, descriptor: TypeDescriptor, param: _TyperParameter, ctx: Context
) -> Any:
    info = descriptor.parameter_info
    path_type: Any = info.path_type
    if path_type is None and lenient_issubclass(annotation, Path):
        path_type = annotation
    if lenient_issubclass(path_type, Path) and not isinstance(value, path_type):
        # typer turns the string into a path with pydantic first, which refuses a NUL.
        if type(value) is not str or "\x00" in value:
            return NOT_PLAIN
        value = path_type(value)
    return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)


@dataclass(frozen=True)
class PlainFirst(RuntimeParam):
    """A parameter's coercion: plain values here, the others by typer's own (built once)."""

    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        try:
            plain = plain_value(self.descriptor, value, param, ctx)
        except (ValueError, BadParameter):
            plain = NOT_PLAIN  # refused: typer says why, in its words
        if plain is not NOT_PLAIN:
            return plain
        typers = build_runtime_param(self.descriptor)
        param._runtime_param = typers  # the parameter's next values go to typer's directly
        return typers._coerce_value(value, param=param, ctx=ctx)


def coerce_plainly(command: Command) -> None:
    """Give each parameter of ``command`` and of its subcommands, help options included, a
    ``PlainFirst`` coercion (the lazy root group's commands are left to their loading)."""
    coerce_own_plainly(command)
    subcommands = getattr(command, "commands", None)
    if type(subcommands) is dict:
        for subcommand in subcommands.values():
            coerce_plainly(subcommand)


def coerce_own_plainly(command: Command) -> None:
    """Give each parameter of ``command``, its help option included, a ``PlainFirst`` coercion.

    Its help option (``--help``, which typer coerces like the others, though it is never given
    a value to coerce) is made here, as click makes it on first use: for a context of the
    command's own settings, as its real context has them (no fleetops command changes its help
    option's names, nor inherits a change).
    """
    help_option = command.get_help_option(command.context_class(command, **command.context_settings))
    for param in [*command.params, help_option]:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            descriptor = param.type_descriptor
            param._runtime_param = PlainFirst(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
            )
