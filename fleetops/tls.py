"""One TLS context per process for the HTTP clients fleetops makes.

``httpx.Client()`` builds a TLS context and loads the CA bundle into it each time (~20 ms of
CPU); the control plane makes a client per app and one per service runtime, and the tests start
thousands of apps in process. The context is only read once built, so the clients share it.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def default_tls() -> ssl.SSLContext:
    """httpx's default context (the CA bundle, ``SSL_CERT_FILE``/``SSL_CERT_DIR``), built once."""
    return httpx.create_ssl_context()
