"""``fleetops aws-env``: the export lines that point the AWS CLI at the control plane."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from fleetops.testing.server import RunningServer, cli_env, run_cli


def test_the_export_lines_point_the_aws_cli_at_the_control_plane(server: RunningServer) -> None:
    done = run_cli(["aws-env", "--region", "eu-west-1"], cwd=server.state_dir.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines)
    assert exported == {
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": server.admin_token,
        "AWS_SECRET_ACCESS_KEY": "fleetops-unused",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }
    isolated = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    identity = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
        env=cli_env({**exported, **isolated}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Arn"] == "arn:aws:iam::123456789012:user/admin"


def test_json_output_and_no_server(server: RunningServer, tmp_path: Path) -> None:
    done = run_cli(["aws-env", "-o", "json"], cwd=server.state_dir.parent)
    assert json.loads(done.stdout)["AWS_DEFAULT_REGION"] == "us-east-1"
    missing = run_cli(["aws-env"], cwd=tmp_path)
    assert missing.returncode == 1 and "no fleetops server found" in missing.stderr
