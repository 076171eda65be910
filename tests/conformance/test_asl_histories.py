"""The events the engine writes match, type and id, the histories AWS recorded for the cases."""

from __future__ import annotations

import pytest

from fleetops.testing.asl_cases import Case, cases_dir, check_history, has_history, load_cases

# DISTRIBUTED Map: AWS runs iterations as child executions and writes MapRunStarted/Succeeded
# in the parent history; fleetops runs them inline (same output) and writes the iterations.
DISTRIBUTED = "DISTRIBUTED Map iterations are written inline, not as a Map Run"
KNOWN = {
    "map/base_scenarios__map_state_config_distributed_item_selector": DISTRIBUTED,
    "map/base_scenarios__map_state_config_distributed_items_path_from_previous": DISTRIBUTED,
    "map/base_scenarios__map_state_config_distributed_parameters": DISTRIBUTED,
    "map/base_scenarios__map_state_legacy_config_distributed": DISTRIBUTED,
    "map/base_scenarios__map_state_legacy_config_distributed_parameters": DISTRIBUTED,
    "map/base_scenarios__map_state_nested_config_distributed": DISTRIBUTED,
    "map/base_scenarios__map_state_config_inline_item_selector": DISTRIBUTED,
    "map/base_scenarios__map_state_tolerated_failure_count_path__0": DISTRIBUTED,
    "map/base_scenarios__map_state_tolerated_failure_values__count_literal": DISTRIBUTED,
    "map/base_scenarios__map_state_tolerated_failure_values__percentage_literal": DISTRIBUTED,
}


def _params() -> list[object]:
    try:
        cases = [case for case in load_cases(cases_dir()) if has_history(case)]
    except FileNotFoundError as err:
        return [pytest.param(None, id=f"missing-cases: {err}")]
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(reason=KNOWN[case.id], strict=True)] if case.id in KNOWN else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params())
def test_history(case: Case | None) -> None:
    if case is None:
        pytest.fail(f"ASL conformance cases not found at {cases_dir()} (set FLEETOPS_ASL_CASES)")
    failure = check_history(case)
    assert failure is None, failure
