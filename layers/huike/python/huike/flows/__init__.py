"""Timed flows on one generic state machine (infra/statemachines/timed_flow.asl.json).

An execution's state is {"flow", "tenant_id", "subject_id", "step", "wake_at", ...}. The machine
waits until wake_at and calls run_step(state); the flow re-checks its exit conditions and sends
through the one send path, and returns either the state to wait for next ("outcome": "wait") or
the final state. Execution names are deterministic (keys.execution_name), so scheduling twice is
a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huike.core import clock, keys
from huike.core.enums import DEFERRED_NOTICE, Outcome

WakeHandler = Callable[[dict[str, Any]], "FlowResult"]
_REGISTRY: dict[str, WakeHandler] = {}
# The machine running the current step: the flow task cannot be given its ARN in the template
# (the machine's definition references the function), so the execution passes its own.
_running_machine: ContextVar[str | None] = ContextVar("running_machine", default=None)


@dataclass
class FlowResult:
    outcome: Outcome
    reason: str | None = None
    wake_at: datetime | None = None
    next_step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def flow(name: str) -> Callable[[WakeHandler], WakeHandler]:
    def register(handler: WakeHandler) -> WakeHandler:
        _REGISTRY[name] = handler
        return handler

    return register


def schedule(tenant_id: str, flow_name: str, subject_id: str, wake_at: datetime, *name_parts: str, **extra: Any) -> str:
    """Start (once) the execution that wakes `flow_name` for `subject_id` at `wake_at`."""
    from huike.aws.stepfunctions import start_execution
    from huike.config.env import environment

    state = {
        "flow": flow_name,
        "tenant_id": tenant_id,
        "subject_id": subject_id,
        "step": str(extra.pop("step", "1")),
        "wake_at": clock.to_iso(wake_at),
        **extra,
    }
    name = keys.execution_name(flow_name, tenant_id, subject_id, *name_parts)
    machine = environment().timed_flow_state_machine_arn or _running_machine.get()
    if not machine:
        raise RuntimeError("no timed-flow state machine ARN: set TIMED_FLOW_STATE_MACHINE_ARN")
    return start_execution(machine, name, state)


def run_step(state: dict[str, Any], state_machine_arn: str | None = None) -> dict[str, Any]:
    """One wake-up of a timed flow; returns the execution's next state."""
    _load_flows()
    _running_machine.set(state_machine_arn)
    handler = _REGISTRY.get(state.get("flow", ""))
    if handler is None:
        return {**state, "outcome": Outcome.FAILED, "reason": f"unknown flow {state.get('flow')!r}"}
    result = handler(state)
    if result.outcome is Outcome.EXITED:
        _record_exit(state, result)
    last = {"outcome": result.outcome, "reason": result.reason, **result.data}
    if result.outcome in (Outcome.DEFERRED, Outcome.NEXT) and result.wake_at is not None:
        return {
            **state,
            "outcome": Outcome.WAIT,
            "wake_at": clock.to_iso(result.wake_at),
            "step": result.next_step or state["step"],
            "last": last,
        }
    return {**state, "outcome": result.outcome, "last": last}


def _record_exit(state: dict[str, Any], result: FlowResult) -> None:
    from huike.sending.service import record_exit
    from huike.store.tenants import get_tenant

    flow_name = state.get(DEFERRED_NOTICE) or state["flow"]
    subject = result.data.get("send_subject", state["subject_id"])
    step = result.data.get("send_step", state["step"])
    record_exit(get_tenant(state["tenant_id"]), flow_name, subject, step, result.reason or "exit condition met")


def _load_flows() -> None:
    if not _REGISTRY:
        from huike.flows import customers, orders  # noqa: F401 - registers the flows
