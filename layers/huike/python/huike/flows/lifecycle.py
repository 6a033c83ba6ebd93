"""What an order's change means, decided once per transition from the orders table stream.

The webhook only records what the platform said (two writes); this runs from the stream's
old and new images, so every transition (created, paid, shipped, delivered, refunded) is acted on
exactly once, whatever order or how many times the platform delivered it.
"""

from __future__ import annotations

from typing import Any

from huike.store import repository
from huike.store.models import Order

# (attribute that becomes set, transition) in lifecycle order
TRANSITIONS = (
    ("placed_at", "created"),
    ("paid_at", "paid"),
    ("shipped_at", "shipped"),
    ("delivered_at", "delivered"),
    ("cancelled_at", "cancelled"),
    ("refunded_at", "refunded"),
)


def order_from_image(image: dict[str, Any] | None) -> Order | None:
    if not image:
        return None
    order = Order.from_raw_data(image)
    return order


def transitions(old: Order | None, new: Order) -> list[str]:
    return [
        name
        for attribute, name in TRANSITIONS
        if getattr(new, attribute) is not None and (old is None or getattr(old, attribute) is None)
    ]


def on_order_change(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> list[str]:
    """Act on the transitions an order change contains; returns what was done (for logs)."""
    from huike.flows import customers, orders

    new = order_from_image(new_image)
    if new is None:
        return []
    old = order_from_image(old_image)
    happened = transitions(old, new)
    if not happened:
        return []
    tenant = repository.get_tenant(new.tenant_id)
    done: list[str] = []
    for transition in happened:
        if transition == "created" and new.status == "pending" and orders.start_unpaid_reminder(tenant, new):
            done.append("unpaid_reminder scheduled")
        elif transition == "paid":
            if new.customer_id:
                customer = repository.record_paid_order(tenant.tenant_id, new.customer_id, new)
                customers.start_win_back(tenant, customer)
                done.append("customer stats, win_back scheduled")
            if new.status == "paid":
                orders.notify(tenant, new, "payment_confirmation")
                orders.start_delayed_shipment_check(tenant, new)
                done.append("payment_confirmation")
        elif transition == "shipped" and new.status == "shipped":
            orders.notify(tenant, new, "shipping_notice")
            done.append("shipping_notice")
        elif transition == "delivered" and new.status == "delivered":
            orders.notify(tenant, new, "delivery_notice")
            orders.start_review_invite(tenant, new)
            done.append("delivery_notice, review_invite scheduled")
        elif transition == "refunded":
            orders.notify(tenant, new, "refund_care")
            done.append("refund_care")
    return done
