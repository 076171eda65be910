"""``fleetops secrets list | describe | versions | history | put | get | rotate``: the secret store.

Values are never printed, except by ``get --reveal`` (admin only, and audited).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.deploy import follow_started
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput

secrets_app = typer.Typer(
    name="secrets",
    help="Secrets: versions with staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS), encrypted at "
    "rest; rotated with proof that every instance picked the new value up.",
    no_args_is_help=True,
)
app.add_typer(secrets_app)

EnvOption = Annotated[
    str | None, typer.Option("--env", "-e", help="The environment; default: the only one the server runs.")
]
NameArgument = Annotated[str, typer.Argument(help="The secret's name, as in the fleet file.")]


def _path(name: str, tail: str = "") -> str:
    return f"/secrets/{name}{tail}"


def _labels(version: dict[str, Any]) -> str:
    return ", ".join(version["stages"]) or "-"


def _every(seconds: float | None) -> str:
    if seconds is None:
        return "manual"
    days, rest = divmod(int(seconds), 86400)
    return f"{days}d" if rest == 0 else f"{int(seconds)}s"


@secrets_app.command("list")
def list_secrets(
    env: EnvOption = None, output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False
) -> None:
    """Every secret: current version, rotation interval and when the next rotation is due."""
    with connect() as api:
        answer: dict[str, Any] = api.get("/secrets", environment=env)
    emit_rows(
        answer["secrets"],
        output,
        empty=f"no secrets in {answer['environment']}",
        columns=("name", "current version", "since", "rotation", "next rotation"),
        row=lambda s: (
            s["name"],
            s["current_version"] or "-",
            short_time(s["current_since"]) if s["current_since"] else "-",
            _every(s["rotation_every_s"]),
            "-"
            if s["next_rotation"] is None
            else short_time(s["next_rotation"]) + (" (overdue)" if s["overdue"] else ""),
        ),
        headers=not no_headers,
    )


@secrets_app.command("describe")
def describe(name: NameArgument, env: EnvOption = None, output: OutputOption = OutputFormat.TABLE) -> None:
    """One secret: description, what it guards, rotation, and its versions (no values)."""
    with connect() as api:
        answer: dict[str, Any] = api.get(_path(name), environment=env)

    def render(console: Any) -> None:
        lines = [
            f"secret {answer['name']} in {answer['environment']}",
            f"  description: {answer['description'] or '-'}",
            f"  guards: {answer['guards'] or 'nothing (an app key)'}",
            f"  rotation: {_every(answer['rotation_every_s'])}"
            + (f", next {short_time(answer['next_rotation'])}" if answer["next_rotation"] else ""),
        ]
        lines += [
            f"  version {v['number']} {v['version_id']} {short_time(v['created_at'])} "
            f"({v['source']}): {_labels(v)}"
            for v in answer["version_list"]
        ]
        console.print("\n".join(lines), highlight=False, markup=False)

    emit(answer, output, render)


@secrets_app.command("versions")
def versions(
    name: NameArgument,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """The secret's versions, oldest first, with their staging labels (no values)."""
    with connect() as api:
        answer: dict[str, Any] = api.get(_path(name, "/versions"), environment=env)
    emit_rows(
        answer["versions"],
        output,
        columns=("#", "version id", "created", "by", "source", "user", "labels"),
        row=lambda v: (
            str(v["number"]),
            v["version_id"],
            short_time(v["created_at"]),
            v["created_by"],
            v["source"],
            v.get("username") or "-",
            _labels(v),
        ),
        headers=not no_headers,
    )


@secrets_app.command("history")
def history(
    name: NameArgument,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """Versions made and staging labels moved, oldest first (no values)."""
    with connect() as api:
        answer: dict[str, Any] = api.get(_path(name, "/history"), environment=env)

    def what(event: dict[str, Any]) -> str:
        detail = event["detail"]
        if event["action"] == "stage.moved":
            return f"{detail['stage']} -> {event['version_id']}" + (
                f" (from {detail['from']})" if detail["from"] else ""
            )
        if event["action"] == "stage.removed":
            return f"{detail['stage']} removed from {event['version_id']}"
        # Set through the Secrets Manager endpoint (aws secretsmanager ...).
        if event["action"] == "secret.described":
            return f"description set: {detail.get('description', '')}"
        if event["action"] == "secret.deleted":
            return f"deletion scheduled for {short_time(detail['delete_on'])}"
        if event["action"] == "secret.restored":
            return "deletion cancelled"
        if event["action"] == "version.revoked":
            return f"version {event['version_id']} revoked (no instance used it any more)"
        user = f", user {detail['username']}" if detail.get("username") else ""
        return f"version {event['version_id']} created ({detail.get('source', '')}{user})"

    emit_rows(
        answer["events"],
        output,
        columns=("at", "by", "what"),
        row=lambda e: (short_time(e["at"]), e["by"], what(e)),
        headers=not no_headers,
    )


@secrets_app.command("put")
def put(
    name: NameArgument,
    value_file: Annotated[
        Path | None, typer.Option("--value-file", help="Read the value from this file ('-': standard input).")
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a value of the secret's length.")
    ] = False,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A new version that becomes AWSCURRENT (the current one becomes AWSPREVIOUS). Instances
    started from then on get it; running ones keep theirs until replaced (a deploy or rollout)."""
    if (value_file is None) == (not generate):
        raise BadInput("give exactly one of --value-file FILE and --generate")
    body: dict[str, Any] = {"environment": env, "generate": generate}
    if value_file is not None:
        body["secret_value"] = _read_value(value_file)
    with connect() as api:
        answer: dict[str, Any] = api.post(
            _path(name, "/versions"), body, flags={"secret_value": "--value-file", "environment": "--env"}
        )
    emit(
        answer,
        output,
        lambda console: console.print(
            f"secret {name} in {answer['environment']}: version {answer['number']} {answer['version_id']} "
            f"is {_labels(answer)}",
            highlight=False,
            markup=False,
        ),
    )


def _read_value(path: Path) -> str:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"--value-file {path}: cannot read it: {err}") from err
    # A file written by an editor or `echo` ends with a newline that is not part of the value.
    return text[:-1] if text.endswith("\n") else text


@secrets_app.command("get")
def get(  # noqa: PLR0917 - typer passes options by keyword; their order is the help's
    name: NameArgument,
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the value (admin only; audited).")] = False,
    version_stage: Annotated[
        str | None, typer.Option("--version-stage", help="AWSCURRENT (default), AWSPENDING or AWSPREVIOUS.")
    ] = None,
    version_id: Annotated[
        str | None, typer.Option("--version-id", help="A version id instead of a label.")
    ] = None,
    env: EnvOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The value of a version. Without --reveal nothing is printed: values are shown only when asked."""
    if not reveal:
        raise BadInput(
            f"`fleetops secrets get {name}` prints the value only with --reveal (admin only, audited); "
            f"`fleetops secrets describe {name}` shows everything else"
        )
    with connect() as api:
        answer: dict[str, Any] = api.post(
            _path(name, "/reveal"),
            {"environment": env, "version_stage": version_stage, "version_id": version_id},
            flags={"version_stage": "--version-stage", "version_id": "--version-id", "environment": "--env"},
        )

    def render(_console: Any) -> None:
        # Plain, so `$(fleetops secrets get NAME --reveal)` is the value and nothing else.
        sys.stdout.write(answer["value"] + "\n")

    emit(answer, output, render)


@secrets_app.command("rotate")
def rotate(
    name: NameArgument,
    env: EnvOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow it to the end; exit 1 unless it succeeds.")
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Rotate a secret: a new value set on what it guards and tested, made AWSCURRENT, every
    service using it redeployed (health- and alarm-gated), every instance's pickup proven, then
    the previous value revoked; operator. A failure leaves the previous value working."""
    with connect() as api:
        started: dict[str, Any] = api.post(_path(name, "/rotations"), {"environment": env})
        follow_started(api, started, wait, output)
