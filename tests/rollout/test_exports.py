"""The public interface of fleetops.rollout, pinned: other layers build on these names."""

import fleetops.rollout


def test_public_names() -> None:
    assert sorted(fleetops.rollout.__all__) == [
        "ALARM",
        "BatchShape",
        "CapacityWindow",
        "Clock",
        "FailureReport",
        "FleetPort",
        "GroupInstance",
        "HealthTracker",
        "INSUFFICIENT_DATA",
        "InstanceRefresh",
        "MillisecondClock",
        "OK",
        "PlannedBatch",
        "ProbePolicy",
        "ProbeRecord",
        "ProbeResult",
        "RefreshEvent",
        "RefreshOptions",
        "RefreshPlan",
        "RefreshPreferences",
        "RefreshStatus",
        "TargetState",
        "capacity_window",
        "full_batch",
        "plan_refresh",
    ]


def test_status_vocabulary_is_aws_words() -> None:
    assert [s.value for s in fleetops.rollout.RefreshStatus] == [
        "Pending",
        "InProgress",
        "Baking",
        "Successful",
        "Failed",
        "Cancelling",
        "Cancelled",
        "RollbackInProgress",
        "RollbackSuccessful",
        "RollbackFailed",
    ]
