"""The clock routes read, as a FastAPI dependency (``fleetops.server.app_clock``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fleetops.clock import Clock
from fleetops.server.app_clock import app_clock

ClockDep = Annotated[Clock, Depends(app_clock)]
