"""Order-lifecycle flows: the unpaid reminder, notices, delayed-shipment apology, review invite."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from huike.config.tenant import TenantConfig
from huike.core import clock, keys
from huike.core.enums import DEFERRED_NOTICE, FlowName, OrderStatus, Outcome
from huike.flows.registry import FlowResult, cancel, flow, schedule
from huike.store import customers as customer_store
from huike.store import orders as order_store
from huike.store import tenants
from huike.store.orders import Order

if TYPE_CHECKING:
    from huike.sending.service import SendOutcome

CONTINUING = (Outcome.SENT, Outcome.SKIPPED, Outcome.DUPLICATE)


def order_context(order: Order, tenant: TenantConfig) -> dict[str, Any]:
    from huike.sending.templates import Money

    items = order.line_items or []
    first_item = items[0] if items else {}
    return {
        "order_name": order.name or order.order_id,
        "amount": Money(order.total_price, order.currency),
        # The shop is where a buyer without the order's own payment page can still pay.
        "payment_link": order.payment_url or tenant.settings.links.shop_url or "",
        "tracking_link": order.tracking_url or "",
        "tracking_number": order.tracking_number or "",
        "carrier": order.carrier or "",
        "product": first_item.get("title") or "order",
    }


def send_for_order(
    tenant: TenantConfig,
    order: Order,
    flow_name: FlowName,
    step: str,
    template: str | None = None,
    extra_context: dict[str, Any] | None = None,
) -> SendOutcome:
    # Sending loads when a flow sends, not where one is only scheduled (the webhook).
    from huike.sending.service import SendRequest, send

    customer = customer_store.get_customer(tenant.tenant_id, order.customer_id) if order.customer_id else None
    items = order.line_items or []
    return send(
        SendRequest(
            tenant=tenant,
            customer=customer,
            flow=flow_name,
            subject_id=order.order_id,
            step=step,
            settings=tenant.flows.of(flow_name),
            context={**order_context(order, tenant), **(extra_context or {})},
            template=template,
            locale_hints=(order.locale,),
            media_urls=[i["image_url"] for i in items if i.get("image_url")][:1],
            contact=order.contact,  # this order's own phone and email, not the profile's newest
        )
    )


def as_result(outcome: SendOutcome) -> FlowResult:
    data = {"channel": outcome.channel, "message_id": outcome.message_id}
    return FlowResult(outcome.outcome, outcome.reason, wake_at=outcome.retry_at, data=data)


def _load(state: dict[str, Any]) -> tuple[TenantConfig, Order | None]:
    tenant = tenants.cached_tenant(state["tenant_id"])
    return tenant, order_store.get_order(state["tenant_id"], state.get("order_id") or state["subject_id"])


# -- immediate notices -------------------------------------------------------------------------
def notify(tenant: TenantConfig, order: Order, notice: FlowName) -> SendOutcome | None:
    """Send a transactional notice now; a quiet-hours deferral is handed to the timed flow."""
    if not tenant.flows.of(notice).enabled:
        return None
    outcome = send_for_order(tenant, order, notice, "1")
    if outcome.outcome is Outcome.DEFERRED and outcome.retry_at is not None:
        schedule(tenant.tenant_id, DEFERRED_NOTICE, order.order_id, outcome.retry_at, notice, notice=notice)
    return outcome


@flow(DEFERRED_NOTICE)
def deferred_notice(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult(Outcome.EXITED, "order-not-found")
    return as_result(send_for_order(tenant, order, FlowName(state[DEFERRED_NOTICE]), "1"))


# -- unpaid-order reminder (催付) ----------------------------------------------------------------
def plan_unpaid_reminder(tenant: TenantConfig, order: Order) -> datetime | None:
    settings = tenant.flows.unpaid_reminder
    if not settings.enabled or order.status is not OrderStatus.PENDING or order.placed_at is None:
        return None
    remind_at = order.placed_at + timedelta(minutes=settings.delay_minutes)
    due_at = order.payment_due_at
    if due_at is not None and (due_at <= clock.now() or remind_at >= due_at):
        return None
    return remind_at


def start_unpaid_reminder(tenant: TenantConfig, order: Order) -> bool:
    remind_at = plan_unpaid_reminder(tenant, order)
    if remind_at is None:
        return False
    schedule(tenant.tenant_id, FlowName.UNPAID_REMINDER, order.order_id, remind_at)
    return True


def drop_unpaid_reminder(tenant: TenantConfig, order: Order) -> None:
    """Paid or cancelled: the reminder will never send (saves its run)."""
    if tenant.flows.unpaid_reminder.enabled and order.placed_at is not None:
        cancel(tenant.tenant_id, FlowName.UNPAID_REMINDER, order.order_id, why=f"order {order.status}")


@flow(FlowName.UNPAID_REMINDER)
def unpaid_reminder(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult(Outcome.EXITED, "order-not-found")
    if order.status is not OrderStatus.PENDING:
        return FlowResult(Outcome.EXITED, f"order-{order.status}")
    if order.payment_due_at is not None and clock.now() >= order.payment_due_at:
        return FlowResult(Outcome.EXITED, "payment-window-closed")
    settings = tenant.flows.unpaid_reminder
    step = state["step"]
    template = "unpaid_reminder_final" if step == "2" else "unpaid_reminder"
    result = as_result(send_for_order(tenant, order, FlowName.UNPAID_REMINDER, step, template))
    if step == "1" and result.outcome in CONTINUING and settings.second_touch and order.payment_due_at is not None:
        second = order.payment_due_at - timedelta(hours=settings.second_touch_hours_before_close)
        if second > clock.now():
            return FlowResult(Outcome.NEXT, result.reason, wake_at=second, next_step="2", data=result.data)
    return result


# -- delayed-shipment apology ----------------------------------------------------------------
def start_delayed_shipment_check(tenant: TenantConfig, order: Order) -> None:
    settings = tenant.flows.delayed_shipment
    if settings.enabled and order.paid_at is not None and order.shipped_at is None:
        due = order.paid_at + timedelta(hours=settings.promise_hours)
        if due > clock.now():
            schedule(tenant.tenant_id, FlowName.DELAYED_SHIPMENT, order.order_id, due)


def drop_delayed_shipment_check(tenant: TenantConfig, order: Order) -> None:
    """Shipped or cancelled: the apology will never send (saves its run)."""
    if tenant.flows.delayed_shipment.enabled and order.paid_at is not None:
        cancel(tenant.tenant_id, FlowName.DELAYED_SHIPMENT, order.order_id, why=f"order {order.status}")


@flow(FlowName.DELAYED_SHIPMENT)
def delayed_shipment(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult(Outcome.EXITED, "order-not-found")
    if order.status is not OrderStatus.PAID:
        return FlowResult(Outcome.EXITED, f"order-{order.status}")
    return as_result(send_for_order(tenant, order, FlowName.DELAYED_SHIPMENT, state["step"]))


# -- review invite -------------------------------------------------------------------------------
def start_review_invite(tenant: TenantConfig, order: Order) -> None:
    settings = tenant.flows.review_invite
    if settings.enabled and order.delivered_at is not None and order.customer_id:
        due = order.delivered_at + timedelta(days=settings.delay_days)
        schedule(tenant.tenant_id, FlowName.REVIEW_INVITE, order.order_id, due, customer_id=order.customer_id)
        key = keys.reservation_key(FlowName.REVIEW_INVITE, order.order_id)
        customer_store.reserve_marketing(tenant.tenant_id, order.customer_id, key, due)


@flow(FlowName.REVIEW_INVITE)
def review_invite(state: dict[str, Any]) -> FlowResult:
    tenant, order = _load(state)
    if order is None:
        return FlowResult(Outcome.EXITED, "order-not-found")
    if order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
        return FlowResult(Outcome.EXITED, f"order-{order.status}")
    settings = tenant.flows.review_invite
    review_link = settings.review_url or tenant.settings.links.review_url or ""
    return as_result(
        send_for_order(tenant, order, FlowName.REVIEW_INVITE, state["step"], extra_context={"review_link": review_link})
    )
