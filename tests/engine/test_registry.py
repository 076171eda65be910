"""The registry says, for each Task resource, what runs it or why nothing can."""

from __future__ import annotations

from fleetops.engine import Registry


def test_registered_handlers_and_declared_activities_can_run() -> None:
    registry = Registry()
    registry.register("fleetops:deploy-service", lambda payload: payload)
    registry.register_activity("arn:aws:states:us-east-1:123456789012:activity:approve")
    assert registry.check("fleetops:deploy-service", "/States/A") is None
    assert registry.check("fleetops:deploy-service.waitForTaskToken", "/States/A") is None
    assert registry.check("arn:aws:states:us-east-1:123456789012:activity:approve", "/States/B") is None


def test_undeclared_activities_are_named() -> None:
    assert Registry().check("arn:aws:states:us-east-1:123456789012:activity:approve", "/States/B") == (
        "/States/B/Resource: activity 'approve' is not declared; call registry.register_activity() before "
        "starting the execution"
    )


def test_optimized_integrations_need_a_handler() -> None:
    assert Registry().check("arn:aws:states:::sqs:sendMessage", "/States/Q") == (
        "/States/Q/Resource: 'arn:aws:states:::sqs:sendMessage' is an AWS resource (sqs); "
        "fleetops does not call "
        "AWS from state machines. Register a handler under this exact string to run it here, "
        "or use an activity "
        "and `fleetops worker` on AWS"
    )
