"""Every ASL case recorded from AWS in ``../shared/asl-cases`` is one test.

Cases known not to pass yet are listed, each with its reason, in ``known_failures.txt`` and are
``xfail(strict=True)``: fixing one makes the run fail until it is taken off the list. A missing
cases folder fails the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetops.testing.asl_cases import Case, cases_dir, check_case, load_cases, read_known_failures

KNOWN_FAILURES = Path(__file__).with_name("known_failures.txt")


def _known_failures() -> dict[str, str]:
    return read_known_failures(KNOWN_FAILURES)


def _params() -> list[object]:
    try:
        cases = load_cases(cases_dir())
    except FileNotFoundError as err:
        return [pytest.param(None, id=f"missing-cases: {err}")]
    known = _known_failures()
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(reason=known[case.id], strict=True)] if case.id in known else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params())
def test_case(case: Case | None) -> None:
    if case is None:
        pytest.fail(f"ASL conformance cases not found at {cases_dir()} (set FLEETOPS_ASL_CASES)")
    failure = check_case(case)
    assert failure is None, failure


def test_known_failures_name_existing_cases() -> None:
    ids = {case.id for case in load_cases(cases_dir())}
    assert sorted(set(_known_failures()) - ids) == []
