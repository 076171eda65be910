"""Fleet file settings convert to the rollout's value objects: whatever the file accepts, the
rollout accepts (so a deployment never fails on settings that validated)."""

from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fleetops.spec.loader import load_fleet
from fleetops.spec.models import DeployPolicy, HealthCheck
from fleetops.spec.rollout_settings import health_check, refresh_preferences

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"


def test_example_converts_in_every_environment() -> None:
    fleet = load_fleet(EXAMPLE)
    for env in fleet.environments:
        for name in fleet.services:
            service = fleet.service(name, env)
            refresh_preferences(service.deploy)
            health_check(service.health)


def test_orders_in_dev() -> None:
    deploy = load_fleet(EXAMPLE).service("orders", "dev").deploy
    prefs = refresh_preferences(deploy)
    assert (prefs.min_healthy_percentage, prefs.max_healthy_percentage) == (100, 150)
    assert (prefs.instance_warmup_ms, prefs.checkpoint_percentages, prefs.checkpoint_delay_ms) == (
        1000,
        (50, 100),
        3000,
    )
    assert (prefs.bake_time_ms, prefs.auto_rollback, prefs.alarms) == (15000, True, ("high-5xx", "slow-p99"))


def test_checkpoint_delay_is_left_out_without_checkpoints() -> None:
    assert refresh_preferences(DeployPolicy()).checkpoint_delay_ms is None


durations = st.integers(min_value=0, max_value=200_000_000).map(lambda ms: f"{ms}ms")


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "min_healthy_percent": st.integers(min_value=-5, max_value=105),
            "max_healthy_percent": st.integers(min_value=95, max_value=205),
            "warmup": durations,
            "checkpoints": st.lists(st.integers(min_value=0, max_value=101), max_size=4),
            "checkpoint_delay": durations,
            "bake_time": durations,
            "alarms": st.lists(st.sampled_from(["a", "b", "c"]), max_size=12),
        },
    )
)
def test_any_valid_deploy_section_is_valid_for_the_rollout(data: dict[str, object]) -> None:
    try:
        deploy = DeployPolicy.model_validate(data)
    except ValidationError:
        return
    if deploy.effective_max_healthy_percent - deploy.min_healthy_percent > 100:
        return  # a cross-field check of the fleet file reports this one
    refresh_preferences(deploy)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "interval": durations,
            "timeout": durations,
            "healthy_threshold": st.integers(min_value=0, max_value=11),
            "unhealthy_threshold": st.integers(min_value=0, max_value=11),
            "matcher": st.from_regex(r"\A[1-6]\d\d(-[1-6]\d\d)?\Z"),
        },
    )
)
def test_any_valid_health_section_is_valid_for_the_rollout(data: dict[str, object]) -> None:
    try:
        health = HealthCheck.model_validate(data)
    except ValidationError:
        return
    if not timedelta(0) < health.timeout < health.interval:
        return  # a cross-field check of the fleet file reports this one
    health_check(health)
