"""``fleetops worker --env ENV``: serve the activities of runbooks exported to Step Functions.

It lists the activities ``fleetops sfn export`` made for the environment
(``fleetops-<fleet>-<env>-<handler>``) and polls each with GetActivityTask (``--concurrency``
pollers per activity: so many tasks of one activity run at once). A task's handler runs in the
environment's control plane (``POST /api/v1/tasks/run``), where its fleet lives; while it runs
the worker sends SendTaskHeartbeat every third of the task's HeartbeatSeconds; then it reports
SendTaskSuccess with the output, or SendTaskFailure with the error the runbooks catch. A task it
could not run (control plane unreachable, stopping) fails with ``fleetops.WorkerStopped``, which
the exported Task states retry, as they retry ``States.HeartbeatTimeout`` when a worker dies.
A task that waits for its token (the approval gate) is handed over instead: the control plane
keeps its token (sealed, in its store) and ``fleetops approve`` / ``reject`` answer it, so the
worker holds nothing once the handler ran and may stop or die meanwhile.

SIGTERM or Ctrl-C: no new poll starts; tasks in hand are finished and reported; a poll already
waiting (up to a minute on AWS) may still bring a task, which is run too; then it exits 0.
Several workers, on several machines, share the work; each task goes to one of them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, connect
from fleetops.cli.options import FileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.progress import say as _say
from fleetops.cli.sfn_client import aws_errors, target_client
from fleetops.cli.sfn_export import EndpointOption, RegionOption, environment_settings
from fleetops.errors import BadInput, FleetopsError
from fleetops.runbooks.activities import WORKER_STOPPED, ActivityNames


def say(text: str) -> None:
    """One timestamped line of the worker's log, on stderr (flushed): stdout carries only its
    summary when it stops, a JSON document with ``-o json``."""
    _say(text, OutputFormat.JSON)  # progress goes where a document's progress goes: stderr


# Step Functions' limits on SendTaskFailure's members.
ERROR_LIMIT = 256
CAUSE_LIMIT = 32768


@dataclass(frozen=True)
class Activity:
    """An exported activity and the handler it stands for."""

    arn: str
    handler: str


def exported_activities(client: Any, names: ActivityNames) -> list[Activity]:
    """The environment's activities on the endpoint, by handler."""
    found = []
    for page in client.get_paginator("list_activities").paginate():
        for item in page["activities"]:
            handler = names.handler(item["name"])
            if handler is not None:
                found.append(Activity(item["activityArn"], handler))
    return sorted(found, key=lambda a: a.handler)


class Worker:
    """Pollers, one task each at a time, and the stop flag SIGTERM sets."""

    def __init__(
        self, client: Any, api_for: Any, activities: list[Activity], *, name: str, concurrency: int
    ) -> None:
        self.client = client
        self.api_for = api_for
        self.activities = activities
        self.name = name
        self.concurrency = concurrency
        self.stopping = threading.Event()
        self.done = 0
        self.failed = 0
        self._count = threading.Lock()

    def run(self) -> None:
        """Poll until stopped; return once every poller has finished its last task."""
        threads = [
            threading.Thread(target=self._poll, args=(activity,), name=f"{activity.handler}-{i}", daemon=True)
            for activity in self.activities
            for i in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _poll(self, activity: Activity) -> None:
        api = self.api_for()
        try:
            while not self.stopping.is_set():
                try:
                    task = self.client.get_activity_task(activityArn=activity.arn, workerName=self.name)
                except Exception as err:  # the endpoint is down or refuses: say so, look again
                    say(f"GetActivityTask {activity.handler}: {err}; polling again in 5 s")
                    self.stopping.wait(5)
                    continue
                if task.get("taskToken"):
                    # Taken: run it even when stopping meanwhile, so no task is dropped.
                    self._serve(api, activity, task["taskToken"], json.loads(task.get("input") or "{}"))
        finally:
            api.close()

    def _serve(self, api: ApiClient, activity: Activity, token: str, task: Any) -> None:
        started = time.monotonic()
        payload = task.get("payload") if isinstance(task, dict) else None
        context = task.get("context", {}) if isinstance(task, dict) else {}
        if context.get("token_key") and isinstance(payload, dict):
            payload = {**payload, context["token_key"]: token}
        beats = _Heartbeats(self.client, token, context.get("heartbeat_seconds"))
        beats.start()
        try:
            answer = self._run(api, activity, token, payload, context)
        finally:
            beats.stop()
        where = str(context.get("execution_arn", "")).rsplit(":", 1)[-1]
        took = time.monotonic() - started
        try:
            if "error" in answer:
                self.client.send_task_failure(
                    taskToken=token,
                    error=str(answer["error"] or "")[:ERROR_LIMIT],
                    cause=str(answer.get("cause") or "")[:CAUSE_LIMIT],
                )
                self._counted(failed=True)
                say(f"{activity.handler} ({where}): failed {answer['error']} in {took:.1f} s")
            elif context.get("wait_for_token"):
                # The task stays open: whoever holds the token (an approval) completes it.
                self._counted(failed=False)
                say(f"{activity.handler} ({where}): handed over, waiting for its task token")
            else:
                self.client.send_task_success(taskToken=token, output=json.dumps(answer.get("output")))
                self._counted(failed=False)
                say(f"{activity.handler} ({where}): succeeded in {took:.1f} s")
        except Exception as err:  # timed out meanwhile, or the endpoint is unreachable: it is retried
            say(f"{activity.handler} ({where}): its result could not be reported ({err}); it is retried")

    def _run(
        self, api: ApiClient, activity: Activity, token: str, payload: Any, context: dict[str, Any]
    ) -> dict[str, Any]:
        body = {
            "resource": f"fleetops:{activity.handler}",
            "payload": payload,
            "context": {
                "execution_arn": str(context.get("execution_arn") or "unknown"),
                "state": str(context.get("state") or activity.handler),
                "attempt": int(context.get("attempt") or 0),
                "task_token": token,
                # An approval gate: the control plane keeps the token, `fleetops approve` answers it.
                "wait_for_token": bool(context.get("wait_for_token")),
            },
        }
        try:
            answer: dict[str, Any] = api.post("/tasks/run", body)
        except BadInput as err:
            return {"error": "fleetops.BadInput", "cause": err.message}
        except FleetopsError as err:
            return {
                "error": WORKER_STOPPED,
                "cause": f"the control plane did not run the task: {err.message}",
            }
        return answer

    def _counted(self, *, failed: bool) -> None:
        with self._count:
            self.done += 1
            self.failed += int(failed)


class _Heartbeats:
    """SendTaskHeartbeat every third of HeartbeatSeconds while a task's handler runs."""

    def __init__(self, client: Any, token: str, heartbeat_seconds: Any) -> None:
        self._client = client
        self._token = token
        self._every = max(float(heartbeat_seconds), 1.0) / 3 if heartbeat_seconds else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def start(self) -> None:
        if self._every is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        assert self._every is not None
        while not self._stop.wait(self._every):
            try:
                self._client.send_task_heartbeat(taskToken=self._token)
            except Exception as err:  # its heartbeat timed out already: the handler's result is refused too
                say(f"heartbeat refused ({err})")
                return


@app.command("worker")
def worker(
    *,
    env: Annotated[
        str, typer.Option("--env", "-e", help="The environment whose exported runbooks it serves.")
    ],
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", "-c", min=1, max=16, help="Pollers per activity (tasks of one activity at once)."
        ),
    ] = 1,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The workerName it polls with (default: host:pid).")
    ] = None,
    file: FileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Serve the Activities of runbooks exported with `fleetops sfn export`, until SIGTERM."""
    target = environment_settings(file, env)
    names, env_region = target.names, target.region
    endpoint_url = endpoint_url or target.endpoint_url
    activities_count = 0
    client = target_client(endpoint_url, region or env_region, pollers=64)
    with aws_errors(endpoint_url or "AWS Step Functions"):
        activities = exported_activities(client, names)
    activities_count = len(activities)
    if not activities:
        raise BadInput(
            f"no activity named {names.prefix}* on {endpoint_url or 'AWS Step Functions'}: "
            f"export the runbooks first (fleetops sfn export --all --env {env})"
        )
    state_dir = state_dir_of(file)
    with connect(state_dir) as api:
        api.get("/whoami")  # the control plane answers and knows the token (else exit 4 before polling)
    me = name or f"{socket.gethostname()}:{os.getpid()}"
    served = Worker(client, lambda: connect(state_dir), activities, name=me, concurrency=concurrency)

    def stop(_signal: int, _frame: object) -> None:
        say("stopping: finishing the tasks in hand (a waiting poll may still bring one)")
        served.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    say(f"worker {me}: serving {activities_count} activities {names.prefix}* ({concurrency} poller(s) each)")
    served.run()
    summary = {"worker": me, "activities": activities_count, "tasks": served.done, "failed": served.failed}
    emit(
        summary,
        output,
        lambda _console: say(f"worker {me}: stopped after {served.done} tasks ({served.failed} failed)"),
    )
