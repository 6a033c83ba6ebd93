"""Order-lifecycle flows: the unpaid reminder, notices, delayed-shipment apology, review invite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huike.config.flows import flow_settings
from huike.core import clock
from huike.flows import FlowResult, flow, schedule
from huike.sending.service import SendOutcome, SendRequest, send
from huike.sending.templates import format_amount
from huike.store import repository
from huike.store.models import Order, Tenant

NOTICES = ("payment_confirmation", "shipping_notice", "delivery_notice", "refund_care")


def order_context(order: Order) -> dict[str, Any]:
    items = order.line_items or []
    first_item = items[0] if items else {}
    return {
        "order_name": order.name or order.order_id,
        "amount": format_amount(order.total_price, order.currency),
        "payment_link": order.payment_url or "",
        "tracking_link": order.tracking_url or "",
        "tracking_number": order.tracking_number or "",
        "carrier": order.carrier or "",
        "product": first_item.get("title") or "order",
    }


def send_for_order(
    tenant: Tenant,
    order: Order,
    flow_name: str,
    step: str,
    template: str | None = None,
    extra_context: dict[str, Any] | None = None,
) -> SendOutcome:
    settings = flow_settings(tenant.flows, flow_name)
    customer = repository.get_customer(tenant.tenant_id, order.customer_id) if order.customer_id else None
    items = order.line_items or []
    return send(
        SendRequest(
            tenant=tenant,
            customer=customer,
            flow=flow_name,
            purpose=settings["purpose"],
            subject_id=order.order_id,
            step=step,
            channels=list(settings["channels"]),
            context={**order_context(order), **(extra_context or {})},
            template=template,
            locale_hints=(order.locale,),
            flow_settings=settings,
            media_urls=[i["image_url"] for i in items if i.get("image_url")][:1],
        )
    )


def _as_result(outcome: SendOutcome) -> FlowResult:
    data = {"channel": outcome.channel, "message_id": outcome.message_id}
    return FlowResult(outcome.outcome, outcome.reason, wake_at=outcome.retry_at, data=data)


def _load(state: dict[str, Any]) -> tuple[Tenant, Order | None]:
    tenant = repository.get_tenant(state["tenant_id"])
    return tenant, repository.get_order(state["tenant_id"], state.get("order_id") or state["subject_id"])


# -- immediate notices -------------------------------------------------------------------------
def notify(tenant: Tenant, order: Order, notice: str) -> SendOutcome | None:
    """Send a transactional notice now; a quiet-hours deferral is handed to the timed flow."""
    if not flow_settings(tenant.flows, notice)["enabled"]:
        return None
    outcome = send_for_order(tenant, order, notice, "1")
    if outcome.outcome == "deferred" and outcome.retry_at is not None:
        schedule(tenant.tenant_id, "notice", order.order_id, outcome.retry_at, notice, notice=notice)
    return outcome


@flow("notice")
def deferred_notice(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult("exited", "order-not-found")
    return _as_result(send_for_order(tenant, order, state["notice"], "1"))


# -- unpaid-order reminder (催付) ----------------------------------------------------------------
def plan_unpaid_reminder(tenant: Tenant, order: Order) -> Any:
    settings = flow_settings(tenant.flows, "unpaid_reminder")
    if not settings["enabled"] or order.status != "pending" or order.placed_at is None:
        return None
    remind_at = order.placed_at + timedelta(minutes=float(settings["delay_minutes"]))
    due_at = order.payment_due_at
    if due_at is not None and (due_at <= clock.now() or remind_at >= due_at):
        return None
    return remind_at


def start_unpaid_reminder(tenant: Tenant, order: Order) -> bool:
    remind_at = plan_unpaid_reminder(tenant, order)
    if remind_at is None:
        return False
    schedule(tenant.tenant_id, "unpaid_reminder", order.order_id, remind_at)
    return True


@flow("unpaid_reminder")
def unpaid_reminder(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult("exited", "order-not-found")
    if order.status != "pending":
        return FlowResult("exited", f"order-{order.status}")
    if order.payment_due_at is not None and clock.now() >= order.payment_due_at:
        return FlowResult("exited", "payment-window-closed")
    settings = flow_settings(tenant.flows, "unpaid_reminder")
    step = state["step"]
    template = "unpaid_reminder_final" if step == "2" else "unpaid_reminder"
    result = _as_result(send_for_order(tenant, order, "unpaid_reminder", step, template))
    if step == "1" and result.outcome in ("sent", "skipped", "duplicate") and settings["second_touch"]:
        due_at = order.payment_due_at
        if due_at is not None:
            second = due_at - timedelta(hours=float(settings["second_touch_hours_before_close"]))
            if second > clock.now():
                return FlowResult("next", result.reason, wake_at=second, next_step="2", data=result.data)
    return result


# -- delayed-shipment apology ----------------------------------------------------------------
def start_delayed_shipment_check(tenant: Tenant, order: Order) -> None:
    settings = flow_settings(tenant.flows, "delayed_shipment")
    if settings["enabled"] and order.paid_at is not None and order.shipped_at is None:
        due = order.paid_at + timedelta(hours=float(settings["promise_hours"]))
        if due > clock.now():
            schedule(tenant.tenant_id, "delayed_shipment", order.order_id, due)


@flow("delayed_shipment")
def delayed_shipment(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult("exited", "order-not-found")
    if order.status != "paid":
        return FlowResult("exited", f"order-{order.status}")
    return _as_result(send_for_order(tenant, order, "delayed_shipment", state["step"]))


# -- review invite -------------------------------------------------------------------------------
def start_review_invite(tenant: Tenant, order: Order) -> None:
    settings = flow_settings(tenant.flows, "review_invite")
    if settings["enabled"] and order.delivered_at is not None and order.customer_id:
        due = order.delivered_at + timedelta(days=float(settings["delay_days"]))
        schedule(tenant.tenant_id, "review_invite", order.order_id, due)
        repository.reserve_marketing(tenant.tenant_id, order.customer_id, f"review_invite#{order.order_id}", due)


@flow("review_invite")
def review_invite(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult("exited", "order-not-found")
    if order.status in ("refunded", "cancelled"):
        return FlowResult("exited", f"order-{order.status}")
    settings = flow_settings(tenant.flows, "review_invite")
    review_link = settings.get("review_url") or order.payment_url or ""
    return _as_result(
        send_for_order(tenant, order, "review_invite", state["step"], extra_context={"review_link": review_link})
    )
