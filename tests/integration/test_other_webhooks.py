"""WooCommerce and canonical-event webhooks: signatures, malformed bodies, duplicates, nothing partial."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from huike.models import Customer, Order
from huike.signatures import canonical_signature

FIXTURES = Path(__file__).parent.parent / "fixtures"


def woo_order(**overrides: Any) -> dict[str, Any]:
    return {**json.loads((FIXTURES / "woocommerce_order.json").read_text()), **overrides}


def post_woo(
    runtime, tenant, body: bytes, *, secret: str | None = None, delivery: str = "d-1", topic: str = "order.created"
):
    key = (secret or tenant.webhook_secrets["woocommerce"]).encode()
    signature = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-Delivery-ID": delivery,
        "X-WC-Webhook-Source": "https://shop.example/",
    }
    return runtime.api("POST", f"/webhooks/woocommerce/{tenant.tenant_id}", headers, body)


def canonical_event(runtime, **overrides: Any) -> dict[str, Any]:
    now = runtime.clock.now().isoformat()
    event = {
        "id": "evt-1",
        "type": "order.created",
        "occurred_at": now,
        "customer": {"platform_id": "youzan-88", "phone": "+15025550134", "first_name": "Ann"},
        "order": {
            "order_id": "youzan-E2026",
            "name": "#E2026",
            "created_at": now,
            "total_price": "88.00",
            "currency": "USD",
        },
    }
    return {**event, **overrides}


def post_canonical(runtime, tenant, body: bytes, *, secret: str | None = None, timestamp: int | None = None):
    stamp = int(runtime.clock.now().timestamp()) if timestamp is None else timestamp
    header = canonical_signature(secret or tenant.webhook_secrets["events"], body, stamp)
    headers = {"Content-Type": "application/json", "Huike-Signature": header}
    return runtime.api("POST", f"/webhooks/events/{tenant.tenant_id}", headers, body)


def stored_nothing(runtime) -> bool:
    idempotency = boto3.client("dynamodb", region_name="us-east-1").scan(  # a test may scan; request paths never do
        TableName=os.environ["IDEMPOTENCY_TABLE"]
    )["Items"]
    return (
        not list(Customer.query("demo"))
        and not list(Order.query("demo"))
        and not idempotency
        and not runtime.executions()
    )


# -- WooCommerce ----------------------------------------------------------------------------------
def test_woocommerce_order_is_stored_and_its_reminder_scheduled(runtime, tenant):
    response = post_woo(runtime, tenant, json.dumps(woo_order()).encode())
    assert response.status == 200, response.body
    assert response.json()["order_status"] == "pending"
    order = Order.get("demo", "woocommerce-727")
    assert order.name == "#727" and order.customer_id == "woocommerce-26"
    assert Customer.get("demo", "woocommerce-26").phone == "+8613800138000"
    assert [e["name"] for e in runtime.executions()] == ["unpaid_reminder-demo-woocommerce-727"]


def test_woocommerce_bad_signature_is_401_and_stores_nothing(runtime, tenant):
    response = post_woo(runtime, tenant, json.dumps(woo_order()).encode(), secret="not-the-secret")
    assert response.status == 401 and "X-WC-Webhook-Signature" in response.json()["error"]
    assert stored_nothing(runtime)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"{not json", "JSON"), (json.dumps({"status": "pending"}).encode(), "id"), (b"[]", "object")],
)
def test_woocommerce_malformed_body_is_400_with_a_reason(runtime, tenant, body, fragment):
    response = post_woo(runtime, tenant, body)
    assert response.status == 400 and fragment in response.json()["error"]
    assert stored_nothing(runtime)


def test_woocommerce_ping_is_acknowledged_and_stores_nothing(runtime, tenant):
    response = post_woo(runtime, tenant, b"webhook_id=15")
    assert response.status == 200 and response.json()["status"] == "ignored"
    assert stored_nothing(runtime)


def test_woocommerce_repeated_delivery_has_one_effect(runtime, tenant):
    body = json.dumps(woo_order()).encode()
    first, second = (post_woo(runtime, tenant, body, delivery="same") for _ in range(2))
    assert first.json() == second.json()
    assert len(Order.get("demo", "woocommerce-727").timeline) == 1


def test_woocommerce_unknown_tenant_is_404(runtime, tenant):
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": "x"}
    response = runtime.api("POST", "/webhooks/woocommerce/nobody", headers, b"{}")
    assert response.status == 404


# -- canonical events ---------------------------------------------------------------------------
def test_canonical_event_is_applied(runtime, tenant):
    response = post_canonical(runtime, tenant, json.dumps(canonical_event(runtime)).encode())
    assert response.status == 200, response.body
    assert Order.get("demo", "youzan-E2026").customer_id == "youzan-88"


@pytest.mark.parametrize("age", [301, -301])
def test_canonical_signature_outside_300_seconds_is_401(runtime, tenant, age):
    body = json.dumps(canonical_event(runtime)).encode()
    response = post_canonical(runtime, tenant, body, timestamp=int(runtime.clock.now().timestamp()) - age)
    assert response.status == 401 and "300 s" in response.json()["error"]
    assert stored_nothing(runtime)


def test_canonical_signature_at_the_edge_of_the_tolerance_is_accepted(runtime, tenant):
    body = json.dumps(canonical_event(runtime)).encode()
    response = post_canonical(runtime, tenant, body, timestamp=int(runtime.clock.now().timestamp()) - 300)
    assert response.status == 200


def test_canonical_wrong_secret_is_401(runtime, tenant):
    response = post_canonical(runtime, tenant, json.dumps(canonical_event(runtime)).encode(), secret="nope")
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
def test_canonical_malformed_event_is_400_naming_the_problem(runtime, tenant, change, fragment):
    body = json.dumps(canonical_event(runtime, **change)).encode()
    response = post_canonical(runtime, tenant, body)
    assert response.status == 400 and fragment in response.json()["error"]
    assert stored_nothing(runtime)


def test_canonical_repeated_event_id_has_one_effect(runtime, tenant):
    body = json.dumps(canonical_event(runtime)).encode()
    first = post_canonical(runtime, tenant, body)
    runtime.advance(seconds=60)
    second = post_canonical(runtime, tenant, body)  # re-signed a minute later: still the same event
    assert first.json() == second.json()
    assert len(Order.get("demo", "youzan-E2026").timeline) == 1
