"""Files and folders only their owner may read: the store, logs, tokens and secrets.

Whatever fleetops writes may hold what a secret's owner would not show others (an instance may
print a secret into its log before redaction ever sees it), so its files are created mode 0600
and its folders 0700, whatever the umask. A file that exists already (written by an older
version) is tightened when it is opened again; a folder that exists is left as it is (it may be
a folder the user chose and shares).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents mode 0700; an existing folder is left alone."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # created meanwhile by another thread or process
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty (its folder as :func:`private_folder`) or tighten it: mode 0600.
    Open it afterwards as usual: ``private_file(path).open("a")``."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path
