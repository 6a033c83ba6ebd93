"""What an order's change means, decided once per transition from the orders table stream.

The webhook only records what the platform said (two writes); this runs from the stream's
old and new images, so every transition (created, paid, shipped, delivered, refunded) is acted on
exactly once, whatever order or how many times the platform delivered it.
"""

from __future__ import annotations

from typing import Any

from huike.core import clock
from huike.core.enums import FlowName, OrderStatus
from huike.store import customers as customer_store
from huike.store import tenants
from huike.store.orders import Order, order_from_stream_image

# (attribute that becomes set, transition) in lifecycle order
TRANSITIONS = (
    ("placed_at", "created"),
    ("paid_at", "paid"),
    ("shipped_at", "shipped"),
    ("delivered_at", "delivered"),
    ("cancelled_at", "cancelled"),
    ("refunded_at", "refunded"),
)


def transitions(old: Order | None, new: Order) -> list[str]:
    return [
        name
        for attribute, name in TRANSITIONS
        if getattr(new, attribute) is not None and (old is None or getattr(old, attribute) is None)
    ]


def on_order_change(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> list[str]:
    """Act on the transitions an order change contains; returns what was done (for logs)."""
    from huike.flows import customers, orders

    new = order_from_stream_image(new_image)
    if new is None:
        return []
    old = order_from_stream_image(old_image)
    happened = transitions(old, new)
    if not happened:
        return []
    tenant = tenants.cached_tenant(new.tenant_id)
    if new.imported_by:
        # History brought by an import: its stats count, but no flow starts (no one is told today
        # about an order of last year, and win-back waits for the customer's next real order).
        if "paid" in happened and new.customer_id:
            placed = new.placed_at or new.paid_at or clock.now()
            customer_store.record_paid_order(
                tenant.tenant_id, new.customer_id, new.order_id, new.total_price, placed, categories_of(tenant, new)
            )
            return ["customer stats (imported order)"]
        return []
    done: list[str] = []
    for transition in happened:
        if transition == "created" and new.status is OrderStatus.PENDING and orders.start_unpaid_reminder(tenant, new):
            done.append("unpaid_reminder scheduled")
        elif transition == "paid":
            if "created" not in happened:  # seen pending before: a reminder may be waiting
                orders.drop_unpaid_reminder(tenant, new)
            if new.customer_id:
                placed = new.placed_at or new.paid_at or clock.now()
                customer = customer_store.record_paid_order(
                    tenant.tenant_id, new.customer_id, new.order_id, new.total_price, placed, categories_of(tenant, new)
                )
                if customer is not None:
                    customers.start_win_back(tenant, customer)
                done.append("customer stats, win_back scheduled")
            if new.status is OrderStatus.PAID:
                orders.notify(tenant, new, FlowName.PAYMENT_CONFIRMATION)
                orders.start_delayed_shipment_check(tenant, new)
                done.append("payment_confirmation")
        elif transition == "shipped":
            if "paid" not in happened:  # paid before: its apology may be waiting
                orders.drop_delayed_shipment_check(tenant, new)
            if new.status is OrderStatus.SHIPPED:
                orders.notify(tenant, new, FlowName.SHIPPING_NOTICE)
                done.append("shipping_notice")
        elif transition == "delivered" and new.status is OrderStatus.DELIVERED:
            orders.notify(tenant, new, FlowName.DELIVERY_NOTICE)
            orders.start_review_invite(tenant, new)
            done.append("delivery_notice, review_invite scheduled")
        elif transition == "cancelled" and "created" not in happened:
            orders.drop_unpaid_reminder(tenant, new)
            orders.drop_delayed_shipment_check(tenant, new)
        elif transition == "refunded":
            orders.notify(tenant, new, FlowName.REFUND_CARE)
            done.append("refund_care")
    return done


def categories_of(tenant: Any, order: Any) -> frozenset[str]:
    """The categories an order's line items belong to: the source's own category, else the
    seller's rules (settings.product_categories)."""
    from huike.customers.tags import category_name

    found = set()
    for item in order.line_items or []:
        own = category_name(item.get("category"))
        category = own or category_name(tenant.settings.category_of(item.get("product_id"), item.get("sku")))
        if category:
            found.add(category)
    return frozenset(found)
