"""The example fleet running under ``fleetops up``, and AWS clients (the real AWS CLI, boto3)
pointed at its control plane's AWS endpoints.

    with notification_sinks() as sinks, aws_fleet(tmp_path, sinks) as fleet:
        done = fleet.aws("autoscaling", "describe-auto-scaling-groups")
        assert done.returncode == 0 and json.loads(done.stdout)["AutoScalingGroups"]
        fleet.client("autoscaling").set_desired_capacity(...)

The fleet is a copy of ``examples/restaurant`` (its gateway on a free port, its notifications
delivered to ``sinks``: ``fleetops.testing.example``), started with
``fleetops up`` and stopped with ``fleetops down`` when the block ends.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from fleetops.testing.awscli import run_aws
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.server import cli_env, run_cli

REGION = "eu-west-1"
LOOK_EVERY = 0.5
"""How often a test waiting on the fleet looks (``wait_until(..., interval=LOOK_EVERY)``), for
changes that take seconds (processes started, refreshes, rotations, alarm evaluations): through
the AWS CLI a look costs a tenth of a second of CPU here, and any look costs the control plane
its answer; ``wait_until``'s own interval (50 ms) makes the looks back to back."""
"""The region the clients name (the example's prod region, which its ARNs carry)."""


@dataclass(frozen=True)
class AwsFleet:
    """A running example fleet: its folder, control plane URL and admin token."""

    folder: Path
    url: str
    token: str

    def environment(self, token: str | None = None) -> dict[str, str]:
        """The variables ``fleetops aws-env`` prints, with ``token`` (default: the admin's)."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": token or self.token,
            "AWS_SECRET_ACCESS_KEY": "fleetops-unused",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # Nothing from the machine's own AWS setup, one attempt, no pager.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        }

    def aws(
        self, *args: str, token: str | None = None, timeout: float = 60, process: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the real AWS CLI (``aws ARGS --output json``) against the control plane: its driver
        in this process (``fleetops.testing.awscli``: a process costs a second of CPU to start),
        or with ``process``, its executable (``timeout`` applies to that one)."""
        arguments = [*args, "--output", "json"]
        env = cli_env(self.environment(token))
        if not process:
            return run_aws(arguments, env=env, cwd=self.folder)
        return subprocess.run(
            [sys.executable, "-m", "awscli", *arguments],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def aws_json(self, *args: str, token: str | None = None) -> Any:
        """``aws ARGS`` that must succeed; its JSON output (None when it prints nothing)."""
        done = self.aws(*args, token=token)
        if done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def client(self, service: str, token: str | None = None) -> Any:
        """A boto3 client of ``service`` for the control plane."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=token or self.token,
            aws_secret_access_key="fleetops-unused",
            config=Config(retries={"max_attempts": 1}),
        )

    def fleetops(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``fleetops ARGS`` in the fleet's folder."""
        return run_cli(list(args), cwd=self.folder, timeout=timeout)

    def token_for(self, name: str, role: str) -> str:
        """A new token with ``role``."""
        done = self.fleetops("token", "create", name, "--role", role, "-o", "json")
        if done.returncode != 0:
            raise AssertionError(done.stderr)
        token: str = json.loads(done.stdout)["token"]
        return token

    def status(self) -> dict[str, Any]:
        """The fleet's status, as ``fleetops status -o json`` shows it (without its drift), read
        from the API: tests poll it, and a CLI process per poll costs half a second of CPU."""
        response = httpx.get(
            f"{self.url}/api/v1/fleet", headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )
        if response.status_code != 200:
            raise AssertionError(f"GET /api/v1/fleet: {response.status_code} {response.text}")
        status: dict[str, Any] = response.json()
        return status

    def service(self, name: str) -> dict[str, Any]:
        """One service of ``status``."""
        found: dict[str, Any] = next(s for s in self.status()["services"] if s["name"] == name)
        return found


@contextmanager
def aws_fleet(
    workdir: Path,
    sinks: NotificationSinks,
    *,
    timeout: float = 150,
    edit: Callable[[str], str] | None = None,
) -> Iterator[AwsFleet]:
    """The example fleet up in ``workdir/restaurant`` (see the module docstring); ``edit``
    changes its fleet file's text first (a test's shorter settings)."""
    folder = copy_example(workdir / "restaurant", sinks)
    fleet_file = folder / "fleet.yaml"
    text = fleet_file.read_text().replace("      port: 8080\n", "")
    fleet_file.write_text(text if edit is None else edit(text))
    try:
        up = run_cli(["up"], cwd=folder, timeout=timeout)
        if up.returncode != 0:
            raise RuntimeError(f"fleetops up failed ({up.returncode}): {up.stderr}")
        info = json.loads((folder / ".fleetops" / "server.json").read_text())
        token = (folder / ".fleetops" / "token").read_text().strip()
        yield AwsFleet(folder=folder, url=str(info["url"]), token=token)
    finally:
        run_cli(["down"], cwd=folder, timeout=120)


SEEDS_ENV = "FLEETOPS_SEEDS"
_AWS_COMMAND = re.compile(r"\baws ([a-z0-9-]+) ([a-z0-9-]+)")


def seeds_dir() -> Path:
    """The runbooks: ``$FLEETOPS_SEEDS``, else ``shared/seeds`` beside a parent of the repository."""
    if os.environ.get(SEEDS_ENV):
        return Path(os.environ[SEEDS_ENV])
    root = Path(__file__).resolve().parents[2]
    for folder in (root, *root.parents):
        if (folder / "shared" / "seeds").is_dir():
            return folder / "shared" / "seeds"
    return root.parent / "shared" / "seeds"


@dataclass(frozen=True)
class SeedCommand:
    """One ``aws`` command of a runbook, as written there (continuation lines joined)."""

    seed: str
    line: int
    service: str
    operation: str
    text: str


def seed_commands(folder: Path) -> list[SeedCommand]:
    """Every ``aws SERVICE OPERATION ...`` command in the runbooks of ``folder``, in order.

    A command continued with ``\\`` or inside an open quote (a JSON document, a query spanning
    lines) is joined into one line; a wrapper around it (``X=$(aws ...)``, ``watch -n 10 "aws
    ..."``, a trailing ``| head``, ``# comment``) is left out.
    """
    found = []
    for path in sorted(folder.iterdir()):
        lines = path.read_text().splitlines()
        index = 0
        while index < len(lines):
            match = _AWS_COMMAND.search(lines[index])
            start = index
            if match is not None:
                prefix = lines[index][: match.start()]
                text = lines[index][match.start() :].rstrip()
                while (text.endswith("\\") or _open_quote(prefix + text)) and index < start + 12:
                    index += 1
                    joined = lines[index].strip()
                    text = text[:-1].rstrip() + " " + joined if text.endswith("\\") else text + "\n" + joined
                found.append(
                    SeedCommand(path.name, start + 1, match.group(1), match.group(2), _unwrap(prefix, text))
                )
            index += 1
    return found


def _open_quote(text: str) -> bool:
    quote = None
    for char in text:
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
    return quote is not None


def _unwrap(prefix: str, text: str) -> str:
    if "$(" in prefix and text.endswith(")"):
        text = text[:-1].rstrip()
    elif prefix.rstrip().endswith('"') and text.endswith('"'):
        text = text[:-1]
    text = re.sub(r"\s+\|\s+head -n\s*\d+$", "", text)
    return re.sub(r"\s+#[^'\"]*$", "", text).strip()
