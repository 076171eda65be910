"""The JSON Schema `fleetops schema` prints agrees with the loader on real files."""

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fleetops.spec.fleet import Fleet

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"


def validator() -> Any:
    schema = Fleet.model_json_schema(mode="validation")
    return jsonschema.Draft202012Validator(schema)


def test_example_satisfies_the_schema() -> None:
    validator().validate(yaml.safe_load(EXAMPLE.read_text()))


def test_schema_rejects_unknown_fields_and_bad_durations() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["services"]["orders"]["healht"] = {}
    data["services"]["orders"]["deploy"]["warmup"] = "10 seconds"
    errors = sorted(list(e.absolute_path) for e in validator().iter_errors(data))
    assert errors == [["services", "orders"], ["services", "orders", "deploy", "warmup"]]


@pytest.mark.parametrize("value", [8080, True, "x"])
def test_env_values_may_be_scalars(value: object) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["services"]["orders"].setdefault("env", {})["X"] = value
    validator().validate(data)
