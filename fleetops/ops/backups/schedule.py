"""When a datastore's scheduled backup is due, and which backups its retention deletes.

Pure functions of the catalog and a time, so the control plane's scheduler
(``fleetops.control.backup_scheduler``) decides the same way on a fake clock in tests.

- Due: no scheduled backup yet, or the newest is ``every`` old. A control plane that was down
  through several intervals takes one backup when it looks again, not one per interval missed.
- Retention applies to scheduled backups (as RDS's to automated ones: a backup taken by hand or
  a restore's pre-restore snapshot is kept until deleted): beyond the newest ``keep``, or older
  than ``retention``, they go; never the datastore's newest verified backup, so a restore always
  has a verified backup to start from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fleetops.store.backups import Backup

SCHEDULED = "scheduled"
"""The tag of the backups a schedule takes (and its retention deletes)."""


def due(last: datetime | None, every: timedelta, now: datetime) -> bool:
    """Whether a scheduled backup is due at ``now`` after the newest one taken at ``last``."""
    return last is None or now - last >= every


def expired(
    backups: Sequence[Backup], *, keep: int | None, retention: timedelta | None, now: datetime
) -> list[Backup]:
    """The scheduled backups of one datastore (``backups``: all of its backups) that retention
    deletes, oldest first: those beyond the newest ``keep`` scheduled ones and those older than
    ``retention``; never the newest verified backup."""
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.backup_id), reverse=True)
    verified = next((b.backup_id for b in newest_first if b.verify_status == "verified"), None)
    scheduled = [b for b in newest_first if b.tag == SCHEDULED]
    out = []
    for position, backup in enumerate(scheduled):
        too_many = keep is not None and position >= keep
        too_old = retention is not None and now - backup.created_at > retention
        if (too_many or too_old) and backup.backup_id != verified:
            out.append(backup)
    return list(reversed(out))
