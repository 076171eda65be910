"""The shared TLS context: httpx's default one, built without importing httpx or certifi."""

from __future__ import annotations

import certifi
import httpx
import pytest

from fleetops.tls import certifi_bundle, default_tls


def test_the_ca_bundle_is_certifis() -> None:
    assert certifi_bundle() == certifi.where()


def test_the_context_trusts_what_httpxs_default_trusts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    built = default_tls.__wrapped__()
    assert built.get_ca_certs() == httpx.create_ssl_context().get_ca_certs()
    assert built.check_hostname is True
