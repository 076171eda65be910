"""``Environments``: the fleet runtimes one control plane runs, one per environment of its fleet.

A control plane serves one fleet file and may run several of its environments at once, local
and aws side by side
(``fleetops up --env dev``, then ``fleetops up --env stage`` adds stage to the same server), so
``fleetops promote dev stage`` deploys to stage what was verified in dev. Each environment has
its own runtime: its own provider, processes, load balancers and autoscaler; what they share is
the store, where releases, locks and maintenance are already kept per environment.

Routes and runbooks ask for a runtime by name (:meth:`Environments.runtime_for`: ``NoFleet``,
exit 3, naming the running environments and how to start the missing one), or let the only one
running be chosen (:meth:`Environments.pick`: ``BadInput``, exit 2, when several run).

Runtimes are built by an ``opener`` the server supplies (the local provider lives there); the
fleet file is read again each time an environment is added, so a fix made after a refusal (a
port override, say) is seen without restarting the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.runbooks.ports import FleetControl
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import LocalSettings
from fleetops.spec.names import unknown

log = logging.getLogger(__name__)


class NoFleet(Refused):
    """The server runs no fleet, or not the environment asked for."""


def check_environment(fleet: Fleet, environment: str) -> None:
    """``BadInput`` (exit 2, HTTP 400) unless ``environment`` is an environment of ``fleet``: the
    one check of an environment the control plane is asked to run or act on."""
    if environment not in fleet.environments:
        raise BadInput(unknown("environment", environment, fleet.environments))


def check_local(fleet: Fleet, environment: str) -> None:
    """:func:`check_environment`, and ``BadInput`` unless it runs on this machine (``local``)."""
    check_environment(fleet, environment)
    if not isinstance(fleet.environments[environment], LocalSettings):
        raise BadInput(f"environment {environment!r} runs on aws, not on this machine")


Opener = Callable[[Fleet, str, str, Sequence[FleetControl]], FleetControl]
"""``opener(fleet, environment, initial_version, running)``: the runtime of ``environment``, not
started; ``running`` are the runtimes already running (whose ports it must not take)."""
FleetLoader = Callable[[], Fleet]


class Environments:
    """The running environments of one fleet (see the module docstring). Thread-safe."""

    def __init__(
        self,
        fleet: Fleet | None = None,
        *,
        opener: Opener | None = None,
        load: FleetLoader | None = None,
        fleet_file: Path | None = None,
    ) -> None:
        """``fleet`` is None for a server without a fleet file; ``load`` reads the file again."""
        self._fleet = fleet
        self._opener = opener
        self._load = load
        self.fleet_file = fleet_file
        self._runtimes: dict[str, FleetControl] = {}
        self._managed: dict[str, FleetControl] = {}
        self._started: set[str] = set()
        self._lock = threading.RLock()
        # Held while an environment starts or stops (seconds): serializes those changes, while
        # ``_lock`` (held only to read or write the maps) keeps serving the running ones.
        self._changing = threading.RLock()

    # -- reading --------------------------------------------------------------------------------

    @property
    def fleet(self) -> Fleet | None:
        """The fleet file as last read (None: the server runs no fleet)."""
        return self._fleet

    def names(self) -> list[str]:
        """The environments that run, in the order they were started."""
        with self._lock:
            return list(self._runtimes)

    def get(self, environment: str) -> FleetControl | None:
        """The runtime of ``environment`` if it runs."""
        with self._lock:
            return self._runtimes.get(environment)

    def secret_values(self, environment: str | None = None) -> frozenset[str]:
        """The current and previous secret values of ``environment`` (None: of every running
        environment); an environment that does not run has none here."""
        with self._lock:
            runtimes = [
                runtime
                for name, runtime in self._runtimes.items()
                if environment is None or name == environment
            ]
        return frozenset().union(*(runtime.secret_values() for runtime in runtimes))

    def runtime_for(self, environment: str) -> FleetControl:
        """The runtime of ``environment``; ``NoFleet`` (exit 3) when it does not run here."""
        with self._lock:
            runtime = self._runtimes.get(environment)
            running = list(self._runtimes)
        if runtime is not None:
            return runtime
        self.check(environment)
        raise NoFleet(
            f"environment {environment!r} is not running on this control plane ({self._running(running)}); "
            f"start it with `fleetops up --env {environment}`"
        )

    def check(self, environment: str) -> None:
        """``NoFleet`` without a fleet file; ``BadInput`` for an environment it does not have
        (:func:`check_environment`)."""
        check_environment(self._require_fleet(), environment)

    def pick(self, environment: str | None) -> FleetControl:
        """``environment``'s runtime, or with None the only one running (``BadInput`` when
        several run: the caller must name one)."""
        if environment is not None:
            return self.runtime_for(environment)
        with self._lock:
            running = list(self._runtimes.values())
        if len(running) == 1:
            return running[0]
        if self._fleet is None:
            raise NoFleet("this server runs no fleet: start it with `fleetops up` or `--fleet FILE`")
        if not running:
            raise NoFleet(
                f"this control plane runs no environment of {self._fleet.name!r}; "
                "start one with `fleetops up --env ENV`"
            )
        names = ", ".join(r.environment for r in running)
        raise BadInput(f"this control plane runs environments {names}: name one (--env, or ?environment=)")

    # -- changing -------------------------------------------------------------------------------

    def put(self, runtime: FleetControl) -> None:
        """Serve a runtime made elsewhere (tests; this object neither starts nor stops it)."""
        with self._lock:
            self._runtimes[runtime.environment] = runtime

    def open(self, environment: str, initial_version: str) -> FleetControl:
        """Build ``environment``'s runtime and serve it, not started (:meth:`start_all` starts it)."""
        with self._changing:
            runtime = self._build(environment, initial_version, self._require_fleet())
            with self._lock:
                self._runtimes[environment] = runtime
                self._managed[environment] = runtime
            return runtime

    def start_all(self) -> None:
        """Start every opened runtime not started yet (the server's start-up)."""
        with self._changing:
            for name, runtime in list(self._managed.items()):
                if name not in self._started:
                    runtime.start()
                    self._started.add(name)

    def add(self, environment: str, initial_version: str) -> tuple[FleetControl, bool]:
        """Start ``environment`` (the fleet file read again first); ``(runtime, started)`` where
        ``started`` is False when it already ran. A runtime that fails to start is stopped.

        It is served only once started; other environments are served meanwhile."""
        with self._changing:
            running = self.get(environment)
            if running is not None:
                return running, False
            # The file read again reaches only the runtime built from it: the running ones keep
            # the Fleet they were built from (their services, alarms), and a start that fails
            # publishes nothing.
            fleet = self._load() if self._load is not None else self._require_fleet()
            return self._start(environment, initial_version, fleet, served=True), True

    def add_copy(self, environment: str, initial_version: str, fleet: Fleet) -> tuple[FleetControl, bool]:
        """Start ``environment`` of ``fleet``, a fleet made in code rather than read from the file
        (a drill's scratch copy of an environment, ``fleetops.control.scratch_copies``); the
        server's fleet stays the file's. ``(runtime, started)`` as :meth:`add`."""
        with self._changing:
            running = self.get(environment)
            if running is not None:
                return running, False
            return self._start(environment, initial_version, fleet, served=False), True

    def _start(self, environment: str, initial_version: str, fleet: Fleet, *, served: bool) -> FleetControl:
        """Build, start and serve ``environment``'s runtime (``served``: ``fleet`` becomes the
        server's fleet too, in the same step)."""
        with self._changing:
            runtime = self._build(environment, initial_version, fleet)
            try:
                runtime.start()
            except BaseException as err:
                runtime.stop()
                if isinstance(err, FleetopsError) and not isinstance(err, BadInput | Refused):
                    raise FleetopsError(f"environment {environment!r} did not start: {err.message}") from err
                raise
            with self._lock:
                if served:
                    self._fleet = fleet
                self._runtimes[environment] = runtime
                self._managed[environment] = runtime
                self._started.add(environment)
            log.info("environment %s started", environment)
            return runtime

    def remove(self, environment: str) -> None:
        """Stop ``environment``'s runtime and every process it started."""
        with self._changing:
            self.runtime_for(environment)
            with self._lock:
                managed = self._managed.get(environment)
                self._forget(environment)
            if managed is not None:
                managed.stop()
        log.info("environment %s stopped", environment)

    def stop_all(self) -> None:
        """Stop every runtime this object started, newest first (the server's shutdown)."""
        with self._changing:
            with self._lock:
                managed = list(self._managed.items())
                for name, _ in managed:
                    self._forget(name)
            for name, runtime in reversed(managed):
                try:
                    runtime.stop()
                except Exception:  # one environment failing to stop must not leave the others running
                    log.exception("environment %s did not stop cleanly", name)

    # -- helpers --------------------------------------------------------------------------------

    def _build(self, environment: str, initial_version: str, fleet: Fleet) -> FleetControl:
        if self.get(environment) is not None:
            raise BadInput(f"environment {environment!r} is already running")
        check_environment(fleet, environment)
        with self._lock:
            running = list(self._runtimes.values())
        return self._require_opener()(fleet, environment, initial_version, running)

    def _forget(self, environment: str) -> None:
        self._runtimes.pop(environment, None)
        self._managed.pop(environment, None)
        self._started.discard(environment)

    def _running(self, names: list[str]) -> str:
        if not names:
            return "it runs none"
        return f"it runs {', '.join(names)}"

    def _require_fleet(self) -> Fleet:
        if self._fleet is None:
            raise NoFleet("this server runs no fleet: start it with `fleetops up` or `--fleet FILE`")
        return self._fleet

    def _require_opener(self) -> Callable[[Fleet, str, str, Sequence[FleetControl]], FleetControl]:
        if self._opener is None:
            raise NoFleet("this server cannot start environments: it was started without a fleet file")
        return self._opener
