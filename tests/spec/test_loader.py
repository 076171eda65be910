"""Loading fleet files: every problem reported at once, with file:line:column, path and expectation."""

from pathlib import Path

import pytest

from fleetops.errors import BadInput
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import format_path, load_fleet, load_fleet_text

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"

MINIMAL = """\
environments:
  dev: {provider: local}
services:
  web:
    run: {command: "{python} web.py"}
"""

FIVE_MISTAKES = """\
name: shop
environments:
  dev:
    provider: local
services:
  web:
    run:
      command: "{python} web.py"
    depends_on: [api, paymnt]
    instances: {min: 1, desired: 4, max: 2}
  api:
    run:
      command: "{python} api.py"
    healht:
      path: /health
    deploy:
      warmup: 10 seconds
  payments:
    run: {command: "{python} payments.py"}
    depends_on: [api, payments]
"""


def problems_of(text: str, filename: str = "fleet.yaml") -> list[str]:
    with pytest.raises(BadInput) as err:
        load_fleet_text(text, filename)
    return err.value.problems


def test_example_fleet_is_valid() -> None:
    fleet = load_fleet(EXAMPLE)
    assert list(fleet.services) == ["auth", "menu", "notifications", "payments", "orders", "gateway"]
    assert fleet.service("orders", "prod").instances.desired == 4
    assert fleet.service("orders", "dev").instances.desired == 2


def test_minimal_fleet_gets_defaults() -> None:
    fleet = load_fleet_text(MINIMAL)
    assert fleet.services["web"].deploy.min_healthy_percent == 90
    assert fleet.services["web"].health.healthy_threshold == 5


def test_five_mistakes_are_all_reported_with_their_lines() -> None:
    assert problems_of(FIVE_MISTAKES) == [
        "fleet.yaml:9:23 services.web.depends_on[1]: unknown service 'paymnt' (known: api, payments)",
        "fleet.yaml:10:16 services.web.instances: expected min <= desired <= max, got 1, 4, 2",
        "fleet.yaml:14:5 services.api.healht: unknown field 'healht' (expected one of description, run, aws, "
        "instances, health, deploy, scaling, slo, depends_on, secrets, datastores, env, versions, overrides)",
        "fleet.yaml:17:15 services.api.deploy.warmup: expected a duration like 500ms, 30s, 5m, 2h or 30d, "
        "got '10 seconds'",
        "fleet.yaml:20:23 services.payments.depends_on[1]: dependency cycle: payments -> payments",
    ]


def test_bad_input_message_counts_problems() -> None:
    with pytest.raises(BadInput, match=r"^fleet.yaml: 5 problems$"):
        load_fleet_text(FIVE_MISTAKES)


def test_cycle_between_services_is_printed_as_its_path() -> None:
    text = MINIMAL + (
        "  orders:\n"
        "    run: {command: x}\n"
        "    depends_on: [payments]\n"
        "  payments:\n"
        "    run: {command: x}\n"
        "    depends_on: [web, orders]\n"
    )
    assert problems_of(text) == [
        "fleet.yaml:8:18 services.orders.depends_on[0]: dependency cycle: orders -> payments -> orders"
    ]


def test_missing_field_is_reported_at_its_parent() -> None:
    text = "environments:\n  dev: {provider: local}\n"
    assert problems_of(text) == ["fleet.yaml:1:1 (root): missing required field 'services'"]


def test_unknown_provider_names_the_choices() -> None:
    text = MINIMAL.replace("{provider: local}", "{provider: gcp}")
    assert problems_of(text) == [
        "fleet.yaml:2:19 environments.dev.provider: "
        "expected 'provider' to be one of 'local', 'aws', got 'gcp'"
    ]


def test_aws_environment_needs_aws_settings_on_each_service() -> None:
    text = MINIMAL.replace("{provider: local}", "{provider: aws, region: eu-west-1}")
    assert problems_of(text) == [
        "fleet.yaml:5:5 services.web.aws: environment 'dev' runs on aws: the service needs 'aws'"
    ]


def test_unknown_command_placeholder() -> None:
    text = MINIMAL.replace("{python} web.py", "{python} web.py --port {prot}")
    assert problems_of(text) == [
        "fleet.yaml:5:20 services.web.run.command: "
        "unknown placeholder {prot} (known: {python}, {port}, {version})"
    ]


def test_references_to_unknown_secrets_and_alarms() -> None:
    text = (
        MINIMAL + "    secrets: [db-pasword]\n    deploy: {alarms: [high-5xx]}\nsecrets:\n  db-password: {}\n"
    )
    assert problems_of(text) == [
        "fleet.yaml:6:15 services.web.secrets[0]: unknown secret 'db-pasword' (known: db-password)",
        "fleet.yaml:7:23 services.web.deploy.alarms[0]: unknown alarm 'high-5xx' (known: none defined)",
    ]


def test_a_service_naming_an_unknown_datastore() -> None:
    text = (
        MINIMAL
        + "    datastores: [orders-bd]\ndatastores:\n  orders-db: {kind: sqlite, connection: 'sqlite:///o.db'}\n"
    )
    assert problems_of(text) == [
        "fleet.yaml:6:18 services.web.datastores[0]: unknown datastore 'orders-bd' (known: orders-db)",
    ]


def test_an_invalid_field_does_not_hide_the_checks_on_its_neighbours() -> None:
    text = MINIMAL + "    deploy: {min_healthy_percent: 150, alarms: [nope]}\n"
    assert problems_of(text) == [
        "fleet.yaml:6:35 services.web.deploy.min_healthy_percent: expected a number <= 100, got 150",
        "fleet.yaml:6:49 services.web.deploy.alarms[0]: unknown alarm 'nope' (known: none defined)",
    ]


def test_a_check_that_reads_an_invalid_field_is_not_reported_on_top_of_it() -> None:
    # Left out, min_healthy_percent would default to 90: 200 - 90 > 100 is not the user's mistake.
    text = MINIMAL + "    deploy: {min_healthy_percent: 150, max_healthy_percent: 200}\n"
    assert problems_of(text) == [
        "fleet.yaml:6:35 services.web.deploy.min_healthy_percent: expected a number <= 100, got 150",
    ]


def test_an_unknown_environment_is_reported_beside_the_errors_in_its_override() -> None:
    text = MINIMAL + "    overrides:\n      prd: {deploy: {warmup: soon, alarms: [x]}}\n"
    assert problems_of(text) == [
        "fleet.yaml:7:12 services.web.overrides.prd: unknown environment 'prd' (known: dev)",
        "fleet.yaml:7:30 services.web.overrides.prd.deploy.warmup: "
        "expected a duration like 500ms, 30s, 5m, 2h or 30d, got 'soon'",
        "fleet.yaml:7:45 services.web.overrides.prd.deploy.alarms[0]: "
        "unknown alarm 'x' (known: none defined)",
    ]


def test_environment_override_is_checked_where_it_is_written() -> None:
    text = (
        MINIMAL
        + "    instances: {min: 1, desired: 2, max: 3}\n"
        + "    overrides:\n      dev:\n        instances: {max: 1}\n"
    )
    assert problems_of(text) == [
        "fleet.yaml:9:20 services.web.overrides.dev.instances: expected min <= desired <= max, got 1, 2, 1"
    ]


def test_env_must_not_hide_what_fleetops_sets() -> None:
    text = (
        MINIMAL
        + "    secrets: [db-password]\n    env: {PORT: 1, DB_PASSWORD: x}\nsecrets:\n  db-password: {}\n"
    )
    assert problems_of(text) == [
        "fleet.yaml:7:11 services.web.env.PORT: 'PORT' is reserved: it is set by fleetops on every instance",
        "fleet.yaml:7:20 services.web.env.DB_PASSWORD: "
        "'DB_PASSWORD' is reserved: it holds secret 'db-password'",
    ]


def test_loaded_fleet_knows_its_folder() -> None:
    assert load_fleet(EXAMPLE).base_dir == EXAMPLE.resolve().parent


def test_health_timeout_must_be_positive_and_below_interval() -> None:
    text = MINIMAL + "    health: {interval: 1s, timeout: 0s}\n"
    assert problems_of(text) == [
        "fleet.yaml:6:37 services.web.health.timeout: "
        "timeout must be longer than 0s and shorter than interval"
    ]


def test_override_for_unknown_environment() -> None:
    text = MINIMAL + "    overrides:\n      prod: {}\n"
    assert problems_of(text) == [
        "fleet.yaml:7:13 services.web.overrides.prod: unknown environment 'prod' (known: dev)"
    ]


def test_yaml_syntax_error_has_its_position() -> None:
    assert problems_of("environments: [dev\nservices: {}\n") == [
        "fleet.yaml:2:9 (root): invalid YAML: while parsing a flow sequence expected ',' or ']', but got ':'"
    ]


def test_control_character_is_reported_at_its_position() -> None:
    assert problems_of("environments:\n  dev: \x1f\n") == [
        "fleet.yaml:2:8 (root): invalid YAML: character #x001f is not allowed"
    ]


def test_duplicate_keys_are_reported() -> None:
    text = MINIMAL + "  web:\n    run: {command: x}\n"
    assert problems_of(text) == ["fleet.yaml:6:3 services.web: duplicate key 'web' (first at line 4)"]


def test_yaml_boolean_keys_must_be_quoted() -> None:
    text = MINIMAL + "    env:\n      on: 1\n"
    assert problems_of(text) == ["fleet.yaml:7:7 services.web.env: key 'on' must be text (quote it: \"on\")"]


def test_merge_keys_are_resolved_and_may_be_overridden() -> None:
    text = (
        MINIMAL
        + "    health: &h {interval: 2s, timeout: 1s}\n"
        + "  api:\n    run: {command: x}\n    health: {<<: *h, timeout: 500ms}\n"
    )
    fleet = load_fleet_text(text)
    assert fleet.services["api"].health.interval.total_seconds() == 2
    assert fleet.services["api"].health.timeout.total_seconds() == 0.5


def test_empty_file() -> None:
    assert problems_of("") == ["fleet.yaml:1:1 (root): the file is empty: expected a fleet (a mapping)"]


def test_file_that_is_not_a_mapping() -> None:
    assert problems_of("- a\n- b\n") == ["fleet.yaml:1:1 (root): expected a mapping, got a list"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"no such file \(expected a fleet file; pass -f FILE\)"):
        load_fleet(tmp_path / "fleet.yaml")


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        load_fleet(tmp_path)
    assert err.value.problems == [f"{tmp_path}: is a directory (expected a fleet file; pass -f FILE)"]


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    # Line 2 is "# café " in UTF-8 (7 characters, 8 bytes), then a Latin-1 "é".
    fleet.write_bytes(b"name: shop\n# caf\xc3\xa9 \xe9\n")
    with pytest.raises(BadInput) as err:
        load_fleet(fleet)
    assert err.value.problems == [f"{fleet}:2:8: byte 0xe9 is not UTF-8 (expected a UTF-8 text file)"]


def test_fleet_model_runs_cross_checks_outside_the_loader() -> None:
    data = {
        "environments": {"dev": {"provider": "local"}},
        "services": {"web": {"run": {"command": "x"}, "depends_on": ["api"]}},
    }
    with pytest.raises(
        ValueError, match=r"services.web.depends_on.0: unknown service 'api' \(there are no other"
    ):
        Fleet.model_validate(data)


def test_format_path() -> None:
    assert format_path(("services", "orders", "depends_on", 1)) == "services.orders.depends_on[1]"
    assert format_path(()) == "(root)"
    assert format_path(("services", "web", "env", "MY VAR")) == 'services.web.env["MY VAR"]'


def test_null_document() -> None:
    assert problems_of("~\n") == ["fleet.yaml:1:1 (root): the file has no fleet in it: expected a mapping"]


def test_patterns_are_explained_in_words() -> None:
    text = """\
name: "my fleet"
environments:
  prod: {provider: aws, region: eu-west-1, account_id: "1234"}
services:
  web:
    run: {command: x}
    health: {path: health}
    aws:
      auto_scaling_group: g
      launch_template_id: lt-0123456789abcdef0
      target_group_arn: "arn:aws:elasticloadbalancing:x"
notifications:
  hook: {type: webhook, url: "ftp://x", events: [deploy.*]}
  mail: {type: email, smtp: {host: h}, from: nobody, to: [a@b], events: [deploy.*]}
"""
    assert problems_of(text) == [
        "fleet.yaml:1:7 name: expected a name of letters, digits, '_', '.' and '-', starting with a letter"
        " or digit, got 'my fleet'",
        "fleet.yaml:3:56 environments.prod.account_id: expected a 12-digit AWS account id, got '1234'",
        "fleet.yaml:7:20 services.web.health.path: expected a path starting with '/', got 'health'",
        "fleet.yaml:13:30 notifications.hook.url: expected an http:// or https:// URL, got 'ftp://x'",
        "fleet.yaml:14:46 notifications.mail.from: expected an email address like ops@example.com,"
        " got 'nobody'",
    ]


def test_example_fleet_has_smoke_gates() -> None:
    fleet = load_fleet(EXAMPLE)
    gateway = fleet.service("gateway", "prod").deploy.smoke
    assert gateway is not None
    assert (gateway.path, gateway.expect, gateway.timeout.total_seconds(), gateway.attempts) == (
        "/api/menu",
        "200",
        2.0,
        3,
    )
    assert fleet.service("auth", "dev").deploy.smoke is None


def test_bad_smoke_expect_is_reported_with_its_line() -> None:
    text = MINIMAL + "    deploy:\n      smoke: {path: /health, expect: ok}\n"
    assert problems_of(text) == [
        "fleet.yaml:7:38 services.web.deploy.smoke.expect: "
        "expected HTTP codes like 200, 200-299 or 200,204, got 'ok'"
    ]


def test_run_override_needs_a_run_to_override() -> None:
    text = """\
environments:
  prod: {provider: aws, region: eu-west-1}
services:
  web:
    aws:
      auto_scaling_group: web
      launch_template_id: lt-0a1b2c3d4e5f60001
      target_group_arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0000000000000001
    overrides:
      prod: {run: {port: 8180}}
"""
    assert problems_of(text) == [
        "fleet.yaml:10:19 services.web.overrides.prod.run: the service has no 'run' section to override",
    ]


@pytest.mark.parametrize("levels", [65, 500, 10_000])
def test_a_file_nested_deeper_than_the_limit_is_one_problem(levels: int) -> None:
    text = "name: " + "[" * levels + "]" * levels + "\n"
    assert problems_of(text) == [
        "fleet.yaml:1:70 (root): the file nests deeper than 64 levels of mappings and lists (the limit)"
    ]


def test_a_file_too_deep_after_a_syntax_error_reports_the_error() -> None:
    # The nesting is counted by libyaml's parser when it is built; PyYAML's parser has the
    # last word on a file the first finds too deep or broken, and reports the first problem.
    text = "name: [a\nservices: {}\nx: " + "[" * 70 + "]" * 70 + "\n"
    assert problems_of(text) == [
        "fleet.yaml:2:9 (root): invalid YAML: while parsing a flow sequence expected ',' or ']', but got ':'"
    ]


def test_a_file_too_deep_with_a_control_character_after_reports_the_character() -> None:
    text = "name: " + "[" * 70 + "]" * 70 + "\nx: \x1f\n"
    assert problems_of(text) == ["fleet.yaml:2:4 (root): invalid YAML: character #x001f is not allowed"]


def test_a_file_nested_64_levels_is_read() -> None:
    # The top mapping, services, web and env are four levels; the lists sixty more.
    text = MINIMAL + "    env: {A: " + "[" * 60 + "]" * 60 + "}\n"
    # Read and validated: a list is not an env value.
    assert problems_of(text) == ["fleet.yaml:6:14 services.web.env.A: expected text, got a list"]


@pytest.mark.parametrize(("threshold", "read"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")])
def test_an_alarm_threshold_must_be_a_finite_number(threshold: str, read: str) -> None:
    text = MINIMAL + f"alarms:\n  errors: {{metric: HTTPCode_Target_5XX_Count, threshold: {threshold}}}\n"
    assert problems_of(text) == [
        "fleet.yaml:7:58 alarms.errors.threshold: input should be a finite number, got " + read
    ]


def test_a_version_key_must_not_be_a_path() -> None:
    text = MINIMAL + "    versions:\n      ../../x: {env: {A: b}}\n"
    assert problems_of(text) == [
        'fleet.yaml:7:7 services.web.versions["../../x"]: '
        "expected a version of letters, digits, '.', '_', "
        "'+' and '-', starting with a letter or digit, got '../../x'"
    ]
