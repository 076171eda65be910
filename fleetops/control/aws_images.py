"""Whether the image a release of a version would use exists on AWS (``fleetops health
--version``), found the way the provider builds that release (``fleetops.providers.aws``):

- An Auto Scaling service's release is a launch template version with ``aws.images[version]``
  as its AMI, else the AMI of the version the group launches now: EC2 DescribeImages of that
  AMI, which must be ``available``.
- An ECS service's release is a task definition revision whose first container runs
  ``aws.images[version]``, else the current image retagged with the version: ECR DescribeImages
  of that tag (or digest) when the image is in ECR in the environment's region; an image in
  another registry is said not checked.

Nothing is created: the release itself is made by the deployment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fleetops.errors import Refused
from fleetops.ops.health import VersionSeen
from fleetops.providers.aws.autoscaling import AutoScalingService
from fleetops.providers.aws.backend import ServiceBackend
from fleetops.providers.aws.ecs import EcsService, retag
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call

ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
_AMI_MISSING = ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable")
_ECR_MISSING = ("ImageNotFoundException", "RepositoryNotFoundException")


def versions_on_aws(
    backends: Mapping[str, ServiceBackend], clients: AwsClients, version: str
) -> list[VersionSeen]:
    """Per service (sorted): whether the image its release of ``version`` would run exists; a
    service whose image could not be looked for (a failed call, a missing IAM permission) fails
    with the error, the others are still checked."""
    seen = []
    for name in sorted(backends):
        backend = backends[name]
        try:
            if isinstance(backend, AutoScalingService):
                seen.append(_ami(backend, clients, version))
            elif isinstance(backend, EcsService):
                seen.append(_container_image(backend, clients, version))
            else:
                seen.append(VersionSeen(name, None, "not checked: not an Auto Scaling or ECS service"))
        except (AwsError, Refused) as err:  # Refused: MissingPermission, no credentials
            seen.append(VersionSeen(name, False, f"its image could not be looked for: {err}"))
    return seen


def _ami(backend: AutoScalingService, clients: AwsClients, version: str) -> VersionSeen:
    listed = backend.aws.images.get(version)
    if listed is not None:
        image, source = listed, f"aws.images[{version}]"
    else:
        number = backend.template_version()
        (current,) = aws_call(
            "ec2:DescribeLaunchTemplateVersions",
            f"{backend.template_id} version {number}",
            clients.ec2.describe_launch_template_versions,
            LaunchTemplateId=backend.template_id,
            Versions=[str(number)],
        )["LaunchTemplateVersions"]
        image = str(current.get("LaunchTemplateData", {}).get("ImageId", ""))
        source = f"{version} not in aws.images: the AMI of launch template version {number}"
        if not image:
            return VersionSeen(backend.service, False, f"{source} has no ImageId")
    try:
        found = aws_call("ec2:DescribeImages", image, clients.ec2.describe_images, ImageIds=[image])["Images"]
    except AwsError as err:
        if err.code not in _AMI_MISSING:
            raise
        found = []
    if not found:
        return VersionSeen(backend.service, False, f"AMI {image} ({source}) does not exist")
    state = str(found[0].get("State", ""))
    if state != "available":
        return VersionSeen(backend.service, False, f"AMI {image} ({source}) is {state}, not available")
    return VersionSeen(backend.service, True, f"AMI {image} ({source}) exists, available")


def _container_image(backend: EcsService, clients: AwsClients, version: str) -> VersionSeen:
    listed = backend.aws.images.get(version)
    if listed is not None:
        image, source = listed, f"aws.images[{version}]"
    else:
        current = str(backend.describe_service()["taskDefinition"])
        definition = aws_call(
            "ecs:DescribeTaskDefinition",
            current,
            clients.ecs.describe_task_definition,
            taskDefinition=current,
        )["taskDefinition"]
        image = retag(str(definition["containerDefinitions"][0]["image"]), version)
        source = "the current image tagged with the version"
    matched = ECR_IMAGE.match(image)
    if matched is None or matched["region"] != clients.region:
        where = "not in ECR" if matched is None else f"in ECR of {matched['region']}, not {clients.region}"
        return VersionSeen(backend.service, None, f"not checked: image {image} ({source}) is {where}")
    image_id = {"imageTag": matched["tag"]} if matched["tag"] else {"imageDigest": matched["digest"]}
    try:
        aws_call(
            "ecr:DescribeImages",
            image,
            clients.client("ecr").describe_images,
            registryId=matched["registry"],
            repositoryName=matched["repository"],
            imageIds=[image_id],
        )
    except AwsError as err:
        if err.code not in _ECR_MISSING:
            raise
        return VersionSeen(backend.service, False, f"image {image} ({source}) is not in ECR: {err.code}")
    return VersionSeen(backend.service, True, f"image {image} ({source}) exists in ECR")
