"""The lines a followed execution prints when the output is not a terminal."""

from __future__ import annotations

from fleetops.cli.progress import execution_lines, rollout_summary

FAILED = {
    "execution": "deploy-dev-1",
    "status": "FAILED",
    "error": "fleetops.RolloutFailed",
    "cause": "menu bad (release #3): health check failed",
    "waiting_for_approval": False,
    "services": [
        {
            "service": "menu",
            "version": "bad",
            "wave": 1,
            "status": "Failed",
            "rollout": {
                "status": "Failed",
                "percentage_complete": 50,
                "instances_to_update": 1,
                "checkpoint": None,
                "status_reason": "health check failed",
            },
        }
    ],
    "rollback": [{"service": "menu", "version": "v2", "status": "Waiting", "rollout": None}],
    "skipped": [{"service": "notifications", "reason": "already on v2 (release #2, verified)"}],
}


def test_one_line_per_rollout_and_skipped_service_then_the_status_and_no_failure_detail() -> None:
    # The failure's detail is the command's error, printed once when it ends: not a line too.
    assert list(execution_lines(FAILED).values()) == [
        "deploy-dev-1: menu (wave 1) bad Failed 50%, 1 to update: health check failed",
        "deploy-dev-1: menu (rollback) v2 Waiting",
        "deploy-dev-1: notifications is already on v2 (release #2, verified)",
        "deploy-dev-1: FAILED",
    ]


def test_the_approval_gate_names_the_command_that_approves() -> None:
    waiting = {**FAILED, "status": "RUNNING", "error": None, "waiting_for_approval": True, "services": []}
    assert execution_lines({**waiting, "rollback": [], "skipped": []}) == {
        "": "deploy-dev-1: RUNNING, waiting for approval: fleetops approve deploy-dev-1 (or --reject)"
    }


def test_a_rollout_at_a_checkpoint_says_its_percentage_once() -> None:
    at_checkpoint = {"status": "InProgress", "percentage_complete": 50, "checkpoint": "50%"}
    assert rollout_summary(at_checkpoint, "InProgress", "v2") == "v2 InProgress 50%, checkpoint 50%"
