"""The HTTP client every CLI command that talks to the control plane uses.

It finds the server and a token: ``$FLEETOPS_URL`` / ``$FLEETOPS_TOKEN`` win, else
``<state_dir>/server.json`` (written by ``fleetops server``) and ``<state_dir>/token`` (the admin
token written on first start), the default ``.fleetops`` looked for upward from a subfolder.
It maps error responses to fleetops errors carrying the
server's message, so the CLI exits with the matching code: 401/403 -> ``NotAuthorised`` (4),
423 -> ``Refused`` (3), other 4xx -> ``BadInput`` (2), 5xx -> ``FleetopsError`` (1).

    with connect() as api:
        me = api.get("/whoami")
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from fleetops.cli import discovery
from fleetops.errors import BadInput, FleetopsError, NotAuthorised, Refused
from fleetops.server.settings import DEFAULT_STATE_DIR, TOKEN_FILE, read_server_file
from fleetops.tls import default_tls

URL_ENV = "FLEETOPS_URL"
TOKEN_ENV = "FLEETOPS_TOKEN"
API_PREFIX = "/api/v1"
NOT_AUTHORISED_STATUSES = frozenset({401, 403})
REFUSED_STATUSES = frozenset({423})


class Reader(Protocol):
    """What following an execution needs of a client: its GETs (``ApiClient``, or the drill's
    client that finds a restarted control plane again)."""

    def get(self, path: str) -> Any: ...


@dataclass(frozen=True)
class ServerAddress:
    """Where the server is and which token to send (None: no token found)."""

    url: str
    token: str | None


def locate_server(state_dir: Path = DEFAULT_STATE_DIR) -> ServerAddress:
    """The server's URL and token, from the environment or ``state_dir``.

    Raises ``FleetopsError`` when no server is known.
    """
    url = os.environ.get(URL_ENV)
    state_dir = discovery.state_dir(state_dir)
    if not url:
        url = (read_server_file(state_dir) or {}).get("url")
    if not url:
        raise FleetopsError(
            f"no fleetops server found: {state_dir / 'server.json'} does not exist; start one with "
            f"`fleetops server`, or set {URL_ENV} to a server's URL"
        )
    token = os.environ.get(TOKEN_ENV) or _read_token(state_dir)
    return ServerAddress(url=url.rstrip("/"), token=token)


def _read_token(state_dir: Path) -> str | None:
    try:
        return (state_dir / TOKEN_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


class ApiClient:
    """A thin client of ``/api/v1``: JSON in, JSON out, errors as fleetops errors."""

    def __init__(self, address: ServerAddress, *, timeout: float = 30.0) -> None:
        self.address = address
        headers = {"Authorization": f"Bearer {address.token}"} if address.token else {}
        # httpx builds a TLS context and loads the CA bundle into it for every client (~20 ms of
        # CPU, a tenth of a command's) unless told not to verify: an http:// server (the local
        # control plane) is sent nothing over TLS, and this client follows no redirects.
        verify = default_tls() if address.url.startswith("https://") else False
        self._http = httpx.Client(
            base_url=address.url + API_PREFIX, headers=headers, timeout=timeout, verify=verify
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        flags: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a request to ``/api/v1{path}``; the decoded JSON body, or a fleetops error.

        Errors name the command's options, not the request's fields: ``query.since`` is said
        ``--since``; ``flags`` maps the fields whose option has another name (``duration`` ->
        ``--for``).
        """
        query = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            response = self._http.request(method, path, json=json, params=query)
        except httpx.TimeoutException as err:
            raise FleetopsError(f"the fleetops server at {self.address.url} did not answer in time") from err
        except httpx.TransportError as err:
            raise FleetopsError(
                f"cannot reach the fleetops server at {self.address.url} ({err}); is it running? "
                "(`fleetops server`)"
            ) from err
        raise_for_status(response, sent_token=self.address.token is not None, flags=flags or {})
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with query ``params`` (None values are left out)."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, *, flags: Mapping[str, str] | None = None) -> Any:
        """POST ``body`` as JSON to ``path`` (``flags``: see ``request``)."""
        return self.request("POST", path, json=body, flags=flags)

    def delete(self, path: str) -> Any:
        """DELETE ``path``."""
        return self.request("DELETE", path)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def connect(state_dir: Path = DEFAULT_STATE_DIR) -> ApiClient:
    """A client of the server found by ``locate_server(state_dir)``."""
    return ApiClient(locate_server(state_dir))


_FIELD = re.compile(r"\b(?:query|body)\.([A-Za-z_]\w*)")


def in_flags(text: str, flags: Mapping[str, str]) -> str:
    """``text`` with request fields (``query.since``, ``body.duration``) said as the options a
    user typed (``--since``, or what ``flags`` names them)."""
    return _FIELD.sub(lambda m: flags.get(m[1], "--" + m[1].replace("_", "-")), text)


def raise_for_status(
    response: httpx.Response, *, sent_token: bool = True, flags: Mapping[str, str] | None = None
) -> None:
    """Raise the fleetops error matching an error response (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    message = in_flags(body.get("message") or f"HTTP {status} {response.reason_phrase}".strip(), flags or {})
    if status in NOT_AUTHORISED_STATUSES:
        if status == 401 and not sent_token:
            message += f"; set {TOKEN_ENV}, or run where {DEFAULT_STATE_DIR / TOKEN_FILE} exists"
        raise NotAuthorised(message)
    if status in REFUSED_STATUSES:
        raise Refused(message)
    if status < 500:
        problems = body.get("problems")
        said = [in_flags(str(p), flags or {}) for p in problems] if isinstance(problems, list) else []
        raise BadInput(message, said or None)
    raise FleetopsError(f"the server failed: {message}")
