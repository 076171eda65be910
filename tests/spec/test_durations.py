"""Durations: parsing the forms people write, formatting them back, and rejecting the rest."""

from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from fleetops.spec.duration_field import Duration
from fleetops.spec.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("30d", timedelta(days=30)),
        ("1h30m", timedelta(minutes=90)),
        ("0s", timedelta(0)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "s", "5x", "1 s", "-5s", "1.5s"])
def test_parse_rejects_with_expected_form(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"expected a duration like 500ms, 30s, 5m, 2h or 30d, got {text!r}"


def test_parse_rejects_units_out_of_order() -> None:
    with pytest.raises(ValueError, match="each unit once, largest first, got '30m1h'"):
        parse_duration("30m1h")


def test_parse_rejects_absurdly_long() -> None:
    with pytest.raises(ValueError, match="at most 36500d"):
        parse_duration("99999999999d")


@pytest.mark.parametrize(
    ("value", "text"),
    [(timedelta(seconds=90), "1m30s"), (timedelta(milliseconds=1500), "1s500ms"), (timedelta(0), "0s")],
)
def test_format(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


class _Model(BaseModel):
    every: Duration


def test_field_type_parses_and_serialises_back() -> None:
    model = _Model.model_validate({"every": "1h30m"})
    assert model.every == timedelta(minutes=90)
    assert model.model_dump(mode="json") == {"every": "1h30m"}


def test_field_type_rejects_numbers() -> None:
    with pytest.raises(ValidationError, match="got int 30"):
        _Model.model_validate({"every": 30})


def test_field_type_schema_is_a_pattern_string() -> None:
    schema = _Model.model_json_schema()["properties"]["every"]
    assert schema["type"] == "string"
    assert schema["pattern"] == r"^(\d+(ms|s|m|h|d))+$"
