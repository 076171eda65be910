"""The security checks: each reads narrow values and returns its findings (none: nothing open).

Thresholds: a token unused for ``UNUSED_AFTER`` (90 days, seed 001's access review) or never used
``NEVER_USED_GRACE`` after its creation; more than ``ADMIN_TOKENS_AT_MOST`` admin tokens.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from fleetops.ops.clock import span
from fleetops.ops.security.findings import Finding, Severity
from fleetops.ops.security.inputs import FileSeen, Listener, SecretSeen, TokenSeen
from fleetops.spec.fleet import Fleet

UNUSED_AFTER = timedelta(days=90)
NEVER_USED_GRACE = timedelta(days=1)
ADMIN_TOKENS_AT_MOST = 2

SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|ACCESS_?KEY)", re.IGNORECASE
)
SECRET_VALUES = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a URL with a password", re.compile(r"://[^/\s:@]+:[^/\s@]+@")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
)
"""What a secret's value looks like, named (the value itself is never shown)."""


def check_tokens(tokens: Sequence[TokenSeen], *, now: datetime) -> list[Finding]:
    """Tokens never used, unused for 90 days, without expiry, or expired but kept."""
    findings = []
    for token in tokens:
        if token.expires_at is not None and token.expires_at <= now:
            findings.append(
                Finding(
                    "tokens",
                    Severity.LOW,
                    token.name,
                    f"{token.role} token expired {span(now - token.expires_at)} ago and is still listed",
                    f"fleetops token revoke {token.name}",
                )
            )
            continue
        if token.last_used_at is None and now - token.created_at >= NEVER_USED_GRACE:
            findings.append(
                Finding(
                    "tokens",
                    Severity.MEDIUM,
                    token.name,
                    f"{token.role} token never used since its creation {span(now - token.created_at)} ago",
                    f"fleetops token revoke {token.name} (if nothing needs it)",
                )
            )
        elif token.last_used_at is not None and now - token.last_used_at >= UNUSED_AFTER:
            findings.append(
                Finding(
                    "tokens",
                    Severity.MEDIUM,
                    token.name,
                    f"{token.role} token unused for {(now - token.last_used_at).days} days",
                    f"fleetops token revoke {token.name} (if nothing needs it)",
                )
            )
        if token.expires_at is None:
            findings.append(
                Finding(
                    "tokens",
                    Severity.LOW,
                    token.name,
                    f"{token.role} token never expires",
                    f"fleetops token create NAME --role {token.role} --expires 90d, then revoke "
                    f"{token.name}; or rotate it regularly (fleetops token rotate {token.name})",
                )
            )
    return findings


def check_admin_tokens(tokens: Sequence[TokenSeen], *, now: datetime) -> list[Finding]:
    """More admin tokens than ``ADMIN_TOKENS_AT_MOST`` (expired ones do not count)."""
    admins = sorted(
        t.name for t in tokens if t.role == "admin" and (t.expires_at is None or t.expires_at > now)
    )
    if len(admins) <= ADMIN_TOKENS_AT_MOST:
        return []
    return [
        Finding(
            "admin-tokens",
            Severity.MEDIUM,
            ", ".join(admins),
            f"{len(admins)} admin tokens (at most {ADMIN_TOKENS_AT_MOST} expected)",
            "give people and automation operator or viewer tokens; revoke the admin tokens not needed",
        )
    ]


def _env_maps(fleet: Fleet) -> Iterator[tuple[str, Mapping[str, str]]]:
    for name, service in sorted(fleet.services.items()):
        yield f"services.{name}.env", service.env
        for version, override in service.versions.items():
            yield f"services.{name}.versions.{version}.env", override.env
        for environment, service_override in service.overrides.items():
            if service_override.env:
                yield f"services.{name}.overrides.{environment}.env", service_override.env
        if service.run is not None:
            yield f"services.{name}.run.env", service.run.env


def check_fleet_values(fleet: Fleet, file: str) -> list[Finding]:
    """Values in the fleet file's service env that look like secrets (by their name or their
    form): they belong in ``secrets:``, whose values live encrypted in the secrets store."""
    findings = []
    for path, env in _env_maps(fleet):
        for key, value in sorted(env.items()):
            looks = [what for what, pattern in SECRET_VALUES if pattern.search(value)]
            if not looks and SECRET_NAME.search(key) and value.strip():
                looks = ["a secret, by its name"]
            if looks:
                findings.append(
                    Finding(
                        "fleet-file-secrets",
                        Severity.HIGH,
                        f"{file}: {path}.{key}",
                        f"the value is written in the fleet file and looks like {looks[0]}",
                        "declare it under secrets:, list it in the service's secrets:, put its value "
                        "with fleetops secrets put, remove it from env, and rotate it (it was in a file)",
                    )
                )
    return findings


def check_rotation(secrets: Sequence[SecretSeen], *, now: datetime) -> list[Finding]:
    """Secrets whose current value is older than their rotation schedule."""
    findings = []
    for secret in secrets:
        if secret.current_since is None:
            continue
        age = now - secret.current_since
        if age > secret.every:
            findings.append(
                Finding(
                    "secret-rotation",
                    Severity.HIGH,
                    secret.name,
                    f"current value is {age.days} days old; the schedule rotates it every "
                    f"{secret.every.days} days",
                    f"rotate it: fleetops secrets put {secret.name} --generate, then redeploy its users",
                )
            )
    return findings


def check_state_files(files: Sequence[FileSeen]) -> list[Finding]:
    """State files and keys others than their owner may read or write."""
    return [
        Finding(
            "file-modes",
            Severity.HIGH if f.sensitive else Severity.MEDIUM,
            f.path,
            f"mode {f.mode:04o}: readable or writable by others than its owner",
            f"chmod 600 {f.path}",
        )
        for f in files
        if f.mode & 0o077
    ]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_control_plane(host: str, *, tls: bool) -> list[Finding]:
    """The control plane listening beyond loopback without TLS: tokens cross the network in clear."""
    if _loopback(host) or tls:
        return []
    return [
        Finding(
            "control-plane",
            Severity.HIGH,
            host,
            f"the control plane listens on {host} in plain HTTP: API tokens cross the network unencrypted",
            "listen on 127.0.0.1 (fleetops serve --host 127.0.0.1) and put a TLS-terminating proxy in front",
        )
    ]


def check_exposed(listeners: Sequence[Listener]) -> list[Finding]:
    """Instances listening on every interface (0.0.0.0, ::) instead of loopback behind the load balancer."""
    findings = []
    for listener in listeners:
        host = listener.address.rsplit(":", 1)[0].strip("[]")
        if host in ("0.0.0.0", "::", "*"):
            findings.append(
                Finding(
                    "exposed-services",
                    Severity.HIGH,
                    f"{listener.service}/{listener.instance}",
                    f"listens on {listener.address}: reachable from other machines, past the load balancer",
                    "bind the service to 127.0.0.1 (the load balancer reaches it there)",
                )
            )
    return findings


def check_audit_log(first_id: int | None, last_id: int | None, count: int) -> list[Finding]:
    """Entries missing between the audit log's first and last: deleted, or lost."""
    if first_id is None or last_id is None:
        return []
    missing = last_id - first_id + 1 - count
    if missing <= 0:
        return []
    return [
        Finding(
            "audit-log",
            # Not high: a PostgreSQL sequence also skips the id of a rolled-back insert.
            Severity.MEDIUM,
            "audit_log",
            f"{missing} entries missing between ids {first_id} and {last_id}",
            "find out who deleted them (database access logs); keep a copy of the audit log elsewhere",
        )
    ]
