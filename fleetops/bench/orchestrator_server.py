"""The control plane ``fleetops bench orchestrator`` measures: the real server, on a timed fake fleet.

    python -m fleetops.bench.orchestrator_server --state-dir DIR --fleet FILE \\
        --environments FILE --endpoint URL [--database-url URL]

It is ``fleetops server`` (the same ``serve``: uvicorn, the API, the engine, the store) with
one difference: the environments named in ``--environments`` (one a line) run on
``fleetops.bench.timed_fleet`` instead of their provider, their load balancers at ``--endpoint``.
It also counts what it writes to the store (every INSERT, UPDATE and DELETE the store's
SQLAlchemy engines run, their rows, and the transactions that wrote) and keeps the counts in
``DIR/bench-stats.json`` (rewritten every ``STATS_EVERY_S``, and once more at exit) for the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from fleetops.bench.timed_fleet import TimedFleets
from fleetops.server.serve import serve
from fleetops.server.settings import ServerSettings

STATS_FILE = "bench-stats.json"
STATS_EVERY_S = 1.0
_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


class WriteCounter:
    """Counts the store's writes (see the module docstring). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.statements = 0
        self.rows = 0
        self.transactions = 0
        self.by_table: dict[str, int] = {}
        """Rows written per table."""

    def install(self) -> None:
        """Listen on every SQLAlchemy engine of this process (the store opens its own)."""
        event.listen(Engine, "after_cursor_execute", self._executed)
        event.listen(Engine, "commit", self._committed)

    def _executed(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        match = _WRITE.match(statement)
        if match is None:
            return
        rows = max(int(getattr(cursor, "rowcount", 0) or 0), 0)
        conn.info["bench_wrote"] = True
        with self._lock:
            self.statements += 1
            self.rows += rows
            table = match.group(1).lower()
            self.by_table[table] = self.by_table.get(table, 0) + rows

    def _committed(self, conn: Connection) -> None:
        if conn.info.pop("bench_wrote", False):
            with self._lock:
                self.transactions += 1

    def snapshot(self) -> dict[str, Any]:
        """The counts now, and when."""
        with self._lock:
            return {
                "at": time.time(),
                "write_statements": self.statements,
                "write_transactions": self.transactions,
                "rows_written": self.rows,
                "rows_by_table": dict(self.by_table),
            }


def _keep_writing(counter: WriteCounter, path: Path, stop: threading.Event) -> None:
    while not stop.wait(STATS_EVERY_S):
        _write(path, counter.snapshot())


def _write(path: Path, data: dict[str, Any]) -> None:
    pending = path.with_name(f".{path.name}.{os.getpid()}")
    pending.write_text(json.dumps(data))
    os.replace(pending, path)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m fleetops.bench.orchestrator_server")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--fleet", type=Path, required=True)
    parser.add_argument("--environments", type=Path, required=True, help="a file: one environment a line")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--endpoint", required=True, help="every service's load-balancer URL")
    args = parser.parse_args(argv)
    names = [line.strip() for line in args.environments.read_text().splitlines() if line.strip()]
    if not names:
        parser.error(f"{args.environments}: no environment")
    counter = WriteCounter()
    counter.install()
    fleets = TimedFleets(args.endpoint)
    stats = args.state_dir / STATS_FILE
    stop = threading.Event()
    writer = threading.Thread(
        target=_keep_writing, args=(counter, stats, stop), name="bench-stats", daemon=True
    )
    settings = ServerSettings(
        state_dir=args.state_dir,
        database_url=args.database_url,
        port=0,
        fleet_file=args.fleet,
        environment=names[0],
        more_environments=tuple(names[1:]),
    )
    args.state_dir.mkdir(parents=True, exist_ok=True)
    writer.start()
    try:
        serve(settings, opener=fleets.opener())
    finally:
        stop.set()
        writer.join(timeout=5)
        _write(stats, counter.snapshot())
        fleets.close()


if __name__ == "__main__":
    main()
