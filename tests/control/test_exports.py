"""The public names of ``fleetops.control`` (runbooks and the server use them)."""

from __future__ import annotations

import fleetops.control


def test_public_names() -> None:
    assert sorted(fleetops.control.__all__) == [
        "ExecutionService",
        "HANDLERS_ENV",
        "InvalidArn",
        "InvalidExecutionInput",
        "InvalidName",
        "load_handlers",
    ]
