"""One wake-up of a timed flow: run the registered handler, record exits, shape the next state."""

from __future__ import annotations

from typing import Any

from huike.core import clock
from huike.core.enums import DEFERRED_NOTICE, Outcome
from huike.flows import customers, orders  # noqa: F401 - importing them registers the flows
from huike.flows.registry import FlowResult, handler_for, running_on


def run_step(state: dict[str, Any], state_machine_arn: str | None = None) -> dict[str, Any]:
    """One wake-up of a timed flow; returns the execution's next state."""
    running_on(state_machine_arn)
    handler = handler_for(state.get("flow", ""))
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
