"""fleetops: executable, safe and observable runbooks for microservice fleets."""

__version__ = "0.1.0"
