"""Shopify webhooks mapped onto canonical events.

Payloads are Shopify's REST resources as webhooks deliver them: the inner object (an order, a
fulfillment, a refund, a checkout, a customer), never wrapped in {"order": ...}. Every id Huike
derives carries the "shopify-" prefix, so an order's id is the same whichever topic mentions it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from huike.core.enums import Channel
from huike.core.errors import BadRequest
from huike.core.events import (
    MAX_PHONE_LENGTH,
    CartData,
    ConsentData,
    CustomerData,
    Event,
    EventType,
    LineItem,
    OrderData,
)
from huike.ingest.platforms import describe

TOPIC_EVENT_TYPES: dict[str, EventType] = {
    "orders/create": "order.created",
    "orders/paid": "order.paid",
    "orders/fulfilled": "order.shipped",
    "orders/cancelled": "order.cancelled",
    "fulfillments/create": "order.shipped",
    "fulfillments/update": "order.delivered",  # only when shipment_status is "delivered"
    "refunds/create": "order.refunded",
    "checkouts/create": "cart.updated",
    "checkouts/update": "cart.updated",
    "customers/create": "customer.updated",
    "customers/update": "customer.updated",
}
# Shopify's financial_status, decided one by one (docs/decisions.md, "Order statuses per platform"):
#   pending                      -> awaiting payment: the unpaid reminder runs
#   authorized                   -> paid for the buyer (captured later by the seller): confirmation, no reminder
#   partially_paid               -> paid for the buyer (a deposit; the rest is the seller's to collect)
#   paid, partially_refunded     -> paid
#   refunded                     -> paid (refund care comes with refunds/create)
#   voided                       -> the authorization was voided: cancelled, no reminder
PAID_STATUSES = {"authorized", "partially_paid", "paid", "partially_refunded", "refunded"}
CANCELLED_STATUSES = {"voided"}
# A fulfillment in one of these states shipped nothing.
FAILED_FULFILLMENT_STATUSES = {"cancelled", "error", "failure"}
_FULFILLMENT_NAME = re.compile(r"^(?P<order>.+)\.\d+$")  # "#1001.1" is the first fulfillment of "#1001"

_Model = TypeVar("_Model", bound=BaseModel)


class _Payload(BaseModel):
    # Built on first use: an orders/create delivery builds the order's validator only.
    model_config = ConfigDict(defer_build=True)


class _Address(_Payload):
    phone: str | None = None
    country_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class _Consent(_Payload):
    state: str | None = None
    opt_in_level: str | None = None
    consent_updated_at: datetime | None = None
    consent_collected_from: str | None = None


class _Customer(_Payload):
    id: int | str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    default_address: _Address | None = None
    email_marketing_consent: _Consent | None = None
    sms_marketing_consent: _Consent | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class _LineItem(_Payload):
    product_id: int | str | None = None
    sku: str | None = None
    title: str | None = None
    quantity: int | None = None
    price: str | int | float | None = None


class _Tracking(_Payload):
    status: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    tracking_company: str | None = None


class _Order(_Payload):
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
    checkout_token: str | None = None
    cart_token: str | None = None
    customer: _Customer | None = None
    billing_address: _Address | None = None
    shipping_address: _Address | None = None
    line_items: list[_LineItem] | None = None
    fulfillments: list[_Tracking] | None = None


class _Fulfillment(_Tracking):
    order_id: int | str
    created_at: datetime
    updated_at: datetime | None = None
    shipment_status: str | None = None
    name: str | None = None
    email: str | None = None
    destination: _Address | None = None


class _Refund(_Payload):
    id: int | str | None = None
    order_id: int | str
    created_at: datetime
    processed_at: datetime | None = None


class _Checkout(_Payload):
    token: str = Field(min_length=1)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    abandoned_checkout_url: str | None = None
    currency: str | None = None
    total_price: str | None = None
    email: str | None = None
    phone: str | None = None
    customer_locale: str | None = None
    customer: _Customer | None = None
    billing_address: _Address | None = None
    shipping_address: _Address | None = None
    line_items: list[_LineItem] | None = None


def to_event(topic: str, webhook_id: str, triggered_at: datetime | None, payload: Any) -> Event | None:
    """Map a verified Shopify delivery; None for topics (or states) Huike does not use."""
    mapping = _MAPPERS.get(topic)
    if mapping is None:
        return None
    what, mapper = mapping
    if not isinstance(payload, dict):
        raise BadRequest(f"body must be a JSON object (a Shopify {what})")
    return mapper(topic, webhook_id, triggered_at, payload)


def _parse(model: type[_Model], payload: dict[str, Any], what: str) -> _Model:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc, f"Shopify {what}")) from None


def _order_event(topic: str, webhook_id: str, triggered_at: datetime | None, payload: dict[str, Any]) -> Event:
    event_type = TOPIC_EVENT_TYPES[topic]
    order = _parse(_Order, payload, "order")
    occurred_at = triggered_at or order.updated_at or order.created_at
    financial_status = (order.financial_status or "pending").lower()
    paid_at = None
    if event_type == "order.paid" or financial_status in PAID_STATUSES:
        paid_at = order.processed_at if event_type != "order.paid" and order.processed_at else occurred_at
    cancelled = event_type == "order.cancelled" or financial_status in CANCELLED_STATUSES
    cancelled_at = order.cancelled_at or (occurred_at if cancelled else None)
    shipped = event_type == "order.shipped"
    tracking = _last_shipped(order.fulfillments or []) if shipped else None
    checkout_token = order.checkout_token or order.cart_token
    return Event(
        id=webhook_id,
        type=event_type,
        occurred_at=occurred_at,
        source="shopify",
        customer=_contact(
            order.customer,
            order.email,
            order.phone,
            # The buyer's billing details before the recipient's shipping ones, as for the
            # order's own contact (`_order_phones`).
            (order.billing_address, order.shipping_address),
            order.customer_locale,
            consents=_dated_consents(order.customer),
        ),
        order=OrderData(
            order_id=f"shopify-{order.id}",
            name=order.name,
            currency=order.currency,
            total_price=order.total_price,
            created_at=order.created_at,
            financial_status=financial_status,
            paid_at=paid_at,
            cancelled_at=cancelled_at,
            shipped_at=occurred_at if shipped else None,
            tracking_number=tracking.tracking_number if tracking else None,
            tracking_url=tracking.tracking_url if tracking else None,
            carrier=tracking.tracking_company if tracking else None,
            payment_url=order.order_status_url,
            cart_id=f"shopify-{checkout_token}" if checkout_token else None,
            locale=order.customer_locale,
            line_items=_line_items(order.line_items),
            contact_phones=_order_phones(order),
            contact_email=order.email or (order.customer.email if order.customer else None),
        ),
    )


def _order_phones(order: _Order) -> list[str]:
    """The order's own phones, preferred first: its customer's, the order's, billing, shipping.
    (The profile keeps its own rule in `_contact`; this is where this order's messages go.)"""
    candidates = (
        order.customer.phone if order.customer else None,
        order.phone,
        order.billing_address.phone if order.billing_address else None,
        order.shipping_address.phone if order.shipping_address else None,
    )
    phones: list[str] = []
    for phone in candidates:
        if phone and phone.strip() and len(phone) <= MAX_PHONE_LENGTH and phone not in phones:
            phones.append(phone)
    return phones


def _last_shipped(fulfillments: Sequence[_Tracking]) -> _Tracking | None:
    for fulfillment in reversed(fulfillments):
        if (fulfillment.status or "").lower() not in FAILED_FULFILLMENT_STATUSES:
            return fulfillment
    return None


def _fulfillment_event(
    topic: str, webhook_id: str, triggered_at: datetime | None, payload: dict[str, Any]
) -> Event | None:
    fulfillment = _parse(_Fulfillment, payload, "fulfillment")
    if (fulfillment.status or "").lower() in FAILED_FULFILLMENT_STATUSES:
        return None
    occurred_at = triggered_at or fulfillment.updated_at or fulfillment.created_at
    delivered_at = None
    if topic == "fulfillments/update":
        if (fulfillment.shipment_status or "").lower() != "delivered":
            return None  # in transit, out for delivery, failure...: nothing Huike acts on
        delivered_at = fulfillment.updated_at or occurred_at
    name_match = _FULFILLMENT_NAME.match(fulfillment.name or "")
    return Event(
        id=webhook_id,
        type=TOPIC_EVENT_TYPES[topic],
        occurred_at=occurred_at,
        source="shopify",
        customer=_contact(None, fulfillment.email, None, (fulfillment.destination,), None),
        order=OrderData(
            order_id=f"shopify-{fulfillment.order_id}",
            name=name_match.group("order") if name_match else None,
            shipped_at=fulfillment.created_at,
            delivered_at=delivered_at,
            tracking_number=fulfillment.tracking_number,
            tracking_url=fulfillment.tracking_url,
            carrier=fulfillment.tracking_company,
        ),
    )


def _refund_event(topic: str, webhook_id: str, triggered_at: datetime | None, payload: dict[str, Any]) -> Event:
    refund = _parse(_Refund, payload, "refund")
    return Event(
        id=webhook_id,
        type=TOPIC_EVENT_TYPES[topic],
        occurred_at=triggered_at or refund.processed_at or refund.created_at,
        source="shopify",
        order=OrderData(order_id=f"shopify-{refund.order_id}", refunded_at=refund.created_at),
    )


def _checkout_event(
    topic: str, webhook_id: str, triggered_at: datetime | None, payload: dict[str, Any]
) -> Event | None:
    checkout = _parse(_Checkout, payload, "checkout")
    customer = _contact(
        checkout.customer,
        checkout.email,
        checkout.phone,
        (checkout.billing_address, checkout.shipping_address),
        checkout.customer_locale,
        consents=_dated_consents(checkout.customer),
    )
    if customer is None:
        return None  # Shopify sends checkouts before the buyer types a contact: nobody to remind yet
    updated_at = checkout.updated_at or checkout.created_at or triggered_at
    if updated_at is None:
        raise BadRequest("invalid Shopify checkout: updated_at: Field required")
    return Event(
        id=webhook_id,
        type=TOPIC_EVENT_TYPES[topic],
        occurred_at=triggered_at or updated_at,
        source="shopify",
        customer=customer,
        cart=CartData(
            cart_id=f"shopify-{checkout.token}",
            updated_at=updated_at,
            recovery_url=checkout.abandoned_checkout_url,
            currency=checkout.currency,
            total_price=checkout.total_price,
            completed_at=checkout.completed_at,
            line_items=_line_items(checkout.line_items),
        ),
    )


def _customer_event(topic: str, webhook_id: str, triggered_at: datetime | None, payload: dict[str, Any]) -> Event:
    customer = _parse(_Customer, payload, "customer")
    occurred_at = triggered_at or customer.updated_at or customer.created_at
    if occurred_at is None:
        raise BadRequest("invalid Shopify customer: updated_at: Field required")
    return Event(
        id=webhook_id,
        type=TOPIC_EVENT_TYPES[topic],
        occurred_at=occurred_at,
        source="shopify",
        customer=_contact(customer, None, None, (), None, consents=_consents(customer)),
    )


def _contact(
    customer: _Customer | None,
    email: str | None,
    phone: str | None,
    addresses: Sequence[_Address | None],
    locale: str | None,
    consents: list[ConsentData] | None = None,
) -> CustomerData | None:
    """Who the payload is about: the customer object first, then the payload's own contact fields,
    then its addresses (in the order given), then the customer's default address."""
    default_address = customer.default_address if customer else None
    candidates = [address for address in (*addresses, default_address) if address is not None]
    phone = (customer.phone if customer else None) or phone
    phone = phone or next((address.phone for address in candidates if address.phone), None)
    email = (customer.email if customer else None) or email
    if customer is None and not phone and not email:
        return None
    address = next((address for address in addresses if address is not None), None)
    return CustomerData(
        platform_id=f"shopify-{customer.id}" if customer else None,
        first_name=(customer.first_name if customer else None) or (address.first_name if address else None),
        last_name=(customer.last_name if customer else None) or (address.last_name if address else None),
        email=email,
        phone=phone,
        country=next((address.country_code for address in candidates if address.country_code), None),
        locale=locale,
        consents=consents or [],
    )


def _dated_consents(customer: _Customer | None) -> list[ConsentData]:
    """Consent an order or checkout carries on its customer object: only statements with their own
    time (consent_updated_at). Undated, they say nothing about when, and must not override a later
    statement from elsewhere."""
    return [consent for consent in _consents(customer) if consent.at is not None] if customer else []


def _consents(customer: _Customer) -> list[ConsentData]:
    """Shopify's marketing consent per channel. "pending" (double opt-in not confirmed yet) is no
    statement either way, so it produces no entry."""
    consents = []
    channels: tuple[tuple[Channel, _Consent | None], ...] = (
        (Channel.EMAIL, customer.email_marketing_consent),
        (Channel.SMS, customer.sms_marketing_consent),
    )
    for channel, consent in channels:
        if consent is None or not consent.state:
            continue
        state = consent.state.lower()
        if state == "pending":
            continue
        evidence = (("opt_in_level", consent.opt_in_level), ("collected_from", consent.consent_collected_from))
        proof = {key: value for key, value in evidence if value}
        consents.append(
            ConsentData(
                channel=channel,
                granted=state == "subscribed",
                at=consent.consent_updated_at,
                proof=proof,
            )
        )
    return consents


def _line_items(items: Sequence[_LineItem] | None) -> list[LineItem]:
    return [
        LineItem(
            product_id=str(item.product_id) if item.product_id is not None else None,
            sku=item.sku or None,
            title=item.title,
            quantity=item.quantity if item.quantity is not None else 1,
            price=str(item.price) if item.price is not None else None,
        )
        for item in items or ()
    ]


_Mapper = Callable[[str, str, datetime | None, dict[str, Any]], Event | None]
_MAPPERS: dict[str, tuple[str, _Mapper]] = {
    "orders/create": ("order", _order_event),
    "orders/paid": ("order", _order_event),
    "orders/fulfilled": ("order", _order_event),
    "orders/cancelled": ("order", _order_event),
    "fulfillments/create": ("fulfillment", _fulfillment_event),
    "fulfillments/update": ("fulfillment", _fulfillment_event),
    "refunds/create": ("refund", _refund_event),
    "checkouts/create": ("checkout", _checkout_event),
    "checkouts/update": ("checkout", _checkout_event),
    "customers/create": ("customer", _customer_event),
    "customers/update": ("customer", _customer_event),
}
