"""WooCommerce and canonical-event webhooks: signatures, malformed bodies, duplicates, nothing partial."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from huike.store.customers import Customer
from huike.store.orders import Order
from tests.support.contacts import BUYER_PHONE
from tests.support.payloads import woocommerce_order
from tests.support.stored import every, stored


def canonical_event(runtime, **overrides: Any) -> dict[str, Any]:
    now = runtime.clock.now().isoformat()
    event = {
        "id": "evt-1",
        "type": "order.created",
        "occurred_at": now,
        "customer": {"platform_id": "youzan-88", "phone": BUYER_PHONE, "first_name": "Ann"},
        "order": {
            "order_id": "youzan-E2026",
            "name": "#E2026",
            "created_at": now,
            "total_price": "88.00",
            "currency": "USD",
        },
    }
    return {**event, **overrides}


def stored_nothing(runtime) -> bool:
    idempotency = boto3.client("dynamodb", region_name="us-east-1").scan(  # a test may scan; request paths never do
        TableName=os.environ["IDEMPOTENCY_TABLE"]
    )["Items"]
    return (
        not list(every(Customer, "demo"))
        and not list(every(Order, "demo"))
        and not idempotency
        and not runtime.executions()
    )


# -- WooCommerce ----------------------------------------------------------------------------------
def test_woocommerce_order_is_stored_and_its_reminder_scheduled(runtime, woocommerce):
    response = woocommerce.post("order.created", woocommerce_order())
    assert response.status == 200, response.body
    assert response.json()["order_status"] == "pending"
    order = stored(Order, "demo", "woocommerce-727")
    assert order.name == "#727" and order.customer_id == "woocommerce-26"
    assert stored(Customer, "demo", "woocommerce-26").phone == "+8613800138000"
    assert [e["name"] for e in runtime.executions()] == ["unpaid_reminder-demo-woocommerce-727"]


def test_woocommerce_bad_signature_is_401_and_stores_nothing(runtime, woocommerce):
    response = woocommerce.post("order.created", woocommerce_order(), secret="not-the-secret")
    assert response.status == 401 and "X-WC-Webhook-Signature" in response.json()["error"]
    assert stored_nothing(runtime)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"{not json", "JSON"), (json.dumps({"status": "pending"}).encode(), "id"), (b"[]", "object")],
)
def test_woocommerce_malformed_body_is_400_with_a_reason(runtime, woocommerce, body, fragment):
    response = woocommerce.post("order.created", raw_body=body)
    assert response.status == 400 and fragment in response.json()["error"]
    assert stored_nothing(runtime)


def test_woocommerce_ping_is_acknowledged_and_stores_nothing(runtime, woocommerce):
    response = woocommerce.post("order.created", raw_body=b"webhook_id=15")
    assert response.status == 200 and response.json()["status"] == "ignored"
    assert stored_nothing(runtime)


def test_woocommerce_repeated_delivery_has_one_effect(runtime, woocommerce):
    body = json.dumps(woocommerce_order()).encode()
    first, second = (woocommerce.post("order.created", raw_body=body, delivery_id="same") for _ in range(2))
    assert first.json() == second.json()
    assert len(stored(Order, "demo", "woocommerce-727").timeline) == 1


def test_woocommerce_unknown_tenant_is_404(runtime, tenant):
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": "x"}
    response = runtime.api("POST", "/webhooks/woocommerce/nobody", headers, b"{}")
    assert response.status == 404


# -- canonical events ---------------------------------------------------------------------------
def test_canonical_event_is_applied(runtime, canonical):
    response = canonical.post(canonical_event(runtime))
    assert response.status == 200, response.body
    assert stored(Order, "demo", "youzan-E2026").customer_id == "youzan-88"


@pytest.mark.parametrize("age", [301, -301])
def test_canonical_signature_outside_300_seconds_is_401(runtime, canonical, age):
    response = canonical.post(canonical_event(runtime), timestamp=int(runtime.clock.now().timestamp()) - age)
    assert response.status == 401 and "300 s" in response.json()["error"]
    assert stored_nothing(runtime)


def test_canonical_signature_at_the_edge_of_the_tolerance_is_accepted(runtime, canonical):
    response = canonical.post(canonical_event(runtime), timestamp=int(runtime.clock.now().timestamp()) - 300)
    assert response.status == 200


def test_canonical_wrong_secret_is_401(runtime, canonical):
    response = canonical.post(canonical_event(runtime), secret="nope")
    assert response.status == 401
    assert stored_nothing(runtime)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"type": "order.teleported"}, "type"),
        ({"type": "order.paid", "order": None}, "order"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"id": ""}, "id"),
    ],
)
def test_canonical_malformed_event_is_400_naming_the_problem(runtime, canonical, change, fragment):
    response = canonical.post(canonical_event(runtime, **change))
    assert response.status == 400 and fragment in response.json()["error"]
    assert stored_nothing(runtime)


def test_canonical_repeated_event_id_has_one_effect(runtime, canonical):
    body = json.dumps(canonical_event(runtime)).encode()
    first = canonical.post(raw_body=body)
    runtime.advance(seconds=60)
    second = canonical.post(raw_body=body)  # re-signed a minute later: still the same event
    assert first.json() == second.json()
    assert len(stored(Order, "demo", "youzan-E2026").timeline) == 1
