"""WAL archiving of a sandbox PostgreSQL, and the settings that recover a copy from its archive.

Every sandbox PostgreSQL archives each finished WAL segment into its environment's backup folder
(``<env state>/backups/<datastore>/wal/``): with a base backup (``pg_basebackup``) that is what a
point-in-time restore replays. The archive command never overwrites a segment already archived
with other bytes (it fails, and PostgreSQL retries and says so in its log): a copy of the data
started by mistake on the same timeline cannot corrupt the archive. A segment archived again
with the same bytes (after a crash between the copy and PostgreSQL noting it) succeeds.

    settings = archiving(archive)                              # wal_level, archive_mode, archive_command
    settings |= recovery(archive, target_time)                 # restore_command, recovery_target_*
"""

from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path


def _in_command(path: Path) -> str:
    # %-placeholders are PostgreSQL's: a literal % in the path is written %%.
    return shlex.quote(str(path)).replace("%", "%%")


ARCHIVE_TIMEOUT = "15min"
"""A segment with writes is archived at most this long after its first one, even when not full:
what a loss of the server's own WAL (its disk) can cost at most, under the example's RPO target
(1h). Each forced switch archives a whole segment, so a sandbox that writes (the drills'
heartbeat, every second) adds 4 MB an hour to its archive with 1 MB segments
(``fleetops.providers.local.pg_template``)."""


def archiving(archive: Path) -> dict[str, str]:
    """Settings that archive every finished WAL segment into ``archive`` (a folder the server's
    user may write), and a segment with writes at least every ``ARCHIVE_TIMEOUT``."""
    target = _in_command(archive) + "/%f"
    command = (
        f"if [ -f {target} ]; then cmp -s %p {target}; "
        f"else cp %p {target}.tmp && mv {target}.tmp {target}; fi"
    )
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": command,
        "archive_timeout": ARCHIVE_TIMEOUT,
    }


def recovery(archive: Path, target_time: datetime) -> dict[str, str]:
    """Settings (with a ``recovery.signal`` file in the data directory) that replay the archived
    WAL from a base backup up to ``target_time`` (the last transaction committed at or before it
    included) and then promote: the copy becomes a primary on a new timeline."""
    settings = {
        "restore_command": f"cp {_in_command(archive)}/%f %p",
        "recovery_target_time": target_time.isoformat(),
        "recovery_target_inclusive": "on",
        "recovery_target_action": "promote",
    }
    if sys.platform == "linux":
        # A copy starting from a base backup first makes its whole data directory durable: file
        # by file (the default) took seconds even for a small cluster; syncfs is one call.
        settings["recovery_init_sync_method"] = "syncfs"
    return settings
