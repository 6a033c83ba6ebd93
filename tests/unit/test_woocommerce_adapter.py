"""WooCommerce order.created / order.updated deliveries (REST API v3 orders) as canonical events."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from huike.core.errors import BadRequest
from huike.core.events import CustomerData, LineItem
from huike.ingest.platforms.woocommerce import is_ping, to_event
from tests.support.clock import utc
from tests.support.payloads import woocommerce_order as woo_order

CREATED = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
MODIFIED = "2026-11-23T15:40:00"


def event_for(payload, topic="order.updated", delivery_id="d-1"):
    return to_event(topic, delivery_id, payload)


def test_pending_order_is_a_complete_order_created():
    event = event_for(woo_order(), topic="order.created")
    assert event.type == "order.created"
    assert event.id == "woocommerce-d-1"
    assert event.source == "woocommerce"
    assert event.occurred_at == CREATED
    order = event.order
    assert order.order_id == "woocommerce-727"
    assert order.name == "#727"
    assert order.created_at == CREATED  # the naive *_gmt string read as UTC
    assert (order.total_price, order.currency) == ("299.00", "CNY")
    assert order.payment_url.endswith("/order-pay/727/?pay_for_order=true&key=wc_order_58d2d042d1d")
    assert order.financial_status == "pending"
    assert order.paid_at is None and order.shipped_at is None and order.cancelled_at is None


def test_line_items_are_mapped_with_images_and_without_blank_values():
    assert event_for(woo_order()).order.line_items == [
        LineItem(
            product_id="93",
            sku="CUP-500",
            title="保温杯 500ml",
            quantity=2,
            price="144.5",
            image_url="https://shop.example.com/wp-content/uploads/cup-500.jpg",
        ),
        LineItem(product_id=None, title="Gift wrap", quantity=1, price="0", image_url=None),
    ]


def test_registered_customer_comes_from_billing():
    assert event_for(woo_order()).customer == CustomerData(
        platform_id="woocommerce-26",
        first_name="小红",
        last_name="王",
        email="xiaohong@example.com",
        phone="13800138000",
        country="CN",
    )


def test_guest_order_has_no_platform_id_but_keeps_contact():
    customer = event_for(woo_order(customer_id=0)).customer
    assert customer.platform_id is None
    assert customer.email == "xiaohong@example.com"
    assert customer.phone == "13800138000"


def test_guest_with_no_contact_has_no_customer():
    billing = {**woo_order()["billing"], "email": "", "phone": ""}
    assert event_for(woo_order(customer_id=0, billing=billing)).customer is None


def test_on_hold_is_order_created():
    assert event_for(woo_order(status="on-hold")).type == "order.created"


def test_processing_is_order_paid_at_date_paid():
    payload = woo_order(status="processing", date_paid_gmt="2026-11-23T15:05:00", date_modified_gmt=MODIFIED)
    event = event_for(payload)
    assert event.type == "order.paid"
    assert event.order.paid_at == utc(2026, 11, 23, 15, 5)
    assert event.order.financial_status == "paid"
    assert event.occurred_at == utc(2026, 11, 23, 15, 40)


def test_processing_without_date_paid_is_paid_when_modified():
    event = event_for(woo_order(status="processing", date_modified_gmt=MODIFIED))
    assert event.order.paid_at == utc(2026, 11, 23, 15, 40)


def test_order_created_already_processing_is_order_paid_with_created_at_and_name():
    event = event_for(woo_order(status="processing", date_paid_gmt="2026-11-23T15:00:02"), topic="order.created")
    assert event.type == "order.paid"
    assert event.order.created_at == CREATED
    assert event.order.name == "#727"
    assert event.order.paid_at == utc(2026, 11, 23, 15, 0, 2)


def test_completed_is_order_shipped_and_paid():
    payload = woo_order(
        status="completed",
        date_paid_gmt="2026-11-23T15:05:00",
        date_completed_gmt="2026-11-24T02:00:00",
        date_modified_gmt="2026-11-24T02:00:01",
    )
    event = event_for(payload)
    assert event.type == "order.shipped"
    assert event.order.paid_at == utc(2026, 11, 23, 15, 5)
    assert event.order.shipped_at == utc(2026, 11, 24, 2, 0)


def test_completed_without_dates_ships_when_modified():
    event = event_for(woo_order(status="completed", date_modified_gmt=MODIFIED))
    assert event.order.shipped_at == utc(2026, 11, 23, 15, 40)
    assert event.order.paid_at is None


def test_cancelled_is_order_cancelled_when_modified():
    event = event_for(woo_order(status="cancelled", date_modified_gmt=MODIFIED))
    assert event.type == "order.cancelled"
    assert event.order.cancelled_at == utc(2026, 11, 23, 15, 40)
    assert event.order.paid_at is None


def test_refunded_is_order_refunded_when_modified():
    payload = woo_order(status="refunded", date_paid_gmt="2026-11-23T15:05:00", date_modified_gmt=MODIFIED)
    event = event_for(payload)
    assert event.type == "order.refunded"
    assert event.order.refunded_at == utc(2026, 11, 23, 15, 40)
    assert event.order.financial_status == "refunded"


@pytest.mark.parametrize("status", ["failed", "draft", "checkout-draft", "trash", "awaiting-shipment"])
def test_statuses_huike_does_not_use_are_ignored(status):
    assert event_for(woo_order(status=status)) is None


@pytest.mark.parametrize("topic", ["order.deleted", "order.restored", "product.updated", "customer.created", ""])
def test_other_topics_are_ignored(topic):
    assert event_for(woo_order(), topic=topic) is None


def test_event_id_is_per_delivery():
    first = event_for(woo_order(), delivery_id="a1")
    again = event_for(woo_order(), delivery_id="a1")
    second = event_for(woo_order(), delivery_id="b2")
    assert first.id == again.id == "woocommerce-a1"
    assert second.id == "woocommerce-b2"
    assert first.order.order_id == second.order.order_id


def test_occurred_at_falls_back_to_date_created():
    payload = woo_order()
    del payload["date_modified_gmt"]
    assert event_for(payload).occurred_at == CREATED


def test_explicit_offsets_are_kept():
    event = event_for(woo_order(date_created_gmt="2026-11-23T23:00:00+08:00"))
    assert event.order.created_at == CREATED


@pytest.mark.parametrize("field", ["id", "status", "date_created_gmt"])
def test_missing_required_field_is_bad_request_naming_it(field):
    payload = woo_order()
    del payload[field]
    with pytest.raises(BadRequest, match=rf"invalid WooCommerce order: {field}\b"):
        event_for(payload)


def test_empty_date_created_is_bad_request_naming_it():
    with pytest.raises(BadRequest, match=r"date_created_gmt"):
        event_for(woo_order(date_created_gmt=""))


def test_unparseable_date_is_bad_request_naming_it():
    with pytest.raises(BadRequest, match=r"date_paid_gmt"):
        event_for(woo_order(date_paid_gmt="yesterday"))


@pytest.mark.parametrize("body", [[woo_order()], "order", 42, None])
def test_non_object_body_is_bad_request(body):
    with pytest.raises(BadRequest, match=r"JSON object \(a WooCommerce order\)"):
        event_for(body)


@pytest.mark.parametrize("body", [b"webhook_id=12", b"webhook_id=12\n"])
def test_webhook_creation_ping_is_recognised(body):
    assert is_ping(body)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(woo_order()).encode(),
        b'{"webhook_id": 12}',
        b"",
        b"webhook_id=",
        b"webhook_id=abc",
        b"webhook_id=12&status=pending",
        b"\xff\xfe",
    ],
)
def test_other_bodies_are_not_pings(body):
    assert not is_ping(body)


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("pending", "order.created"),
        ("on-hold", "order.created"),
        ("failed", None),
        ("processing", "order.paid"),
        ("completed", "order.shipped"),
        ("cancelled", "order.cancelled"),
        ("refunded", "order.refunded"),
        ("checkout-draft", None),
    ],
)
def test_each_woocommerce_status_is_decided(status, event_type):
    event = to_event("order.updated", f"d-{status}", woo_order(status=status))
    assert (event.type if event else None) == event_type
