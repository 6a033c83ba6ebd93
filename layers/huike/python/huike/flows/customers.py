"""Customer flows: cart and browse abandonment, win-back on the customer's own cycle, birthday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from huike.config.tenant import TenantConfig
from huike.core import clock, keys
from huike.core.enums import FlowName, Outcome, SendStatus
from huike.core.zones import recipient_zone
from huike.flows.orders import CONTINUING, as_result
from huike.flows.registry import FlowResult, flow, schedule
from huike.store import carts as cart_store
from huike.store import customers as customer_store
from huike.store import sends, tenants
from huike.store.customers import Customer


def _send(
    tenant: TenantConfig,
    customer: Customer | None,
    flow_name: FlowName,
    subject_id: str,
    step: str,
    context: dict[str, Any],
    template: str | None = None,
    media: list[str] | None = None,
) -> FlowResult:
    # Sending loads when a flow sends, not where one is only scheduled (the webhook).
    from huike.sending.service import SendRequest, send

    return as_result(
        send(
            SendRequest(
                tenant=tenant,
                customer=customer,
                flow=flow_name,
                subject_id=subject_id,
                step=step,
                settings=tenant.flows.of(flow_name),
                context=context,
                template=template,
                media_urls=media or [],
            )
        )
    )


def _ordered_since(customer: Customer | None, moment: datetime) -> bool:
    return bool(customer and customer.last_order_at and customer.last_order_at >= moment)


# -- cart abandonment ------------------------------------------------------------------------------
def cart_due(tenant: TenantConfig, updated_at: datetime) -> datetime:
    return updated_at + timedelta(minutes=tenant.flows.cart_abandonment.delay_minutes)


def start_cart_abandonment(
    tenant: TenantConfig, cart_id: str, customer_id: str, updated_at: datetime, reserve: bool = True
) -> None:
    if not tenant.flows.cart_abandonment.enabled:
        return
    due = cart_due(tenant, updated_at)
    # One execution per cart; a later update moves the due time, which the wake-up re-reads.
    schedule(tenant.tenant_id, FlowName.CART_ABANDONMENT, cart_id, due, customer_id=customer_id)
    if reserve:
        key = keys.reservation_key(FlowName.CART_ABANDONMENT, cart_id)
        customer_store.reserve_marketing(tenant.tenant_id, customer_id, key, due)


@flow(FlowName.CART_ABANDONMENT)
def cart_abandonment(state: dict[str, Any]) -> FlowResult:
    from huike.sending.templates import Money

    tenant = tenants.cached_tenant(state["tenant_id"])
    cart = cart_store.get_cart(state["tenant_id"], state["subject_id"])
    if cart is None:
        return FlowResult(Outcome.EXITED, "cart-not-found")
    due = cart_due(tenant, cart.updated_at)
    if due > clock.now():
        return FlowResult(Outcome.NEXT, "cart-updated", wake_at=due)
    if cart.completed_at is not None:
        return FlowResult(Outcome.EXITED, "cart-converted")
    customer = customer_store.get_customer(state["tenant_id"], cart.customer_id) if cart.customer_id else None
    if _ordered_since(customer, cart.updated_at):
        return FlowResult(Outcome.EXITED, "ordered-since")
    items = cart.line_items or []
    context = {
        "cart_link": cart.recovery_url or tenant.settings.links.shop_url or "",
        "product": (items[0].get("title") if items else None) or "items",
        "amount": Money(cart.total_price, cart.currency),
    }
    return _send(
        tenant,
        customer,
        FlowName.CART_ABANDONMENT,
        cart.cart_id,
        "1",
        context,
        media=[i["image_url"] for i in items if i.get("image_url")][:1],
    )


# -- browse abandonment ----------------------------------------------------------------------------
def start_browse_abandonment(
    tenant: TenantConfig, customer_id: str, product: dict[str, Any], viewed_at: datetime, reserve: bool = True
) -> None:
    settings = tenant.flows.browse_abandonment
    if not settings.enabled:
        return
    due = viewed_at + timedelta(hours=settings.delay_hours)
    subject = keys.browse_subject(customer_id, product["product_id"])
    # One execution per customer, product and day viewed; the send path's ledger check keeps it
    # to one message per product per 30 days.
    schedule(
        tenant.tenant_id,
        FlowName.BROWSE_ABANDONMENT,
        subject,
        due,
        keys.day_step(viewed_at),
        customer_id=customer_id,
        product=product,
        viewed_at=clock.to_iso(viewed_at),
        send_step=keys.day_step(viewed_at),
    )
    if reserve:
        key = keys.reservation_key(FlowName.BROWSE_ABANDONMENT, subject)
        customer_store.reserve_marketing(tenant.tenant_id, customer_id, key, due)


@flow(FlowName.BROWSE_ABANDONMENT)
def browse_abandonment(state: dict[str, Any]) -> FlowResult:
    tenant = tenants.cached_tenant(state["tenant_id"])
    customer = customer_store.get_customer(state["tenant_id"], state["customer_id"])
    viewed_at = clock.parse_iso(state["viewed_at"])
    step = keys.day_step(viewed_at)
    if _ordered_since(customer, viewed_at):
        return FlowResult(Outcome.EXITED, "ordered-since")
    settings = tenant.flows.browse_abandonment
    horizon = clock.now() - timedelta(days=settings.repeat_after_days)
    earlier = sends.sends_for(
        state["tenant_id"], keys.send_key_prefix(FlowName.BROWSE_ABANDONMENT, state["subject_id"])
    )
    if any(r.status == SendStatus.SENT and r.sent_at and r.sent_at > horizon for r in earlier):
        return FlowResult(Outcome.EXITED, "sent-for-this-product-recently")
    product = state.get("product") or {}
    context = {
        "product": product.get("title") or "it",
        "product_link": product.get("url") or tenant.settings.links.shop_url or "",
    }
    return _send(
        tenant,
        customer,
        FlowName.BROWSE_ABANDONMENT,
        state["subject_id"],
        step,
        context,
        media=[product["image_url"]] if product.get("image_url") else [],
    )


# -- win-back ----------------------------------------------------------------------------------------
def expected_next_order_at(tenant: TenantConfig, customer: Customer) -> datetime | None:
    """The customer's own repurchase cycle, else the store's: the one the seller set, else the one
    measured from its orders (once there are enough), else the default (90 days)."""
    if customer.last_order_at is None:
        return None
    settings = tenant.flows.win_back
    interval = (
        customer.mean_order_interval_days
        or settings.store_median_interval_days
        or measured_store_interval(tenant.tenant_id)
        or settings.default_interval_days
    )
    return customer.last_order_at + timedelta(days=interval)


MEASURED_INTERVAL_TTL = timedelta(hours=1)


def measured_store_interval(tenant_id: str) -> float | None:
    """The store's median days between orders from its rhythm counters, read at most once an
    hour per container (it moves slowly; one BatchGetItem instead of one per paid order)."""
    from huike.core.caches import container_state
    from huike.customers.rhythm import rhythm_of
    from huike.store.insights import rhythm_histogram

    cache = container_state().setdefault("measured-store-interval", {})
    now = clock.now()
    cached = cache.get(tenant_id)
    if cached is not None and cached[0] > now:
        return cached[1]  # type: ignore[no-any-return]
    median = rhythm_of(rhythm_histogram(tenant_id))["median_days"]
    value = float(median) if isinstance(median, (int, float)) and median > 0 else None
    cache[tenant_id] = (now + MEASURED_INTERVAL_TTL, value)
    return value


def start_win_back(tenant: TenantConfig, customer: Customer) -> None:
    due = expected_next_order_at(tenant, customer)
    if not tenant.flows.win_back.enabled or due is None or customer.last_order_id is None:
        return
    # Named after the order that set the clock: the next order starts a new cycle, which replaces
    # the customer's kept one on the agenda (its slot); one already started exits when it wakes.
    subject = keys.win_back_subject(customer.customer_id, customer.last_order_id)
    schedule(
        tenant.tenant_id,
        FlowName.WIN_BACK,
        customer.customer_id,
        due,
        customer.last_order_id,
        slot=keys.execution_name(FlowName.WIN_BACK, tenant.tenant_id, customer.customer_id),
        customer_id=customer.customer_id,
        order_id=customer.last_order_id,
        send_subject=subject,
    )
    key = keys.reservation_key(FlowName.WIN_BACK, subject)
    cycles = keys.reservation_key(FlowName.WIN_BACK, keys.win_back_subject(customer.customer_id, ""))
    customer_store.reserve_marketing(tenant.tenant_id, customer.customer_id, key, due, replacing=cycles, known=customer)


@flow(FlowName.WIN_BACK)
def win_back(state: dict[str, Any]) -> FlowResult:
    tenant = tenants.cached_tenant(state["tenant_id"])
    customer = customer_store.get_customer(state["tenant_id"], state["subject_id"])
    subject = keys.win_back_subject(state["subject_id"], state["order_id"])
    if customer is None:
        return FlowResult(Outcome.EXITED, "customer-not-found")
    if customer.last_order_id != state["order_id"]:
        return FlowResult(Outcome.EXITED, "ordered-since")
    settings = tenant.flows.win_back
    step = state["step"]
    context = {"shop_link": settings.shop_url or tenant.settings.links.shop_url or ""}
    template = "win_back_final" if step == "2" else "win_back"
    result = _send(tenant, customer, FlowName.WIN_BACK, subject, step, context, template)
    if step == "1" and result.outcome in CONTINUING:
        second = clock.now() + timedelta(days=settings.second_touch_days)
        return FlowResult(Outcome.NEXT, result.reason, wake_at=second, next_step="2", data=result.data)
    return result


# -- birthday ---------------------------------------------------------------------------------------
def next_birthday_at(tenant: TenantConfig, customer: Customer, after: datetime) -> datetime | None:
    if not customer.birthday:
        return None
    born = date.fromisoformat(customer.birthday)
    zone = recipient_zone(customer.timezone, customer.phone_timezone, tenant.settings.timezone)
    local_after = after.astimezone(zone)
    for year in (local_after.year, local_after.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrate on the 28th
            day = date(year, 2, 28)
        moment = datetime.combine(day, time(tenant.flows.birthday.send_hour), tzinfo=zone)
        if moment > after:
            return moment
    return None


def start_birthday(tenant: TenantConfig, customer: Customer) -> None:
    """Schedule the next birthday message; the name carries the date, so a corrected birthday
    gets its own execution (the one for the old date wakes, sees the change and exits)."""
    due = next_birthday_at(tenant, customer, clock.now())
    if tenant.flows.birthday.enabled and due is not None:
        parts = (keys.year_step(due.year), due.strftime("%m%d"))
        schedule(tenant.tenant_id, FlowName.BIRTHDAY, customer.customer_id, due, *parts, send_step=parts[0])


@flow(FlowName.BIRTHDAY)
def birthday(state: dict[str, Any]) -> FlowResult:
    tenant = tenants.cached_tenant(state["tenant_id"])
    customer = customer_store.get_customer(state["tenant_id"], state["subject_id"])
    if customer is None or not customer.birthday:
        return FlowResult(Outcome.EXITED, "no-birthday")
    zone = recipient_zone(customer.timezone, customer.phone_timezone, tenant.settings.timezone)
    local_now = clock.now().astimezone(zone)
    due = next_birthday_at(tenant, customer, clock.now() - timedelta(days=1))
    if due is None or due.date() != local_now.date():  # corrected since: the new date's execution sends
        start_birthday(tenant, customer)  # (a no-op when it was scheduled with the correction)
        # Not this year's decision: recorded under the execution's own step, never the year's key.
        return FlowResult(Outcome.EXITED, "birthday-changed", data={"send_step": state["step"]})
    if local_now.hour >= tenant.flows.birthday.window_end_hour:
        result = FlowResult(Outcome.SKIPPED, "outside-birthday-window")
    else:
        result = _send(tenant, customer, FlowName.BIRTHDAY, customer.customer_id, keys.year_step(local_now.year), {})
    if result.outcome is not Outcome.DEFERRED:
        start_birthday(tenant, customer)  # next year's: kept on the agenda until the day before
    return result
