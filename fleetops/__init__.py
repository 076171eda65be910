"""fleetops: executable, safe and observable runbooks for microservice fleets."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (``httpx._main``: click, pygments, rich's syntax and
# progress displays) whenever those are installed, as they are here (uvicorn needs click, rich
# pygments): ~25 ms of CPU at every start of a fleetops process, CLI calls included, for a
# program fleetops never runs. Marked as absent before anything imports httpx, httpx defines a
# stand-in ``httpx.main`` instead. A process that imported httpx before fleetops keeps its own.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
