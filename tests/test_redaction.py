"""Redaction of secret values before anything is recorded or printed."""

from __future__ import annotations

import json

import pytest

from fleetops.redaction import (
    Redactor,
    SecretValues,
    is_secret_key,
    redact,
    redact_text,
    secret_redactor,
    url_passwords,
)


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


# -- redaction by value: the pipeline every outgoing text passes through -----------------------


def test_secret_values_are_replaced_wherever_they_appear() -> None:
    redactor = secret_redactor(lambda: {"hunter2-long", "s3cr3t"})
    assert (
        redactor.text("pw=hunter2-long; again hunter2-long, token s3cr3t.") == "pw=***; again ***, token ***."
    )


def test_a_value_containing_another_is_replaced_whole() -> None:
    redactor = secret_redactor(lambda: {"abcd", "abcdefgh"})
    assert redactor.text("x abcdefgh y abcd") == "x *** y ***"


def test_the_json_spelling_of_a_value_is_replaced_too() -> None:
    value = 'pa"ss\\word'
    text = json.dumps({"msg": f"password is {value}"})
    assert secret_redactor(lambda: {value}).text(text) == '{"msg": "password is ***"}'


def test_url_passwords_are_replaced_after_the_values() -> None:
    redactor = secret_redactor(lambda: {"hunter2-long"})
    assert redactor.text("postgres://u:PASS@h/db and hunter2-long") == "postgres://u:***@h/db and ***"


def test_the_source_is_read_on_each_use() -> None:
    values: set[str] = set()
    redactor = secret_redactor(lambda: values)
    assert redactor.text("rotated-value-1") == "rotated-value-1"
    values.add("rotated-value-1")
    assert redactor.text("rotated-value-1") == "***"


def test_current_and_previous_values_are_both_replaced() -> None:
    redactor = secret_redactor(lambda: {"current-value", "previous-value"})
    assert redactor.text("now current-value, before previous-value") == "now ***, before ***"


def test_a_value_too_short_to_redact_reliably_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match=r"^1 secret value\(s\) shorter than 4 characters cannot be"):
        secret_redactor(lambda: {"abc", "long-enough"})


def test_steps_must_be_callables() -> None:
    with pytest.raises(TypeError, match="redaction steps must be callables"):
        Redactor(["not a step"])  # type: ignore[list-item]


def test_value_walks_keys_lists_and_tuples_and_leaves_other_scalars() -> None:
    redactor = Redactor([SecretValues.of({"topsecret"}), url_passwords])
    value = {"topsecret": ["a topsecret", ("topsecret",), 3, None, True], "n": 1.5}
    assert redactor.value(value) == {"***": ["a ***", ["***"], 3, None, True], "n": 1.5}
    assert value["topsecret"][0] == "a topsecret"  # the input is left as it was
