"""What a fleetops process imports at start: the collector paused over it, and the layers only
some paths need left unloaded until they are used."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.startup import collector_paused
from fleetops.store import Store
from fleetops.store.database import DEFAULT_DB_FILE
from fleetops.testing.server import cli_env


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as a test leaves it: running, nothing frozen."""
    yield
    gc.unfreeze()
    gc.enable()


def test_the_collector_is_paused_in_the_block_then_resumed_with_what_it_made_frozen(collector: None) -> None:
    gc.unfreeze()
    with collector_paused():
        paused = not gc.isenabled()
        made = [[index] for index in range(1000)]
    assert paused
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_a_collector_stopped_before_the_block_stays_stopped(collector: None) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_control_plane_over_a_current_store_loads_no_layer_only_some_paths_need(tmp_path: Path) -> None:
    # AWS clients, log queries (DuckDB), PostgreSQL datastores (psycopg), the dashboard's
    # templates (Jinja2) and migrations (Alembic) load when used: a plain start pays for none.
    Store.open(f"sqlite:///{tmp_path / DEFAULT_DB_FILE}", tmp_path).close()
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from fleetops.server.app import create_app\n"
        "from fleetops.server.settings import ServerSettings\n"
        f"app = create_app(ServerSettings(state_dir=Path({str(tmp_path)!r})))\n"
        "app.state.store.close()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=cli_env()
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert loaded & {"boto3", "botocore", "duckdb", "jinja2", "alembic", "psycopg"} == set()


def test_httpx_imported_after_fleetops_leaves_its_command_line_client_unloaded() -> None:
    code = "import json, sys\nimport fleetops, httpx\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert loaded & {"click", "pygments", "rich"} == set()
