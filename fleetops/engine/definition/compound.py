"""Builders of the states that contain state machines: Parallel (Branches) and Map (ItemProcessor)."""

from __future__ import annotations

from collections.abc import Mapping

from fleetops.engine.definition import fields as f
from fleetops.engine.definition.build import Build, error_handling, result_fields
from fleetops.engine.definition.common import MISSING, QueryLanguage
from fleetops.engine.definition.states import AnyState, MapState, ParallelState


def parallel(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    branches_node = body.get("Branches")
    branches = []
    if not isinstance(branches_node, list) or not branches_node:
        problems.add(pointer, "These fields are required: [Branches]")
        branches_node = []
    for index, node in enumerate(branches_node):
        at = f"{pointer}/Branches[{index}]"
        if not isinstance(node, Mapping):
            problems.add(at, "A branch must be an object")
            continue
        branch = b.parse_machine(node, at, problems, problems.machine_language)
        if branch is not None:
            branches.append(branch)
    extra = result_fields(body, pointer, problems, language) | error_handling(
        body, pointer, problems, language
    )
    return ParallelState(**common, **extra, branches=tuple(branches))


def map_state(b: Build) -> AnyState | None:
    body, pointer, problems, language, common = b.body, b.pointer, b.problems, b.language, b.common
    processor_field = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    node = body.get(processor_field)
    processor = None
    mode = "INLINE"
    if not isinstance(node, Mapping):
        problems.add(pointer, "These fields are required: [ItemProcessor]")
    else:
        config = node.get("ProcessorConfig", {})
        mode = config.get("Mode", "INLINE") if isinstance(config, Mapping) else "INLINE"
        if mode not in ("INLINE", "DISTRIBUTED"):
            problems.add(
                f"{pointer}/{processor_field}/ProcessorConfig/Mode",
                f"The value {mode!r} is not one of [INLINE, DISTRIBUTED]",
            )
        processor = b.parse_machine(node, f"{pointer}/{processor_field}", problems, problems.machine_language)
    if "ItemReader" in body:
        problems.add(
            f"{pointer}/ItemReader",
            "ItemReader is not supported by fleetops (it reads items from S3); "
            "give the items in the state input "
            "with ItemsPath or Items",
            code="UNSUPPORTED_FEATURE",
        )
    if "ResultWriter" in body:
        problems.add(
            f"{pointer}/ResultWriter",
            "ResultWriter is not supported by fleetops (it writes results to S3)",
            code="UNSUPPORTED_FEATURE",
        )
    selector_field = "ItemSelector" if "ItemSelector" in body or "Parameters" not in body else "Parameters"
    item_selector = body.get(selector_field, MISSING)
    extra = result_fields(body, pointer, problems, language) | error_handling(
        body, pointer, problems, language
    )
    extra.pop("parameters", None)
    if language is QueryLanguage.JSONPATH:
        f.payload_template(item_selector, f"{pointer}/{selector_field}", problems)
        extra["items_path"] = f.path(body.get("ItemsPath", "$"), f"{pointer}/ItemsPath", problems)
    batcher = body.get("ItemBatcher")
    if processor is None:
        return None
    return MapState(
        **common,
        **extra,
        processor=processor,
        mode=mode,
        label=body.get("Label") if isinstance(body.get("Label"), str) else None,
        items=body.get("Items", MISSING),
        item_selector=item_selector,
        item_selector_field=selector_field,
        item_batcher=batcher if isinstance(batcher, Mapping) else None,
        max_concurrency=body.get("MaxConcurrency", 0),
        max_concurrency_path=f.path(
            body.get("MaxConcurrencyPath"), f"{pointer}/MaxConcurrencyPath", problems
        ),
        tolerated_failure_percentage=body.get("ToleratedFailurePercentage", MISSING),
        tolerated_failure_percentage_path=f.path(
            body.get("ToleratedFailurePercentagePath"), f"{pointer}/ToleratedFailurePercentagePath", problems
        ),
        tolerated_failure_count=body.get("ToleratedFailureCount", MISSING),
        tolerated_failure_count_path=f.path(
            body.get("ToleratedFailureCountPath"), f"{pointer}/ToleratedFailureCountPath", problems
        ),
    )
