"""Every top-level command: its name, its line in ``fleetops --help``, the modules that define it.

The CLI imports a command's modules only when that command runs (``cli/lazy.py``), so a command
a module registers is reachable once it is listed here, in the order ``fleetops --help`` shows.
``tests/cli/test_commands.py`` fails on a command registered and not listed, or listed with
another help line or other modules than its own.
"""

from fleetops.cli.lazy import Listed, listed

COMMANDS: tuple[Listed, ...] = (
    listed("version", "Print the fleetops version.", "fleetops.cli.version"),
    listed(
        "aws-env",
        "Print the `export` lines that point `aws` and boto3 at this control plane.",
        "fleetops.cli.aws_env",
    ),
    listed(
        "deploy",
        "Deploy VERSION in dependency waves, health- and alarm-gated; rolled back on failure.",
        "fleetops.cli.deploy",
    ),
    listed(
        "rollback",
        "Return services (default: all) to their last verified release, in reverse dependency order.",
        "fleetops.cli.deploy",
    ),
    listed("promote", "Deploy to TARGET exactly the releases verified in SOURCE.", "fleetops.cli.deploy"),
    listed(
        "approve", "Approve (or --reject) a deployment waiting at its approval gate.", "fleetops.cli.deploy"
    ),
    listed("stop", "Stop a deployment (or --all), then roll back what it touched.", "fleetops.cli.deploy"),
    listed(
        "environments",
        "The fleet's environments: which run on this control plane, approval, promotion order.",
        "fleetops.cli.environments",
    ),
    listed("status", "Services, instances, versions and health of the running fleet.", "fleetops.cli.fleet"),
    listed(
        "scale",
        "Set a service's desired instance count; instances launch or drain in the background.",
        "fleetops.cli.fleet",
    ),
    listed(
        "activities",
        "Scaling activities: changes of desired counts by autoscaling or operators, newest first.",
        "fleetops.cli.fleet",
    ),
    listed(
        "logs",
        (
            "The last log records of a service (merged across its instances), oldest first; or, as\n"
            "`fleetops logs query 'QUERY'`, a CloudWatch Logs Insights query over the fleet's logs."
        ),
        "fleetops.cli.fleet",
    ),
    listed(
        "rollout",
        (
            "Replace a service's instances with a version (instance refresh semantics, the service's\n"
            "deploy settings)."
        ),
        "fleetops.cli.fleet",
    ),
    listed(
        "health",
        "One verdict of an environment from every check, each with its evidence; exit 0 if healthy.",
        "fleetops.cli.health",
    ),
    listed("block", "Refuse deployments of SERVICE... until they are unblocked.", "fleetops.cli.maintenance"),
    listed("unblock", "Allow deployments of SERVICE... again.", "fleetops.cli.maintenance"),
    listed(
        "blocks",
        "Blocked services: who blocked them, why and since when (with --env: those blocked there).",
        "fleetops.cli.maintenance",
    ),
    listed(
        "notifications",
        "List notification deliveries: channel, event, status, attempts and the last error.",
        "fleetops.cli.notifications",
    ),
    listed(
        "notify",
        (
            "Send an announcement (event announcement.posted) to every channel that takes its level;\n"
            "exit 1 when a delivery failed."
        ),
        "fleetops.cli.notify",
    ),
    listed(
        "plan",
        "Show the waves, rollout batches, gates and estimated duration of a deployment.",
        "fleetops.cli.plan",
    ),
    listed(
        "releases",
        "List releases newest first: number, version, status, and the deployment that pinned them.",
        "fleetops.cli.releases",
    ),
    listed(
        "report",
        (
            "Deployments, success rate, durations, rollbacks and causes, failures by service and "
            "step,\n"
            "MTTR, the four DORA keys with their bands, and availability against each service's SLO."
        ),
        "fleetops.cli.report",
    ),
    listed(
        "restore",
        (
            "Restore a datastore from a backup (or, PostgreSQL, to a point in time): lock, pause the\n"
            "services using it, snapshot it, restore, verify its row counts, resume the services "
            "behind\n"
            "their health checks, unlock. On a failure the snapshot is put back."
        ),
        "fleetops.cli.restore",
    ),
    listed("server", "Run the control-plane server in the foreground until Ctrl-C.", "fleetops.cli.serve"),
    listed(
        "up",
        "Start the control plane in the background and bring the fleet to its desired state.",
        "fleetops.cli.up",
    ),
    listed(
        "down",
        "Stop the control plane ``up`` started and every process it started (or one environment).",
        "fleetops.cli.up",
    ),
    listed(
        "validate",
        "Check a fleet file and report every problem at once, each with file:line:column.",
        "fleetops.cli.validate",
    ),
    listed(
        "schema",
        "Print the JSON Schema of the fleet file (for editor completion and checks).",
        "fleetops.cli.validate",
    ),
    listed(
        "worker",
        "Serve the Activities of runbooks exported with `fleetops sfn export`, until SIGTERM.",
        "fleetops.cli.worker",
    ),
    listed(
        "alarms",
        "Alarms: states (with no command), history, and switching their actions.",
        "fleetops.cli.alarms",
    ),
    listed(
        "audit",
        "The audit log of changes (fleetops audit), and the security audit (fleetops audit security).",
        "fleetops.cli.audit",
    ),
    listed("aws", "Prepare an AWS account for an aws environment.", "fleetops.cli.aws"),
    listed("backup", "Back up datastores and verify backups by restoring them.", "fleetops.cli.backups"),
    listed("bench", "Benchmarks of fleetops on this machine.", "fleetops.cli.bench"),
    listed(
        "drill",
        "Disaster-recovery drills: cause an outage on purpose, recover, measure RTO and RPO.",
        "fleetops.cli.drill",
    ),
    listed("executions", "Runbook executions and their histories.", "fleetops.cli.executions"),
    listed(
        "incident",
        "Incidents: open one with a severity, post updates, resolve it; each change is announced.",
        "fleetops.cli.incidents",
    ),
    listed("lock", "Show and clear deployment locks.", "fleetops.cli.lock"),
    listed(
        "maintenance",
        "Maintenance windows: deployments are refused until they end (by themselves).",
        "fleetops.cli.maintenance",
    ),
    listed(
        "metrics", "The fleet's metrics: CPU, memory, group sizes (CloudWatch names).", "fleetops.cli.metrics"
    ),
    listed(
        "secrets",
        (
            "Secrets: versions with staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS), encrypted at "
            "rest; rotated with proof that every instance picked the new value up."
        ),
        "fleetops.cli.secrets",
    ),
    listed(
        "sfn",
        "Step Functions: state machines, executions, task tokens, activities.",
        "fleetops.cli.sfn",
        "fleetops.cli.sfn_export",
        "fleetops.cli.sfn_backup",
        "fleetops.cli.sfn_versions",
    ),
    listed("token", "Create, list, rotate and revoke API tokens (admin).", "fleetops.cli.tokens"),
)
