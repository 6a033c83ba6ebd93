"""Order messages go to the contact of that order.

A buyer may give another number on a later order (a gift shipped elsewhere, a partner's phone at
checkout). The profile follows the newest textable number, but an order's own reminder and notices
go to the phone and email given with that order: the first textable of its customer, billing and
shipping phones. An order without a usable contact of its own falls back to the profile's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from huike.store.customers import Customer
from huike.store.orders import Order
from infra.local.runtime import LocalRuntime
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.contacts import BUYER_PHONE, buyer_phone, buyer_phone_national
from tests.support.payloads import fixture, shopify_order, woocommerce_order
from tests.support.stored import stored

OTHER_PHONE = buyer_phone(200)  # a later order's shipping phone (another valid US mobile)
LATER = DAYTIME_UTC + dt.timedelta(minutes=5)


def sent(runtime: LocalRuntime, flow: str) -> list[tuple[str, str]]:
    """(recipient, body) of each message of `flow`, in send order."""
    return [(m["to"], m["body"]) for m in runtime.outbox() if m["flow"] == flow]


def shopify_later_order(phone_on: str, phone: str, **overrides: Any) -> dict[str, Any]:
    """Bob's second order (#1002): no phone anywhere but on `phone_on` (an address or the customer)."""
    order = shopify_order(id=450789470, name="#1002", created_at=iso(LATER), **overrides)
    order["customer"] = {**order["customer"], "phone": None, "default_address": {"country_code": "US"}}
    order["billing_address"] = {**order["billing_address"], "phone": None}
    order["shipping_address"] = {**order["shipping_address"], "phone": None}
    if phone_on == "customer":
        order["customer"]["phone"] = phone
    else:
        order[phone_on] = {**order[phone_on], "phone": phone}
    return order


def test_an_earlier_orders_reminder_goes_to_that_orders_phone_not_a_later_orders_shipping_phone(runtime, shopify):
    first = shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))
    assert first.status == 200, first.body
    runtime.advance(to=LATER)
    later = shopify.post("orders/create", shopify_later_order("shipping_address", buyer_phone_national(200)))
    assert later.status == 200, later.body
    assert stored(Customer, "demo", "shopify-207119551").phone == OTHER_PHONE  # the profile follows the newest

    runtime.advance(seconds=40 * 60)
    reminders = sent(runtime, "unpaid_reminder")
    assert [to for to, body in reminders if "#1001" in body] == [BUYER_PHONE]
    assert [to for to, body in reminders if "#1002" in body] == [OTHER_PHONE]


def test_an_earlier_orders_shipping_notice_goes_to_that_orders_phone(runtime, shopify):
    paid = shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid")
    assert shopify.post("orders/create", paid).status == 200
    runtime.advance(to=LATER)
    shopify.post("orders/create", shopify_later_order("shipping_address", buyer_phone_national(200)))

    runtime.advance(seconds=3600)
    fulfillment = fixture("shopify_fulfillment", created_at=iso(runtime.clock.now()))
    shipped = shopify.post("fulfillments/create", fulfillment)
    assert shipped.status == 200, shipped.body
    assert [to for to, _ in sent(runtime, "payment_confirmation")] == [BUYER_PHONE]
    [(to, body)] = sent(runtime, "shipping_notice")
    assert to == BUYER_PHONE and "#1001" in body


def test_a_woocommerce_earlier_orders_reminder_goes_to_its_billing_phone_not_a_later_orders_shipping_phone(
    runtime, woocommerce
):
    placed = DAYTIME_UTC.replace(tzinfo=None).isoformat()
    buyer = {"first_name": "Bob", "last_name": "Norman", "country": "US"}
    first = woocommerce_order(
        status="pending",
        currency="USD",
        date_created_gmt=placed,
        billing={**woocommerce_order()["billing"], **buyer, "email": "bob@example.com", "phone": BUYER_PHONE},
        shipping={**woocommerce_order()["shipping"], **buyer, "phone": ""},
    )
    assert woocommerce.post("order.created", first).status == 200
    runtime.advance(to=LATER)
    later = woocommerce_order(
        id=728,
        number="728",
        status="pending",
        currency="USD",
        date_created_gmt=LATER.replace(tzinfo=None).isoformat(),
        billing={**first["billing"], "phone": ""},
        shipping={**first["shipping"], "phone": OTHER_PHONE},
    )
    assert woocommerce.post("order.created", later).status == 200

    runtime.advance(seconds=40 * 60)
    reminders = sent(runtime, "unpaid_reminder")
    assert {to for to, body in reminders if "#727" in body} == {BUYER_PHONE}
    assert {to for to, body in reminders if "#728" in body} == {OTHER_PHONE}


def test_an_orders_first_textable_phone_receives_its_reminder(runtime, shopify):
    order = shopify_later_order("billing_address", buyer_phone_national(200))
    order["customer"]["phone"] = "555-0000"  # not a number anyone can text
    response = shopify.post("orders/create", order)
    assert response.status == 200, response.body
    order = stored(Order, "demo", "shopify-450789470")
    assert (order.contact_phone, order.contact_phone_textable) == (OTHER_PHONE, True)

    runtime.advance(seconds=40 * 60)
    assert [to for to, _ in sent(runtime, "unpaid_reminder")] == [OTHER_PHONE]


def test_an_order_without_a_textable_phone_of_its_own_is_texted_at_the_profiles_number(runtime, shopify):
    shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))
    runtime.advance(to=LATER)
    later = shopify_later_order("customer", "555-0000")  # an invalid number, and no other
    assert shopify.post("orders/create", later).status == 200
    assert stored(Customer, "demo", "shopify-207119551").phone == BUYER_PHONE  # never replaced by it

    runtime.advance(seconds=40 * 60)
    assert [to for to, body in sent(runtime, "unpaid_reminder")] == [BUYER_PHONE]
