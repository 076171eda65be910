"""Redaction of secret values before anything is recorded or printed."""

from __future__ import annotations

import pytest

from fleetops.redaction import is_secret_key, redact, redact_text


@pytest.mark.parametrize(
    "key",
    ["password", "db_password", "dbPassword", "SECRET", "client-secret", "token", "api_key", "apiKey",
     "AWSSecretAccessKey", "ssh_keys", "Authorization", "private_key_pem", "credentials"],
)  # fmt: skip
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["name", "monkey", "secret_name", "key_id", "token_name", "tokenizer", "role", "keyboard", ""]
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_replaces_whole_subtrees_and_walks_lists() -> None:
    value = {
        "name": "ci",
        "token": {"value": "abc", "expires": 3},
        "steps": [{"password": "x"}, "plain", 3, None],
        "nested": {"deeper": {"apiKey": ["a", "b"]}},
    }
    assert redact(value) == {
        "name": "ci",
        "token": "***",
        "steps": [{"password": "***"}, "plain", 3, None],
        "nested": {"deeper": {"apiKey": "***"}},
    }


def test_redact_leaves_its_input_alone() -> None:
    value = {"password": "x"}
    redact(value)
    assert value == {"password": "x"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:hunter2@db:5432/orders", "postgresql://app:***@db:5432/orders"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("go to https://example.com/a:b@c", "go to https://example.com/a:b@c"),
        ("user@host and http://u@h", "user@host and http://u@h"),
    ],
)
def test_redact_text_hides_url_passwords(text: str, expected: str) -> None:
    assert redact_text(text) == expected
