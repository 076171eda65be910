"""`make demo`: the main job on the local provider.

Until the deployment runbooks land this validates and plans the example fleet.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FLEET = Path(__file__).parent / "restaurant" / "fleet.yaml"


def fleetops(*args: str) -> None:
    print(f"$ fleetops {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "fleetops", *args], check=True)


def main() -> None:
    fleetops("version")
    fleetops("validate", "-f", str(FLEET))
    fleetops("plan", "dev", "--version", "v2", "-f", str(FLEET))


if __name__ == "__main__":
    main()
