"""WooCommerce webhooks (order.created / order.updated, REST API v3 order bodies) mapped onto
canonical events.

WooCommerce sends one topic for every change of an order, so the event type comes from the
order's status. Its *_gmt dates are naive ISO strings in UTC; empty fields are "" rather than null.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from huike.core.errors import BadRequest
from huike.core.events import MAX_PHONE_LENGTH, CustomerData, Event, EventType, LineItem, OrderData
from huike.ingest.platforms import describe

TOPICS = {"order.created", "order.updated"}
STATUS_EVENT_TYPES: dict[str, EventType] = {
    "pending": "order.created",
    "on-hold": "order.created",  # awaiting a transfer or cheque: the buyer still has to pay
    "processing": "order.paid",
    "completed": "order.shipped",
    # Delivery-tracking extensions add a "delivered" status (stored as wc-delivered).
    "delivered": "order.delivered",
    "cancelled": "order.cancelled",
    "refunded": "order.refunded",
}
# "failed" (a declined payment: often a card problem or fraud, and WooCommerce tells the buyer
# itself), "draft", "checkout-draft", "trash" and plugin-defined statuses map to nothing.
PAID_STATUSES = {"processing", "completed", "delivered", "refunded"}
# WooCommerce Shipment Tracking keeps its entries in this order meta key.
TRACKING_META_KEY = "_wc_shipment_tracking_items"


class _Woo(BaseModel):
    """WooCommerce writes "" for an empty field; read it as absent."""

    model_config = ConfigDict(defer_build=True)  # built on first use: a delivery builds its own only

    @model_validator(mode="before")
    @classmethod
    def _blanks_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: None if value == "" else value for key, value in data.items()}
        return data


class _Address(_Woo):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None


class _Image(_Woo):
    src: str | None = None


class _LineItem(_Woo):
    product_id: int | str | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    price: str | int | float | None = None
    image: _Image | None = None


class _Order(_Woo):
    id: int | str
    status: str
    date_created_gmt: datetime
    number: str | int | None = None
    currency: str | None = None
    total: str | int | float | None = None
    date_modified_gmt: datetime | None = None
    date_paid_gmt: datetime | None = None
    date_completed_gmt: datetime | None = None
    customer_id: int | None = None
    customer_locale: str | None = None  # set by multilingual plugins; not in core WooCommerce
    payment_url: str | None = None
    billing: _Address | None = None
    shipping: _Address | None = None
    line_items: list[_LineItem] | None = None
    meta_data: list[dict[str, Any]] | None = None

    def tracking(self) -> dict[str, str]:
        """The latest Shipment Tracking entry: number, carrier and link, where present."""
        for meta in reversed(self.meta_data or []):
            if meta.get("key") != TRACKING_META_KEY or not isinstance(meta.get("value"), list) or not meta["value"]:
                continue
            item = meta["value"][-1]
            if not isinstance(item, dict):
                return {}
            found = {
                "tracking_number": item.get("tracking_number"),
                "carrier": item.get("custom_tracking_provider") or item.get("tracking_provider"),
                "tracking_url": item.get("custom_tracking_link") or item.get("tracking_link"),
            }
            return {key: str(value) for key, value in found.items() if value}
        return {}

    @field_validator("date_created_gmt", "date_modified_gmt", "date_paid_gmt", "date_completed_gmt")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def is_ping(raw_body: bytes) -> bool:
    """WooCommerce's delivery when a webhook is saved: form-encoded `webhook_id=<n>`, not JSON."""
    try:
        fields = parse_qs(raw_body.decode("ascii").strip(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    values = fields.get("webhook_id")
    return set(fields) == {"webhook_id"} and values is not None and len(values) == 1 and values[0].isdigit()


def to_event(topic: str, delivery_id: str, payload: Any) -> Event | None:
    """Map a verified WooCommerce delivery; None for topics and statuses Huike does not use."""
    if topic not in TOPICS:
        return None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object (a WooCommerce order)")
    try:
        order = _Order.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(describe(exc, "WooCommerce order")) from None
    status = order.status.lower().removeprefix("wc-")
    event_type = STATUS_EVENT_TYPES.get(status)
    if event_type is None:
        return None
    occurred_at = order.date_modified_gmt or order.date_created_gmt
    paid_at = order.date_paid_gmt
    if paid_at is None and event_type == "order.paid":
        paid_at = occurred_at
    shipped_at = None
    if event_type in ("order.shipped", "order.delivered"):
        shipped_at = order.date_completed_gmt or occurred_at
    tracking = order.tracking()
    return Event(
        id=f"woocommerce-{delivery_id}",
        type=event_type,
        occurred_at=occurred_at,
        source="woocommerce",
        customer=_customer(order),
        order=OrderData(
            order_id=f"woocommerce-{order.id}",
            name=f"#{order.number or order.id}",
            currency=order.currency,
            total_price=str(order.total) if order.total is not None else None,
            created_at=order.date_created_gmt,
            financial_status=_financial_status(status, paid_at),
            paid_at=paid_at,
            cancelled_at=occurred_at if event_type == "order.cancelled" else None,
            refunded_at=occurred_at if event_type == "order.refunded" else None,
            shipped_at=shipped_at,
            delivered_at=occurred_at if event_type == "order.delivered" else None,
            tracking_number=tracking.get("tracking_number"),
            tracking_url=tracking.get("tracking_url"),
            carrier=tracking.get("carrier"),
            payment_url=order.payment_url,
            locale=_locale(order),
            line_items=[
                LineItem(
                    product_id=str(item.product_id) if item.product_id else None,
                    sku=item.sku or None,
                    title=item.name,
                    quantity=item.quantity if item.quantity is not None else 1,
                    price=str(item.price) if item.price is not None else None,
                    image_url=item.image.src if item.image else None,
                )
                for item in order.line_items or ()
            ],
            contact_phones=_order_phones(order),
            contact_email=order.billing.email if order.billing else None,
        ),
    )


def _order_phones(order: _Order) -> list[str]:
    """The order's own phones, preferred first: billing, then shipping."""
    phones: list[str] = []
    for address in (order.billing, order.shipping):
        phone = address.phone if address else None
        if phone and phone.strip() and len(phone) <= MAX_PHONE_LENGTH and phone not in phones:
            phones.append(phone)
    return phones


def _financial_status(status: str, paid_at: datetime | None) -> str:
    if status == "refunded":
        return "refunded"
    return "paid" if status in PAID_STATUSES or paid_at else "pending"


# Where an order says nothing of its language, its place and currency do.
CHINESE_COUNTRIES = {"CN"}
CHINESE_CURRENCIES = {"CNY"}


def _locale(order: _Order) -> str | None:
    """The order's language: its own locale, else Chinese for a Chinese address or yuan, else
    None (the customer's or the tenant's locale applies)."""
    if order.customer_locale:
        return order.customer_locale
    billing = order.billing or _Address()
    country = (billing.country or (order.shipping.country if order.shipping else None) or "").upper()
    if country in CHINESE_COUNTRIES or (order.currency or "").upper() in CHINESE_CURRENCIES:
        return "zh-CN"
    return None


def _customer(order: _Order) -> CustomerData | None:
    billing = order.billing or _Address()
    shipping = order.shipping or _Address()
    registered = order.customer_id is not None and order.customer_id > 0
    phone = billing.phone or shipping.phone
    if not registered and not billing.email and not phone:
        return None
    return CustomerData(
        platform_id=f"woocommerce-{order.customer_id}" if registered else None,
        first_name=billing.first_name or shipping.first_name,
        last_name=billing.last_name or shipping.last_name,
        email=billing.email,
        phone=phone,
        country=billing.country or shipping.country,
    )
