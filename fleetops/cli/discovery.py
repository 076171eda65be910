"""Where a command's fleet is: found from any subdirectory of it, as git finds ``.git``.

A command run without ``--file`` (or with the default ``fleet.yaml``) in a folder that has no
``fleet.yaml`` looks in each parent folder in turn and uses the first ``fleet.yaml`` found, with
its ``.fleetops/`` state beside it. Commands that only talk to the control plane look upward the
same way for a ``.fleetops/`` holding a ``server.json``. A file named explicitly elsewhere is used
as given.
"""

from __future__ import annotations

from pathlib import Path

from fleetops.server.settings import DEFAULT_STATE_DIR, SERVER_FILE

DEFAULT_FLEET_FILE = Path("fleet.yaml")


def _here_and_up() -> list[Path]:
    here = Path.cwd()
    return [here, *here.parents]


def fleet_file(file: Path) -> Path:
    """``file``, or for the default ``fleet.yaml`` missing here, the nearest one in a parent."""
    if file != DEFAULT_FLEET_FILE or file.exists():
        return file
    for folder in _here_and_up():
        if (folder / DEFAULT_FLEET_FILE).is_file():
            return folder / DEFAULT_FLEET_FILE
    return file


def state_dir(given: Path = DEFAULT_STATE_DIR) -> Path:
    """``given``, or for the default ``.fleetops`` without a server here, the nearest parent's
    ``.fleetops`` that has one."""
    if given != DEFAULT_STATE_DIR or (given / SERVER_FILE).exists():
        return given
    for folder in _here_and_up():
        if (folder / DEFAULT_STATE_DIR / SERVER_FILE).is_file():
            return folder / DEFAULT_STATE_DIR
    return given
