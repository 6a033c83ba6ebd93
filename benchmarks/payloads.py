"""Webhook bodies for the benchmarks: the test fixtures (tests/fixtures), re-keyed per buyer/order.

Every buyer has their own customer id, phone, email and orders, so flows, caps and ledgers of one
scenario never touch another's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tests.support.clock import iso
from tests.support.contacts import buyer_phone, buyer_phone_national
from tests.support.payloads import fixture, shopify_order

NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class Buyer:
    """A US buyer (Louisville, KY: New York time) with a textable phone, 1 <= number <= 99."""

    number: int
    first_name: str = "Bob"

    @property
    def shopify_id(self) -> int:
        return 207119500 + self.number

    @property
    def phone(self) -> str:
        return buyer_phone_national(100 + self.number)

    @property
    def e164(self) -> str:
        return buyer_phone(100 + self.number)

    @property
    def email(self) -> str:
        return f"buyer{self.number}@example.com"

    def address(self, base: dict[str, Any]) -> dict[str, Any]:
        return {**base, "first_name": self.first_name, "phone": self.phone, "country_code": "US"}


# -- Shopify: the REST resources its webhooks deliver ----------------------------------------------
def shopify_customer_object(buyer: Buyer) -> dict[str, Any]:
    customer = shopify_order()["customer"]
    return {
        **customer,
        "id": buyer.shopify_id,
        "email": buyer.email,
        "phone": buyer.phone,
        "first_name": buyer.first_name,
        "default_address": buyer.address(customer["default_address"]),
    }


def shopify_new_order(buyer: Buyer, order_id: int, created_at: dt.datetime) -> dict[str, Any]:
    """orders/create of a pending order."""
    base = shopify_order()
    stamp = iso(created_at)
    return shopify_order(
        id=order_id,
        name=f"#{order_id}",
        order_number=order_id,
        email=buyer.email,
        created_at=stamp,
        updated_at=stamp,
        processed_at=stamp,
        customer=shopify_customer_object(buyer),
        billing_address=buyer.address(base["billing_address"]),
        shipping_address=buyer.address(base["shipping_address"]),
    )


def shopify_paid(order: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    return {**order, "financial_status": "paid", "updated_at": iso(at)}


def shopify_fulfilled(order: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """orders/fulfilled: paid, one successful fulfillment with UPS tracking."""
    tracking = fixture("shopify_fulfillment")
    fulfillment = {key: tracking[key] for key in ("status", "tracking_number", "tracking_url", "tracking_company")}
    return {
        **shopify_paid(order, at),
        "fulfillment_status": "fulfilled",
        "fulfillments": [{**fulfillment, "id": order["id"] + 1, "created_at": iso(at)}],
    }


def shopify_cancelled(order: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    return {**order, "cancelled_at": iso(at), "cancel_reason": "customer", "updated_at": iso(at)}


def shopify_delivered(buyer: Buyer, order: dict[str, Any], shipped_at: dt.datetime, at: dt.datetime) -> dict[str, Any]:
    """fulfillments/update with shipment_status "delivered"."""
    fulfillment = fixture("shopify_fulfillment")
    return {
        **fulfillment,
        "id": order["id"] + 1,
        "order_id": order["id"],
        "name": f"{order['name']}.1",
        "email": buyer.email,
        "destination": buyer.address(fulfillment["destination"]),
        "created_at": iso(shipped_at),
        "updated_at": iso(at),
        "shipment_status": "delivered",
    }


def shopify_refund(order: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    refund = fixture("shopify_refund")
    return {**refund, "id": order["id"] + 2, "order_id": order["id"], "created_at": iso(at), "processed_at": iso(at)}


def shopify_checkout(buyer: Buyer, token: str, at: dt.datetime) -> dict[str, Any]:
    """checkouts/update once the buyer has typed a contact."""
    checkout = fixture("shopify_checkout")
    return {
        **checkout,
        "token": token,
        "cart_token": f"cart-{token}",
        "email": buyer.email,
        "updated_at": iso(at),
        "billing_address": buyer.address(checkout["billing_address"]),
        "shipping_address": buyer.address(checkout["shipping_address"]),
        "customer": shopify_customer_object(buyer),
    }


def shopify_customer(buyer: Buyer, at: dt.datetime) -> dict[str, Any]:
    """customers/update of a buyer subscribed to SMS and email marketing."""
    customer = fixture("shopify_customer")
    for consent in ("email_marketing_consent", "sms_marketing_consent"):
        customer[consent]["consent_updated_at"] = iso(at)
    return {**shopify_customer_object(buyer), **{k: customer[k] for k in customer if k.endswith("_consent")}}


# -- WooCommerce: REST API v3 order bodies -----------------------------------------------------------
def woocommerce_order(
    buyer: Buyer, order_id: int, created_at: dt.datetime, paid_at: dt.datetime | None = None
) -> dict[str, Any]:
    """order.created ("pending"), or order.updated ("processing") once paid."""
    order = fixture("woocommerce_order")
    naive_utc = "%Y-%m-%dT%H:%M:%S"
    billing = {**order["billing"], "email": buyer.email, "phone": buyer.phone, "country": "US"}
    modified = paid_at or created_at
    order.update(
        id=order_id,
        number=str(order_id),
        customer_id=1000 + buyer.number,
        billing=billing,
        date_created_gmt=created_at.strftime(naive_utc),
        date_modified_gmt=modified.strftime(naive_utc),
    )
    if paid_at is not None:
        order.update(status="processing", date_paid_gmt=paid_at.strftime(naive_utc))
    return order


# -- Canonical Huike events (POST /webhooks/events) ----------------------------------------------------
def canonical_customer(buyer: Buyer, at: dt.datetime, birthday: str | None = None) -> dict[str, Any]:
    """A custom shop's customer who ticked the SMS marketing box (the OpenAPI example's shape)."""
    customer: dict[str, Any] = {
        "platform_id": f"custom-{buyer.number}",
        "first_name": buyer.first_name,
        "email": buyer.email,
        "phone": buyer.e164,
        "country": "US",
        "locale": "en",
        "timezone": NEW_YORK,
        "consents": [
            {
                "channel": "sms",
                "granted": True,
                "at": iso(at),
                "wording": "Text me offers. Reply STOP to opt out.",
                "proof": {"ip": "203.0.113.7"},
            }
        ],
    }
    if birthday:
        customer["birthday"] = birthday
    return customer


def canonical_event(event_id: str, event_type: str, at: dt.datetime, **parts: Any) -> dict[str, Any]:
    return {"id": event_id, "type": event_type, "occurred_at": iso(at), **parts}


def canonical_order(order_id: str, created_at: dt.datetime, paid_at: dt.datetime | None = None) -> dict[str, Any]:
    order = {
        "order_id": order_id,
        "name": order_id.rsplit("-", 1)[-1],
        "currency": "USD",
        "total_price": "299.00",
        "created_at": iso(created_at),
        "financial_status": "paid" if paid_at else "pending",
        "payment_url": f"https://shop.example.com/pay/{order_id}",
        "locale": "en",
        "line_items": [{"product_id": "sku-1001", "title": "Insulated cup 500ml", "quantity": 2, "price": "149.50"}],
    }
    if paid_at is not None:
        order["paid_at"] = iso(paid_at)
    return order


def canonical_cart(cart_id: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "cart_id": cart_id,
        "updated_at": iso(at),
        "recovery_url": f"https://shop.example.com/cart/{cart_id}",
        "currency": "USD",
        "total_price": "149.50",
        "line_items": [{"product_id": "sku-1001", "title": "Insulated cup 500ml", "quantity": 1, "price": "149.50"}],
    }


def canonical_product(product_id: str) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "title": "Insulated cup 500ml",
        "url": f"https://shop.example.com/p/{product_id}",
        "price": "149.50",
    }
