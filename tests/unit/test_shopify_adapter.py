"""Shopify webhook payloads mapped onto Huike's canonical events."""

from __future__ import annotations

import datetime as dt

import pytest

from huike.core.errors import BadRequest
from huike.core.events import ConsentData, CustomerData
from huike.ingest.platforms.shopify import to_event
from tests.support.clock import utc
from tests.support.payloads import fixture, real_payload, shopify_order

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


# --- fixtures for the other resources (webhook payloads are the bare resource) ---------------

ORDER_ID = "shopify-450789469"


def resource(name, **overrides):
    return fixture(f"shopify_{name}", **overrides)


# --- orders: line items, checkout link, orders/fulfilled ---------------------------------------


def test_order_line_items_are_mapped_with_string_product_ids():
    items = event_for("orders/paid", shopify_order(financial_status="paid")).order.line_items
    assert [(i.product_id, i.title, i.quantity, i.price) for i in items] == [
        ("632910392", "IPod Nano - 8gb", 1, "199.00"),
        ("632910392", "IPod Nano - 8gb", 1, "199.00"),
    ]


def test_order_cart_id_comes_from_checkout_token_and_matches_the_checkout():
    token = resource("checkout")["token"]
    order = event_for("orders/create", shopify_order(checkout_token=token, cart_token="other")).order
    cart = event_for("checkouts/update", resource("checkout")).cart
    assert order.cart_id == cart.cart_id == f"shopify-{token}"


def test_order_cart_id_falls_back_to_cart_token_and_is_none_without_either():
    assert event_for("orders/create", shopify_order(cart_token="c1")).order.cart_id == "shopify-c1"
    assert event_for("orders/create", shopify_order()).order.cart_id is None


def test_orders_fulfilled_is_order_shipped_with_tracking_of_the_last_fulfillment():
    fulfillments = [
        {
            "id": 1,
            "status": "success",
            "tracking_number": "OLD1",
            "tracking_url": "https://t/1",
            "tracking_company": "USPS",
        },
        {
            "id": 2,
            "status": "success",
            "tracking_number": "1Z999",
            "tracking_url": "https://t/2",
            "tracking_company": "UPS",
        },
    ]
    event = event_for("orders/fulfilled", shopify_order(financial_status="paid", fulfillments=fulfillments))
    assert event.type == "order.shipped"
    assert event.order.order_id == ORDER_ID
    assert event.order.shipped_at == TRIGGERED
    assert (event.order.tracking_number, event.order.tracking_url, event.order.carrier) == (
        "1Z999",
        "https://t/2",
        "UPS",
    )
    assert event.order.paid_at == CREATED  # processed_at of a paid order


def test_orders_fulfilled_skips_a_cancelled_last_fulfillment():
    fulfillments = [
        {"status": "success", "tracking_number": "GOOD"},
        {"status": "cancelled", "tracking_number": "VOID"},
    ]
    event = event_for("orders/fulfilled", shopify_order(fulfillments=fulfillments))
    assert event.order.tracking_number == "GOOD"


def test_orders_fulfilled_without_fulfillments_still_ships_without_tracking():
    event = event_for("orders/fulfilled", shopify_order())
    assert event.type == "order.shipped"
    assert event.order.shipped_at == TRIGGERED
    assert event.order.tracking_number is None and event.order.carrier is None


def test_shipped_at_is_only_set_for_shipping_topics():
    assert event_for("orders/paid", shopify_order(financial_status="paid")).order.shipped_at is None


# --- fulfillments ------------------------------------------------------------------------------


def test_fulfillments_create_is_order_shipped_for_the_same_order_id():
    event = event_for("fulfillments/create", resource("fulfillment"))
    assert event.type == "order.shipped"
    assert event.id == "webhook-1" and event.source == "shopify"
    assert event.order.order_id == event_for("orders/create", shopify_order()).order.order_id == ORDER_ID
    assert event.order.name == "#1001"
    assert event.order.shipped_at == utc(2026, 11, 24, 14, 30)
    assert event.order.tracking_number == "1Z2345"
    assert event.order.tracking_url == "https://www.ups.com/track?tracknum=1Z2345"
    assert event.order.carrier == "UPS"
    assert event.order.delivered_at is None
    assert event.occurred_at == TRIGGERED


def test_fulfillment_recipient_comes_from_email_and_destination():
    customer = event_for("fulfillments/create", resource("fulfillment")).customer
    assert customer.platform_id is None
    assert customer.email == "bob.norman@example.com"
    assert customer.phone == "(502) 555-0134"
    assert customer.country == "US"


@pytest.mark.parametrize("status", ["cancelled", "error", "failure"])
def test_failed_fulfillment_is_ignored(status):
    assert event_for("fulfillments/create", resource("fulfillment", status=status)) is None


def test_fulfillments_update_delivered_is_order_delivered_at_updated_at():
    payload = resource("fulfillment", shipment_status="delivered", updated_at="2026-11-26T11:00:00-05:00")
    event = event_for("fulfillments/update", payload)
    assert event.type == "order.delivered"
    assert event.order.order_id == ORDER_ID
    assert event.order.delivered_at == utc(2026, 11, 26, 16, 0)
    assert event.order.tracking_number == "1Z2345"


def test_fulfillments_update_delivered_without_updated_at_uses_delivery_time():
    payload = resource("fulfillment", shipment_status="delivered", updated_at=None)
    assert event_for("fulfillments/update", payload).order.delivered_at == TRIGGERED


@pytest.mark.parametrize("shipment_status", [None, "confirmed", "in_transit", "out_for_delivery", "failure"])
def test_fulfillments_update_before_delivery_is_ignored(shipment_status):
    assert event_for("fulfillments/update", resource("fulfillment", shipment_status=shipment_status)) is None


def test_fulfillment_without_order_id_is_bad_request_naming_it():
    payload = resource("fulfillment")
    del payload["order_id"]
    with pytest.raises(BadRequest, match=r"invalid Shopify fulfillment: order_id\b"):
        event_for("fulfillments/create", payload)


def test_fulfillment_body_must_be_an_object():
    with pytest.raises(BadRequest, match=r"JSON object \(a Shopify fulfillment\)"):
        event_for("fulfillments/create", [resource("fulfillment")])


# --- refunds -----------------------------------------------------------------------------------


def test_refunds_create_is_order_refunded_at_created_at():
    event = event_for("refunds/create", resource("refund"))
    assert event.type == "order.refunded"
    assert event.order.order_id == ORDER_ID
    assert event.order.refunded_at == utc(2026, 11, 26, 18, 35, 6)
    assert event.customer is None
    assert event.occurred_at == TRIGGERED


def test_refund_without_delivery_time_occurs_when_processed():
    event = event_for("refunds/create", resource("refund"), triggered_at=None)
    assert event.occurred_at == utc(2026, 11, 26, 18, 35, 8)


@pytest.mark.parametrize("field", ["order_id", "created_at"])
def test_refund_missing_field_is_bad_request_naming_it(field):
    payload = resource("refund")
    del payload[field]
    with pytest.raises(BadRequest, match=rf"invalid Shopify refund: {field}\b"):
        event_for("refunds/create", payload)


# --- checkouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["checkouts/create", "checkouts/update"])
def test_checkout_is_cart_updated(topic):
    event = event_for(topic, resource("checkout"))
    assert event.type == "cart.updated"
    assert event.occurred_at == TRIGGERED
    cart = event.cart
    assert cart.cart_id == "shopify-2a1ace52255252df566af0faaedfbfa7"
    assert cart.updated_at == utc(2026, 11, 23, 15, 7, 41)
    assert cart.recovery_url.endswith("/checkouts/2a1ace52255252df566af0faaedfbfa7/recover?key=e9c5d1")
    assert (cart.currency, cart.total_price, cart.completed_at) == ("USD", "409.94", None)
    assert [(i.product_id, i.quantity, i.price) for i in cart.line_items] == [
        ("632910392", 1, "199.00"),
        ("632910393", 1, "199.00"),
    ]


def test_checkout_customer_is_mapped():
    customer = event_for("checkouts/create", resource("checkout")).customer
    assert customer.platform_id == "shopify-207119551"
    assert (customer.first_name, customer.last_name) == ("Bob", "Norman")
    assert customer.email == "bob.norman@example.com"
    assert customer.phone == "555-625-1199"  # the customer has none; the billing address does
    assert customer.country == "US"
    assert customer.locale == "en"


def test_completed_checkout_carries_completed_at():
    event = event_for("checkouts/update", resource("checkout", completed_at="2026-11-23T10:20:00-05:00"))
    assert event.cart.completed_at == utc(2026, 11, 23, 15, 20)


def test_guest_checkout_with_only_an_email_is_accepted():
    payload = resource("checkout", customer=None, billing_address=None, shipping_address=None)
    customer = event_for("checkouts/create", payload).customer
    assert customer.platform_id is None
    assert customer.email == "bob.norman@example.com"


def test_checkout_country_prefers_the_billing_address():
    payload = resource("checkout", customer=None)
    payload["billing_address"] = {**payload["billing_address"], "country_code": "CA"}
    assert event_for("checkouts/create", payload).customer.country == "CA"


def test_anonymous_checkout_is_ignored_until_the_buyer_leaves_a_contact():
    payload = resource("checkout", customer=None, email=None, phone=None, billing_address=None, shipping_address=None)
    assert event_for("checkouts/create", payload) is None


def test_checkout_without_token_is_bad_request_naming_it():
    payload = resource("checkout")
    del payload["token"]
    with pytest.raises(BadRequest, match=r"invalid Shopify checkout: token\b"):
        event_for("checkouts/update", payload)


# --- customers and consent ---------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["customers/create", "customers/update"])
def test_customer_topics_are_customer_updated_with_both_consents(topic):
    event = event_for(topic, resource("customer"))
    assert event.type == "customer.updated"
    assert event.order is None
    customer = event.customer
    assert customer.platform_id == "shopify-207119551"
    assert (customer.email, customer.phone, customer.country) == ("bob.norman@example.com", "+15025550134", "US")
    assert customer.consents == [
        ConsentData(
            channel="email",
            granted=True,
            at=utc(2026, 11, 23, 15, 11, 20),
            proof={"opt_in_level": "confirmed_opt_in"},
        ),
        ConsentData(
            channel="sms",
            granted=True,
            at=utc(2026, 11, 23, 15, 11, 21),
            proof={"opt_in_level": "single_opt_in", "collected_from": "SHOPIFY"},
        ),
    ]


@pytest.mark.parametrize("state", ["unsubscribed", "not_subscribed"])
def test_customer_without_subscription_records_a_refusal(state):
    payload = resource("customer", email_marketing_consent={"state": state, "opt_in_level": None})
    email = event_for("customers/update", payload).customer.consents[0]
    assert email.channel == "email"
    assert email.granted is False
    assert email.at is None
    assert email.proof == {}


def test_pending_consent_is_no_statement():
    payload = resource(
        "customer",
        email_marketing_consent={"state": "pending", "opt_in_level": "confirmed_opt_in"},
        sms_marketing_consent=None,
    )
    assert event_for("customers/update", payload).customer.consents == []


def test_consents_of_an_order_customer_are_not_read():
    customer = event_for("orders/create", shopify_order()).customer
    assert customer.consents == []


def test_customer_without_delivery_time_occurs_at_updated_at():
    event = event_for("customers/update", resource("customer"), triggered_at=None)
    assert event.occurred_at == utc(2026, 11, 23, 15, 11, 24)


def test_customer_without_id_is_bad_request_naming_it():
    payload = resource("customer")
    del payload["id"]
    with pytest.raises(BadRequest, match=r"invalid Shopify customer: id\b"):
        event_for("customers/create", payload)


def test_invalid_consent_timestamp_is_bad_request_with_its_path():
    payload = resource("customer", sms_marketing_consent={"state": "subscribed", "consent_updated_at": "soon"})
    with pytest.raises(BadRequest, match=r"sms_marketing_consent\.consent_updated_at"):
        event_for("customers/update", payload)


@pytest.mark.parametrize(
    ("financial_status", "paid", "cancelled"),
    [
        ("pending", False, False),
        ("authorized", True, False),
        ("partially_paid", True, False),
        ("paid", True, False),
        ("partially_refunded", True, False),
        ("refunded", True, False),
        ("voided", False, True),
    ],
)
def test_each_shopify_financial_status_is_decided(financial_status, paid, cancelled):
    event = to_event("orders/create", "wh-status", None, shopify_order(financial_status=financial_status))
    assert event is not None and event.order is not None
    assert (event.order.paid_at is not None, event.order.cancelled_at is not None) == (paid, cancelled)


def test_shopifys_own_authorized_order_is_paid_for_the_buyer():
    payload = real_payload("shopify/order_authorized_450789469.json")
    event = to_event("orders/create", "wh-authorized", None, payload)
    assert event is not None and event.order is not None
    assert event.order.financial_status == "authorized" and event.order.paid_at is not None


def test_marketing_consent_on_an_orders_customer_is_recorded_with_its_own_time():
    customer = {
        **shopify_order()["customer"],
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": "2026-11-20T10:00:00-05:00",
        },
        "sms_marketing_consent": {"state": "unsubscribed", "consent_updated_at": "2026-11-21T09:00:00Z"},
    }
    event = to_event("orders/create", "wh-consent", None, shopify_order(customer=customer))
    assert event is not None and event.customer is not None
    consents = {consent.channel: consent for consent in event.customer.consents}
    assert consents["email"].granted and consents["email"].at == utc(2026, 11, 20, 15)
    assert not consents["sms"].granted and consents["sms"].at == utc(2026, 11, 21, 9)


def test_a_buyer_without_a_phone_of_their_own_is_known_by_the_billing_phone_before_the_shipping_one():
    order = shopify_order()
    order["customer"]["phone"] = None
    order["phone"] = None
    order["billing_address"]["phone"] = "+1 502-555-0134"
    order["shipping_address"]["phone"] = "+1 502-555-0199"  # the gift's recipient
    assert event_for("orders/create", order).customer.phone == "+1 502-555-0134"
