"""Names a command or request gives (environments, services, alarms, channels), checked against
the fleet file before anything changes: a typo is refused, never silently matched with nothing.

``unknown environment 'qa' (the fleet has: dev, prod, stage)``, and when one is close:
``unknown service 'paymnts' (the fleet has: auth, ...); did you mean 'payments'?``
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable

from fleetops.errors import BadInput
from fleetops.spec.fleet import Fleet
from fleetops.spec.resources import NAME_PATTERN

_NAME = re.compile(NAME_PATTERN)


def unknown(kind: str, name: str, known: Collection[str], *, holder: str = "the fleet has") -> str:
    """The message for ``name``, which is not one of ``known`` (names of ``kind`` ``holder`` has)."""
    listed = ", ".join(sorted(known)) or "none"
    message = f"unknown {kind} {name!r} ({holder}: {listed})"
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message


def check_known(kind: str, names: Iterable[str | None], known: Collection[str] | None) -> None:
    """``BadInput`` (HTTP 400, exit 2) listing every name not in ``known``; without a fleet to
    ask (``known`` None), every name that could not be one (``../../etc/passwd``)."""
    problems = []
    for name in names:
        if name is None:
            continue
        if known is not None and name not in known:
            problems.append(unknown(kind, name, known))
        elif known is None and not _NAME.match(name):
            problems.append(
                f"{kind} name {name!r} is not valid: expected lower-case letters, digits and -, "
                "starting with a letter (like orders-db)"
            )
    if problems:
        raise BadInput(problems[0] if len(problems) == 1 else f"{len(problems)} unknown names", problems)


def check_names(
    fleet: Fleet | None,
    *,
    environments: Iterable[str | None] = (),
    services: Iterable[str | None] = (),
    alarms: Iterable[str | None] = (),
    channels: Iterable[str | None] = (),
) -> None:
    """:func:`check_known` for each kind of name against ``fleet`` (None: no fleet file)."""
    check_known("environment", environments, None if fleet is None else fleet.environments)
    check_known("service", services, None if fleet is None else fleet.services)
    check_known("alarm", alarms, None if fleet is None else fleet.alarms)
    check_known("notification channel", channels, None if fleet is None else fleet.notifications)
