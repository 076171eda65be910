"""The AWS protocols over the local fleet (``POST /`` and ``/service/<target>/operation/<name>``).

``router`` routes a call as AWS does and answers it; ``protocols`` (with ``query``,
``documents`` and ``cbor``) reads requests and writes answers by walking botocore's service
models (``models``); ``operations`` registers the handlers, one module per service (``sts``,
``autoscaling`` with ``policies``, ``ec2``, ``elbv2``, ``cloudwatch``, ``logs``,
``secretsmanager``), which act through the fleet runtimes under the names ``resources`` (groups)
and ``alarm_targets`` (alarms) give them. Nothing is imported here, so that the Step
Functions module can use ``auth`` and ``errors`` without loading the router.
"""
