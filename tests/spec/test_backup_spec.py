"""A datastore's ``backup:`` schedule in the fleet file: strict, with clear errors."""

from __future__ import annotations

import pytest

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet_text

FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api: {run: {command: "{python} api.py"}}
datastores:
  db:
    kind: sqlite
    connection: sqlite:///db.sqlite
    backup: BACKUP
"""


def _problems(backup: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_fleet_text(FLEET.replace("BACKUP", backup))
    return caught.value.problems


def test_every_and_keep() -> None:
    backup = load_fleet_text(FLEET.replace("BACKUP", "{every: 1d, keep: 7}")).datastores["db"].backup
    assert backup is not None
    assert (backup.every.days, backup.keep, backup.retention, backup.verify) == (1, 7, None, True)


def test_keep_must_be_a_number_not_a_boolean() -> None:
    assert _problems("{every: 1d, keep: true}") == [
        "fleet.yaml:10:31 datastores.db.backup.keep: expected an integer, got True"
    ]


def test_keep_or_retention_is_required() -> None:
    (problem,) = _problems("{every: 1d}")
    assert "say how long backups are kept: keep (how many, e.g. {every: 1d, keep: 7})" in problem
    assert problem.startswith("fleet.yaml:10:13 datastores.db.backup")


def test_an_unknown_field_is_refused() -> None:
    (problem,) = _problems("{every: 1d, keep: 7, kepe: 3}")
    assert "datastores.db.backup.kepe" in problem


AWS_FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api: {run: {command: "{python} api.py"}}
datastores:
  db:
    kind: KIND
    connection: CONNECTION
    aws: AWS
"""


def _aws_problems(kind: str, connection: str, aws: str) -> list[str]:
    text = AWS_FLEET.replace("KIND", kind).replace("CONNECTION", connection).replace("AWS", aws)
    with pytest.raises(BadInput) as caught:
        load_fleet_text(text)
    return caught.value.problems


def test_a_datastore_names_one_aws_resource_of_its_kind() -> None:
    assert _aws_problems(
        "postgres", "postgresql://db@host/db", "{rds_instance: db, elasticache_cluster: c}"
    ) == ["fleet.yaml:10:10 datastores.db.aws: give exactly one of rds_instance and elasticache_cluster"]
    assert _aws_problems("redis", "redis://host:6379/0", "{rds_instance: db}") == [
        "fleet.yaml:8:5 datastores.db: aws.rds_instance is for a postgres datastore, not redis"
    ]
    assert len(_aws_problems("postgres", "postgresql://db@host/db", "{rds_instance: db--1}")) == 1


def test_base_backups_are_postgresql_ones() -> None:
    (problem,) = _problems("{every: 1d, keep: 7, kind: base}")
    assert problem.endswith(
        "datastores.db: backup kind base (pg_basebackup) is for a postgres datastore, not sqlite"
    )
    text = FLEET.replace(
        "kind: sqlite\n    connection: sqlite:///db.sqlite",
        "kind: postgres\n    connection: postgresql://u@h/db",
    )
    backup = (
        load_fleet_text(text.replace("BACKUP", "{every: 1d, keep: 7, kind: base}")).datastores["db"].backup
    )
    assert backup is not None and backup.kind == "base"


def test_a_backup_kind_is_logical_or_base() -> None:
    (problem,) = _problems("{every: 1d, keep: 7, kind: full}")
    assert "datastores.db.backup.kind" in problem
