"""``fleetops token create|list|rotate|revoke``: API tokens (needs an admin token)."""

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
    name="token", help="Create, list, rotate and revoke API tokens (admin).", no_args_is_help=True
)
app.add_typer(token_app)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the token: who or what will use it.")],
    role: Annotated[Role, typer.Option(help="What the token may do: viewer < operator < admin.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Lifetime from now (90d, 12h); default: never expires.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    body: dict[str, Any] = {"name": name, "role": str(role)}
    if expires is not None:
        body["expires"] = expires
    with connect() as api:
        created: dict[str, Any] = api.post("/tokens", body, flags={"expires": "--expires"})
    emit(created, output, _render_secret(created, "created"))


def _render_secret(token: dict[str, Any], verb: str) -> Any:
    def render(console: Console) -> None:
        # Only the token on stdout, so `TOKEN=$(fleetops token create ci --role operator)` works.
        expiry = f", expires {short_time(token['expires_at'])}" if token.get("expires_at") else ""
        err_console.print(
            Text.assemble(
                "token ",
                (token["name"], "bold"),
                f" ({token['role']}{expiry}) {verb}; store it now, it is shown once:",
            )
        )
        console.print(token["token"], highlight=False, soft_wrap=True)

    return render


@token_app.command("rotate")
def rotate(
    name: Annotated[str, typer.Argument(help="The token to give a new secret.")],
    grace: Annotated[
        str, typer.Option("--grace", help="How long the old secret keeps working (0s: not at all).")
    ] = "1h",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Give a token a new secret (printed once); the old one keeps working for --grace."""
    with connect() as api:
        rotated: dict[str, Any] = api.post(
            f"/tokens/{name}/rotate", {"grace": grace}, flags={"grace": "--grace"}
        )
    emit(
        rotated,
        output,
        _render_secret(
            rotated, f"rotated (the old secret works until {short_time(rotated['previous_expires_at'])})"
        ),
    )


@token_app.command("list")
def list_tokens(output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False) -> None:
    """List tokens: name, role, when and by whom created, last use, expiry (never the tokens)."""
    with connect() as api:
        tokens: list[dict[str, Any]] = api.get("/tokens")["tokens"]

    emit_rows(
        tokens,
        output,
        columns=("name", "role", "created", "by", "last used", "expires"),
        row=lambda token: (
            token["name"],
            token["role"],
            short_time(token["created_at"]),
            token["created_by"],
            short_time(token["last_used_at"]) if token["last_used_at"] else "never",
            short_time(token["expires_at"]) if token["expires_at"] else "never",
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
