"""moto's server on a free loopback port, with fleetops' shims, for tests of the aws provider.

    with moto_server() as moto:
        run_cli([...], cwd=folder, env=moto.env)      # a separate process reaches it too
        boto3.client("autoscaling", region_name="eu-west-1")   # in-process: moto.env is set

The server runs in this process (a thread), so a test can look at moto's backends and steer
the shims (``fleetops.testing.moto_shims``) while a control plane process talks to it through
``AWS_ENDPOINT_URL``. It is reset when the block ends.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from moto.server import ThreadedMotoServer

from fleetops.testing import moto_shims

MOTO_IMAGE = "ami-12c6146b"
"""An AMI id moto knows (for launch templates made in tests)."""
MOTO_ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class MotoEndpoint:
    """A running moto server: its URL and the environment that points boto3 at it."""

    url: str
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[MotoEndpoint]:
    """Start moto (shims installed) and point this process's boto3 at it; reset and stop after."""
    moto_shims.install()
    # Its request log would flood the test output; warnings and errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }
    saved = {key: os.environ.get(key) for key in (*MOTO_ENV_KEYS, "AWS_PROFILE")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(env)
    try:
        yield MotoEndpoint(url, env)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            httpx.post(f"{url}/moto-api/reset", timeout=10)
        finally:
            moto_shims.reset()
            server.stop()
