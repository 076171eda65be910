"""The security audit (``fleetops audit security``): findings with a severity and a fix, from
checks over tokens, the fleet file, state files, listening addresses, secrets and the audit log."""

from fleetops.ops.security.checks import (
    check_admin_tokens,
    check_audit_log,
    check_control_plane,
    check_exposed,
    check_fleet_values,
    check_rotation,
    check_state_files,
    check_tokens,
)
from fleetops.ops.security.findings import Finding, SecurityAudit, Severity
from fleetops.ops.security.inputs import FileSeen, Listener, SecretSeen, TokenSeen

__all__ = [
    "FileSeen",
    "Finding",
    "Listener",
    "SecretSeen",
    "SecurityAudit",
    "Severity",
    "TokenSeen",
    "check_admin_tokens",
    "check_audit_log",
    "check_control_plane",
    "check_exposed",
    "check_fleet_values",
    "check_rotation",
    "check_state_files",
    "check_tokens",
]
