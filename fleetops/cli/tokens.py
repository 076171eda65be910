"""``fleetops token create|list|revoke``: API tokens (needs an admin token)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows, err_console
from fleetops.cli.timefmt import short_time
from fleetops.server.roles import Role

token_app = typer.Typer(
    name="token", help="Create, list and revoke API tokens (admin).", no_args_is_help=True
)
app.add_typer(token_app)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the token: who or what will use it.")],
    role: Annotated[Role, typer.Option(help="What the token may do: viewer < operator < admin.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    with connect() as api:
        created: dict[str, Any] = api.post("/tokens", {"name": name, "role": str(role)})

    def render(console: Console) -> None:
        # Only the token on stdout, so `TOKEN=$(fleetops token create ci --role operator)` works.
        err_console.print(
            Text.assemble(
                "token ",
                (created["name"], "bold"),
                f" ({created['role']}) created; store it now, it is shown once:",
            )
        )
        console.print(created["token"], highlight=False, soft_wrap=True)

    emit(created, output, render)


@token_app.command("list")
def list_tokens(output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False) -> None:
    """List tokens: name, role, when and by whom created (never the tokens themselves)."""
    with connect() as api:
        tokens: list[dict[str, Any]] = api.get("/tokens")["tokens"]

    emit_rows(
        tokens,
        output,
        columns=("name", "role", "created", "by"),
        row=lambda token: (
            token["name"],
            token["role"],
            short_time(token["created_at"]),
            token["created_by"],
        ),
        headers=not no_headers,
    )


@token_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The token to revoke.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Revoke a token: it stops working at once."""
    with connect() as api:
        revoked: dict[str, Any] = api.delete(f"/tokens/{name}")
    emit(revoked, output, lambda console: console.print(Text.assemble("token ", (name, "bold"), " revoked")))
