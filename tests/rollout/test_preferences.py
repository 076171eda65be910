"""RefreshPreferences: AWS defaults, AWS validation rules, and the AWS JSON form."""

import pytest

from fleetops.errors import BadInput
from fleetops.rollout.preferences import RefreshPreferences


def test_defaults_are_aws_defaults() -> None:
    prefs = RefreshPreferences()
    assert prefs.min_healthy_percentage == 90
    assert prefs.effective_max_healthy_percentage == 100
    assert prefs.max_healthy_percentage is None
    assert (prefs.bake_time_ms, prefs.skip_matching, prefs.auto_rollback) == (0, False, False)


def test_checkpoint_delay_defaults_to_one_hour() -> None:
    assert RefreshPreferences(checkpoint_percentages=(50, 100)).effective_checkpoint_delay_ms == 3_600_000


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"min_healthy_percentage": 101}, "MinHealthyPercentage must be 0-100, got 101"),
        ({"max_healthy_percentage": 99}, "MaxHealthyPercentage must be 100-200, got 99"),
        (
            {"min_healthy_percentage": 50, "max_healthy_percentage": 160},
            "MaxHealthyPercentage minus MinHealthyPercentage cannot exceed 100, got 160 - 50",
        ),
        (
            {"checkpoint_percentages": (50, 20)},
            "CheckpointPercentages must be ascending and unique, got [50, 20]",
        ),
        ({"checkpoint_percentages": (0, 100)}, "CheckpointPercentages must each be 1-100, got [0, 100]"),
        ({"checkpoint_delay_ms": 1000}, "CheckpointDelay requires CheckpointPercentages"),
        ({"bake_time_ms": 172_800_001}, "BakeTime must be 0-172800 s, got 172800001 ms"),
        (
            {"alarms": tuple(f"a{i}" for i in range(11))},
            "AlarmSpecification accepts at most 10 alarms, got 11",
        ),
    ],
)
def test_invalid_preferences_say_what_and_what_was_expected(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(BadInput) as caught:
        RefreshPreferences(**kwargs)  # type: ignore[arg-type]
    assert caught.value.problems == [problem]


def test_from_aws_reads_the_seed_runbook_preferences_in_seconds() -> None:
    prefs = RefreshPreferences.from_aws(
        {
            "MinHealthyPercentage": 90,
            "InstanceWarmup": 300,
            "CheckpointPercentages": [50],
            "CheckpointDelay": 300,
        }
    )
    assert prefs == RefreshPreferences(
        min_healthy_percentage=90,
        instance_warmup_ms=300_000,
        checkpoint_percentages=(50,),
        checkpoint_delay_ms=300_000,
    )


def test_from_aws_refuses_unknown_keys() -> None:
    with pytest.raises(BadInput) as caught:
        RefreshPreferences.from_aws({"MinHealthyPercent": 90})
    assert caught.value.problems[0].startswith("unknown preference 'MinHealthyPercent'; expected one of")


def test_to_aws_round_trips() -> None:
    aws = {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 200,
        "InstanceWarmup": 60,
        "SkipMatching": True,
        "AutoRollback": True,
        "BakeTime": 120,
        "CheckpointPercentages": [20, 100],
        "CheckpointDelay": 600,
        "AlarmSpecification": {"Alarms": ["5xx"]},
    }
    assert RefreshPreferences.from_aws(aws).to_aws() == aws
