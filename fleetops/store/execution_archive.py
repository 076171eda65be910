"""Export, import and cleanup of finished executions with their histories (seed 001's
``export_execution_history --days 7``, ``import_execution_history`` and
``cleanup_old_executions --keep 100``).

An export is one JSON document: ``{"format": "fleetops.executions/1", "executions": [...]}``,
each execution with its row and its events. Import adds the executions a store lacks and leaves
those it has (idempotent); running executions are never exported, imported or deleted, since
their histories are still growing and a server holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from fleetops.errors import BadInput
from fleetops.store.sessions import Sessions
from fleetops.store.tables import executions, history_events, task_callbacks, task_tokens

FORMAT = "fleetops.executions/1"
RUNNING = "RUNNING"
_DATES = ("start_date", "stop_date", "lease_expires")


def export_executions(store: Sessions, *, since: datetime) -> dict[str, Any]:
    """Every finished execution started at or after ``since``, oldest first, with its events."""
    query = (
        select(executions)
        .where(executions.c.start_date >= since, executions.c.status != RUNNING)
        .order_by(executions.c.start_date, executions.c.arn)
    )
    out = []
    with store.session() as session:
        for row in session.execute(query).mappings().all():
            events = session.execute(
                select(history_events)
                .where(history_events.c.execution_arn == row["arn"])
                .order_by(history_events.c.id)
            ).mappings()
            record = {k: (v.isoformat() if k in _DATES and v is not None else v) for k, v in row.items()}
            record["lease_owner"] = record["lease_expires"] = None
            record["events"] = [
                {
                    **{k: v for k, v in event.items() if k != "execution_arn"},
                    "timestamp": event["timestamp"].isoformat(),
                }
                for event in events
            ]
            out.append(record)
    return {"format": FORMAT, "executions": out}


def import_executions(store: Sessions, document: Any) -> dict[str, int]:
    """Add the exported executions this store lacks; ``{"imported": n, "skipped": m}``."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadInput(f"not an execution export: expected a JSON object with format {FORMAT!r}")
    imported = skipped = 0
    with store.transaction() as session:
        for item in document.get("executions", []):
            try:
                row = {c.name: item[c.name] for c in executions.columns if c.name in item}
                for key in _DATES:
                    if row.get(key) is not None:
                        row[key] = datetime.fromisoformat(row[key])
                events = [
                    {
                        **event,
                        "execution_arn": row["arn"],
                        "timestamp": datetime.fromisoformat(event["timestamp"]),
                    }
                    for event in item["events"]
                ]
            except (KeyError, TypeError, ValueError) as err:
                raise BadInput(f"execution export: a malformed execution ({err!r})") from err
            if row.get("status") == RUNNING:
                raise BadInput(f"execution export: {row['arn']} is RUNNING; only finished executions import")
            exists = session.execute(select(func.count()).where(executions.c.arn == row["arn"])).scalar_one()
            if exists:
                skipped += 1
                continue
            session.execute(insert(executions).values(row))
            if events:
                session.execute(insert(history_events), events)
            imported += 1
    return {"imported": imported, "skipped": skipped}


def cleanup_executions(store: Sessions, *, keep: int) -> list[str]:
    """Delete finished executions beyond the newest ``keep`` (and their events); their ARNs."""
    if keep < 0:
        raise BadInput(f"--keep must be 0 or more, got {keep}")
    with store.transaction() as session:
        arns = list(
            session.execute(
                select(executions.c.arn)
                .where(executions.c.status != RUNNING)
                .order_by(executions.c.start_date.desc(), executions.c.arn.desc())
                .offset(keep)
            ).scalars()
        )
        for start in range(0, len(arns), 500):
            chunk = arns[start : start + 500]
            session.execute(delete(history_events).where(history_events.c.execution_arn.in_(chunk)))
            session.execute(delete(task_tokens).where(task_tokens.c.execution_arn.in_(chunk)))
            session.execute(delete(task_callbacks).where(task_callbacks.c.execution_arn.in_(chunk)))
            session.execute(delete(executions).where(executions.c.arn.in_(chunk)))
    return arns
