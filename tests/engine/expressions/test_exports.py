"""The expression layer's public interface, as the state layer uses it (pinned)."""

from __future__ import annotations

from fleetops.engine import expressions

CONTRACT = {
    "Scope",
    "PathNotFound",
    "resolve_path",
    "set_path",
    "evaluate_payload",
    "evaluate_intrinsic",
    "parse_intrinsic",
    "parse_choice_rule",
    "ChoiceRule",
    "evaluate_jsonata",
    "evaluate_jsonata_template",
}


def test_everything_the_contract_names_is_importable_from_the_package() -> None:
    assert set(expressions.__all__) >= CONTRACT
    assert all(hasattr(expressions, name) for name in expressions.__all__)


def test_a_nested_template_problem_names_the_nested_object() -> None:
    problems = expressions.validate_payload_template({"a": [{"b.$": 1}]}, "/States/S/Parameters")

    assert problems == [
        "The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call "
        "at /States/S/Parameters/a/0"
    ]
