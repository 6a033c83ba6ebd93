"""POST /webhooks/shopify/{tenant_id} through API Gateway proxy events to the real handler.

Bad input gets a clear 4xx and stores nothing; a valid delivery upserts the customer and the
order exactly once, whatever the platform repeats.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import boto3
import pytest

from huike.store.customers import Customer
from huike.store.orders import Order
from huike.store.sends import SendRecord
from infra.local.template import REGION
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.contacts import BUYER_PHONE
from tests.support.payloads import shopify_order
from tests.support.stored import every, stored
from tests.support.webhooks import ShopifyWebhooks, shopify_headers

WEBHOOK_PATH = "/webhooks/shopify/demo"


def order_payload(**overrides):
    return shopify_order(**{"created_at": iso(DAYTIME_UTC), **overrides})


def idempotency_records() -> list[dict]:
    # A Scan is acceptable here: this is a test's look at the whole table, not a request path.
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    return dynamodb.scan(TableName=os.environ["IDEMPOTENCY_TABLE"], ConsistentRead=True)["Items"]


def assert_nothing_stored(runtime) -> None:
    assert list(every(Customer, "demo")) == []
    assert list(every(Order, "demo")) == []
    assert list(every(SendRecord, "demo")) == []
    assert runtime.executions() == []
    assert idempotency_records() == []


def assert_error(response, status: int, *fragments: str) -> str:
    assert response.status == status, response.body
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    for fragment in fragments:
        assert fragment in body["error"], body
    return body["error"]


def signed_headers(tenant, body: bytes, **headers: str | None) -> dict[str, str]:
    """Shopify's headers, built by hand; pass a header as None to leave it out."""
    base = shopify_headers(
        tenant.webhook_secrets["shopify"],
        "orders/create",
        body,
        webhook_id="hand-built-delivery-1",
        triggered_at=iso(DAYTIME_UTC),
    )
    for name, value in headers.items():
        key = name.replace("_", "-")
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return base


# -- authentication ------------------------------------------------------------------------


def test_signature_made_with_another_secret_is_401_and_stores_nothing(runtime, shopify):
    response = shopify.post("orders/create", order_payload(), secret="not-the-tenant-secret")

    assert_error(response, 401, "X-Shopify-Hmac-Sha256")
    assert_nothing_stored(runtime)


def test_signature_of_a_different_body_is_401(runtime, shopify, tenant):
    body = json.dumps(order_payload()).encode()
    tampered = body.replace(b"409.94", b"0.01")
    headers = signed_headers(tenant, body)

    response = runtime.api("POST", WEBHOOK_PATH, headers, tampered)

    assert_error(response, 401)
    assert_nothing_stored(runtime)


def test_missing_signature_header_is_401(runtime, tenant):
    body = json.dumps(order_payload()).encode()
    headers = signed_headers(tenant, body, X_Shopify_Hmac_Sha256=None)

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert_error(response, 401, "X-Shopify-Hmac-Sha256")
    assert_nothing_stored(runtime)


def test_signature_header_with_non_ascii_text_is_401_not_a_crash(runtime, tenant):
    body = json.dumps(order_payload()).encode()
    headers = signed_headers(tenant, body, X_Shopify_Hmac_Sha256="签名ünïcode==")

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert_error(response, 401)
    assert_nothing_stored(runtime)


def test_header_names_are_case_insensitive(runtime, tenant):
    body = json.dumps(order_payload()).encode()
    headers = {key.lower(): value for key, value in signed_headers(tenant, body).items()}

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert response.status == 200, response.body
    assert response.json()["status"] == "accepted"


# -- malformed deliveries ------------------------------------------------------------------


@pytest.mark.parametrize("raw_body", [b'{"id": 450789469, "name": "#1001",', b"not json at all"])
def test_malformed_json_is_400_and_stores_nothing(runtime, shopify, raw_body):
    response = shopify.post("orders/create", None, raw_body=raw_body)

    assert_error(response, 400, "JSON")
    assert_nothing_stored(runtime)


def test_json_that_is_not_an_object_is_400(runtime, shopify):
    response = shopify.post("orders/create", [order_payload()])

    assert_error(response, 400, "JSON object")
    assert_nothing_stored(runtime)


@pytest.mark.parametrize("field", ["created_at", "id", "name"])
def test_order_missing_a_required_field_is_400_naming_it(runtime, shopify, field):
    payload = order_payload()
    del payload[field]

    response = shopify.post("orders/create", payload)

    assert_error(response, 400, field)
    assert_nothing_stored(runtime)


def test_unparseable_created_at_is_400_naming_it(runtime, shopify):
    response = shopify.post("orders/create", order_payload(created_at="last tuesday"))

    assert_error(response, 400, "created_at")
    assert_nothing_stored(runtime)


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Webhook-Id"])
def test_missing_delivery_header_is_400_naming_it(runtime, tenant, header):
    body = json.dumps(order_payload()).encode()
    headers = signed_headers(tenant, body, **{header.replace("-", "_"): None})

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert_error(response, 400, header)
    assert_nothing_stored(runtime)


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Webhook-Id"])
def test_empty_delivery_header_is_400_naming_it(runtime, tenant, header):
    body = json.dumps(order_payload()).encode()
    headers = signed_headers(tenant, body, **{header.replace("-", "_"): ""})

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert_error(response, 400, header)
    assert_nothing_stored(runtime)


def test_unparseable_triggered_at_is_400(runtime, tenant):
    body = json.dumps(order_payload()).encode()
    headers = signed_headers(tenant, body, X_Shopify_Triggered_At="yesterday-ish")

    response = runtime.api("POST", WEBHOOK_PATH, headers, body)

    assert_error(response, 400, "X-Shopify-Triggered-At")
    assert_nothing_stored(runtime)


def test_empty_body_is_a_4xx_not_a_crash(runtime, shopify):
    response = shopify.post("orders/create", None, raw_body=b"")

    assert response.status in (400, 401), response.body
    assert_nothing_stored(runtime)


def test_signed_body_that_is_not_utf8_is_400(runtime, shopify):
    response = shopify.post("orders/create", None, raw_body=b'{"id": "\xff\xfe"}')

    assert_error(response, 400, "JSON")
    assert_nothing_stored(runtime)


@pytest.mark.parametrize("secret", [None, "not-the-tenant-secret"])
def test_handler_responses_keep_their_json_content_type(runtime, shopify, secret):
    response = shopify.post("orders/create", order_payload(), secret=secret)

    content_type = {key.lower(): value for key, value in response.headers.items()}.get("content-type", "")
    assert content_type.startswith("application/json"), response.headers


# -- routing -------------------------------------------------------------------------------


def test_unknown_tenant_is_404_without_echoing_the_id(runtime, shopify):
    response = shopify.post("orders/create", order_payload(), tenant_id="no-such-shop")

    assert assert_error(response, 404, "unknown tenant") == "unknown tenant"
    assert "no-such-shop" not in response.body
    assert_nothing_stored(runtime)


def test_unknown_topic_is_acknowledged_as_ignored_and_stores_nothing(runtime, shopify):
    product = {"id": 632910392, "title": "IPod Nano - 8GB", "updated_at": iso(DAYTIME_UTC)}

    response = shopify.post("products/update", product)

    assert response.status == 200, response.body
    body = response.json()
    assert body["status"] == "ignored"
    assert "products/update" in body["reason"]
    assert_nothing_stored(runtime)


def test_unknown_path_is_404(runtime, tenant):
    response = runtime.api("POST", "/webhooks/shopiffy/demo", {}, b"{}")

    assert response.status == 404
    assert response.json() == {"message": "Missing Authentication Token"}


def test_wrong_method_on_the_webhook_path_is_405(runtime, tenant):
    response = runtime.api("GET", WEBHOOK_PATH)

    assert response.status == 405
    assert response.json() == {"message": "Method Not Allowed"}
    assert_nothing_stored(runtime)


# -- what a valid delivery stores ----------------------------------------------------------


def test_orders_create_upserts_the_customer_and_the_order(runtime, shopify):
    response = shopify.post("orders/create", order_payload())

    assert response.status == 200, response.body
    assert response.json() == {
        "status": "accepted",
        "event": "order.created",
        "order_status": "pending",
    }
    assert [e["name"] for e in runtime.executions()] == ["unpaid_reminder-demo-shopify-450789469"]
    customer = stored(Customer, "demo", "shopify-207119551")
    assert customer.phone == BUYER_PHONE
    assert customer.phone_textable is True
    assert customer.email == "bob.norman@example.com"
    assert customer.email_valid is True
    assert customer.first_name == "Bob"
    assert customer.last_name == "Norman"
    assert customer.country == "US"
    assert {f"phone:{BUYER_PHONE}", "email:bob.norman@example.com"} <= customer.identities
    assert [c.customer_id for c in every(Customer, "demo")] == ["shopify-207119551"]

    order = stored(Order, "demo", "shopify-450789469")
    assert order.status == "pending"
    assert order.name == "#1001"
    assert order.customer_id == "shopify-207119551"
    assert (order.currency, order.total_price) == ("USD", "409.94")
    assert order.placed_at == DAYTIME_UTC
    assert [entry.event for entry in order.timeline] == ["order.created"]
    assert len(idempotency_records()) == 1


def test_orders_paid_appends_to_the_timeline_and_marks_it_paid(runtime, shopify):
    shopify.post("orders/create", order_payload())
    runtime.advance(seconds=10 * 60)

    response = shopify.post("orders/paid", order_payload(financial_status="paid"))

    assert response.status == 200, response.body
    assert response.json()["order_status"] == "paid"
    order = stored(Order, "demo", "shopify-450789469")
    assert order.status == "paid"
    assert [entry.event for entry in order.timeline] == ["order.created", "order.paid"]
    assert order.paid_at == DAYTIME_UTC + dt.timedelta(minutes=10)
    assert [c.customer_id for c in every(Customer, "demo")] == ["shopify-207119551"]


def test_duplicate_delivery_gets_the_same_answer_and_one_effect(runtime, shopify):
    payload = order_payload()
    first = shopify.post("orders/create", payload, webhook_id="dup-delivery-7")
    runtime.advance(seconds=60)
    again = shopify.post("orders/create", payload, webhook_id="dup-delivery-7")

    assert (first.status, again.status) == (200, 200)
    assert again.json() == first.json()
    order = stored(Order, "demo", "shopify-450789469")
    assert [entry.event for entry in order.timeline] == ["order.created"]
    assert len(runtime.executions()) == 1
    assert len(idempotency_records()) == 1


def test_same_webhook_id_for_another_tenant_is_a_separate_delivery(runtime, shopify):
    other = ShopifyWebhooks(runtime, runtime.seed_tenant("other-shop"))
    shopify.post("orders/create", order_payload(), webhook_id="shared-id")
    response = other.post("orders/create", order_payload(), webhook_id="shared-id")

    assert response.json()["status"] == "accepted"
    assert [entry.event for entry in stored(Order, "other-shop", "shopify-450789469").timeline] == ["order.created"]


def test_consent_on_an_orders_customer_is_recorded_once_with_its_own_time(runtime, shopify):
    from huike.store import consent as consent_store

    customer = {
        **shopify_order()["customer"],
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2026-11-20T15:00:00Z",
        },
    }
    created = shopify.post("orders/create", order_payload(customer=customer))
    paid = shopify.post("orders/paid", order_payload(customer=customer, financial_status="paid"))
    assert (created.status, paid.status) == (200, 200), (created.body, paid.body)

    customer = stored(Customer, "demo", "shopify-207119551")
    assert customer.email_consent == {"granted": True, "at": "2026-11-20T15:00:00Z", "source": "shopify"}
    # The second delivery repeats the same statement: one ledger entry, not one per order event.
    [entry] = consent_store.consent_history("demo", "shopify-207119551")
    assert (entry.channel, entry.granted, entry.source) == ("email", True, "shopify")
    assert entry.at == dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
