"""What a Task ``Resource`` names: a fleetops handler, an activity, or an AWS integration.

"The Resource field MUST be a URI that uniquely identifies the specific task to execute."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ResourceKind(StrEnum):
    """The families of Task resources."""

    HANDLER = "handler"  # fleetops:<name>, or any non-ARN name: a registered Python handler
    ACTIVITY = "activity"  # arn:aws:states:<region>:<account>:activity:<name>
    LAMBDA = "lambda"  # arn:aws:lambda:<region>:<account>:function:<name>
    INTEGRATION = "integration"  # arn:aws:states:::<service>:<action>[.pattern]


class Pattern(StrEnum):
    """Service integration patterns, from the Resource suffix."""

    REQUEST_RESPONSE = ""
    SYNC = ".sync"
    WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"


@dataclass(frozen=True)
class ResourceRef:
    """A parsed Resource: its kind, the name a handler is registered under, and its pattern."""

    raw: str
    kind: ResourceKind
    name: str
    pattern: Pattern

    @property
    def resource_type(self) -> str:
        """``resourceType`` of TaskScheduled events (``lambda``, ``sqs``, ``fleetops``...)."""
        if self.kind is ResourceKind.INTEGRATION:
            return self.name.split(":", 1)[0]
        if self.kind is ResourceKind.LAMBDA:
            return "lambda"
        return "fleetops" if self.kind is ResourceKind.HANDLER else "activity"

    @property
    def short_name(self) -> str:
        """``resource`` of TaskScheduled events."""
        if self.kind is ResourceKind.INTEGRATION:
            return self.name.split(":", 1)[1] + self.pattern.value
        return self.name.removeprefix("fleetops:") + self.pattern.value


_INTEGRATION = re.compile(
    r"^arn:aws[\w-]*:states:::(?P<service>[\w-]+):(?P<action>[\w.:-]+?)(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?$"
)
_ACTIVITY = re.compile(r"^arn:aws[\w-]*:states:[\w-]+:\d{12}:activity:(?P<name>[\w.-]+)$")
_LAMBDA = re.compile(r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:(?P<name>[\w.:-]+)$")

# Optimized integrations Step Functions knows (service -> actions). `aws-sdk:*` covers the rest.
KNOWN_INTEGRATIONS: dict[str, frozenset[str]] = {
    "lambda": frozenset({"invoke"}),
    "dynamodb": frozenset({"getItem", "putItem", "deleteItem", "updateItem"}),
    "sqs": frozenset({"sendMessage"}),
    "sns": frozenset({"publish"}),
    "states": frozenset({"startExecution"}),
    "ecs": frozenset({"runTask"}),
    "batch": frozenset({"submitJob"}),
    "glue": frozenset({"startJobRun"}),
    "events": frozenset({"putEvents"}),
    "apigateway": frozenset({"invoke"}),
    "http": frozenset({"invoke"}),
    "codebuild": frozenset({"startBuild", "stopBuild", "batchGetReports", "startBuildBatch"}),
    "athena": frozenset(
        {"startQueryExecution", "getQueryExecution", "getQueryResults", "stopQueryExecution"}
    ),
    "bedrock": frozenset({"invokeModel", "createModelCustomizationJob"}),
    "eks": frozenset({"runJob", "call", "createCluster", "deleteCluster"}),
    "emr-serverless": frozenset({"startJobRun", "createApplication"}),
    "sagemaker": frozenset({"createTrainingJob", "createTransformJob", "createEndpoint"}),
}


def parse_resource(raw: str) -> ResourceRef | None:
    """Classify ``raw``; None when it is an ARN Step Functions would not recognize."""
    if match := _INTEGRATION.match(raw):
        service, action = match["service"], match["action"]
        pattern = (
            Pattern.SYNC if (match["pattern"] or "").startswith(".sync") else Pattern(match["pattern"] or "")
        )
        if service != "aws-sdk" and action not in KNOWN_INTEGRATIONS.get(service, frozenset()):
            return None
        return ResourceRef(raw, ResourceKind.INTEGRATION, f"{service}:{action}", pattern)
    if match := _ACTIVITY.match(raw):
        return ResourceRef(raw, ResourceKind.ACTIVITY, match["name"], Pattern.REQUEST_RESPONSE)
    if match := _LAMBDA.match(raw):
        return ResourceRef(raw, ResourceKind.LAMBDA, match["name"], Pattern.REQUEST_RESPONSE)
    if raw.startswith("arn:"):
        return None
    for pattern in (Pattern.WAIT_FOR_TASK_TOKEN, Pattern.SYNC):
        if raw.endswith(pattern.value):
            return ResourceRef(raw, ResourceKind.HANDLER, raw.removesuffix(pattern.value), pattern)
    return ResourceRef(raw, ResourceKind.HANDLER, raw, Pattern.REQUEST_RESPONSE)
