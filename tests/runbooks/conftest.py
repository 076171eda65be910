"""A small fleet in three waves, a SQLite store, and a webhook receiver for the runbook tests.

Waves: ``db-api`` and ``menu`` (wave 0), ``orders`` (wave 1, depends on both), ``gateway``
(wave 2). Two instances each; one-second health checks; a 5 s bake; prod needs approval.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver
from fleetops.testing.store_template import put_migrated_store

FLEET = """
name: shop
environments:
  dev: {provider: local}
  prod: {provider: local, approval: required, promote_from: dev}
services:
  db-api: &svc
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy:
      min_healthy_percent: 100
      max_healthy_percent: 150
      warmup: 1s
      bake_time: 5s
      deregistration_delay: 1s
      auto_rollback: false
  menu: *svc
  orders:
    <<: *svc
    depends_on: [db-api, menu]
  gateway:
    <<: *svc
    depends_on: [orders]
    deploy:
      min_healthy_percent: 100
      max_healthy_percent: 150
      warmup: 1s
      bake_time: 5s
      deregistration_delay: 1s
      auto_rollback: false
      alarms: [high-5xx]
alarms:
  high-5xx:
    metric: HTTPCode_Target_5XX_Count
    statistic: Sum
    period: 10s
    evaluation_periods: 3
    datapoints_to_alarm: 2
    threshold: 5
    comparison: GreaterThanThreshold
notifications:
  chat:
    type: webhook
    url: {url}
    events: ["deploy.*", "rollback.*", "promote.*"]
"""


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def fleet(hook: WebhookReceiver) -> Fleet:
    return load_fleet_text(FLEET.replace("{url}", hook.url))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    put_migrated_store(tmp_path)  # a copy: migrating a new store per test costs ~0.07 s of CPU
    with Store.open(None, tmp_path) as opened:
        yield opened
