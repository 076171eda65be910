"""The example services are scripts that import their shared module as ``common``."""

from __future__ import annotations

import sys

from fleetops.testing.local import EXAMPLES

SERVICES = str(EXAMPLES / "services")
if SERVICES not in sys.path:
    sys.path.insert(0, SERVICES)
