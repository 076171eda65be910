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

import http.client
import json as jsonlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote, urlencode, urlsplit

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


class Answer(Protocol):
    """What ``raise_for_status`` reads of a response (``Response``, or an ``httpx.Response``)."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason_phrase(self) -> str: ...

    def json(self) -> Any: ...


@dataclass(frozen=True)
class Response:
    """A response of the control plane, read whole."""

    status_code: int
    content: bytes

    @property
    def reason_phrase(self) -> str:
        """The standard phrase of the status (``Bad Gateway``), or "" for one not registered."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    def json(self) -> Any:
        """The body decoded as JSON (``ValueError`` when it is not)."""
        return jsonlib.loads(self.content)


class ApiClient:
    """A thin client of ``/api/v1``: JSON in, JSON out, errors as fleetops errors.

    It speaks HTTP/1.1 with the standard library's ``http.client``, one connection per request
    (to a local server, connecting costs next to nothing, and a connection the server closed
    while idle is never reused). httpx did this before: importing it (and httpcore, h11,
    urllib.request, the email package...) cost ~0.2 s of CPU, about half of a ``fleetops status``,
    in every CLI call that talks to the server. What is sent is what httpx sent: the query
    without its ``None`` values, ``true``/``false`` for booleans, a list as repeated keys; a body
    as compact UTF-8 JSON. Unlike httpx, it does not go through ``$HTTP_PROXY``/``$HTTPS_PROXY``.
    """

    def __init__(self, address: ServerAddress, *, timeout: float = 30.0) -> None:
        self.address = address
        self.timeout = timeout
        self._headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if address.token:
            self._headers["Authorization"] = f"Bearer {address.token}"

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
        target = _quote_path(path)
        if query:
            target += "?" + urlencode(
                [(key, _query_value(v)) for key, value in query.items() for v in _listed(value)]
            )
        headers = dict(self._headers)
        body = None
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self._send(method, target, body, headers)
        except TimeoutError as err:
            raise FleetopsError(f"the fleetops server at {self.address.url} did not answer in time") from err
        except (OSError, http.client.HTTPException) as err:
            raise FleetopsError(
                f"cannot reach the fleetops server at {self.address.url} ({_said(err)}); is it running? "
                "(`fleetops server`)"
            ) from err
        raise_for_status(response, sent_token=self.address.token is not None, flags=flags or {})
        return response.json() if response.content else None

    def _send(self, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> Response:
        url = urlsplit(self.address.url)
        if not url.scheme or not url.netloc:
            raise http.client.InvalidURL("Request URL is missing an 'http://' or 'https://' protocol.")
        if url.scheme not in ("http", "https"):
            raise http.client.InvalidURL(f"Request URL has an unsupported protocol '{url.scheme}://'.")
        try:
            host, port = url.hostname or "", url.port
        except ValueError as err:
            raise http.client.InvalidURL(str(err)) from err
        connection: http.client.HTTPConnection
        if url.scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=default_tls())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            connection.request(method, _quote_path(url.path.rstrip("/") + API_PREFIX) + target, body, headers)
            answer = connection.getresponse()
            return Response(answer.status, answer.read())
        finally:
            connection.close()

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
        """Nothing to close: each request closes its connection (kept for ``with``)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_ESCAPED = re.compile(r"%[0-9A-Fa-f]{2}")
# RFC 3986's characters allowed in a path besides the unreserved ones, as httpx leaves them.
_PATH_SAFE = "!$&'()*+,;=:@/"


def _quote_path(path: str) -> str:
    """``path`` percent-encoded where a URL's path needs it, its ``%xx`` escapes kept (as httpx)."""
    kept = _ESCAPED.findall(path)
    parts = [quote(part, safe=_PATH_SAFE) for part in _ESCAPED.split(path)]
    return "".join(part + escape for part, escape in zip(parts, [*kept, ""], strict=True))


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _query_value(value: Any) -> str:
    """A query value as httpx writes it: JSON's ``true``/``false`` for booleans."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _said(err: BaseException) -> str:
    # httpx's words for a server that closed the connection without answering.
    if isinstance(err, http.client.RemoteDisconnected):
        return "Server disconnected without sending a response."
    return str(err)


def connect(state_dir: Path = DEFAULT_STATE_DIR) -> ApiClient:
    """A client of the server found by ``locate_server(state_dir)``."""
    return ApiClient(locate_server(state_dir))


_FIELD = re.compile(r"\b(?:query|body)\.([A-Za-z_]\w*)")


def in_flags(text: str, flags: Mapping[str, str]) -> str:
    """``text`` with request fields (``query.since``, ``body.duration``) said as the options a
    user typed (``--since``, or what ``flags`` names them)."""
    return _FIELD.sub(lambda m: flags.get(m[1], "--" + m[1].replace("_", "-")), text)


def raise_for_status(
    response: Answer, *, sent_token: bool = True, flags: Mapping[str, str] | None = None
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
