"""Typed SQL values of the Insights compiler, and the conversions between their kinds.

Log records are JSON, so a field read from a record has no type until it is used: ``status >=
500`` compares it as a number, ``level = "ERROR"`` as text (a value that is not a number does
not match a numeric comparison, as in CloudWatch). Every result value is text, as
GetQueryResults returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    JSON = "json"
    """Text read from a record: a string, or a number, boolean or object written as JSON."""
    NUM = "num"
    STR = "str"
    BOOL = "bool"
    TIME = "time"
    """A UTC ``TIMESTAMP``."""


@dataclass(frozen=True)
class Value:
    sql: str
    kind: Kind


TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%g"
"""How a time is shown (Logs Insights' own format; always UTC)."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def as_num(value: Value) -> str:
    if value.kind is Kind.NUM:
        return value.sql
    if value.kind is Kind.TIME:
        return f"CAST(epoch_ms({value.sql}) AS DOUBLE)"
    if value.kind is Kind.BOOL:
        return f"CAST({value.sql} AS DOUBLE)"
    return f"TRY_CAST({value.sql} AS DOUBLE)"


def as_text(value: Value) -> str:
    if value.kind in (Kind.JSON, Kind.STR):
        return value.sql
    if value.kind is Kind.TIME:
        return f"strftime({value.sql}, {quote_text(TIME_FORMAT)})"
    if value.kind is Kind.BOOL:
        return f"CASE WHEN {value.sql} THEN 'true' WHEN NOT {value.sql} THEN 'false' END"
    # Whole numbers print without a fraction ("500", not "500.0"), as CloudWatch shows them.
    return (
        f"CASE WHEN isfinite({value.sql}) AND {value.sql} = trunc({value.sql}) "
        f"AND abs({value.sql}) < 1e15 THEN CAST(CAST({value.sql} AS BIGINT) AS VARCHAR) "
        f"ELSE CAST({value.sql} AS VARCHAR) END"
    )


def as_bool(value: Value) -> str:
    if value.kind is Kind.BOOL:
        return value.sql
    if value.kind is Kind.NUM:
        return f"({value.sql} <> 0)"
    if value.kind is Kind.TIME:
        return f"({value.sql} IS NOT NULL)"
    return f"(lower({value.sql}) = 'true' OR TRY_CAST({value.sql} AS DOUBLE) <> 0)"


def as_time(value: Value) -> str:
    if value.kind is Kind.TIME:
        return value.sql
    if value.kind is Kind.NUM:
        return f"CAST(make_timestamp(CAST({value.sql} * 1000 AS BIGINT)) AS TIMESTAMP)"
    return f"CAST(TRY_CAST({value.sql} AS TIMESTAMPTZ) AS TIMESTAMP)"
