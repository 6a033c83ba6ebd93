"""Correctly signed but hostile bodies: each gets a clear 400 and stores nothing."""

from __future__ import annotations

import copy
import os
from typing import Any

import boto3
import pytest

from huike.store.consent import ConsentEntry
from huike.store.customers import Customer
from huike.store.orders import Order
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.payloads import shopify_order
from tests.support.stored import every

ORDER_EVENT: dict[str, Any] = {
    "id": "evt-hostile",
    "type": "order.created",
    "occurred_at": iso(DAYTIME_UTC),
    "customer": {"platform_id": "c-1", "phone": "+15025550134"},
    "order": {"order_id": "o-1", "name": "#1", "created_at": iso(DAYTIME_UTC), "total_price": "10.00"},
}


def stored_nothing(runtime) -> bool:
    idempotency = boto3.client("dynamodb").scan(TableName=os.environ["IDEMPOTENCY_TABLE"])["Items"]  # tests may scan
    return (
        not list(every(Customer, "demo"))
        and not list(every(Order, "demo"))
        and not list(every(ConsentEntry, "demo"))
        and not idempotency
        and not runtime.executions()
    )


def event_with(path: str, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(ORDER_EVENT)
    *parents, last = path.split(".")
    target = event
    for part in parents:
        target = target[part]
    target[last] = value
    return event


HOSTILE_EVENTS = {
    "an id of 3,000 characters": event_with("order.order_id", "x" * 3000),
    "an order name of 500 kB": event_with("order.name", "n" * 500_000),
    "a first name of 500 kB": event_with("customer.first_name", "f" * 500_000),
    "20,000 line items": event_with("order.line_items", [{"title": "t"}] * 20_000),
    "a NaN total": event_with("order.total_price", "NaN"),
    "an Infinity total": event_with("order.total_price", "Infinity"),
    "an sNaN total": event_with("order.total_price", "sNaN"),
    "a 1e400 total": event_with("order.total_price", "1e400"),
    "a negative total": event_with("order.total_price", "-25.00"),
    "a date in year 1": event_with("order.created_at", "0001-01-01T00:00:00Z"),
    "a date in year 9999": event_with("occurred_at", "9999-12-31T23:59:59Z"),
    "two statements for one channel": event_with(
        "customer.consents", [{"channel": "sms", "granted": True}, {"channel": "sms", "granted": False}]
    ),
    "a consent dated in the future": event_with(
        "customer.consents", [{"channel": "email", "granted": False, "at": "2030-01-01T00:00:00Z"}]
    ),
}


@pytest.mark.parametrize("event", HOSTILE_EVENTS.values(), ids=HOSTILE_EVENTS.keys())
def test_a_hostile_canonical_event_is_400_and_stores_nothing(runtime, canonical, event):
    response = canonical.post(event)
    assert response.status == 400, response.body
    assert "invalid event" in response.json()["error"]
    assert stored_nothing(runtime)


@pytest.mark.parametrize(
    ("raw_body", "reason"),
    [
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"id": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
    ids=["JSON nested 5,000 deep", "an integer of 5,000 digits"],
)
def test_json_a_parser_would_choke_on_is_400(runtime, shopify, raw_body, reason):
    response = shopify.post("orders/create", raw_body=raw_body)
    assert response.status == 400, response.body
    assert reason in response.json()["error"]
    assert stored_nothing(runtime)


def test_a_shopify_order_outside_the_limits_is_400_naming_the_field(runtime, shopify):
    response = shopify.post("orders/create", shopify_order(total_price="-1.00"))
    assert response.status == 400, response.body
    assert "total_price" in response.json()["error"]
    assert stored_nothing(runtime)


@pytest.mark.parametrize("triggered_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_triggered_at_header_out_of_range_is_400(runtime, tenant, triggered_at):
    import json

    from tests.support.webhooks import shopify_headers

    body = json.dumps(shopify_order()).encode()
    headers = shopify_headers(
        tenant.webhook_secrets["shopify"], "orders/create", body, webhook_id="w-range", triggered_at=triggered_at
    )
    response = runtime.api("POST", f"/webhooks/shopify/{tenant.tenant_id}", headers, body)
    assert response.status == 400, response.body
    assert "X-Shopify-Triggered-At" in response.json()["error"]
    assert stored_nothing(runtime)
