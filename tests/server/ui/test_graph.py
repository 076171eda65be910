"""The state machine's layout and each state's status, as the deployment page draws them."""

from __future__ import annotations

import json
from importlib import resources

from fleetops.server.ui.graph import GAP_Y, MARGIN, NODE_HEIGHT, layout, state_statuses
from fleetops.testing.engine import run_definition

CAUGHT = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Inner",
                "States": {
                    "Inner": {
                        "Type": "Fail",
                        "Error": "Boom",
                    }
                },
            },
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Recover"}],
            "Next": "Done",
        },
        "Recover": {"Type": "Pass", "Next": "Broke"},
        "Broke": {"Type": "Fail", "Error": "Broke"},
        "Done": {"Type": "Succeed"},
    },
}


def _row(y: int) -> int:
    return (y - MARGIN) // (NODE_HEIGHT + GAP_Y)


def test_states_sit_one_layer_below_their_deepest_predecessor() -> None:
    definition = json.loads(resources.files("fleetops.runbooks").joinpath("deploy.asl.json").read_text())
    graph = layout(definition)
    rows = {node.name: _row(node.y) for node in graph.nodes}
    assert (rows["Initialize"], rows["Queued"], rows["NeedsApproval"], rows["Approval"]) == (0, 1, 2, 3)
    # NeedsApproval's default skips Approval, yet NotifyStarted comes after it.
    assert rows["NotifyStarted"] == 4
    assert [(e.source, e.target) for e in graph.edges if e.back] == [("WaitForLock", "Initialize")]
    assert {(e.source, e.target, e.kind) for e in graph.edges if e.source == "Waves"} == {
        ("Waves", "Finalize", "next"),
        ("Waves", "MarkFailed", "catch"),
        ("Waves", "RollbackPlan", "catch"),
    }
    assert graph.height == 2 * MARGIN + (max(rows.values()) + 1) * NODE_HEIGHT + max(rows.values()) * GAP_Y


def test_a_failure_caught_by_a_state_and_the_execution_failing_in_a_fail_state() -> None:
    finished = run_definition(CAUGHT, {"items": [1]})
    assert state_statuses(finished.history, set(CAUGHT["States"])) == {
        "Start": "succeeded",
        "Each": "caught",
        "Recover": "succeeded",
        "Broke": "failed",
    }
    statuses = {node.name: node.status for node in layout(CAUGHT, {"Start": "succeeded"}).nodes}
    assert statuses == {
        "Start": "succeeded",
        "Each": "not_entered",
        "Done": "not_entered",
        "Recover": "not_entered",
        "Broke": "not_entered",
    }
