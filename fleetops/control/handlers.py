"""Loading task handlers into a server: ``module:function`` names, from options or the environment.

``FLEETOPS_HANDLERS=mypkg.handlers:register,other:setup`` makes the server import each module
and call each function with its :class:`~fleetops.engine.Registry`; the function registers
handlers (``registry.register("fleetops:notify", notify)``) and activities.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

from fleetops.engine import Registry
from fleetops.errors import BadInput

HANDLERS_ENV = "FLEETOPS_HANDLERS"


def handler_specs(configured: Iterable[str] = ()) -> list[str]:
    """``configured`` followed by the comma-separated entries of ``$FLEETOPS_HANDLERS``."""
    from_env = [part.strip() for part in os.environ.get(HANDLERS_ENV, "").split(",")]
    return [spec for spec in (*configured, *from_env) if spec]


def load_handlers(registry: Registry, specs: Iterable[str]) -> None:
    """Call every ``module:function`` in ``specs`` with ``registry``; BadInput names a bad one."""
    for spec in specs:
        module_name, sep, function_name = spec.partition(":")
        if not sep or not module_name or not function_name:
            raise BadInput(f"handlers {spec!r}: expected MODULE:FUNCTION (e.g. mypkg.handlers:register)")
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise BadInput(f"handlers {spec!r}: cannot import {module_name!r}: {err}") from err
        function = getattr(module, function_name, None)
        if not callable(function):
            raise BadInput(f"handlers {spec!r}: {module_name} has no function {function_name!r}")
        function(registry)
