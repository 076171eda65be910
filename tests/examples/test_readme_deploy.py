"""The README's deployments: deploy, a deploy waiting for the lock, rollbacks, stop, and the executions
(listed, described, exported, imported), each command line run as written (`PARTS["deploy"]` in
readme_plan.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples.readme_walk import walk_part

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_readme_deploy_commands_run_as_written(restaurant: Path, tmp_path: Path) -> None:
    assert walk_part("deploy", restaurant, tmp_path / "elsewhere") == []
