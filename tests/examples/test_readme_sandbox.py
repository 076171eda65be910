"""The README's first walkthrough: validate, plan, the local sandbox (up, status, scale, logs, a
rollout), backups, restores, a drill, log queries and metrics, each command line run as written
(`PARTS["sandbox"]` in readme_plan.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.readme_walk import walk_part

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_readme_sandbox_commands_run_as_written(restaurant: Path, tmp_path: Path) -> None:
    assert walk_part("sandbox", restaurant, tmp_path / "elsewhere") == []
