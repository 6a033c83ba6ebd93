"""The Wait-state patch: moto's executor waits on the virtual clock, not the wall clock."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import moto

from infra.local.moto_compat import PINNED_MOTO_VERSION

WAIT_A_DAY = {
    "StartAt": "WaitADay",
    "States": {
        "WaitADay": {"Type": "Wait", "Seconds": 86400, "Next": "WaitUntilStamp"},
        "WaitUntilStamp": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_moto_is_the_version_the_patch_was_written_for():
    assert moto.__version__ == PINNED_MOTO_VERSION


def test_waits_follow_the_virtual_clock(runtime):
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(
        name="wait-a-day", definition=json.dumps(WAIT_A_DAY), roleArn="arn:aws:iam::123456789012:role/x"
    )
    start = runtime.clock.now()
    until = start + dt.timedelta(days=1, hours=2)
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name="wait-a-day-1",
        input=json.dumps({"until": until.strftime("%Y-%m-%dT%H:%M:%SZ")}),
    )

    def status() -> str:
        return sfn.describe_execution(executionArn=execution["executionArn"])["status"]

    runtime.advance(seconds=86399)
    assert status() == "RUNNING"
    runtime.advance(seconds=1)  # the Seconds wait is over; now waiting for the timestamp
    assert status() == "RUNNING"
    runtime.advance(to=until - dt.timedelta(seconds=1))
    assert status() == "RUNNING"
    runtime.advance(seconds=1)
    assert status() == "SUCCEEDED"


def test_the_clock_never_moves_backwards(runtime):
    import pytest

    with pytest.raises(ValueError):
        runtime.advance(to=runtime.clock.now() - dt.timedelta(seconds=1))


def test_handlers_read_the_virtual_clock(runtime):
    from huike.core import clock

    runtime.advance(seconds=7 * 86400)
    assert clock.now() == runtime.clock.now()


# -- the clock's cost follows due work ------------------------------------------------------------
def test_moving_the_clock_wakes_only_the_executions_it_makes_due():
    import threading

    from infra.local.clock import VirtualClock

    start = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    clock = VirtualClock(start)
    woken: list[int] = []

    def wait(hours: int) -> None:
        clock.execution_started()
        clock.wait_until(start + dt.timedelta(hours=hours), lambda: True)
        woken.append(hours)
        clock.execution_ended()

    threads = [threading.Thread(target=wait, args=(hours,)) for hours in (3, 1, 2)]
    for thread in threads:
        thread.start()
    assert clock.wait_settled(5) and clock.counts() == (3, 3)
    assert clock.next_deadline() == start + dt.timedelta(hours=1)

    clock.set(start + dt.timedelta(hours=2))
    assert clock.wait_settled(5)
    assert sorted(woken) == [1, 2] and clock.counts() == (1, 1)
    assert clock.next_deadline() == start + dt.timedelta(hours=3)

    clock.close()
    for thread in threads:
        thread.join(5)
    assert sorted(woken) == [1, 2, 3] and clock.counts() == (0, 0)


def test_a_stopped_execution_leaves_its_wait_at_once(runtime):
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(
        name="wait-to-stop", definition=json.dumps(WAIT_A_DAY), roleArn="arn:aws:iam::123456789012:role/x"
    )
    until = (runtime.clock.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name="wait-to-stop-1", input=json.dumps({"until": until})
    )
    runtime.wait_quiescent()
    assert runtime.clock.counts() == (1, 1)

    sfn.stop_execution(executionArn=execution["executionArn"])
    runtime.wait_quiescent()  # without moving the clock: the stop woke the Wait

    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "ABORTED"
    assert runtime.clock.counts() == (0, 0) and runtime.clock.next_deadline() is None


def test_a_stop_that_arrives_before_the_worker_has_its_environment_waits_for_it(runtime):
    """StopExecution right after StartExecution (an order paid the moment it was created): moto's
    worker may not have built its environment yet; the stop waits for it instead of failing."""
    import threading

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    class Environment:
        stopped_with: dict | None = None

        def set_stop(self, **stop) -> None:
            self.stopped_with = stop

    worker = ExecutionWorker.__new__(ExecutionWorker)
    worker.env = None
    environment = Environment()
    threading.Timer(0.05, lambda: setattr(worker, "env", environment)).start()  # the worker thread, later

    worker.stop(stop_date=runtime.clock.now(), error=None, cause="paid")

    assert environment.stopped_with == {"stop_date": runtime.clock.now(), "cause": "paid", "error": None}
