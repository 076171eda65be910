"""``Store``: the one object the rest of fleetops opens to reach its database."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from fleetops.errors import FleetopsError
from fleetops.redaction import redact_text
from fleetops.store.alarm_history import AlarmHistoryRepository
from fleetops.store.audit import AuditLog
from fleetops.store.backups import BackupCatalog
from fleetops.store.callbacks import TaskCallbackRepository
from fleetops.store.database import (
    create_store_engine,
    resolve_url,
)
from fleetops.store.executions import ExecutionRepository
from fleetops.store.fleet_state import RolloutRepository, ServiceStateRepository
from fleetops.store.held_tokens import HeldTokenRepository
from fleetops.store.incidents import IncidentRepository
from fleetops.store.launch_templates import LaunchTemplateRepository
from fleetops.store.locks import LockRepository
from fleetops.store.maintenance import MaintenanceRepository
from fleetops.store.maintenance_schedules import MaintenanceScheduleRepository
from fleetops.store.metrics import MetricRepository
from fleetops.store.migrations import upgrade_to_head
from fleetops.store.notifications import NotificationLog
from fleetops.store.releases import ReleaseRepository
from fleetops.store.scaling_policies import ScalingPolicyRepository
from fleetops.store.secrets import SecretRepository
from fleetops.store.sessions import Sessions
from fleetops.store.simple_policies import SimplePolicyRepository
from fleetops.store.state_machine_versions import VersionRepository
from fleetops.store.state_machines import StateMachineRepository
from fleetops.store.stops import StoppedExecutions
from fleetops.store.tags import TagRepository
from fleetops.store.template import seed_new_sqlite_store
from fleetops.store.tokens import TokenRepository


class Store(Sessions):
    """A migrated database and the repositories over it.

    Open it with ``Store.open(url, state_dir)``; it is safe to share between threads (each
    ``session()``/``transaction()`` is its own connection). Close it with ``close()`` or use it
    as a context manager.
    """

    def __init__(self, engine: Engine, url: URL) -> None:
        """Wrap an engine whose database is already migrated; prefer ``Store.open``."""
        super().__init__(engine, url)
        self.audit = AuditLog(self)
        self.tokens = TokenRepository(self)
        self.releases = ReleaseRepository(self)
        self.locks = LockRepository(self)
        self.maintenance = MaintenanceRepository(self)
        self.maintenance_schedules = MaintenanceScheduleRepository(self)
        self.notifications = NotificationLog(self)
        self.state_machines = StateMachineRepository(self)
        self.tags = TagRepository(self)
        self.versions = VersionRepository(self)
        self.executions = ExecutionRepository(self)
        self.task_callbacks = TaskCallbackRepository(self)
        self.service_state = ServiceStateRepository(self)
        self.rollouts = RolloutRepository(self)
        self.stopped = StoppedExecutions(self)
        self.held_tokens = HeldTokenRepository(self)
        self.metrics = MetricRepository(self)
        self.alarm_history = AlarmHistoryRepository(self)
        self.backups = BackupCatalog(self)
        self.secrets = SecretRepository(self)
        self.scaling_policies = ScalingPolicyRepository(self)
        self.simple_policies = SimplePolicyRepository(self)
        self.launch_templates = LaunchTemplateRepository(self)
        self.incidents = IncidentRepository(self)

    @classmethod
    def open(cls, url: str | None, state_dir: Path) -> Store:
        """Open (creating and migrating as needed) the store.

        ``url`` wins, then ``$FLEETOPS_DATABASE_URL``, then ``sqlite:///<state_dir>/fleetops.db``.
        Raises ``BadInput`` for an unusable URL, ``FleetopsError`` when the database cannot be reached.
        """
        resolved = resolve_url(url, state_dir)
        seed_new_sqlite_store(resolved)
        engine = create_store_engine(resolved)
        try:
            upgrade_to_head(engine)
        except OperationalError as err:
            engine.dispose()
            reason = str(err.orig).strip().splitlines()[0] if err.orig is not None else str(err)
            where = resolved.render_as_string(hide_password=True)
            raise FleetopsError(f"cannot open the store {where}: {redact_text(reason)}") from err
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, resolved)

    @property
    def display_url(self) -> str:
        """The database URL with its password hidden, for messages and ``health``."""
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
