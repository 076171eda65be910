"""``fleetops aws-env``: the environment variables that point the AWS CLI and boto3 at the
control plane's AWS endpoints, as ``export`` lines (``eval "$(fleetops aws-env)"``)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import locate_server
from fleetops.cli.options import FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.errors import FleetopsError

DEFAULT_REGION = "us-east-1"
SECRET = "fleetops-unused"
"""The secret access key the AWS clients need to sign with; the server does not check it (the
access key id, a fleetops token, is the credential)."""


@app.command("aws-env")
def aws_env(
    file: FleetFileOption = Path("fleet.yaml"),
    region: Annotated[
        str, typer.Option(help="The region the clients name (it appears in the ARNs they are shown).")
    ] = DEFAULT_REGION,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Print the `export` lines that point `aws` and boto3 at this control plane.

    `eval "$(fleetops aws-env)"`, then the runbooks' own commands work as written:
    `aws autoscaling describe-auto-scaling-groups`, `aws sts get-caller-identity`...
    The access key is the control plane's token (its role applies); the secret key is not checked.
    """
    address = locate_server(state_dir_of(file))
    if address.token is None:
        raise FleetopsError(
            f"no token found: {state_dir_of(file) / 'token'} does not exist; set FLEETOPS_TOKEN "
            "(fleetops token create NAME --role operator)"
        )
    variables = {
        "AWS_ENDPOINT_URL": address.url,
        "AWS_ACCESS_KEY_ID": address.token,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }

    def render(_console: Console) -> None:
        # Plain lines a shell evaluates (no table, no colours, no wrapping).
        for name, value in variables.items():
            sys.stdout.write(f"export {name}={shlex.quote(value)}\n")

    emit(variables, output, render)
