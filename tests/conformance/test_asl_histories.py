"""The events the engine writes match, type and id, the histories AWS recorded for the cases."""

from __future__ import annotations

import pytest

from fleetops.testing.asl_cases import Case, cases_dir, check_history, has_history, load_cases

# Cases whose history does not match yet, each with its reason (xfail strict: the list only shrinks).
KNOWN: dict[str, str] = {}


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
