"""The control-plane app served on a free port in a thread, and boto3 clients pointed at it.

with api_harness(tmp_path) as api, serving(api.app) as url:
    sfn = sfn_client(url, api.tokens[Role.ADMIN])
    sfn.create_state_machine(name="m", definition=..., roleArn="arn:aws:iam::123456789012:role/r")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import uvicorn
from botocore.config import Config
from fastapi import FastAPI

from fleetops.control import ExecutionService
from fleetops.server.roles import Role
from fleetops.testing.api import ApiHarness

ROLE_ARN = "arn:aws:iam::123456789012:role/fleetops"
"""A role ARN for CreateStateMachine (fleetops keeps it, as AWS does, and assumes nothing)."""


@contextmanager
def serving(app: FastAPI, *, timeout: float = 15.0) -> Iterator[str]:
    """Run ``app`` (lifespan included) with uvicorn in a thread; yield its URL; stop it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # (uvicorn leaves signal handling alone outside the main thread.)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def sfn_client(url: str, token: str, *, read_timeout: float = 65.0) -> Any:
    """``boto3.client("stepfunctions")`` for the server at ``url``, signing in with ``token``."""
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=token,
        aws_secret_access_key="unused",
        config=Config(read_timeout=read_timeout, retries={"max_attempts": 1}),
    )


@dataclass
class SfnHarness:
    """A served API harness, its execution service, and a boto3 client per role."""

    api: ApiHarness
    url: str
    clients: dict[Role, Any]

    @property
    def admin(self) -> Any:
        """The admin's client."""
        return self.clients[Role.ADMIN]

    @property
    def service(self) -> ExecutionService:
        """The app's execution service (register handlers on ``service.registry``)."""
        service: ExecutionService = self.api.app.state.executions
        return service


@contextmanager
def sfn_harness(api: ApiHarness) -> Iterator[SfnHarness]:
    """Serve ``api.app`` and make a client for each of its tokens."""
    with serving(api.app) as url:
        yield SfnHarness(api, url, {role: sfn_client(url, token) for role, token in api.tokens.items()})
