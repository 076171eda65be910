"""The Insights functions, as SQL over typed values.

Scalar functions (string, numeric, datetime, IP, general) and the aggregates ``stats`` takes,
named and defined as in AWS's "Boolean, comparison, numeric, datetime, and other functions" and
"stats" pages. The IP functions run in Python (``ipaddress``), registered on the connection by
the executor, because DuckDB's inet extension is not bundled.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from fleetops.ops.logquery.values import Kind, Value, as_num, as_text, as_time

Scalar = Callable[[Sequence[Value]], Value]


def _text(sql: str) -> Value:
    return Value(sql, Kind.STR)


def _num(sql: str) -> Value:
    return Value(sql, Kind.NUM)


def _bool(sql: str) -> Value:
    return Value(sql, Kind.BOOL)


def _time(sql: str) -> Value:
    return Value(sql, Kind.TIME)


def _coalesce(args: Sequence[Value]) -> Value:
    kinds = {arg.kind for arg in args}
    if len(kinds) == 1:
        return Value(f"coalesce({', '.join(arg.sql for arg in args)})", args[0].kind)
    return _text(f"coalesce({', '.join(as_text(arg) for arg in args)})")


def _trim(function: str) -> Scalar:
    def build(args: Sequence[Value]) -> Value:
        chars = f", {as_text(args[1])}" if len(args) > 1 else ""
        return _text(f"{function}({as_text(args[0])}{chars})")

    return build


def _substr(args: Sequence[Value]) -> Value:
    # Insights counts from 0, SQL from 1.
    length = f", CAST({as_num(args[2])} AS BIGINT)" if len(args) > 2 else ""
    return _text(f"substring({as_text(args[0])}, CAST({as_num(args[1])} AS BIGINT) + 1{length})")


SCALARS: dict[str, tuple[int, int | None, Scalar]] = {
    # name: (fewest arguments, most arguments or None for any, builder)
    "abs": (1, 1, lambda a: _num(f"abs({as_num(a[0])})")),
    "ceil": (1, 1, lambda a: _num(f"ceil({as_num(a[0])})")),
    "floor": (1, 1, lambda a: _num(f"floor({as_num(a[0])})")),
    "log": (1, 1, lambda a: _num(f"ln({as_num(a[0])})")),
    "sqrt": (1, 1, lambda a: _num(f"sqrt({as_num(a[0])})")),
    "greatest": (1, None, lambda a: _num(f"greatest({', '.join(as_num(v) for v in a)})")),
    "least": (1, None, lambda a: _num(f"least({', '.join(as_num(v) for v in a)})")),
    "isempty": (1, 1, lambda a: _bool(f"({as_text(a[0])} IS NULL OR {as_text(a[0])} = '')")),
    "isblank": (1, 1, lambda a: _bool(f"({as_text(a[0])} IS NULL OR trim({as_text(a[0])}) = '')")),
    "concat": (1, None, lambda a: _text(f"concat({', '.join(as_text(v) for v in a)})")),
    "ltrim": (1, 2, _trim("ltrim")),
    "rtrim": (1, 2, _trim("rtrim")),
    "trim": (1, 2, _trim("trim")),
    "strlen": (1, 1, lambda a: _num(f"CAST(length({as_text(a[0])}) AS DOUBLE)")),
    "toupper": (1, 1, lambda a: _text(f"upper({as_text(a[0])})")),
    "tolower": (1, 1, lambda a: _text(f"lower({as_text(a[0])})")),
    "substr": (2, 3, _substr),
    "replace": (3, 3, lambda a: _text(f"replace({as_text(a[0])}, {as_text(a[1])}, {as_text(a[2])})")),
    "strcontains": (
        2,
        2,
        lambda a: _num(f"CAST(contains({as_text(a[0])}, {as_text(a[1])}) AS DOUBLE)"),
    ),
    "ispresent": (1, 1, lambda a: _bool(f"({a[0].sql} IS NOT NULL)")),
    "coalesce": (1, None, _coalesce),
    "frommillis": (
        1,
        1,
        lambda a: Value(f"CAST(epoch_ms(CAST({as_num(a[0])} AS BIGINT)) AS TIMESTAMP)", Kind.TIME),
    ),
    "tomillis": (1, 1, lambda a: _num(f"CAST(epoch_ms({as_time(a[0])}) AS DOUBLE)")),
    "isvalidip": (1, 1, lambda a: _bool(f"fleetops_ip_valid({as_text(a[0])}, 0)")),
    "isvalidipv4": (1, 1, lambda a: _bool(f"fleetops_ip_valid({as_text(a[0])}, 4)")),
    "isvalidipv6": (1, 1, lambda a: _bool(f"fleetops_ip_valid({as_text(a[0])}, 6)")),
    "isipinsubnet": (2, 2, lambda a: _bool(f"fleetops_ip_in_subnet({as_text(a[0])}, {as_text(a[1])}, 0)")),
    "isipv4insubnet": (2, 2, lambda a: _bool(f"fleetops_ip_in_subnet({as_text(a[0])}, {as_text(a[1])}, 4)")),
    "isipv6insubnet": (2, 2, lambda a: _bool(f"fleetops_ip_in_subnet({as_text(a[0])}, {as_text(a[1])}, 6)")),
}
"""``bin``, ``datefloor`` and ``dateceil`` take a duration and are built by the compiler."""

TIME_FUNCTIONS = frozenset({"bin", "datefloor", "dateceil"})

AGGREGATES = frozenset(
    {
        "count",
        "count_distinct",
        "sum",
        "avg",
        "min",
        "max",
        "pct",
        "stddev",
        "earliest",
        "latest",
        "sortsfirst",
        "sortslast",
    }
)


def aggregate(function: str, args: Sequence[Value], timestamp: str) -> Value:
    """The SQL of aggregate ``function`` over ``args`` (already checked for their number);
    ``timestamp`` is the ``@timestamp`` column, which ``earliest``/``latest`` order by."""
    if function == "count":
        return _num("CAST(count(*) AS DOUBLE)" if not args else f"CAST(count({args[0].sql}) AS DOUBLE)")
    value = args[0]
    if function == "count_distinct":
        return _num(f"CAST(count(DISTINCT {as_text(value)}) AS DOUBLE)")
    if function in {"min", "max"}:
        if value.kind is Kind.TIME:
            return Value(f"{function}({value.sql})", Kind.TIME)
        return _num(f"{function}({as_num(value)})")
    if function == "pct":
        return _num(f"quantile_disc({as_num(value)}, {as_num(args[1])} / 100.0)")
    if function == "earliest":
        return Value(f"arg_min({value.sql}, {timestamp})", value.kind)
    if function == "latest":
        return Value(f"arg_max({value.sql}, {timestamp})", value.kind)
    if function == "sortsfirst":
        return _text(f"min({as_text(value)})")
    if function == "sortslast":
        return _text(f"max({as_text(value)})")
    sql = {"sum": "sum", "avg": "avg", "stddev": "stddev_samp"}[function]
    return _num(f"{sql}({as_num(value)})")


AGGREGATE_ARITY: dict[str, tuple[int, int]] = {
    "count": (0, 1),
    "pct": (2, 2),
}


def ip_valid(text: str | None, version: int) -> bool | None:
    """Whether ``text`` is an IP address (of ``version`` 4 or 6; 0: either)."""
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return version in (0, address.version)


def ip_in_subnet(text: str | None, subnet: str | None, version: int) -> bool | None:
    """Whether address ``text`` is in CIDR ``subnet`` (both of ``version``; 0: either)."""
    if text is None or subnet is None:
        return None
    try:
        address = ipaddress.ip_address(text)
        network = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False
    if version and (address.version != version or network.version != version):
        return False
    return address.version == network.version and address in network
