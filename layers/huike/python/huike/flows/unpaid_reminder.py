"""Unpaid-order reminder (催付): start on a pending order, re-check and send on wake-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huike import clock, repository
from huike.flows.config import flow_settings
from huike.models import Order, Tenant

FLOW = "unpaid_reminder"


def plan_start(tenant: Tenant, order: Order) -> dict[str, Any] | None:
    """The execution input for a new pending order, or None when no reminder is due."""
    settings = flow_settings(tenant.flows, FLOW)
    if not settings["enabled"] or order.status != "pending" or order.placed_at is None:
        return None
    remind_at = order.placed_at + timedelta(minutes=float(settings["delay_minutes"]))
    due_at = order.payment_due_at
    if due_at is not None and (due_at <= clock.now() or remind_at >= due_at):
        return None
    return {
        "tenant_id": tenant.tenant_id,
        "order_id": order.order_id,
        "flow": FLOW,
        "step": "1",
        "remind_at": clock.to_iso(remind_at),
    }


def start(tenant: Tenant, order: Order) -> bool:
    """Schedule the reminder: one execution per order (deterministic name). False if none is due."""
    from huike.adapters.stepfunctions import execution_name, start_execution
    from huike.settings import settings

    payload = plan_start(tenant, order)
    if payload is None:
        return False
    name = execution_name(FLOW, tenant.tenant_id, order.order_id)
    start_execution(settings().unpaid_reminder_state_machine_arn, name, payload)
    return True


def wake(tenant_id: str, order_id: str, step: str) -> dict[str, Any]:
    """Called by the state machine when the wait is over: re-check exits, then send."""
    from huike.sending import SendOutcome, SendRequest, send
    from huike.templates import format_amount

    tenant = repository.get_tenant(tenant_id)
    order = repository.get_order(tenant_id, order_id)
    if order is None:
        return SendOutcome("exited", reason="order-not-found").as_dict()
    if order.status != "pending":
        return SendOutcome("exited", reason=f"order-{order.status}").as_dict()
    if order.payment_due_at is not None and clock.now() >= order.payment_due_at:
        return SendOutcome("exited", reason="payment-window-closed").as_dict()
    customer = repository.get_customer(tenant_id, order.customer_id) if order.customer_id else None
    settings = flow_settings(tenant.flows, FLOW)
    outcome = send(
        SendRequest(
            tenant=tenant,
            customer=customer,
            flow=FLOW,
            purpose=settings["purpose"],
            subject_id=order_id,
            step=step,
            channels=list(settings["channels"]),
            context={
                "order_name": order.name,
                "amount": format_amount(order.total_price, order.currency),
                "payment_link": order.payment_url or "",
            },
            locale_hints=(order.locale,),
            flow_settings=settings,
        )
    )
    return outcome.as_dict()
