"""The README's control plane: `fleetops server`, tokens, the audit log, secrets and a rotation, Step
Functions, and the runbooks' own `aws` commands against the local fleet, each command line run as
written (`PARTS["control_plane"]` in readme_plan.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.readme_walk import walk_part

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_readme_control_plane_commands_run_as_written(restaurant: Path, tmp_path: Path) -> None:
    assert walk_part("control_plane", restaurant, tmp_path / "elsewhere") == []
