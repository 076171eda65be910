"""Compiles an Insights query's syntax tree to one DuckDB SQL statement.

Each command becomes a step (a common table expression) over the one before, so commands apply
in order as in CloudWatch. Fields a command names that no earlier command made are read from
the record's JSON, all in one parse per record (``json_extract_string`` with a list of paths).
The statement reads ``base``, a relation the executor defines with the columns ``__line`` (the
record's JSON text), ``@logStream`` and ``@log``; the first step parses each record once for its
``timestamp`` and the fields the query names, and keeps the records in the time window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fleetops.errors import BadInput
from fleetops.ops.logquery import functions
from fleetops.ops.logquery.syntax import (
    Binary,
    Call,
    Command,
    Dedup,
    Display,
    Duration,
    Expr,
    FieldRef,
    Fields,
    Filter,
    InList,
    Item,
    Limit,
    Number,
    Parse,
    Query,
    Regex,
    Sort,
    Star,
    Stats,
    String,
    Unary,
    Unmask,
    query_error,
)
from fleetops.ops.logquery.values import (
    Kind,
    Value,
    as_bool,
    as_num,
    as_text,
    as_time,
    quote_ident,
    quote_text,
)

DEFAULT_LIMIT = 10_000
"""Rows returned when the query sets no ``limit`` (CloudWatch's default)."""
BASE_FIELDS = {
    "@timestamp": Kind.TIME,
    "@message": Kind.STR,
    "@logStream": Kind.STR,
    "@log": Kind.STR,
}


@dataclass(frozen=True)
class Compiled:
    select: str
    """The final statement over the steps; its result columns are ``columns``, text or NULL."""
    columns: tuple[str, ...]
    matched_step: str
    """The step whose row count is the query's ``recordsMatched`` (the last before ``stats``)."""
    steps: tuple[tuple[str, str], ...]
    """The named steps (``WITH`` clauses) ``select`` reads after ``fields``."""
    paths: tuple[str, ...]
    """The JSON paths read from each record, ``$.timestamp`` first (``__f[1]``)."""

    def statement(self, base: str, window: str = "TRUE", select: str | None = None) -> str:
        """The whole statement: ``base`` defining the records, ``window`` a condition on
        ``"@timestamp"``, ``select`` (default: the query's own) reading the steps."""
        stamp = "__f[1]"
        # Most logs write UTC with a Z, which a TIMESTAMP cast reads twice as fast as the
        # time-zone-aware cast that other offsets need.
        timestamp = (
            f"CASE WHEN ends_with({stamp}, 'Z') THEN TRY_CAST({stamp} AS TIMESTAMP) "
            f"ELSE CAST(TRY_CAST({stamp} AS TIMESTAMPTZ) AS TIMESTAMP) END"
        )
        paths = ", ".join(quote_text(path) for path in self.paths)
        fields = (
            f'SELECT __line, "@logStream", "@log", __line AS "@message", {timestamp} AS "@timestamp", __f '
            f"FROM (SELECT *, json_extract_string(__line, [{paths}]) AS __f FROM base)"
        )
        steps = (("base", base), ("fields", f"SELECT * FROM ({fields}) WHERE {window}"), *self.steps)
        return f"WITH {', '.join(f'{name} AS ({sql})' for name, sql in steps)} {select or self.select}"


def _path(name: str) -> str:
    return "$" + "".join('."' + part.replace('"', '\\"') + '"' for part in name.split("."))


class _Compiler:
    def __init__(self, query: Query) -> None:
        self.query = query
        self.steps: list[tuple[str, str]] = []
        self.scope: dict[str, Value] = {
            name: Value(quote_ident(name), kind) for name, kind in BASE_FIELDS.items()
        }
        self.columns: set[str] = set(BASE_FIELDS) | {"__line"}
        self.external: dict[str, int] = {}
        self.output: list[str] = []
        self.parsed: list[str] = []
        self.order: list[tuple[Value, bool]] = []
        self.limit = DEFAULT_LIMIT
        self.aggregated = False
        self.time_group: str | None = None
        self.matched_step = "fields"

    def error(self, node: Expr | Command, message: str) -> BadInput:
        return query_error(self.query.text, node.start, message)

    @property
    def current(self) -> str:
        # "fields" is the first step: the records with the JSON fields the query names.
        return self.steps[-1][0] if self.steps else "fields"

    def add_step(self, sql: str) -> None:
        self.steps.append((f"step{len(self.steps) + 1}", sql))

    # -- expressions ---------------------------------------------------------------------------

    def field(self, node: FieldRef) -> Value:
        if node.name in self.scope:
            return self.scope[node.name]
        if self.aggregated:
            if node.name == "@timestamp" and self.time_group is not None:
                return self.scope[self.time_group]
            known = ", ".join(sorted(self.scope)) or "none"
            raise self.error(node, f"field {node.name!r} is not in the result of stats (it has: {known})")
        # __f[1] is the record's timestamp.
        index = self.external.setdefault(node.name, len(self.external) + 2)
        return Value(f"__f[{index}]", Kind.JSON)

    def expr(self, node: Expr, *, aggregate: bool = False) -> Value:
        if isinstance(node, Number):
            return Value(repr(node.value), Kind.NUM)
        if isinstance(node, String):
            return Value(quote_text(node.value), Kind.STR)
        if isinstance(node, FieldRef):
            return self.field(node)
        if isinstance(node, Call):
            return self.call(node, aggregate=aggregate)
        if isinstance(node, Unary):
            operand = self.expr(node.operand, aggregate=aggregate)
            if node.op == "not":
                return Value(f"(NOT {as_bool(operand)})", Kind.BOOL)
            return Value(f"(-{as_num(operand)})", Kind.NUM)
        if isinstance(node, Binary):
            return self.binary(node, aggregate=aggregate)
        if isinstance(node, InList):
            return self.in_list(node, aggregate=aggregate)
        if isinstance(node, Regex):
            raise self.error(node, "a /regular expression/ goes after 'like' or '=~'")
        if isinstance(node, Duration):
            raise self.error(node, f"a duration ({node.text}) goes in bin(), datefloor() or dateceil()")
        if isinstance(node, Star):
            raise self.error(node, "'*' goes only in count(*)")
        raise self.error(node, f"cannot use {node.text!r} here")

    def binary(self, node: Binary, *, aggregate: bool) -> Value:
        left = self.expr(node.left, aggregate=aggregate)
        if node.op in {"like", "not like", "=~"}:
            if isinstance(node.right, Regex):
                sql = f"regexp_matches({as_text(left)}, {quote_text(node.right.pattern)})"
            elif node.op == "=~":
                sql = f"regexp_matches({as_text(left)}, {quote_text(node.right.text[1:-1])})"
            else:
                sql = f"contains({as_text(left)}, {quote_text(node.right.value)})"  # type: ignore[attr-defined]
            return Value(f"(NOT {sql})" if node.op == "not like" else sql, Kind.BOOL)
        right = self.expr(node.right, aggregate=aggregate)
        if node.op in {"and", "or"}:
            return Value(f"({as_bool(left)} {node.op.upper()} {as_bool(right)})", Kind.BOOL)
        if node.op in {"+", "-", "*", "/", "%"}:
            return Value(f"({as_num(left)} {node.op} {as_num(right)})", Kind.NUM)
        if node.op == "^":
            return Value(f"power({as_num(left)}, {as_num(right)})", Kind.NUM)
        sql_op = "<>" if node.op == "!=" else node.op
        kinds = {left.kind, right.kind}
        if Kind.TIME in kinds:
            return Value(f"({as_time(left)} {sql_op} {as_time(right)})", Kind.BOOL)
        if Kind.NUM in kinds:
            return Value(f"({as_num(left)} {sql_op} {as_num(right)})", Kind.BOOL)
        if Kind.BOOL in kinds:
            return Value(f"({as_bool(left)} {sql_op} {as_bool(right)})", Kind.BOOL)
        return Value(f"({as_text(left)} {sql_op} {as_text(right)})", Kind.BOOL)

    def in_list(self, node: InList, *, aggregate: bool) -> Value:
        operand = self.expr(node.operand, aggregate=aggregate)
        items = [self.expr(item, aggregate=aggregate) for item in node.items]
        if all(item.kind is Kind.NUM for item in items):
            sql = f"{as_num(operand)} IN ({', '.join(item.sql for item in items)})"
        else:
            sql = f"{as_text(operand)} IN ({', '.join(as_text(item) for item in items)})"
        return Value(f"(NOT {sql})" if node.negated else f"({sql})", Kind.BOOL)

    def duration(self, node: Expr) -> str:
        if not isinstance(node, Duration):
            raise self.error(node, "expected a duration such as 5m, 1h or 30s")
        if node.amount <= 0:
            raise self.error(node, "a duration must be more than 0")
        if node.unit == "months":
            return f"INTERVAL '{int(node.amount)} months'"
        return f"INTERVAL '{round(node.amount * 1_000_000)} microseconds'"

    def call(self, node: Call, *, aggregate: bool) -> Value:
        name = node.function
        if name in functions.AGGREGATES:
            if not aggregate:
                raise self.error(node, f"{name}() is a stats function; use it in a 'stats' command")
            least, greatest = functions.AGGREGATE_ARITY.get(name, (1, 1))
            args = [arg for arg in node.args if not (name == "count" and isinstance(arg, Star))]
            if not least <= len(args) <= greatest:
                raise self.error(node, f"{name}() takes {_arity(least, greatest)}, not {len(args)}")
            # Arguments of an aggregate are per record: no aggregate inside one.
            values = [self.expr(arg) for arg in args]
            return functions.aggregate(name, values, quote_ident("@timestamp"))
        if name in functions.TIME_FUNCTIONS:
            if name == "bin":
                if len(node.args) != 1:
                    raise self.error(node, f"bin() takes 1 argument (a duration), not {len(node.args)}")
                stamp = self.field(FieldRef("@timestamp", node.start, "@timestamp"))
                return Value(f"time_bucket({self.duration(node.args[0])}, {as_time(stamp)})", Kind.TIME)
            if len(node.args) != 2:
                raise self.error(
                    node, f"{name}() takes 2 arguments (a time and a duration), not {len(node.args)}"
                )
            value = self.expr(node.args[0], aggregate=aggregate)
            interval = self.duration(node.args[1])
            floor = f"time_bucket({interval}, {as_time(value)})"
            if name == "datefloor":
                return Value(floor, Kind.TIME)
            return Value(
                f"CASE WHEN {floor} = {as_time(value)} THEN {floor} ELSE {floor} + {interval} END",
                Kind.TIME,
            )
        if name not in functions.SCALARS:
            known = ", ".join(sorted({*functions.SCALARS, *functions.TIME_FUNCTIONS, *functions.AGGREGATES}))
            raise self.error(node, f"unknown function {name}() (the functions are: {known})")
        fewest, most, build = functions.SCALARS[name]
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            raise self.error(node, f"{name}() takes {_arity(fewest, most)}, not {len(node.args)}")
        return build([self.expr(arg, aggregate=aggregate) for arg in node.args])

    # -- commands ------------------------------------------------------------------------------

    def define(self, names: list[tuple[str, Value]]) -> None:
        """A step adding (or replacing) columns ``names``; later commands see them."""
        replaced = [(name, value) for name, value in names if name in self.columns]
        added = [(name, value) for name, value in names if name not in self.columns]
        star = "*"
        if replaced:
            star += " REPLACE (" + ", ".join(f"{v.sql} AS {quote_ident(n)}" for n, v in replaced) + ")"
        extra = "".join(f", {value.sql} AS {quote_ident(name)}" for name, value in added)
        self.add_step(f"SELECT {star}{extra} FROM {self.current}")
        for name, value in names:
            self.columns.add(name)
            self.scope[name] = Value(quote_ident(name), value.kind)

    def fields(self, command: Fields) -> None:
        computed: list[tuple[str, Value]] = []
        for item in command.items:
            value = self.expr(item.expr)
            if isinstance(item.expr, FieldRef) and item.alias is None:
                self.scope.setdefault(item.name, value)
            else:
                computed.append((item.name, value))
            if item.name not in self.output:
                self.output.append(item.name)
        if computed:
            self.define(computed)

    def parse(self, command: Parse) -> None:
        source = as_text(self.expr(command.source))
        pattern = quote_text(command.pattern)
        groups = _group_indexes(command)
        values = [
            (
                name,
                Value(
                    f"CASE WHEN regexp_matches({source}, {pattern}) "
                    f"THEN regexp_extract({source}, {pattern}, {groups[name]}) END",
                    Kind.JSON,
                ),
            )
            for name in command.names
        ]
        self.define(values)
        self.parsed.extend(name for name in command.names if name not in self.parsed)

    def stats(self, command: Stats) -> None:
        groups = [(item.name, self.expr(item.expr)) for item in command.groups]
        aggregates = [(item.name, self.aggregate(item)) for item in command.aggregates]
        select = [f"{value.sql} AS {quote_ident(name)}" for name, value in groups + aggregates]
        group_by = f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))}" if groups else ""
        self.matched_step = self.current
        self.add_step(f"SELECT {', '.join(select)} FROM {self.current}{group_by}")
        self.aggregated = True
        self.scope = {name: Value(quote_ident(name), value.kind) for name, value in groups + aggregates}
        self.columns = set(self.scope)
        self.time_group = next(
            (
                item.name
                for item in command.groups
                if isinstance(item.expr, Call) and item.expr.function == "bin"
            ),
            None,
        )
        self.output = [name for name, _ in groups + aggregates]
        self.order = [(Value(quote_ident(name), value.kind), False) for name, value in groups]

    def aggregate(self, item: Item) -> Value:
        if not _has_aggregate(item.expr):
            raise self.error(
                item.expr, f"{item.expr.text!r} is not a stats function such as count() or avg()"
            )
        return self.expr(item.expr, aggregate=True)

    def sort(self, command: Sort) -> None:
        self.order = [(self.expr(key.expr), key.descending) for key in command.keys]

    def order_by(self) -> str:
        if not self.order:
            return ""
        parts = []
        for value, descending in self.order:
            direction = "DESC" if descending else "ASC"
            if value.kind is Kind.JSON:
                # Numbers in number order, then the rest in text order.
                parts.append(f"TRY_CAST({value.sql} AS DOUBLE) {direction} NULLS LAST")
            parts.append(f"{value.sql} {direction} NULLS LAST")
        return " ORDER BY " + ", ".join(parts)

    def dedup(self, command: Dedup) -> None:
        keys = [self.field(FieldRef(name, command.start, name)) for name in command.names]
        partition = ", ".join(as_text(key) for key in keys)
        nulls = " OR ".join(f"{key.sql} IS NULL" for key in keys)
        if not self.order and not self.aggregated:
            # Without a sort, the newest record of each combination is kept.
            self.order = [(self.scope["@timestamp"], True)]
        window = f"row_number() OVER (PARTITION BY {partition}{self.order_by()})"
        self.add_step(f"SELECT * FROM {self.current} QUALIFY {window} = 1 OR {nulls}")

    def command(self, command: Command) -> None:
        if isinstance(command, Fields):
            self.fields(command)
        elif isinstance(command, Display):
            for name in command.names:
                self.field(FieldRef(name, command.start, name))
            self.output = list(command.names)
        elif isinstance(command, Filter):
            condition = self.expr(command.condition)
            self.add_step(f"SELECT * FROM {self.current} WHERE {as_bool(condition)}")
        elif isinstance(command, Parse):
            self.parse(command)
        elif isinstance(command, Stats):
            if self.aggregated and any(
                isinstance(g.expr, Call) and g.expr.function == "bin" for g in command.groups
            ):
                raise self.error(command, "bin() needs @timestamp: a second stats cannot group by it")
            self.stats(command)
        elif isinstance(command, Sort):
            self.sort(command)
        elif isinstance(command, Limit):
            self.limit = command.count
            self.add_step(f"SELECT * FROM {self.current}{self.order_by()} LIMIT {command.count}")
        elif isinstance(command, Dedup):
            self.dedup(command)
        else:
            assert isinstance(command, Unmask)

    def compile(self) -> Compiled:
        for command in self.query.commands:
            self.command(command)
        if not self.aggregated:
            self.matched_step = self.current
            if not self.order:
                self.order = [(self.scope["@timestamp"], True)]
        output = self.output or ["@timestamp", "@message", *self.parsed]
        values = [(name, self.scope.get(name) or self.field(FieldRef(name, 0, name))) for name in output]
        # Positional names, so ORDER BY reads the step's values, not the text shown.
        select = ", ".join(f"{as_text(value)} AS __out{index}" for index, (_, value) in enumerate(values))
        final = f"SELECT {select} FROM {self.current}{self.order_by()} LIMIT {self.limit}"
        paths = ("$.timestamp", *(_path(name) for name in self.external))
        return Compiled(final, tuple(output), self.matched_step, tuple(self.steps), paths)


def _arity(fewest: int, most: int | None) -> str:
    if most is None:
        return f"{fewest} or more arguments"
    if fewest == most:
        return f"{fewest} argument{'s' if fewest != 1 else ''}"
    return f"{fewest} to {most} arguments"


def _is_bin(node: Expr) -> bool:
    return isinstance(node, Call) and node.function == "bin"


def _has_aggregate(node: Expr) -> bool:
    if isinstance(node, Call):
        return node.function in functions.AGGREGATES or any(_has_aggregate(arg) for arg in node.args)
    if isinstance(node, Binary):
        return _has_aggregate(node.left) or _has_aggregate(node.right)
    if isinstance(node, Unary):
        return _has_aggregate(node.operand)
    return False


def _group_indexes(command: Parse) -> dict[str, int]:
    """Each field's capture group number in the parse pattern (globs: in order)."""
    compiled = re.compile(command.pattern)
    if compiled.groupindex:
        return dict(compiled.groupindex)
    return {name: index + 1 for index, name in enumerate(command.names)}


def compile_query(query: Query) -> Compiled:
    """The DuckDB statement for ``query``; ``BadInput`` naming the position of a problem."""
    return _Compiler(query).compile()
