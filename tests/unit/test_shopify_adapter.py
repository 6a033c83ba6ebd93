"""Shopify orders/* payloads mapped onto Huike's canonical events."""

from __future__ import annotations

import datetime as dt

import pytest

from huike.errors import BadRequest
from huike.events import CustomerData
from huike.platforms.shopify import to_event
from tests.conftest import shopify_order

TRIGGERED = dt.datetime(2026, 11, 23, 15, 10, tzinfo=dt.UTC)
CREATED = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def event_for(topic, payload, triggered_at=TRIGGERED):
    return to_event(topic, "webhook-1", triggered_at, payload)


def test_orders_create_pending_is_order_created_without_paid_at():
    event = event_for("orders/create", shopify_order())
    assert event.type == "order.created"
    assert event.id == "webhook-1"
    assert event.source == "shopify"
    assert event.occurred_at == TRIGGERED
    assert event.order.order_id == "shopify-450789469"
    assert event.order.name == "#1001"
    assert event.order.total_price == "409.94" and event.order.currency == "USD"
    assert event.order.created_at == CREATED
    assert event.order.financial_status == "pending"
    assert event.order.paid_at is None
    assert event.order.cancelled_at is None


def test_orders_create_already_paid_gets_paid_at():
    processed = "2026-11-23T15:00:05Z"
    event = event_for("orders/create", shopify_order(financial_status="paid", processed_at=processed))
    assert event.type == "order.created"
    assert event.order.paid_at == dt.datetime(2026, 11, 23, 15, 0, 5, tzinfo=dt.UTC)


def test_orders_paid_is_order_paid_with_paid_at():
    event = event_for("orders/paid", shopify_order(financial_status="paid"))
    assert event.type == "order.paid"
    assert event.order.paid_at == TRIGGERED
    assert event.order.cancelled_at is None


def test_orders_cancelled_gets_cancelled_at_from_the_payload():
    event = event_for("orders/cancelled", shopify_order(cancelled_at="2026-11-23T15:07:00Z", cancel_reason="customer"))
    assert event.type == "order.cancelled"
    assert event.order.cancelled_at == dt.datetime(2026, 11, 23, 15, 7, tzinfo=dt.UTC)
    assert event.order.paid_at is None


def test_orders_cancelled_without_timestamp_uses_delivery_time():
    event = event_for("orders/cancelled", shopify_order())
    assert event.order.cancelled_at == TRIGGERED


@pytest.mark.parametrize("topic", ["orders/updated", "products/create", "app/uninstalled", ""])
def test_unknown_topic_is_ignored(topic):
    assert event_for(topic, shopify_order()) is None


@pytest.mark.parametrize("field", ["id", "created_at"])
def test_missing_required_field_is_bad_request_naming_it(field):
    payload = shopify_order()
    del payload[field]
    with pytest.raises(BadRequest, match=rf"\b{field}\b"):
        event_for("orders/create", payload)


def test_unparseable_created_at_is_bad_request():
    with pytest.raises(BadRequest, match="created_at"):
        event_for("orders/create", shopify_order(created_at="yesterday"))


@pytest.mark.parametrize("body", [[shopify_order()], "order", 42, None])
def test_non_object_body_is_bad_request(body):
    with pytest.raises(BadRequest, match="JSON object"):
        event_for("orders/create", body)


def test_customer_object_is_mapped():
    customer = event_for("orders/create", shopify_order()).customer
    assert customer == CustomerData(
        platform_id="shopify-207119551",
        first_name="Bob",
        last_name="Norman",
        email="bob.norman@example.com",
        phone="(502) 555-0134",
        country="US",
        locale="en",
    )


def test_guest_checkout_still_yields_customer_data():
    payload = shopify_order(customer=None, email="guest@example.com", phone="+15025550199")
    customer = event_for("orders/create", payload).customer
    assert isinstance(customer, CustomerData)
    assert customer.platform_id is None
    assert customer.email == "guest@example.com"
    assert customer.phone == "+15025550199"
    assert customer.first_name == "Bob"  # from the shipping address
    assert customer.country == "US"


def test_guest_checkout_phone_from_shipping_address_only():
    payload = shopify_order(customer=None, email=None, phone=None)
    customer = event_for("orders/create", payload).customer
    assert customer is not None
    assert customer.phone == "(502) 555-0134"


def test_delivery_time_falls_back_to_updated_at():
    event = event_for("orders/create", shopify_order(updated_at="2026-11-23T15:02:00Z"), triggered_at=None)
    assert event.occurred_at == dt.datetime(2026, 11, 23, 15, 2, tzinfo=dt.UTC)
