"""The README's two environments on one machine (dev deployed, stage brought up beside it and
promoted to), then its operations on dev (alarms, releases, locks, maintenance, blocks,
notifications, incidents, reports and the security audit), each command line run as written
(`PARTS["environments"]` in readme_plan.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.readme_walk import walk_part

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_readme_environments_commands_run_as_written(restaurant: Path, tmp_path: Path) -> None:
    assert walk_part("environments", restaurant, tmp_path / "elsewhere") == []
