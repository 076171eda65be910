"""Imports every command module so each registers its commands on the app.

One import per line, so that branches adding commands merge without conflicts.
"""

# ruff: noqa: F401

import fleetops.cli.alarms
import fleetops.cli.audit
import fleetops.cli.aws
import fleetops.cli.aws_env
import fleetops.cli.backups
import fleetops.cli.bench
import fleetops.cli.deploy
import fleetops.cli.drill
import fleetops.cli.environments
import fleetops.cli.executions
import fleetops.cli.fleet
import fleetops.cli.health
import fleetops.cli.incidents
import fleetops.cli.lock
import fleetops.cli.maintenance
import fleetops.cli.metrics
import fleetops.cli.notifications
import fleetops.cli.notify
import fleetops.cli.plan
import fleetops.cli.releases
import fleetops.cli.report
import fleetops.cli.restore
import fleetops.cli.secrets
import fleetops.cli.serve
import fleetops.cli.sfn
import fleetops.cli.sfn_backup
import fleetops.cli.sfn_export
import fleetops.cli.sfn_versions
import fleetops.cli.tokens
import fleetops.cli.up
import fleetops.cli.validate
import fleetops.cli.worker
