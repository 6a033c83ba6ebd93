"""Shopify webhooks (orders/*) mapped onto canonical events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from huike.errors import BadRequest
from huike.events import CustomerData, Event, OrderData

TOPIC_EVENT_TYPES = {
    "orders/create": "order.created",
    "orders/paid": "order.paid",
    "orders/cancelled": "order.cancelled",
}
PAID_STATUSES = {"paid", "partially_refunded", "refunded"}


class _Address(BaseModel):
    phone: str | None = None
    country_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class _Customer(BaseModel):
    id: int | str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    default_address: _Address | None = None


class _Order(BaseModel):
    id: int | str
    name: str
    created_at: datetime
    updated_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    currency: str | None = None
    total_price: str | None = None
    financial_status: str | None = None
    email: str | None = None
    phone: str | None = None
    customer_locale: str | None = None
    order_status_url: str | None = None
    customer: _Customer | None = None
    billing_address: _Address | None = None
    shipping_address: _Address | None = None


def to_event(topic: str, webhook_id: str, triggered_at: datetime | None, payload: Any) -> Event | None:
    """Map a verified Shopify delivery; None for topics Huike does not use."""
    event_type = TOPIC_EVENT_TYPES.get(topic)
    if event_type is None:
        return None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object (a Shopify order)")
    try:
        order = _Order.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(_describe(exc)) from None
    occurred_at = triggered_at or order.updated_at or order.created_at
    financial_status = (order.financial_status or "pending").lower()
    paid_at = None
    if event_type == "order.paid" or financial_status in PAID_STATUSES:
        paid_at = order.processed_at if event_type != "order.paid" and order.processed_at else occurred_at
    cancelled_at = order.cancelled_at or (occurred_at if event_type == "order.cancelled" else None)
    return Event(
        id=webhook_id,
        type=event_type,  # type: ignore[arg-type]
        occurred_at=occurred_at,
        source="shopify",
        customer=_customer(order),
        order=OrderData(
            order_id=f"shopify-{order.id}",
            name=order.name,
            currency=order.currency,
            total_price=order.total_price,
            created_at=order.created_at,
            financial_status=financial_status,
            paid_at=paid_at,
            cancelled_at=cancelled_at,
            payment_url=order.order_status_url,
            locale=order.customer_locale,
        ),
    )


def _customer(order: _Order) -> CustomerData | None:
    address = order.shipping_address or order.billing_address
    customer = order.customer
    default_address = customer.default_address if customer else None
    phone = (customer.phone if customer else None) or order.phone
    phone = phone or (address.phone if address else None) or (default_address.phone if default_address else None)
    email = (customer.email if customer else None) or order.email
    if customer is None and not phone and not email:
        return None
    country = (address.country_code if address else None) or (default_address.country_code if default_address else None)
    return CustomerData(
        platform_id=f"shopify-{customer.id}" if customer else None,
        first_name=(customer.first_name if customer else None) or (address.first_name if address else None),
        last_name=(customer.last_name if customer else None) or (address.last_name if address else None),
        email=email,
        phone=phone,
        country=country,
        locale=order.customer_locale,
    )


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        problems.append(f"{where}: {error['msg']}")
    return "invalid Shopify order: " + "; ".join(problems)
