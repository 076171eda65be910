"""Backups, verification and restores of an aws environment's datastores, and what a restore's
pause does to a service's capacity (and the refusal of a secret's rotation there), on moto (in-process:
one moto server for the module, the catalog and the control code called directly; the CLI and
HTTP path is the local one's). The example's prod: orders-db-prod is RDS instance
restaurant-orders, cache is ElastiCache cluster restaurant-cache.

Nothing is shimmed: moto's RDS and ElastiCache make snapshots, restore and rename instances
(they are available at once, so no wait waits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import boto3
import pytest

from fleetops.control.aws_backups import AwsBackups
from fleetops.control.aws_restores import AwsDatastoreControl
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.backup_scheduler import BackupScheduler
from fleetops.control.backups import Backups
from fleetops.control.deployments import Deployments
from fleetops.control.environments import Environments
from fleetops.control.service import ExecutionService
from fleetops.engine import Engine, ExecutionResult, Registry
from fleetops.errors import BadInput
from fleetops.providers.aws.autoscaling import AutoScalingService
from fleetops.providers.aws.rds import RESTORED_TAG
from fleetops.providers.aws.session import AwsClients
from fleetops.runbooks import definition
from fleetops.runbooks.wiring import RunbookDeps, register_handlers
from fleetops.spec.loader import load_fleet
from fleetops.spec.models import AwsService, Instances
from fleetops.store import Store
from fleetops.testing import moto_shims
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.local import EXAMPLES
from fleetops.testing.moto import MOTO_IMAGE, moto_server
from fleetops.testing.runbooks import T0

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with moto_server():
        rds = boto3.client("rds", region_name=REGION)
        rds.create_db_instance(
            DBInstanceIdentifier="restaurant-orders",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            EngineVersion="16.3",
            AllocatedStorage=20,
            MasterUsername="orders",
            MasterUserPassword="not-a-real-password",
        )
        cache = boto3.client("elasticache", region_name=REGION)
        cache.create_cache_cluster(
            CacheClusterId="restaurant-cache", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
        )
        yield


@pytest.fixture(scope="module")
def backups(aws: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backups]:
    # Without the example's channels: backup.* notifications are the local backups' tests' concern.
    fleet = load_fleet(EXAMPLES / "fleet.yaml").model_copy(update={"notifications": {}})
    with Store.open(None, Path(tmp_path_factory.mktemp("db"))) as store:
        environments = Environments(fleet)
        environments.put(AwsFleetRuntime(fleet, "prod", store=store))
        yield Backups(store, environments, poll_s=0.01)


def instances() -> list[str]:
    rds = boto3.client("rds", region_name=REGION)
    return sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"])


def test_a_backup_of_an_rds_datastore_is_a_db_snapshot_in_the_catalog_with_its_arn(backups: Backups) -> None:
    with moto_shims.recording() as calls:
        taken = backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-1")
    (create,) = calls.of("CreateDBSnapshot")
    assert (create.params["DBInstanceIdentifier"], create.params["DBSnapshotIdentifier"]) == (
        "restaurant-orders",
        "bk-rds-1",
    )
    assert (
        taken.location,
        taken.tool,
        taken.tool_version,
        taken.size_bytes,
        taken.sha256,
        taken.contents,
    ) == (
        "arn:aws:rds:eu-west-1:123456789012:snapshot:bk-rds-1",
        "rds:CreateDBSnapshot",
        "postgres 16.3",
        20 * 1024**3,
        "",
        {},
    )
    assert [b.backup_id for b in backups.list(environment="prod", datastore="orders-db-prod")] == ["bk-rds-1"]


def test_verify_restores_the_snapshot_into_a_scratch_instance_then_deletes_it(backups: Backups) -> None:
    backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-2")
    with moto_shims.recording() as calls:
        verified = backups.verify("bk-rds-2")
    assert verified.verify_status == "verified"
    (restore,) = calls.of("RestoreDBInstanceFromDBSnapshot")
    scratch = restore.params["DBInstanceIdentifier"]
    assert scratch.startswith("restaurant-orders-v")
    assert restore.params["DBSnapshotIdentifier"] == "bk-rds-2"
    assert [c.params["DBInstanceIdentifier"] for c in calls.of("DeleteDBInstance")] == [scratch]
    assert scratch not in instances()
    assert verified.verify_detail is not None
    assert verified.verify_detail.startswith(
        f"restored into scratch DB instance {scratch}: available, postgres"
    )


def test_a_backup_whose_snapshot_is_gone_fails_verification_and_is_never_restored(backups: Backups) -> None:
    backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-gone")
    boto3.client("rds", region_name=REGION).delete_db_snapshot(DBSnapshotIdentifier="bk-rds-gone")
    failed = backups.verify("bk-rds-gone")
    assert (failed.verify_status, failed.verify_detail) == (
        "failed",
        "backup bk-rds-gone: its snapshot bk-rds-gone "
        "(arn:aws:rds:eu-west-1:123456789012:snapshot:bk-rds-gone) no longer exists on AWS; "
        "nothing was restored",
    )
    control = AwsDatastoreControl(backups.environments.runtime_for("prod"), backups)  # type: ignore[arg-type]
    with moto_shims.recording() as calls, pytest.raises(BadInput, match="no longer exists on AWS"):
        control.restore("orders-db-prod", "bk-rds-gone")
    assert calls.of("RestoreDBInstanceFromDBSnapshot") == []


def test_a_restore_is_a_new_instance_renamed_in_place_of_the_live_one_which_is_kept(backups: Backups) -> None:
    backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-3")
    backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-4")
    control = AwsDatastoreControl(backups.environments.runtime_for("prod"), backups)  # type: ignore[arg-type]
    before = set(instances())
    with moto_shims.recording() as calls:
        control.restore("orders-db-prod", "bk-rds-3")
        control.restore("orders-db-prod", "bk-rds-4")  # the next restore keeps the one it replaces too
    (first, second) = [
        (c.params["DBInstanceIdentifier"], c.params["DBSnapshotIdentifier"])
        for c in calls.of("RestoreDBInstanceFromDBSnapshot")
    ]
    assert (first[1], second[1]) == ("bk-rds-3", "bk-rds-4")
    renames = [
        (c.params["DBInstanceIdentifier"], c.params["NewDBInstanceIdentifier"])
        for c in calls.of("ModifyDBInstance")
    ]
    kept = (renames[0][1], renames[2][1])
    assert renames == [
        ("restaurant-orders", kept[0]),
        (first[0], "restaurant-orders"),
        ("restaurant-orders", kept[1]),
        (second[0], "restaurant-orders"),
    ]
    assert kept[0].startswith("restaurant-orders-o") and kept[1].startswith("restaurant-orders-o")
    assert set(instances()) - before == set(kept)
    live = boto3.client("rds", region_name=REGION).describe_db_instances(
        DBInstanceIdentifier="restaurant-orders"
    )
    tags = {t["Key"]: t["Value"] for t in live["DBInstances"][0]["TagList"]}
    assert tags[RESTORED_TAG] == "bk-rds-4"


def test_a_backup_of_an_elasticache_datastore_is_a_snapshot_verified_by_a_scratch_cluster(
    backups: Backups,
) -> None:
    with moto_shims.recording() as calls:
        taken = backups.create("cache", environment="prod", backup_id="bk-cache-1")
        verified = backups.verify("bk-cache-1")
    (create,) = calls.of("CreateSnapshot")
    assert (create.params["CacheClusterId"], create.params["SnapshotName"]) == (
        "restaurant-cache",
        "bk-cache-1",
    )
    assert (taken.location, taken.tool) == (
        "arn:aws:elasticache:eu-west-1:123456789012:snapshot:bk-cache-1",
        "elasticache:CreateSnapshot",
    )
    (scratch,) = calls.of("CreateCacheCluster")
    assert scratch.params["SnapshotName"] == "bk-cache-1"
    assert [c.params["CacheClusterId"] for c in calls.of("DeleteCacheCluster")] == [
        scratch.params["CacheClusterId"]
    ]
    assert verified.verify_status == "verified"
    control = AwsDatastoreControl(backups.environments.runtime_for("prod"), backups)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="only RDS restores are built on aws"):
        control.check_backup("bk-cache-1", "cache")  # the restore runbook's first step: nothing paused


def test_a_datastore_without_an_aws_block_is_refused_saying_what_to_add(backups: Backups) -> None:
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    cache = fleet.datastores["cache"].model_copy(update={"aws": None})
    bare = fleet.model_copy(update={"datastores": {**fleet.datastores, "cache": cache}})
    runtime = backups.environments.runtime_for("prod")
    assert isinstance(runtime, AwsFleetRuntime)
    with moto_shims.recording() as calls, pytest.raises(BadInput) as refused:
        AwsBackups(bare, "prod", runtime.clients).take(
            "cache", "bk-x", kind="redis", tag=None, now=backups.clock.now()
        )
    assert str(refused.value) == (
        "datastores.cache: environment 'prod' runs on aws, and the datastore has no aws block naming its "
        "resource: add aws: {rds_instance: <DB instance id>} (postgres) or aws: {elasticache_cluster: "
        "<cache cluster id>} (redis)"
    )
    assert calls.calls == []


def test_the_restore_runbook_on_aws_snapshots_first_then_switches_a_restored_instance_in(
    backups: Backups,
) -> None:
    """The built-in runbook on the real engine (fake clock); prod's orders-db-prod is used by no
    prod service (orders names the sandbox's orders-db), so nothing is paused."""
    backups.create("orders-db-prod", environment="prod", backup_id="bk-rds-5")
    runtime = backups.environments.runtime_for("prod")
    assert isinstance(runtime, AwsFleetRuntime)
    fleet = runtime.fleet

    async def scenario() -> ExecutionResult:
        clock = FakeClock(T0, auto_advance=True)
        deps = RunbookDeps(
            store=backups.store,
            fleet=lambda _environment: fleet,
            runtime_for=lambda _environment: runtime,
            clock=clock,
            datastores=lambda _environment: AwsDatastoreControl(runtime, backups),
        )
        registry = Registry()
        register_handlers(registry, deps)
        engine = Engine(registry, clock=clock)
        payload = {"environment": "prod", "datastore": "orders-db-prod", "backup_id": "bk-rds-5"}
        handle = engine.start_execution(
            definition("restore"), payload, name="r1", state_machine_name="restore"
        )
        return await handle.result()

    with moto_shims.recording() as calls:
        result = asyncio.run(scenario())
    assert result.status == "SUCCEEDED", result
    assert [c.params["DBSnapshotIdentifier"] for c in calls.of("CreateDBSnapshot")] == [
        "bk-r1"
    ]  # pre-restore
    assert [c.params["DBSnapshotIdentifier"] for c in calls.of("RestoreDBInstanceFromDBSnapshot")] == [
        "bk-rds-5"
    ]
    pre = backups.store.backups.get("bk-r1")
    assert pre is not None and pre.tag == "pre-restore"
    assert backups.store.locks.get("prod") is None


def test_a_pause_to_0_widens_an_auto_scaling_groups_min_size_and_a_resume_puts_the_files_back(
    aws: None,
) -> None:
    """What a restore's pause does to a service on a group (the provider alone: no target group)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    template = ec2.create_launch_template(
        LaunchTemplateName="paused", LaunchTemplateData={"ImageId": MOTO_IMAGE, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="paused",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
    )
    aws_block = AwsService(
        auto_scaling_group="paused",
        launch_template_id=template,
        target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/paused/0000000000000009",
    )
    group = AutoScalingService(AwsClients(REGION), "paused", aws_block, Instances(min=1, desired=1, max=2))

    def bounds() -> tuple[int, int, int]:
        (found,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["paused"])[
            "AutoScalingGroups"
        ]
        return found["MinSize"], found["MaxSize"], found["DesiredCapacity"]

    group.set_desired(0)
    assert bounds() == (0, 2, 0)
    group.set_desired(1)
    assert bounds() == (1, 2, 1)


def test_rotating_a_secret_of_an_aws_environment_is_refused_before_anything_starts(backups: Backups) -> None:
    deployments = Deployments(ExecutionService(backups.store), backups.store, backups.environments)
    with pytest.raises(BadInput) as refused:
        deployments.rotate(environment="prod", secret="db-password", requested_by="test")
    assert str(refused.value) == (
        "rotating secrets of aws environment 'prod' is not built: rotate 'db-password' with Secrets "
        "Manager's own rotation (aws secretsmanager rotate-secret --secret-id ID, with a rotation Lambda), "
        "then redeploy the services using it (fleetops deploy prod --version ...)"
    )
    assert backups.store.locks.get("prod") is None


def test_a_point_in_time_restore_is_restore_db_instance_to_point_in_time_switched_in_once(
    backups: Backups,
) -> None:
    runtime = backups.environments.runtime_for("prod")
    assert isinstance(runtime, AwsFleetRuntime)
    control = AwsDatastoreControl(runtime, backups)
    live = boto3.client("rds", region_name=REGION).describe_db_instances(
        DBInstanceIdentifier="restaurant-orders"
    )
    moment = live["DBInstances"][0]["LatestRestorableTime"]
    base = control.base_backup_before("orders-db-prod", moment)
    assert (base.backup_id, base.tool) == (
        "restaurant-orders-automated",
        "rds:RestoreDBInstanceToPointInTime",
    )
    with pytest.raises(BadInput, match="after restaurant-orders's latest restorable time"):
        control.base_backup_before("orders-db-prod", moment + timedelta(hours=1))
    with moto_shims.recording() as calls:
        control.restore_to_time("orders-db-prod", base.backup_id, moment)
        control.restore_to_time("orders-db-prod", base.backup_id, moment)  # again, as after a crash
    (restore,) = calls.of("RestoreDBInstanceToPointInTime")
    assert restore.params["SourceDBInstanceIdentifier"] == "restaurant-orders"
    assert restore.params["RestoreTime"] == moment.astimezone(UTC).replace(tzinfo=None)  # moto's: naive UTC
    renamed = [c.params["NewDBInstanceIdentifier"] for c in calls.of("ModifyDBInstance")]
    assert renamed[1] == "restaurant-orders" and len(renamed) == 2


def test_scheduled_backups_of_an_aws_environment_are_snapshots_deleted_after_their_retention(
    backups: Backups,
) -> None:
    """orders-db-prod: backup {every: 1d, retention: 30d}, verified; cache: {every: 6h,
    retention: 2d, verify: false} (the example's)."""
    clock = FakeClock(T0)
    scheduler = BackupScheduler(backups.store, backups.environments, clock=clock)
    first = {look.datastore: look for look in scheduler.step()}
    assert sorted(first) == ["cache", "orders-db-prod"]
    orders, cache = first["orders-db-prod"].taken, first["cache"].taken
    assert orders is not None and cache is not None
    assert (orders.tool, orders.tag, orders.verify_status) == (
        "rds:CreateDBSnapshot",
        "scheduled",
        "verified",
    )
    assert (cache.tool, cache.tag, cache.verify_status) == ("elasticache:CreateSnapshot", "scheduled", None)
    clock.move_to(T0 + timedelta(days=31))
    with moto_shims.recording() as calls:
        later = {look.datastore: look for look in scheduler.step()}
    assert (later["orders-db-prod"].deleted, later["cache"].deleted) == (
        (orders.backup_id,),
        (cache.backup_id,),
    )
    assert [c.params["DBSnapshotIdentifier"] for c in calls.of("DeleteDBSnapshot")] == [orders.backup_id]
    assert [c.params["SnapshotName"] for c in calls.of("DeleteSnapshot")] == [cache.backup_id]
    assert backups.store.backups.get(orders.backup_id) is None
