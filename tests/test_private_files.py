"""Files and folders fleetops writes are its owner's only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.private_files import private_file, private_folder


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_folders_are_created_0700(tmp_path: Path) -> None:
    private_folder(tmp_path / "a" / "b")
    assert (mode(tmp_path / "a"), mode(tmp_path / "a" / "b")) == (0o700, 0o700)


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    private_folder(shared)
    assert mode(shared) == 0o755


def test_a_new_file_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = private_file(tmp_path / "state" / "server.log")
    assert (mode(path), mode(path.parent), path.read_bytes()) == (0o600, 0o700, b"")


def test_an_existing_file_is_tightened_and_keeps_its_content(tmp_path: Path) -> None:
    path = tmp_path / "fleetops.db"
    path.write_bytes(b"data")
    path.chmod(0o644)
    private_file(path)
    assert (mode(path), path.read_bytes()) == (0o600, b"data")
