"""``Fleet``: a whole fleet file, validated with the checks that span its sections.

Its parts (environments, services and their settings) are in ``models.py`` and
``resources.py``; the checks across them (references, capacity, cycles) in ``checks.py``.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from fleetops.spec.checks import Parts, check_parts
from fleetops.spec.models import Environment, Service
from fleetops.spec.resources import (
    Alarm,
    Channel,
    CompositeAlarm,
    Datastore,
    Drills,
    HealthCheckName,
    Name,
    Secret,
    Spec,
)


class Fleet(Spec):
    """Everything in one fleet file."""

    name: str = Field(default="fleet", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    environments: dict[Name, Environment] = Field(min_length=1)
    services: dict[Name, Service] = Field(min_length=1)
    secrets: dict[Name, Secret] = Field(default_factory=dict)
    datastores: dict[Name, Datastore] = Field(default_factory=dict)
    alarms: dict[Name, Alarm] = Field(default_factory=dict)
    composite_alarms: dict[Name, CompositeAlarm] = Field(
        default_factory=dict,
        description="Alarms combining other alarms' states with a rule (ALARM(a) AND NOT OK(b)).",
    )
    notifications: dict[Name, Channel] = Field(default_factory=dict)
    checklists: dict[Name, list[HealthCheckName]] = Field(
        default_factory=dict,
        description="`fleetops health --checklist NAME`: the checks each runs; a built-in name "
        "(pre-deploy, post-deploy, daily) redefines that checklist.",
    )
    drills: Drills | None = Field(
        default=None,
        description="Targets of the disaster-recovery drills (`fleetops drill`): {rto: 15m, rpo: 1h}.",
    )
    _base_dir: FilePath = PrivateAttr(default_factory=FilePath)

    @property
    def base_dir(self) -> FilePath:
        """The fleet file's folder (``run.cwd`` and sqlite paths are relative to it)."""
        return self._base_dir

    def with_base_dir(self, folder: FilePath) -> Fleet:
        """This fleet, remembering the folder its file is in."""
        self._base_dir = folder
        return self

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Fleet:
        # The loader runs the same checks itself (with file positions, alongside field errors).
        if isinstance(info.context, dict) and info.context.get("skip_cross_checks"):
            return self
        problems = check_parts(self.parts())
        if problems:
            raise ValueError("; ".join(f"{'.'.join(map(str, p.path))}: {p.message}" for p in problems))
        return self

    def parts(self) -> Parts:
        """Its sections, as the cross-section checks read them."""
        return Parts(
            environments=self.environments,
            services=self.services,
            secrets=self.secrets,
            datastores=self.datastores,
            alarms=self.alarms,
            composite_alarms=self.composite_alarms,
            notifications=self.notifications,
        )

    def service(self, name: str, environment: str) -> Service:
        """Service ``name`` as it runs in ``environment``."""
        return self.services[name].in_environment(environment)
