"""Models: per-environment and per-version overrides, and field rules a loader cannot see."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from fleetops.spec.fleet import Fleet
from fleetops.spec.models import (
    Approval,
    DeployPolicy,
    HealthCheck,
    LocalSettings,
    Orchestrator,
    Run,
    Service,
    SmokeRequest,
    StepFunctionsSettings,
)
from fleetops.spec.resources import Alarm, Datastore, EmailChannel, WebhookChannel
from fleetops.testing.fleet_files import fleet_document

SERVICE = {
    "run": {"command": "{python} web.py"},
    "instances": {"min": 1, "desired": 2, "max": 3},
    "health": {"path": "/ready", "interval": "1s", "timeout": "500ms"},
    "env": {"MODE": "dev", "PORT_HINT": 8080, "DEBUG": True},
    "versions": {"v3-bad": {"env": {"FAULT_FAIL_HEALTH_AFTER": "5s"}}},
    "overrides": {
        "prod": {
            "instances": {"desired": 3, "max": 6},
            "health": {"interval": "10s"},
            "env": {"MODE": "prod"},
        }
    },
}


def test_override_replaces_only_the_fields_it_sets() -> None:
    prod = Service.model_validate(SERVICE).in_environment("prod")
    assert (prod.instances.min, prod.instances.desired, prod.instances.max) == (1, 3, 6)
    assert prod.health.path == "/ready"
    assert prod.health.interval == timedelta(seconds=10)
    assert prod.health.timeout == timedelta(milliseconds=500)
    assert prod.env == {"MODE": "prod", "PORT_HINT": "8080", "DEBUG": "true"}


def test_environment_without_override_is_the_service_itself() -> None:
    service = Service.model_validate(SERVICE)
    assert service.in_environment("dev") is service


def test_version_env_overrides() -> None:
    service = Service.model_validate(SERVICE)
    assert service.env_for_version("v3-bad")["FAULT_FAIL_HEALTH_AFTER"] == "5s"
    assert service.env_for_version("v2") == {"MODE": "dev", "PORT_HINT": "8080", "DEBUG": "true"}


def test_models_are_frozen() -> None:
    service = Service.model_validate(SERVICE)
    with pytest.raises(ValidationError, match="frozen"):
        service.description = "x"  # type: ignore[misc]


def test_command_with_literal_braces() -> None:
    assert Run(command="{python} -c 'print({{1: 2}})'").command == "{python} -c 'print({{1: 2}})'"


def test_command_with_unbalanced_brace() -> None:
    with pytest.raises(ValidationError, match=r"write \{\{ and \}\} for literal braces"):
        Run(command="{python")


@pytest.mark.parametrize(
    ("matcher", "status", "healthy"), [("200", 200, True), ("200-299", 204, True), ("200,302", 301, False)]
)
def test_matcher(matcher: str, status: int, healthy: bool) -> None:
    assert HealthCheck(matcher=matcher).matches(status) is healthy


def test_matcher_rejects_garbage() -> None:
    with pytest.raises(ValidationError, match="expected HTTP codes like 200, 200-299 or 200,204, got 'ok'"):
        HealthCheck(matcher="ok")


def test_alarm_m_of_n() -> None:
    alarm = Alarm.model_validate({"metric": "m", "threshold": 1, "evaluation_periods": 3})
    assert alarm.m_of_n == (3, 3)
    with pytest.raises(
        ValidationError, match=r"datapoints_to_alarm \(4\) must not exceed evaluation_periods \(3\)"
    ):
        Alarm.model_validate(
            {"metric": "m", "threshold": 1, "evaluation_periods": 3, "datapoints_to_alarm": 4}
        )


def test_alarm_statistic_percentile() -> None:
    assert Alarm.model_validate({"metric": "m", "threshold": 1, "statistic": "p99.9"}).statistic == "p99.9"
    with pytest.raises(ValidationError, match="or a percentile like p99, got 'median'"):
        Alarm.model_validate({"metric": "m", "threshold": 1, "statistic": "median"})


def test_datastore_connection_must_match_kind_and_hold_no_password() -> None:
    with pytest.raises(ValidationError, match="must start with redis:// or rediss://"):
        Datastore.model_validate({"kind": "redis", "connection": "postgresql://x/y"})
    with pytest.raises(ValidationError, match="must not contain a password: use password_secret"):
        Datastore.model_validate({"kind": "postgres", "connection": "postgresql://u:hunter2@db/x"})


def test_notification_events() -> None:
    channel = WebhookChannel.model_validate(
        {"type": "webhook", "url": "https://x", "events": ["deploy.*", "alarm.ok"]}
    )
    assert channel.events == ["deploy.*", "alarm.ok"]
    with pytest.raises(ValidationError, match=r"unknown event 'deploy\.oops'"):
        WebhookChannel.model_validate({"type": "webhook", "url": "https://x", "events": ["deploy.oops"]})


def test_email_sender_is_written_from() -> None:
    channel = EmailChannel.model_validate(
        {"type": "email", "smtp": {"host": "h"}, "from": "a@b.example", "to": ["c@d.example"]}
    )
    assert channel.sender == "a@b.example"
    assert channel.model_dump()["from"] == "a@b.example"


def test_matcher_codes_are_within_alb_range() -> None:
    with pytest.raises(
        ValidationError, match=r"expected codes within 200-499, low before high \(as in ALB\), got '299-200'"
    ):
        HealthCheck(matcher="299-200")


def test_thresholds_are_two_to_ten_as_in_alb() -> None:
    with pytest.raises(ValidationError) as caught:
        HealthCheck(healthy_threshold=1)
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("healthy_threshold",), "Input should be greater than or equal to 2")
    ]


def test_bake_time_is_at_most_two_days() -> None:
    with pytest.raises(ValidationError, match=r"expected at most 48h \(as in EC2 Auto Scaling\), got 2d1h"):
        DeployPolicy.model_validate({"bake_time": "49h"})


def test_max_healthy_percent_omitted_is_100() -> None:
    assert DeployPolicy().max_healthy_percent is None
    assert DeployPolicy().effective_max_healthy_percent == 100


@pytest.mark.parametrize(
    ("expect", "status", "passed"), [(200, 200, True), ("200-299", 204, True), ("200,204", 201, False)]
)
def test_smoke_expect_matches_like_a_health_matcher(expect: str | int, status: int, passed: bool) -> None:
    assert SmokeRequest.model_validate({"expect": expect}).matches(status) is passed


def test_smoke_defaults() -> None:
    smoke = SmokeRequest()
    defaults = (smoke.path, smoke.expect, smoke.timeout, smoke.attempts)
    assert defaults == ("/health", "200", timedelta(seconds=2), 3)


def test_run_override_pins_another_port_or_none() -> None:
    service = Service.model_validate(
        {
            "run": {"command": "{python} web.py", "port": 8080},
            "overrides": {"stage": {"run": {"port": 8180}}, "qa": {"run": {"port": None}}},
        }
    )
    assert [service.in_environment(env).run for env in ("dev", "stage", "qa")] == [
        Run(command="{python} web.py", port=8080),
        Run(command="{python} web.py", port=8180),
        Run(command="{python} web.py", port=None),
    ]


def test_run_override_has_only_the_port() -> None:
    with pytest.raises(ValidationError, match="command"):
        Service.model_validate({"run": {"command": "x"}, "overrides": {"stage": {"run": {"command": "y"}}}})


def test_self_approval_is_refused_by_default_and_a_strict_boolean() -> None:
    assert LocalSettings.model_validate({"provider": "local", "approval": "required"}).self_approval is False
    assert LocalSettings.model_validate({"provider": "local", "self_approval": True}).self_approval is True
    with pytest.raises(ValidationError, match="Input should be a valid boolean"):
        LocalSettings.model_validate({"provider": "local", "self_approval": 1})


def test_orchestrator_aws_stepfunctions_takes_an_endpoint_and_region_and_approvals() -> None:
    settings = LocalSettings.model_validate(
        {
            "provider": "local",
            "orchestrator": "aws-stepfunctions",
            "stepfunctions": {"endpoint_url": "http://127.0.0.1:8123", "region": "eu-west-1"},
        }
    )
    assert (settings.orchestrator, settings.stepfunctions) == (
        Orchestrator.AWS_STEPFUNCTIONS,
        StepFunctionsSettings(endpoint_url="http://127.0.0.1:8123", region="eu-west-1"),
    )
    assert LocalSettings.model_validate({"provider": "local"}).orchestrator is Orchestrator.LOCAL
    gated = {"provider": "local", "orchestrator": "aws-stepfunctions", "approval": "required"}
    assert LocalSettings.model_validate(gated).approval is Approval.REQUIRED
    refused = (
        ({"stepfunctions": {}}, "stepfunctions: settings need `orchestrator: aws-stepfunctions`"),
        ({"orchestrator": "stepfunctions"}, "'local' or 'aws-stepfunctions'"),
        ({"orchestrator": "aws-stepfunctions", "stepfunctions": {"endpoint_url": "ftp://x"}}, "endpoint_url"),
        ({"orchestrator": "aws-stepfunctions", "stepfunctions": {"region": 1}}, "valid string"),
    )
    for bad, message in refused:
        with pytest.raises(ValidationError, match=message):
            LocalSettings.model_validate({"provider": "local", **bad})


def test_slo_availability_is_a_strict_percentage_overridable_per_environment() -> None:
    service = Service.model_validate({**SERVICE, "slo": {"availability": 99.9}})
    assert service.slo is not None and service.slo.availability == 99.9
    override = {**SERVICE["overrides"]["prod"], "slo": {"availability": 99.99}}  # type: ignore[dict-item]
    prod = Service.model_validate({**SERVICE, "overrides": {"prod": override}}).in_environment("prod")
    assert prod.slo is not None and prod.slo.availability == 99.99
    for bad, message in ((True, "valid number"), ("99.9", "valid number"), (100, "less than 100")):
        with pytest.raises(ValidationError, match=message):
            Service.model_validate({**SERVICE, "slo": {"availability": bad}})


def test_a_pagerduty_channel_names_its_routing_key_secret_and_may_take_some_levels() -> None:
    channel = {"type": "pagerduty", "routing_key_secret": "pd-key", "levels": ["critical"]}
    document = {**fleet_document({"web": {}}), "notifications": {"pager": channel}}
    with pytest.raises(ValidationError, match="unknown secret 'pd-key'"):
        Fleet.model_validate(document)
    fleet = Fleet.model_validate({**document, "secrets": {"pd-key": {}}})
    pager = fleet.notifications["pager"]
    assert (pager.type, pager.levels, pager.url) == (
        "pagerduty",
        ["critical"],
        "https://events.pagerduty.com/v2/enqueue",
    )
    with pytest.raises(ValidationError, match="levels"):
        Fleet.model_validate({**document, "notifications": {"pager": {**channel, "levels": ["sev1"]}}})
