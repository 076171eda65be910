"""Backups of an ElastiCache (Redis) cache cluster: ElastiCache snapshots (seed 004's
``aws elasticache create-snapshot``), and their verification by a scratch cluster restored from
one (CreateCacheCluster with ``SnapshotName``, waited on until available, then deleted).

A restore in place is not offered: a cache cluster cannot be renamed, so a cluster restored from
a snapshot has another endpoint, which the services would have to be told.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fleetops.errors import OperationFailed
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call

DEFAULT_TIMEOUT_S = 3600.0


class CacheCluster:
    """One cache cluster (``aws.elasticache_cluster`` of a datastore); ``sleep``/``poll_s`` as
    ``rds.RdsInstance``'s."""

    def __init__(
        self,
        clients: AwsClients,
        cluster_id: str,
        *,
        poll_s: float = 15.0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.cluster_id = cluster_id
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._monotonic = monotonic

    def describe(self, cluster_id: str | None = None) -> dict[str, Any] | None:
        """DescribeCacheClusters of one cluster (default this one); None when there is none."""
        name = cluster_id or self.cluster_id
        try:
            found = aws_call(
                "elasticache:DescribeCacheClusters",
                name,
                self.clients.elasticache.describe_cache_clusters,
                CacheClusterId=name,
            )["CacheClusters"]
        except AwsError as err:
            if err.code == "CacheClusterNotFound":
                return None
            raise
        return dict(found[0]) if found else None

    def snapshot(self, name: str) -> dict[str, Any] | None:
        """DescribeSnapshots of one snapshot; None when there is none."""
        try:
            found = aws_call(
                "elasticache:DescribeSnapshots",
                name,
                self.clients.elasticache.describe_snapshots,
                SnapshotName=name,
            )["Snapshots"]
        except AwsError as err:
            if err.code == "SnapshotNotFoundFault":
                return None
            raise
        return dict(found[0]) if found else None

    def create_snapshot(self, name: str) -> dict[str, Any]:
        """Snapshot ``name`` of the cluster: CreateSnapshot (unless it exists), waited on until
        available."""
        if self.snapshot(name) is None:
            aws_call(
                "elasticache:CreateSnapshot",
                self.cluster_id,
                self.clients.elasticache.create_snapshot,
                CacheClusterId=self.cluster_id,
                SnapshotName=name,
            )
        return self._wait(f"snapshot {name}", lambda: self.snapshot(name), "SnapshotStatus")

    def delete_snapshot(self, name: str) -> None:
        """DeleteSnapshot (nothing when it is gone already)."""
        try:
            aws_call(
                "elasticache:DeleteSnapshot",
                name,
                self.clients.elasticache.delete_snapshot,
                SnapshotName=name,
            )
        except AwsError as err:
            if err.code != "SnapshotNotFoundFault":
                raise

    def restore_scratch(self, snapshot: str, scratch: str) -> dict[str, Any]:
        """A scratch cluster ``scratch`` from ``snapshot`` (the live cluster's node type), once
        available."""
        if self.describe(scratch) is None:
            live = self.describe() or {}
            params: dict[str, Any] = {"CacheClusterId": scratch, "SnapshotName": snapshot, "Engine": "redis"}
            if live.get("CacheNodeType"):
                params["CacheNodeType"] = live["CacheNodeType"]
            aws_call(
                "elasticache:CreateCacheCluster",
                scratch,
                self.clients.elasticache.create_cache_cluster,
                NumCacheNodes=1,
                **params,
            )
        return self._wait(f"cache cluster {scratch}", lambda: self.describe(scratch), "CacheClusterStatus")

    def delete(self, cluster_id: str) -> None:
        """DeleteCacheCluster (nothing when it is gone already)."""
        try:
            aws_call(
                "elasticache:DeleteCacheCluster",
                cluster_id,
                self.clients.elasticache.delete_cache_cluster,
                CacheClusterId=cluster_id,
            )
        except AwsError as err:
            if err.code != "CacheClusterNotFound":
                raise

    def _wait(self, what: str, look: Callable[[], dict[str, Any] | None], key: str) -> dict[str, Any]:
        deadline = self._monotonic() + self.timeout_s
        while True:
            found = look()
            status = None if found is None else str(found.get(key))
            if found is not None and status == "available":
                return found
            if status in ("failed", "create-failed", "restore-failed", "incompatible-network"):
                raise OperationFailed(f"{what} is {status}")
            if self._monotonic() >= deadline:
                raise OperationFailed(f"{what} not available after {self.timeout_s:.0f}s (it is {status})")
            self._sleep(self.poll_s)
