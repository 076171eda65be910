"""Loading handlers from ``module:function`` names and ``$FLEETOPS_HANDLERS``."""

from __future__ import annotations

import pytest

from fleetops.control import HANDLERS_ENV, load_handlers
from fleetops.control.handlers import handler_specs
from fleetops.engine import Registry
from fleetops.engine.definition.resources import parse_resource
from fleetops.errors import BadInput


def test_specs_come_from_options_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HANDLERS_ENV, "a.b:c, d:e,")
    assert handler_specs(["x:y"]) == ["x:y", "a.b:c", "d:e"]


def test_a_function_registers_its_handlers() -> None:
    registry = Registry()
    load_handlers(registry, ["fleetops.testing.recording:register"])
    ref = parse_resource("fleetops:record")
    assert ref is not None
    assert registry.handler_for(ref) is not None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nocolon", "handlers 'nocolon': expected MODULE:FUNCTION (e.g. mypkg.handlers:register)"),
        ("fleetops.testing.recording:nope", "handlers 'fleetops.testing.recording:nope': "),
        ("no_such_module_x:f", "handlers 'no_such_module_x:f': cannot import 'no_such_module_x'"),
    ],
)
def test_a_bad_spec_is_bad_input(spec: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_handlers(Registry(), [spec])
