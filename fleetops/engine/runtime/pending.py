"""Late-bound access to the parts of the expression layer that may not have landed yet.

``fleetops.engine.expressions`` (branch ``expr``) provides Choice rules and JSONata to the
contract in the coordinator's notes; until both are merged, they are looked up when first
used, so the rest of the engine runs and type-checks. Replace with direct imports once merged.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def _expressions() -> Any:
    return importlib.import_module("fleetops.engine.expressions")


def evaluate_jsonata_template(value: Any, *, states: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """Every ``{% %}`` string inside ``value`` evaluated (see the expression layer)."""
    return _expressions().evaluate_jsonata_template(value, states=states, variables=variables)


def parse_choice_rule(rule: Mapping[str, Any], pointer: str) -> Any:
    """A Choice rule parsed by the expression layer (raises DefinitionError)."""
    return _expressions().parse_choice_rule(rule, pointer)
