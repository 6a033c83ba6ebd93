"""An order's own contact: which of its phones receives its messages, and that the send facts
(and the suppression check) use that contact rather than the profile's newest number."""

from __future__ import annotations

import pytest

from huike.core.enums import Channel, Purpose
from huike.customers.identity import first_textable
from huike.ingest.platforms import shopify, woocommerce
from huike.sending import policy
from huike.sending.service import customer_facts
from huike.store.customers import Customer
from huike.store.orders import Contact
from tests.support.contacts import BUYER_PHONE, buyer_phone, buyer_phone_national
from tests.support.payloads import shopify_order, woocommerce_order

UNTEXTABLE = "555-0000"  # too short to be anyone's number


@pytest.mark.parametrize(
    ("customer", "billing", "shipping", "chosen"),
    [
        (buyer_phone_national(1), buyer_phone_national(2), buyer_phone_national(3), buyer_phone(1)),
        (None, buyer_phone_national(2), buyer_phone_national(3), buyer_phone(2)),
        (UNTEXTABLE, buyer_phone_national(2), buyer_phone_national(3), buyer_phone(2)),
        (UNTEXTABLE, UNTEXTABLE, buyer_phone_national(3), buyer_phone(3)),
        (None, None, buyer_phone_national(3), buyer_phone(3)),
    ],
)
def test_an_orders_phone_is_the_first_textable_of_customer_billing_then_shipping(customer, billing, shipping, chosen):
    phone = first_textable([customer, billing, shipping], "US")
    assert phone is not None and phone.textable
    assert phone.e164 == chosen


def test_with_no_textable_phone_the_first_given_is_kept_but_not_textable():
    phone = first_textable([None, UNTEXTABLE, "12"], "US")
    assert phone is not None and not phone.textable and phone.value == UNTEXTABLE
    assert first_textable([None, " "], "US") is None


def test_a_shopify_order_lists_its_phones_customer_order_billing_then_shipping():
    payload = shopify_order()
    payload["customer"]["phone"] = buyer_phone_national(1)
    payload["phone"] = buyer_phone_national(2)
    payload["billing_address"]["phone"] = buyer_phone_national(3)
    payload["shipping_address"]["phone"] = buyer_phone_national(4)
    event = shopify.to_event("orders/create", "webhook-1", None, payload)
    assert event is not None and event.order is not None
    assert event.order.contact_phones == [buyer_phone_national(n) for n in (1, 2, 3, 4)]
    assert event.order.contact_email == "bob.norman@example.com"


def test_a_shopify_order_with_only_a_shipping_phone_lists_only_that_one():
    payload = shopify_order()
    payload["customer"]["phone"] = None
    payload["billing_address"]["phone"] = None
    payload["shipping_address"]["phone"] = buyer_phone_national(4)
    event = shopify.to_event("orders/create", "webhook-1", None, payload)
    assert event is not None and event.order is not None
    assert event.order.contact_phones == [buyer_phone_national(4)]


def test_a_shopify_fulfillment_gives_its_order_no_contact():
    from tests.support.payloads import fixture

    event = shopify.to_event("fulfillments/create", "webhook-1", None, fixture("shopify_fulfillment"))
    assert event is not None and event.order is not None
    assert event.order.contact_phones == [] and event.order.contact_email is None


def test_a_woocommerce_order_lists_its_billing_then_shipping_phone():
    order = woocommerce_order()
    order["shipping"] = {**order["shipping"], "phone": "13900139000"}
    event = woocommerce.to_event("order.created", "delivery-1", order)
    assert event is not None and event.order is not None
    assert event.order.contact_phones == ["13800138000", "13900139000"]
    assert event.order.contact_email == "xiaohong@example.com"


def profile(**overrides: object) -> Customer:
    values: dict[str, object] = {
        "phone": BUYER_PHONE,
        "phone_textable": True,
        "email": "bob.norman@example.com",
        "email_valid": True,
    }
    values.update(overrides)
    return Customer("demo", "shopify-207119551", **values)


def test_an_orders_textable_phone_and_valid_email_are_the_recipients_and_are_checked_for_suppression():
    contact = Contact(phone=buyer_phone(200), phone_textable=True, email="gift@example.com", email_valid=True)
    facts = customer_facts(profile(), contact)
    assert (facts.phone, facts.email) == (buyer_phone(200), "gift@example.com")
    checked = policy.addresses_to_check((Channel.SMS, Channel.EMAIL), Purpose.TRANSACTIONAL, facts)
    assert checked == (buyer_phone(200), "gift@example.com")  # the addresses used, not the profile's


def test_an_order_without_a_usable_contact_falls_back_to_the_profile_per_channel():
    contact = Contact(phone=UNTEXTABLE, phone_textable=False, email="gift@example.com", email_valid=True)
    facts = customer_facts(profile(), contact)
    assert (facts.phone, facts.phone_textable, facts.email) == (BUYER_PHONE, True, "gift@example.com")
    assert customer_facts(profile(), None).phone == BUYER_PHONE
