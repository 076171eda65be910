"""Executions, their history events, and the leases that keep each one running in one server.

A server that runs an execution holds its lease (``lease_owner``, ``lease_expires``) and renews
it; when the server dies the lease runs out and another server (or the same one, restarted)
claims the execution and resumes it from its history. Claims are conditional updates, so two
servers racing for one execution cannot both win.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, and_, bindparam, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import IntegrityError

from fleetops.engine import ExecutionAlreadyExists, HistoryEvent
from fleetops.errors import BadInput
from fleetops.store.database import WRITE_OPTION
from fleetops.store.sessions import Sessions
from fleetops.store.tables import executions, history_events, task_tokens

RUNNING = "RUNNING"
_HELD = select(executions.c.arn).where(
    executions.c.arn.in_(bindparam("arns", expanding=True)), executions.c.lease_owner == bindparam("owner")
)
# Built once: compiling a statement costs more than running it on this path.
_ENDED = (
    update(executions)
    .where(executions.c.arn == bindparam("the_arn"), executions.c.lease_owner == bindparam("owner"))
    .values(
        status=bindparam("status"),
        output=bindparam("output"),
        error=bindparam("error"),
        cause=bindparam("cause"),
        stop_date=bindparam("stop_date"),
        lease_owner=None,
        lease_expires=None,
    )
)
# Events that hand out a task token (recorded so any server can take its callback).
_SCHEDULED = frozenset({"TaskScheduled", "ActivityScheduled"})
_TERMINAL = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


class ExecutionDoesNotExist(BadInput):
    """No execution has that ARN."""

    aws_code = "ExecutionDoesNotExist"


@dataclass(frozen=True)
class ExecutionRecord:
    """One execution as stored (``output`` and ``input`` are JSON text)."""

    arn: str
    state_machine_arn: str
    name: str
    status: str
    definition: str
    input: str
    output: str | None
    error: str | None
    cause: str | None
    start_date: datetime
    stop_date: datetime | None
    lease_owner: str | None
    lease_expires: datetime | None
    resumes: int = 0
    """Times it was claimed to be resumed since it last ran a while (see ``settled``)."""
    started_by: str | None = None
    """The authenticated caller who started it (None: started before this was recorded)."""
    state_machine_version_arn: str | None = None
    """The version it runs, when started through a version or an alias."""
    state_machine_alias_arn: str | None = None
    """The alias it was started through, if any."""
    redrive_count: int = 0
    """Times it was redriven (RedriveExecution)."""
    redrive_date: datetime | None = None
    """When it was last redriven."""


class ExecutionRepository:
    """Reads and writes ``executions`` and ``history_events``. Reach it as ``store.executions``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store
        self._write_engine = store.engine.execution_options(**{WRITE_OPTION: True})
        self._sqlite_insert: str | None = None
        if store.engine.dialect.name == "sqlite":
            columns = "execution_arn, id, previous_event_id, type, timestamp, details, scope, meta"
            self._sqlite_insert = f"INSERT INTO history_events ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            processor = history_events.c.timestamp.type.bind_processor(store.engine.dialect)
            assert processor is not None
            self._sqlite_timestamp: Callable[[datetime], Any] = processor

    def create(self, record: ExecutionRecord) -> ExecutionRecord:
        """Store a new (RUNNING, leased) execution; raises ``ExecutionAlreadyExists``."""
        try:
            with self._write_engine.begin() as conn:
                conn.execute(insert(executions).values(**record.__dict__))
        except IntegrityError as err:
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'") from err
        return record

    def get(self, arn: str) -> ExecutionRecord:
        """The execution with ``arn``; raises ``ExecutionDoesNotExist``."""
        # A Core connection: this is read for every call on an execution, the ORM adds nothing.
        with self._store.engine.connect() as conn:
            row = conn.execute(select(executions).where(executions.c.arn == arn)).mappings().first()
        if row is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        return ExecutionRecord(**dict(row))

    def list(
        self,
        state_machine_arn: str,
        *,
        status: str | None = None,
        limit: int,
        offset: int = 0,
        version_arn: str | None = None,
        alias_arn: str | None = None,
    ) -> builtins.list[ExecutionRecord]:
        """The machine's executions, newest first (those started through ``version_arn`` or
        ``alias_arn`` only, when given)."""
        query = select(executions).where(executions.c.state_machine_arn == state_machine_arn)
        if version_arn is not None:
            query = query.where(executions.c.state_machine_version_arn == version_arn)
        if alias_arn is not None:
            query = query.where(executions.c.state_machine_alias_arn == alias_arn)
        if status is not None:
            query = query.where(executions.c.status == status)
        query = query.order_by(executions.c.start_date.desc(), executions.c.arn).limit(limit).offset(offset)
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [ExecutionRecord(**dict(row)) for row in rows]

    def running_names(self) -> builtins.list[tuple[str, str]]:
        """(state machine ARN, execution name) of every RUNNING execution (on any server)."""
        query = select(executions.c.state_machine_arn, executions.c.name).where(
            executions.c.status == RUNNING
        )
        with self._store.engine.connect() as conn:
            return [(str(machine), str(name)) for machine, name in conn.execute(query)]

    def start_dates(self, arns: Collection[str]) -> dict[str, datetime]:
        """ARN -> start date of those of ``arns`` that exist."""
        if not arns:
            return {}
        query = select(executions.c.arn, executions.c.start_date).where(executions.c.arn.in_(list(arns)))
        with self._store.engine.connect() as conn:
            return {str(arn): start for arn, start in conn.execute(query)}

    def map_run_parent(self, map_run_arn: str) -> str | None:
        """The execution whose DISTRIBUTED Map started Map Run ``map_run_arn`` (None: none did)."""
        # The Map Run ARN is in MapRunStarted's details: matched as text (LIKE's wildcards may
        # match more, so each candidate is compared exactly).
        query = select(history_events.c.execution_arn, history_events.c.details).where(
            history_events.c.type == "MapRunStarted",
            sql_cast(history_events.c.details, String).like(f"%{map_run_arn}%"),
        )
        with self._store.engine.connect() as conn:
            for execution_arn, details in conn.execute(query):
                if isinstance(details, dict) and details.get("mapRunArn") == map_run_arn:
                    return str(execution_arn)
        return None

    def events(
        self, arn: str, *, reverse: bool = False, limit: int | None = None, offset: int = 0
    ) -> builtins.list[HistoryEvent]:
        """The execution's history events, oldest first (or newest first with ``reverse``)."""
        order = history_events.c.id.desc() if reverse else history_events.c.id
        query = select(history_events).where(history_events.c.execution_arn == arn).order_by(order)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [
            HistoryEvent(
                id=row["id"],
                previous_event_id=row["previous_event_id"],
                timestamp=row["timestamp"],
                type=row["type"],
                details=row["details"],
                scope=row["scope"],
                meta=row["meta"],
            )
            for row in rows
        ]

    def append(
        self,
        batch: Sequence[tuple[str, HistoryEvent]],
        owner: str,
        *,
        known_held: Collection[str] = (),
    ) -> builtins.set[str]:
        """Write events of executions ``owner`` holds, in one transaction; a terminal event also
        records the end (status, output or error, stop date) and frees the lease.

        ``known_held`` are ARNs the caller knows it holds (its lease cannot have expired yet):
        they are not looked up. Returns the ARNs whose lease ``owner`` no longer holds: their
        events are not written.
        """
        # A Map Run's events are written with its execution's (whose lease covers them).
        arns = {arn for arn in {arn for arn, _ in batch} if arn.split(":")[5:6] != ["mapRun"]}
        unknown = [arn for arn in arns if arn not in known_held]
        # Core, not a Session: this runs once per turn of the engine's loop, so the ORM's
        # per-transaction bookkeeping would be most of its cost.
        with self._write_engine.begin() as conn:
            held = arns.difference(unknown)
            if unknown:
                held.update(conn.execute(_HELD, {"arns": unknown, "owner": owner}).scalars())
            written = [(arn, event) for arn, event in batch if arn in held or arn not in arns]
            if written:
                self._insert_events(conn, written)
            tokens = [
                {"token": event.meta["token"], "execution_arn": arn}
                for arn, event in written
                if event.type in _SCHEDULED and "token" in event.meta
            ]
            if tokens:
                conn.execute(insert(task_tokens), tokens)
            for arn, event in batch:
                status = _TERMINAL.get(event.type)
                if status is None or arn not in held:
                    continue
                conn.execute(
                    _ENDED,
                    {
                        "the_arn": arn,
                        "owner": owner,
                        "status": status,
                        "output": event.details.get("output"),
                        "error": event.details.get("error"),
                        "cause": event.details.get("cause"),
                        "stop_date": event.timestamp,
                    },
                )
        return arns - held

    def _insert_events(self, conn: Connection, events: Sequence[tuple[str, HistoryEvent]]) -> None:
        if self._sqlite_insert is None:
            conn.execute(insert(history_events), [_event_row(arn, event) for arn, event in events])
            return
        # SQLite: the driver's executemany on values prepared as the column types would, a
        # third cheaper per event than insert() (this is the engine's hot path).
        when = self._sqlite_timestamp
        conn.exec_driver_sql(
            self._sqlite_insert,
            [
                (
                    arn,
                    e.id,
                    e.previous_event_id,
                    e.type,
                    when(e.timestamp),
                    json.dumps(e.details),
                    e.scope,
                    json.dumps(e.meta) if e.meta else "{}",
                )
                for arn, e in events
            ],
        )

    def claim_orphans(
        self,
        owner: str,
        *,
        now: datetime,
        lease_seconds: float,
        include_own: bool = False,
        limit: int = 100,
    ) -> builtins.list[ExecutionRecord]:
        """Take the lease of RUNNING executions nobody holds (no lease, or an expired one), and
        with ``include_own`` those ``owner`` already holds (a restarted server's own); each
        claim counts one more in its ``resumes``."""
        holders = [executions.c.lease_owner.is_(None), executions.c.lease_expires < now]
        if include_own:
            holders.append(executions.c.lease_owner == owner)
        free = and_(executions.c.status == RUNNING, or_(*holders))
        with self._store.session() as session:
            candidates = list(session.execute(select(executions.c.arn).where(free).limit(limit)).scalars())
        claimed = []
        expires = now + timedelta(seconds=lease_seconds)
        for arn in candidates:
            # Conditional: a racing server that claimed it first makes this update match nothing.
            with self._store.transaction() as session:
                done = _rows(
                    session.execute(
                        update(executions)
                        .where(executions.c.arn == arn, free)
                        .values(lease_owner=owner, lease_expires=expires, resumes=executions.c.resumes + 1)
                    )
                )
            if done.rowcount == 1:
                claimed.append(self.get(arn))
        return claimed

    def redrive(self, arn: str, owner: str, *, was: str, now: datetime, lease_seconds: float) -> bool:
        """RedriveExecution's claim: an execution that ended ``was`` (FAILED, TIMED_OUT, ABORTED)
        runs again, leased to ``owner``, one more in its ``redrive_count``; False when it is no
        longer ``was`` (a racing redrive won)."""
        with self._store.transaction() as session:
            done = _rows(
                session.execute(
                    update(executions)
                    .where(executions.c.arn == arn, executions.c.status == was)
                    .values(
                        status=RUNNING,
                        output=None,
                        error=None,
                        cause=None,
                        stop_date=None,
                        lease_owner=owner,
                        lease_expires=now + timedelta(seconds=lease_seconds),
                        redrive_count=executions.c.redrive_count + 1,
                        redrive_date=now,
                        resumes=0,
                    )
                )
            )
        return done.rowcount == 1

    def settled(self, arns: Iterable[str]) -> None:
        """These executions ran a while after their resume: their count of resumes starts over."""
        chosen = builtins.list(arns)
        if chosen:
            with self._store.transaction() as session:
                session.execute(update(executions).where(executions.c.arn.in_(chosen)).values(resumes=0))

    def renew(self, owner: str, *, now: datetime, lease_seconds: float) -> builtins.set[str]:
        """Extend every lease ``owner`` holds; return the ARNs it holds."""
        expires = now + timedelta(seconds=lease_seconds)
        mine = and_(executions.c.lease_owner == owner, executions.c.status == RUNNING)
        with self._store.transaction() as session:
            session.execute(update(executions).where(mine).values(lease_expires=expires))
            return set(session.execute(select(executions.c.arn).where(mine)).scalars())

    def release(self, owner: str, arns: Iterable[str]) -> None:
        """Give up leases (a clean shutdown), so another server may resume them at once."""
        chosen = list(arns)
        if not chosen:
            return
        with self._store.transaction() as session:
            session.execute(
                update(executions)
                .where(executions.c.lease_owner == owner, executions.c.arn.in_(chosen))
                .values(lease_owner=None, lease_expires=None)
            )


def _event_row(arn: str, event: HistoryEvent) -> dict[str, Any]:
    # The recorder makes details and meta plain dicts; copying them would cost more than the row.
    return {
        "execution_arn": arn,
        "id": event.id,
        "previous_event_id": event.previous_event_id,
        "type": event.type,
        "timestamp": event.timestamp,
        "details": event.details if isinstance(event.details, dict) else dict(event.details),
        "scope": event.scope,
        "meta": event.meta if isinstance(event.meta, dict) else dict(event.meta),
    }


def _rows(result: object) -> CursorResult[Any]:
    """An UPDATE result, typed so its ``rowcount`` can be read."""
    return cast(CursorResult[Any], result)
