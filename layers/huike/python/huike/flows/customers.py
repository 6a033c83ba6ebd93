"""Customer flows: cart and browse abandonment, win-back on the customer's own cycle, birthday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from huike.config.flows import flow_settings
from huike.core import clock
from huike.flows import FlowResult, flow, schedule
from huike.sending import policy
from huike.sending.service import SendOutcome, SendRequest, send
from huike.store import repository
from huike.store.models import Customer, Tenant


def _send(
    tenant: Tenant,
    customer: Customer | None,
    flow_name: str,
    subject_id: str,
    step: str,
    context: dict[str, Any],
    template: str | None = None,
    media: list[str] | None = None,
) -> FlowResult:
    settings = flow_settings(tenant.flows, flow_name)
    outcome: SendOutcome = send(
        SendRequest(
            tenant=tenant,
            customer=customer,
            flow=flow_name,
            purpose=settings["purpose"],
            subject_id=subject_id,
            step=step,
            channels=list(settings["channels"]),
            context=context,
            template=template,
            flow_settings=settings,
            media_urls=media or [],
        )
    )
    data = {"channel": outcome.channel, "message_id": outcome.message_id}
    return FlowResult(outcome.outcome, outcome.reason, wake_at=outcome.retry_at, data=data)


def _ordered_since(customer: Customer | None, moment: datetime) -> bool:
    return bool(customer and customer.last_order_at and customer.last_order_at >= moment)


# -- cart abandonment ------------------------------------------------------------------------------
def start_cart_abandonment(
    tenant: Tenant, cart_id: str, customer_id: str, updated_at: datetime, reserve: bool = True
) -> None:
    settings = flow_settings(tenant.flows, "cart_abandonment")
    if not settings["enabled"]:
        return
    due = updated_at + timedelta(minutes=float(settings["delay_minutes"]))
    # One execution per cart; a later update moves the due time, which the wake-up re-reads.
    schedule(tenant.tenant_id, "cart_abandonment", cart_id, due, customer_id=customer_id)
    if reserve:
        repository.reserve_marketing(tenant.tenant_id, customer_id, f"cart_abandonment#{cart_id}", due)


@flow("cart_abandonment")
def cart_abandonment(state: dict[str, Any]) -> FlowResult:
    tenant = repository.get_tenant(state["tenant_id"])
    cart = repository.get_cart(state["tenant_id"], state["subject_id"])
    if cart is None:
        return FlowResult("exited", "cart-not-found")
    settings = flow_settings(tenant.flows, "cart_abandonment")
    due = cart.updated_at + timedelta(minutes=float(settings["delay_minutes"]))
    if due > clock.now():
        return FlowResult("next", "cart-updated", wake_at=due)
    if cart.completed_at is not None:
        return FlowResult("exited", "cart-converted")
    customer = repository.get_customer(state["tenant_id"], cart.customer_id) if cart.customer_id else None
    if _ordered_since(customer, cart.updated_at):
        return FlowResult("exited", "ordered-since")
    items = cart.line_items or []
    context = {"cart_link": cart.recovery_url or "", "product": (items[0].get("title") if items else None) or "items"}
    return _send(
        tenant,
        customer,
        "cart_abandonment",
        cart.cart_id,
        "1",
        context,
        media=[i["image_url"] for i in items if i.get("image_url")][:1],
    )


# -- browse abandonment ----------------------------------------------------------------------------
def start_browse_abandonment(
    tenant: Tenant, customer_id: str, product: dict[str, Any], viewed_at: datetime, reserve: bool = True
) -> None:
    settings = flow_settings(tenant.flows, "browse_abandonment")
    if not settings["enabled"]:
        return
    due = viewed_at + timedelta(hours=float(settings["delay_hours"]))
    subject = f"{customer_id}:{product['product_id']}"
    # One execution per customer, product and day viewed; the send path's ledger check keeps it
    # to one message per product per 30 days.
    schedule(
        tenant.tenant_id,
        "browse_abandonment",
        subject,
        due,
        viewed_at.strftime("%Y%m%d"),
        customer_id=customer_id,
        product=product,
        viewed_at=clock.to_iso(viewed_at),
    )
    if reserve:
        repository.reserve_marketing(tenant.tenant_id, customer_id, f"browse_abandonment#{subject}", due)


@flow("browse_abandonment")
def browse_abandonment(state: dict[str, Any]) -> FlowResult:
    tenant = repository.get_tenant(state["tenant_id"])
    customer = repository.get_customer(state["tenant_id"], state["customer_id"])
    viewed_at = clock.parse_iso(state["viewed_at"])
    if _ordered_since(customer, viewed_at):
        return FlowResult("exited", "ordered-since", data={"send_step": viewed_at.strftime("%Y%m%d")})
    settings = flow_settings(tenant.flows, "browse_abandonment")
    horizon = clock.now() - timedelta(days=float(settings["repeat_after_days"]))
    earlier = repository.sends_for(state["tenant_id"], f"browse_abandonment#{state['subject_id']}#")
    if any(r.status == "sent" and r.sent_at and r.sent_at > horizon for r in earlier):
        return FlowResult("exited", "sent-for-this-product-recently", data={"send_step": viewed_at.strftime("%Y%m%d")})
    product = state.get("product") or {}
    context = {"product": product.get("title") or "it", "product_link": product.get("url") or ""}
    step = viewed_at.strftime("%Y%m%d")
    return _send(
        tenant,
        customer,
        "browse_abandonment",
        state["subject_id"],
        step,
        context,
        media=[product["image_url"]] if product.get("image_url") else [],
    )


# -- win-back ----------------------------------------------------------------------------------------
def expected_next_order_at(tenant: Tenant, customer: Customer) -> datetime | None:
    """The customer's own repurchase cycle, else the store's typical one, else 90 days."""
    if customer.last_order_at is None:
        return None
    settings = flow_settings(tenant.flows, "win_back")
    interval = customer.mean_order_interval_days or float(
        settings.get("store_median_interval_days") or settings["default_interval_days"]
    )
    return customer.last_order_at + timedelta(days=interval)


def start_win_back(tenant: Tenant, customer: Customer) -> None:
    settings = flow_settings(tenant.flows, "win_back")
    due = expected_next_order_at(tenant, customer)
    if not settings["enabled"] or due is None or customer.last_order_id is None:
        return
    # Named after the order that set the clock: the next order starts a new cycle, and the
    # pending one exits when it wakes (check-on-wake, no StopExecution on the hot path).
    schedule(
        tenant.tenant_id, "win_back", customer.customer_id, due, customer.last_order_id, order_id=customer.last_order_id
    )
    subject = f"{customer.customer_id}:{customer.last_order_id}"
    repository.reserve_marketing(tenant.tenant_id, customer.customer_id, f"win_back#{subject}", due)


@flow("win_back")
def win_back(state: dict[str, Any]) -> FlowResult:
    tenant = repository.get_tenant(state["tenant_id"])
    customer = repository.get_customer(state["tenant_id"], state["subject_id"])
    if customer is None:
        return FlowResult(
            "exited", "customer-not-found", data={"send_subject": f"{state['subject_id']}:{state['order_id']}"}
        )
    if customer.last_order_id != state["order_id"]:
        return FlowResult(
            "exited", "ordered-since", data={"send_subject": f"{state['subject_id']}:{state['order_id']}"}
        )
    settings = flow_settings(tenant.flows, "win_back")
    step = state["step"]
    context = {"shop_link": settings.get("shop_url") or ""}
    template = "win_back_final" if step == "2" else "win_back"
    result = _send(tenant, customer, "win_back", f"{customer.customer_id}:{state['order_id']}", step, context, template)
    if step == "1" and result.outcome in ("sent", "skipped", "duplicate"):
        second = clock.now() + timedelta(days=float(settings["second_touch_days"]))
        return FlowResult("next", result.reason, wake_at=second, next_step="2", data=result.data)
    return result


# -- birthday ---------------------------------------------------------------------------------------
def next_birthday_at(tenant: Tenant, customer: Customer, after: datetime) -> datetime | None:
    if not customer.birthday:
        return None
    settings = flow_settings(tenant.flows, "birthday")
    born = date.fromisoformat(customer.birthday)
    zone = policy.recipient_zone(customer.timezone, customer.phone_timezone, tenant.timezone)
    local_after = after.astimezone(zone)
    for year in (local_after.year, local_after.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrate on the 28th
            day = date(year, 2, 28)
        moment = datetime.combine(day, time(int(settings["send_hour"])), tzinfo=zone)
        if moment > after:
            return moment
    return None


def start_birthday(tenant: Tenant, customer: Customer) -> None:
    settings = flow_settings(tenant.flows, "birthday")
    due = next_birthday_at(tenant, customer, clock.now())
    if settings["enabled"] and due is not None:
        schedule(tenant.tenant_id, "birthday", customer.customer_id, due, str(due.year))


@flow("birthday")
def birthday(state: dict[str, Any]) -> FlowResult:
    tenant = repository.get_tenant(state["tenant_id"])
    customer = repository.get_customer(state["tenant_id"], state["subject_id"])
    if customer is None or not customer.birthday:
        return FlowResult("exited", "no-birthday", data={"send_step": str(clock.now().year)})
    settings = flow_settings(tenant.flows, "birthday")
    zone = policy.recipient_zone(customer.timezone, customer.phone_timezone, tenant.timezone)
    local_now = clock.now().astimezone(zone)
    year = str(local_now.year)
    if local_now.hour >= int(settings["window_end_hour"]):
        result = FlowResult("skipped", "outside-birthday-window")
    else:
        result = _send(tenant, customer, "birthday", customer.customer_id, year, {})
    if result.outcome != "deferred":
        start_birthday(tenant, customer)  # next year's, a new execution (Standard runs last <= 1 year)
    return result
