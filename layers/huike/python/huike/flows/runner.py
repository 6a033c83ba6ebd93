"""One wake-up of a timed flow: run the registered handler, record exits, start the next wake-up;
and, when the step's retries run out, the failure on the ledger."""

from __future__ import annotations

from typing import Any

from huike.core import clock, keys
from huike.core.enums import DEFERRED_NOTICE, FLOW_NAMES, Outcome, Purpose
from huike.flows import customers, orders  # noqa: F401 - importing them registers the flows
from huike.flows.agenda import running_on
from huike.flows.registry import FlowResult, continue_at, handler_for


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
        step = result.next_step or state["step"]
        following = continue_at(state, result.wake_at, step, last)
        wake_at = clock.to_iso(result.wake_at)
        return {**state, "outcome": Outcome.CONTINUED, "next": following, "next_wake_at": wake_at, "last": last}
    return {**state, "outcome": result.outcome, "last": last}


def record_failure(state: dict[str, Any], failure: dict[str, Any]) -> dict[str, Any]:
    """The step's retries ran out (the state machine's Catch): leave the failure on the ledger."""
    from huike.sending.service import record_failure as record_on_ledger
    from huike.store.tenants import cached_tenant

    error = str(failure.get("Error") or "States.TaskFailed")
    cause = str(failure.get("Cause") or "")
    flow_name = state.get(DEFERRED_NOTICE) or state.get("flow", "")
    subject, step = _send_key_parts(state)
    record_on_ledger(cached_tenant(state["tenant_id"]), flow_name, subject, step, error, cause)
    return {**state, "outcome": Outcome.FAILED, "last": {"outcome": Outcome.FAILED, "reason": error}}


def _record_exit(state: dict[str, Any], result: FlowResult) -> None:
    from huike.sending.service import record_exit
    from huike.store.tenants import cached_tenant

    flow_name = state.get(DEFERRED_NOTICE) or state["flow"]
    subject, step = _send_key_parts({**state, **result.data})
    tenant = cached_tenant(state["tenant_id"])
    record_exit(tenant, flow_name, subject, step, result.reason or "exit condition met")
    customer_id = state.get("customer_id")  # set by every flow that reserves a marketing send
    if customer_id and flow_name in FLOW_NAMES and tenant.flows.of(flow_name).purpose is Purpose.MARKETING:
        from huike.store.customers import release_reservation

        release_reservation(tenant.tenant_id, customer_id, keys.reservation_key(flow_name, subject))


def _send_key_parts(state: dict[str, Any]) -> tuple[str, str]:
    """The subject and step of the send key the flow sends under (see registry.schedule)."""
    return state.get("send_subject") or state["subject_id"], state.get("send_step") or state["step"]
