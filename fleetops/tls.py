"""One TLS context per process for the HTTP clients fleetops makes.

``httpx.Client()`` builds a TLS context and loads the CA bundle into it each time (~20 ms of
CPU); the control plane makes a client per app and one per service runtime, and the tests start
thousands of apps in process. The context is only read once built, so the clients share it.

It is built as httpx builds its default one (``httpx.create_ssl_context()``), without importing
httpx (the CLI's client uses the standard library's, ``cli/client.py``) or certifi: certifi
imports ``importlib.resources`` (~60 ms of CPU here) to say where its CA bundle is, a CLI call
to an http:// control plane needs no CA bundle, and this module is imported by every one.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import ssl
from pathlib import Path


@functools.cache
def default_tls() -> ssl.SSLContext:
    """httpx's default context: ``$SSL_CERT_FILE``, else ``$SSL_CERT_DIR``, else certifi's CA
    bundle; built once."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi_bundle())


def certifi_bundle() -> str:
    """The file ``certifi.where()`` names (``cacert.pem`` in certifi's package folder), found
    without importing certifi."""
    spec = importlib.util.find_spec("certifi")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("certifi (httpx's dependency, its CA bundle) is not installed")
    return str(Path(spec.origin).with_name("cacert.pem"))
