"""AwsClients: the sessions of one process parse botocore's data files once."""

from __future__ import annotations

import pytest
from botocore.loaders import JSONFileLoader

from fleetops.providers.aws.session import AwsClients


def test_a_second_environments_clients_read_no_data_file_again(monkeypatch: pytest.MonkeyPatch) -> None:
    AwsClients("eu-west-1").client("ec2")
    read: list[str] = []
    load_file = JSONFileLoader.load_file

    def recorded(self: JSONFileLoader, file_path: str) -> object:
        read.append(file_path)
        return load_file(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", recorded)
    client = AwsClients("us-east-1").client("ec2")
    assert (read, client.meta.region_name) == ([], "us-east-1")


def test_each_environment_has_its_own_clients() -> None:
    first, second = AwsClients("eu-west-1"), AwsClients("eu-west-1")
    assert first.client("ec2") is not second.client("ec2")
