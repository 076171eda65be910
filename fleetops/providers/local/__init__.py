"""The local provider: every instance a real process on this machine, behind HAProxy."""

from fleetops.providers.local.provider import LocalProvider
from fleetops.providers.local.service import LocalHealthCheck, ServiceRuntime

__all__ = ["LocalHealthCheck", "LocalProvider", "ServiceRuntime"]
