"""``fleetops aws bootstrap``: create the AWS resources an aws environment names and lacks.

It runs here, with the credentials of boto3's standard chain (not through the control plane):
see ``fleetops.providers.aws.bootstrap``. The ids AWS gives the new resources are written into
the fleet file in place of the ones it named (``--no-write`` only prints them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.options import FleetFileOption
from fleetops.cli.output import OutputFormat, OutputOption, emit, plain
from fleetops.errors import BadInput

aws_app = typer.Typer(name="aws", help="Prepare an AWS account for an aws environment.", no_args_is_help=True)
app.add_typer(aws_app)


@aws_app.command("bootstrap")
def bootstrap_command(
    *,
    env: Annotated[str, typer.Option("--env", help="The aws environment of the fleet file.")],
    file: FleetFileOption = Path("fleet.yaml"),
    image_id: Annotated[
        str | None, typer.Option(help="AMI of new launch templates (default: aws.images of the version).")
    ] = None,
    instance_type: Annotated[str, typer.Option(help="Instance type of new launch templates.")] = "t3.micro",
    subnets: Annotated[
        str | None,
        typer.Option(help="Comma-separated subnet ids of new groups (default: the default VPC's)."),
    ] = None,
    version: Annotated[str, typer.Option(help="The version new launch templates are tagged with.")] = "v1",
    write: Annotated[bool, typer.Option(help="Write the new resources' ids into the fleet file.")] = True,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create what the environment's services need and the account lacks (target groups, launch
    templates, Auto Scaling groups); print what was made."""
    from fleetops.providers.aws.bootstrap import bootstrap, rewrite_file
    from fleetops.providers.aws.session import AwsClients
    from fleetops.spec.loader import load_fleet
    from fleetops.spec.models import AwsSettings

    fleet = load_fleet(file)
    settings = fleet.environments.get(env)
    if not isinstance(settings, AwsSettings):
        known = ", ".join(n for n, e in fleet.environments.items() if isinstance(e, AwsSettings)) or "none"
        raise BadInput(f"environment {env!r} is not an aws environment of {file} (aws ones: {known})")
    clients = AwsClients(settings.region, settings.profile)
    made = bootstrap(
        fleet,
        env,
        clients,
        image_id=image_id,
        instance_type=instance_type,
        subnets=[s for s in (subnets or "").split(",") if s],
        first_version=version,
    )
    changes = rewrite_file(file, made) if write else []

    def render(console: Console) -> None:
        if not made:
            console.print(f"environment {env}: every resource exists; nothing was made", markup=False)
            return
        table = Table("service", "made", "name", "id", title=f"environment {env}: made in {settings.region}")
        for item in made:
            table.add_row(plain(item.service), plain(item.kind), plain(item.name), plain(item.identifier))
        console.print(table)
        for change in changes:
            console.print(f"{file}: {change}", markup=False)
        if made and not write:
            console.print("the fleet file was not changed (--no-write): put these ids in it", markup=False)

    emit({"made": [m.to_json() for m in made], "file_changes": changes}, output, render)
