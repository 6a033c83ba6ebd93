"""When a timed flow's wake-up becomes an execution.

A wake-up due before the end of tomorrow (UTC) starts its execution at once; one due later is
kept on the agenda (store.agenda) and started by the sweep, which runs daily (template.yaml,
AgendaSweepFunction) and starts everything due through the end of the next day. So no execution
waits more than two days (plus a quiet-hours deferral), whatever the flow's horizon: a store's
open executions follow its daily volume, not its customer count (docs/decisions.md has the
arithmetic). A flow's next touch (a deferral, a second touch) is a new execution or agenda entry,
so each execution is one wait and one step.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from huike.core import clock

REACH = timedelta(days=1)  # the sweep on day D starts what is due through the end of D + 1
CATCH_UP_DAYS = 2  # and what earlier sweeps missed (an outage), sent late rather than never
SWEEP_SAFETY_SECONDS = 30.0  # stop while a run can still finish its last start cleanly
# The machine running the current step: the flow task cannot be given its ARN in the template
# (the machine's definition references the function), so the execution passes its own.
_running_machine: ContextVar[str | None] = ContextVar("running_machine", default=None)


def running_on(state_machine_arn: str | None) -> None:
    """Note the machine running the current step (machine_arn() falls back to it)."""
    _running_machine.set(state_machine_arn)


def machine_arn() -> str:
    """The timed-flow state machine: the function's setting, else the one running this step."""
    from huike.config.env import environment

    machine = environment().timed_flow_state_machine_arn or _running_machine.get()
    if not machine:
        raise RuntimeError("no timed-flow state machine ARN: set TIMED_FLOW_STATE_MACHINE_ARN")
    return machine


def within_reach(wake_at: datetime, now: datetime) -> bool:
    """Due before the end of tomorrow (UTC): the next sweep would already be too late to start it."""
    return wake_at.astimezone(UTC).date() <= (now.astimezone(UTC) + REACH).date()


def start_or_keep(
    name: str, state: dict[str, Any], wake_at: datetime, slot: str | None = None, *, replacing: bool = True
) -> str:
    """Start the execution `name` now when its wake-up is within reach, else keep it on the agenda
    under `slot` (default: its name; a later wake-up kept under the same slot replaces it, and one
    started at once drops the slot's kept entry when `replacing`)."""
    from huike.aws.stepfunctions import start_execution
    from huike.store import agenda

    if within_reach(wake_at, clock.now()):
        arn = start_execution(machine_arn(), name, state)
        if replacing and slot is not None and slot != name:
            agenda.cancel(slot)  # an earlier wake-up of this slot, now superseded
        return arn
    agenda.keep(slot or name, name, wake_at, state)
    return name


def cancel(name: str, why: str) -> None:
    """Drop a wake-up that can no longer send (check-on-wake stays the rule; this only saves its
    run): off the agenda when kept there, stopped while its execution waits. Nothing happens when
    it was never scheduled or has already run."""
    from huike.aws.stepfunctions import stop_execution
    from huike.store import agenda

    agenda.cancel(name)
    stop_execution(machine_arn(), name, why)


def sweep(time_left: Callable[[], float] | None = None) -> dict[str, Any]:
    """Start every kept wake-up due through the end of tomorrow (and any an earlier run missed)."""
    from huike.aws.stepfunctions import start_execution
    from huike.store import agenda

    today = clock.now().astimezone(UTC).date()
    started = superseded = 0
    machine = machine_arn()
    for offset in range(-CATCH_UP_DAYS, REACH.days + 1):
        for entry in agenda.due_on(today + timedelta(days=offset)):
            if time_left is not None and time_left() < SWEEP_SAFETY_SECONDS:
                return {"started": started, "superseded": superseded, "complete": False}
            start_execution(machine, str(entry.execution), entry.input)
            if agenda.remove_started(entry):
                started += 1
            else:  # replaced since the query: the new entry waits for its own day
                superseded += 1
    return {"started": started, "superseded": superseded, "complete": True}
