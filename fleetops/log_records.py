"""An instance's log record (a JSON line its provider captured) as one line of text.

Apart from the control plane, which shows records in a failed rollout's reason, so that the
commands printing them (``fleetops logs``, a failed ``up``) do not import the control plane.
"""

from __future__ import annotations

from collections.abc import Mapping


def format_log_record(record: Mapping[str, object]) -> str:
    """One log record as a line: ``timestamp level msg``, then any other fields as ``k=v``."""
    skip = {"timestamp", "level", "msg", "service", "instance", "version", "stream"}
    extra = " ".join(f"{key}={value}" for key, value in record.items() if key not in skip)
    head = f"{record.get('timestamp', '')} {record.get('level', '')} {record.get('msg', '')}".strip()
    return f"{head} {extra}".rstrip()
