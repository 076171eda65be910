"""The protocol layer against botocore itself: what botocore's serializers send, our parsers read
back to the same parameters; what our serializers answer, botocore's parsers read as AWS's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from fleetops.server.aws import cbor
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.models import service_model
from fleetops.server.aws.protocols import CBOR, EC2, JSON, QUERY, Protocol

MOMENT = datetime(2026, 12, 6, 21, 30, 15, 250000, tzinfo=UTC)


def _sent(
    protocol: str, service: str, operation: str, params: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    model = service_model(service).operation_model(operation)
    body = create_serializer(protocol).serialize_to_request(params, model)["body"]
    if isinstance(body, dict):  # query and ec2: the form's fields, before urlencoding
        return b"", {key: str(value) for key, value in body.items()}
    return (body.encode() if isinstance(body, str) else bytes(body)), {}


def _read(protocol: Protocol, name: str, service: str, operation: str, params: dict[str, Any]) -> Any:
    body, form = _sent(name, service, operation, params)
    return protocol.parse(service_model(service).operation_model(operation), body, form)


def _answer(protocol: Protocol, name: str, service: str, operation: str, output: dict[str, Any]) -> Any:
    model = service_model(service).operation_model(operation)
    response = protocol.respond(model, output, "req-1")
    parsed = create_parser(name).parse(
        {"body": response.body, "headers": dict(response.headers), "status_code": 200}, model.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


REFRESH = {
    "AutoScalingGroupName": "restaurant-menu",
    "DesiredConfiguration": {
        "LaunchTemplate": {"LaunchTemplateId": "lt-0a1b2c3d4e5f60002", "Version": "$Latest"}
    },
    "Preferences": {
        "MinHealthyPercentage": 90,
        "CheckpointPercentages": [50, 100],
        "SkipMatching": True,
        "AlarmSpecification": {"Alarms": ["high-5xx"]},
    },
}


def test_the_query_parser_reads_what_botocore_sends() -> None:
    assert _read(QUERY, "query", "autoscaling", "StartInstanceRefresh", REFRESH) == REFRESH


def test_the_ec2_parser_reads_what_botocore_sends() -> None:
    params = {
        "Filters": [{"Name": "tag:Environment", "Values": ["dev", "stage"]}],
        "InstanceIds": ["menu-1"],
        "MaxResults": 10,
    }
    assert _read(EC2, "ec2", "ec2", "DescribeInstances", params) == params


def test_the_json_parser_reads_what_botocore_sends() -> None:
    params = {
        "logGroupName": "/fleetops/dev/menu",
        "startTime": 1,
        "filterPattern": "ERROR",
        "interleaved": True,
    }
    assert _read(JSON, "json", "logs", "FilterLogEvents", params) == params


def test_the_cbor_parser_reads_what_botocore_sends() -> None:
    params = {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "RequestCount",
        "StartTime": MOMENT,
        "EndTime": MOMENT,
        "Period": 60,
        "Statistics": ["Sum"],
        "ExtendedStatistics": ["p99"],
    }
    assert _read(CBOR, "smithy-rpc-v2-cbor", "cloudwatch", "GetMetricStatistics", params) == params


def test_a_missing_required_member_is_a_validation_error() -> None:
    with pytest.raises(AwsError) as caught:
        QUERY.parse(
            service_model("autoscaling").operation_model("SetDesiredCapacity"),
            b"",
            {"Action": "SetDesiredCapacity", "AutoScalingGroupName": "g"},
        )
    assert (caught.value.code, caught.value.message) == (
        "ValidationError",
        "1 validation error detected: Value null at 'DesiredCapacity' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_a_boolean_is_not_an_integer_in_json() -> None:
    with pytest.raises(AwsError) as caught:
        JSON.parse(service_model("logs").operation_model("FilterLogEvents"), b'{"limit": true}', {})
    assert (
        "Value True at 'limit' failed to satisfy constraint: Member must be an integer"
        in caught.value.message
    )


GROUPS = {
    "AutoScalingGroups": [
        {
            "AutoScalingGroupName": "restaurant-menu",
            "MinSize": 1,
            "MaxSize": 3,
            "DesiredCapacity": 2,
            "DefaultCooldown": 300,
            "AvailabilityZones": ["eu-west-1a"],
            "HealthCheckType": "ELB",
            "CreatedTime": MOMENT,
            "Instances": [
                {
                    "InstanceId": "menu-1",
                    "AvailabilityZone": "eu-west-1a",
                    "LifecycleState": "InService",
                    "HealthStatus": "Healthy",
                    "ProtectedFromScaleIn": False,
                }
            ],
            "Tags": [{"Key": "Environment", "Value": "dev", "PropagateAtLaunch": True}],
        }
    ]
}


def test_botocore_reads_our_query_answer() -> None:
    assert _answer(QUERY, "query", "autoscaling", "DescribeAutoScalingGroups", GROUPS) == GROUPS


def test_botocore_reads_our_ec2_answer() -> None:
    output = {
        "Reservations": [
            {
                "ReservationId": "r-1",
                "Instances": [{"InstanceId": "menu-1", "State": {"Code": 16, "Name": "running"},
                               "Tags": [{"Key": "Environment", "Value": "dev"}], "LaunchTime": MOMENT}],
            }
        ]
    }  # fmt: skip
    assert _answer(EC2, "ec2", "ec2", "DescribeInstances", output) == output


def test_botocore_reads_our_json_and_cbor_answers() -> None:
    output = {"Label": "RequestCount", "Datapoints": [{"Timestamp": MOMENT, "Sum": 25.0, "Unit": "Count",
                                                       "ExtendedStatistics": {"p99": 1.0}}]}  # fmt: skip
    assert _answer(JSON, "json", "cloudwatch", "GetMetricStatistics", output) == output
    assert _answer(CBOR, "smithy-rpc-v2-cbor", "cloudwatch", "GetMetricStatistics", output) == output


def test_a_misspelled_member_is_a_bug_not_a_silently_dropped_field() -> None:
    model = service_model("sts").operation_model("GetCallerIdentity")
    with pytest.raises(KeyError, match="Acount"):
        QUERY.respond(model, {"Acount": "123456789012"}, "req-1")


@pytest.mark.parametrize(
    "value",
    [
        0,
        23,
        24,
        255,
        65536,
        2**40,
        -1,
        -500,
        1.5,
        "ünïcode",
        b"\x00\x01",
        [1, [2]],
        {"a": {"b": None}},
        True,
        False,
    ],
)
def test_cbor_round_trips(value: Any) -> None:
    assert cbor.loads(cbor.dumps(value)) == value


def test_cbor_reads_indefinite_lengths_and_epoch_tags() -> None:
    # {_ "a": [_ 1, 2], "t": 1(1.5)}: an indefinite map holding an indefinite array and a timestamp.
    data = bytes.fromhex("bf6161 9f0102ff 6174 c1 f93e00 ff".replace(" ", ""))
    assert cbor.loads(data) == {"a": [1, 2], "t": datetime.fromtimestamp(1.5, UTC)}


def test_cbor_refuses_a_truncated_item() -> None:
    with pytest.raises(cbor.CborError, match="ends in the middle"):
        cbor.loads(bytes.fromhex("62 61"))
