from __future__ import annotations

import itertools
import socket
from pathlib import Path

import pytest

from fleetops.providers.local import process
from fleetops.providers.local.process import LOWEST_PORT, free_loopback_port


def _ephemeral() -> tuple[int, int]:
    low, high = process.EPHEMERAL_RANGE.read_text().split()
    return int(low), int(high)


def test_a_free_port_is_under_the_kernels_ephemeral_range_and_can_be_bound() -> None:
    port = free_loopback_port()
    assert LOWEST_PORT <= port < _ephemeral()[0]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        tried = itertools.chain([taken], range(LOWEST_PORT, 65536))
        monkeypatch.setattr(process.random, "randrange", lambda low, high: next(tried))
        monkeypatch.setattr(process, "LOWEST_PORT", 1024)
        monkeypatch.setattr(process, "_ephemeral_low", lambda: 65535)
        assert free_loopback_port() != taken


def test_without_room_under_the_ephemeral_range_the_kernel_chooses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    narrow = tmp_path / "ip_local_port_range"
    narrow.write_text("10500\t60999\n")
    real_low, real_high = _ephemeral()
    monkeypatch.setattr(process, "EPHEMERAL_RANGE", narrow)
    assert real_low <= free_loopback_port() <= real_high
