"""Marketing flows end to end: canonical events -> timed flows on the virtual clock -> the one send
path (consent, suppression, caps and priority, quiet hours, channel fallback) -> SNS / SES."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import itertools
import json
from typing import Any

import pytest

from huike.store.sends import SendRecord
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.contacts import BUYER_PHONE, SHOP_NUMBER
from tests.support.scheduled import KEPT, scheduled
from tests.support.stored import every, stored
from tests.support.webhooks import CanonicalEvents

BUYER_EMAIL = "ann.buyer@example.com"
BUYER_ID = "buyer-1"
OPT_OUT = "Reply STOP to opt out"
_event_ids = itertools.count(1)


def at(hour: int, minute: int = 0, day: int = 23, month: int = 11, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


# -- canonical events -------------------------------------------------------------------------
def consent(channel: str, moment: dt.datetime, granted: bool = True) -> dict[str, Any]:
    return {
        "channel": channel,
        "granted": granted,
        "at": iso(moment),
        "wording": "Yes, send me offers by text/email. Msg & data rates may apply. Reply STOP to opt out.",
        "proof": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (iPhone)"},
    }


def buyer(
    *,
    phone: str | None = BUYER_PHONE,
    email: str | None = None,
    consents: tuple[str, ...] = ("sms",),
    consented_at: dt.datetime = DAYTIME_UTC,
    platform_id: str = BUYER_ID,
    **extra: Any,
) -> dict[str, Any]:
    customer: dict[str, Any] = {"platform_id": platform_id, "first_name": "Ann", "country": "US", **extra}
    if phone:
        customer["phone"] = phone
    if email:
        customer["email"] = email
    customer["consents"] = [consent(channel, consented_at) for channel in consents]
    return customer


def identity(platform_id: str = BUYER_ID) -> dict[str, Any]:
    """The same buyer, as an order event names them (no consent statement)."""
    return {"platform_id": platform_id}


class Events:
    """Canonical events of one buyer's journey, each posted and accepted (HTTP 200)."""

    def __init__(self, runtime, tenant) -> None:
        self.runtime = runtime
        self.canonical = CanonicalEvents(runtime, tenant)

    def post(self, event_type: str, **parts: Any) -> dict[str, Any]:
        now = self.runtime.clock.now()
        event = {"id": f"evt-marketing-{next(_event_ids)}", "type": event_type, "occurred_at": iso(now), **parts}
        response = self.canonical.post(event)
        assert response.status == 200, response.body
        return response.json()

    def cart(
        self,
        cart_id: str = "cart-1",
        customer: dict[str, Any] | None = None,
        line_items: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        cart = {
            "cart_id": cart_id,
            "updated_at": iso(self.runtime.clock.now()),
            "recovery_url": f"https://demo-store.example/cart/{cart_id}/recover",
            "currency": "USD",
            "total_price": "89.00",
            "line_items": line_items or [{"product_id": "sku-7", "title": "Linen Throw", "quantity": 1}],
        }
        return self.post("cart.updated", cart=cart, customer=customer or buyer())

    def view(self, product_id: str = "sku-42", customer: dict[str, Any] | None = None) -> dict[str, Any]:
        product = {
            "product_id": product_id,
            "title": "Merino Scarf",
            "url": f"https://demo-store.example/products/{product_id}",
            "price": "59.00",
        }
        return self.post("product.viewed", product=product, customer=customer or buyer())

    def order_paid(self, order_id: str = "order-9", customer: dict[str, Any] | None = None) -> None:
        now = iso(self.runtime.clock.now())
        order = {"order_id": order_id, "name": f"#{order_id}", "currency": "USD", "total_price": "89.00"}
        created = self.post("order.created", order={**order, "created_at": now}, customer=customer or identity())
        assert created["order_status"] == "pending"
        paid = self.post(
            "order.paid",
            order={**order, "created_at": now, "financial_status": "paid", "paid_at": now},
            customer=customer or identity(),
        )
        assert paid["order_status"] == "paid"


@pytest.fixture
def events(runtime, tenant) -> Events:
    return Events(runtime, tenant)


# -- what a user sees -----------------------------------------------------------------------------
def messages(runtime, flow: str | None = None) -> list[dict[str, Any]]:
    return [m for m in runtime.outbox() if flow is None or m["flow"] == flow]


def ledger(flow: str, tenant_id: str = "demo") -> list[SendRecord]:
    return [r for r in every(SendRecord, tenant_id) if r.flow == flow]


def last_raw_email() -> str:
    from moto.ses.models import ses_backends

    raw = ses_backends["123456789012"]["us-east-1"].sent_messages[-1].raw_data
    return raw if isinstance(raw, str) else raw.decode()


def header(raw: str, name: str) -> str:
    """A header as a mail client reads it (unfolded: a long header may span lines)."""
    parsed = email.message_from_string(raw, policy=email.policy.default)
    return f"{name}: {parsed.get(name)}"


# -- 1. cart abandonment -----------------------------------------------------------------------------
def test_cart_abandonment_sms_one_hour_after_the_update(runtime, events):
    scheduled = events.cart()
    assert scheduled["flows_scheduled"] == ["cart_abandonment"]

    runtime.advance(to=at(15, 59))
    assert messages(runtime, "cart_abandonment") == []

    runtime.advance(to=at(16, 0))
    [message] = messages(runtime, "cart_abandonment")
    assert message["channel"] == "sms" and message["to"] == BUYER_PHONE
    assert message["sent_at"] == "2026-11-23T16:00:00Z"
    assert "https://demo-store.example/cart/cart-1/recover" in message["body"]
    assert message["body"].endswith(OPT_OUT)

    runtime.advance(seconds=3 * 24 * 3600)
    assert len(messages(runtime, "cart_abandonment")) == 1


def test_cart_abandonment_exits_when_the_buyer_pays_an_order(runtime, events):
    events.cart()
    runtime.advance(seconds=20 * 60)
    events.order_paid()

    runtime.advance(seconds=2 * 3600)
    assert messages(runtime, "cart_abandonment") == []
    [record] = ledger("cart_abandonment")  # the exit is a decision on the ledger too
    assert (record.status, record.reason, record.detail) == ("skipped", "exited", "ordered-since")
    cart_runs = [e for e in runtime.executions() if e["name"].startswith("cart_abandonment-")]
    assert [e["status"] for e in cart_runs] == ["SUCCEEDED"]


def test_a_second_cart_update_moves_the_send_to_one_hour_after_it(runtime, events):
    events.cart()
    runtime.advance(seconds=40 * 60)  # 15:40
    events.cart()  # the buyer added something: the hour starts again

    runtime.advance(to=at(16, 39))
    assert messages(runtime, "cart_abandonment") == []

    runtime.advance(to=at(16, 40))
    [message] = messages(runtime, "cart_abandonment")
    assert message["sent_at"] == "2026-11-23T16:40:00Z"

    runtime.advance(seconds=24 * 3600)
    assert len(messages(runtime, "cart_abandonment")) == 1


# -- 2. browse abandonment ---------------------------------------------------------------------------
def test_browse_abandonment_names_the_product_four_hours_later(runtime, events):
    scheduled = events.view()
    assert scheduled["flows_scheduled"] == ["browse_abandonment"]

    runtime.advance(to=at(18, 59))
    assert messages(runtime, "browse_abandonment") == []

    runtime.advance(to=at(19, 0))
    [message] = messages(runtime, "browse_abandonment")
    assert message["channel"] == "sms" and message["to"] == BUYER_PHONE
    assert message["sent_at"] == "2026-11-23T19:00:00Z"
    assert "Merino Scarf" in message["body"]
    assert "https://demo-store.example/products/sku-42" in message["body"]
    assert message["body"].endswith(OPT_OUT)


def test_viewing_the_same_product_next_day_sends_nothing_more_within_thirty_days(runtime, events):
    events.view()
    runtime.advance(to=at(19, 0))
    assert len(messages(runtime, "browse_abandonment")) == 1

    runtime.advance(to=at(15, 0, day=24))  # the next morning, 10:00 in New York
    events.view()
    runtime.advance(seconds=3 * 24 * 3600)

    assert len(messages(runtime, "browse_abandonment")) == 1
    # Held back by the 30-day rule, not by the 24 h cap: the second view's key was never decided.
    keys = {r.send_key.rsplit("#", 1)[1]: (r.status, r.reason) for r in ledger("browse_abandonment")}
    assert keys == {"20261123": ("sent", None), "20261124": ("skipped", "exited")}
    browse_runs = [e for e in runtime.executions() if e["name"].startswith("browse_abandonment-")]
    assert [e["status"] for e in browse_runs] == ["SUCCEEDED", "SUCCEEDED"]


def test_no_browse_message_when_the_buyer_orders_in_between(runtime, events):
    events.view()
    runtime.advance(seconds=2 * 3600)
    events.order_paid()

    runtime.advance(seconds=24 * 3600)
    assert messages(runtime, "browse_abandonment") == []
    [record] = ledger("browse_abandonment")
    assert (record.status, record.reason, record.detail) == ("skipped", "exited", "ordered-since")


# -- 3. birthday -------------------------------------------------------------------------------------
def test_birthday_message_at_eight_local_and_next_year_scheduled(runtime, events):
    events.post("customer.updated", customer=buyer(birthday="1990-11-26"))
    [name] = [name for name in scheduled(runtime) if name.startswith("birthday-")]
    assert name.endswith("-2026-1126") and scheduled(runtime)[name] == KEPT  # three days away

    runtime.advance(to=at(12, 59, day=26))  # 07:59 in New York on the day
    assert messages(runtime, "birthday") == []

    runtime.advance(to=at(15, 0, day=26))
    [message] = messages(runtime, "birthday")
    assert message["sent_at"] == "2026-11-26T13:00:00Z"  # 08:00 in New York
    assert message["channel"] == "sms" and message["to"] == BUYER_PHONE
    assert "happy birthday, Ann" in message["body"]
    assert message["body"].endswith(OPT_OUT)

    birthday_runs = {run: status for run, status in scheduled(runtime).items() if run.startswith("birthday-")}
    assert birthday_runs[name] == "SUCCEEDED"
    [next_year] = [run for run in birthday_runs if "2027" in run]
    assert birthday_runs[next_year] == KEPT  # on the agenda until the day before 2027-11-26

    runtime.advance(seconds=7 * 24 * 3600)
    assert len(messages(runtime, "birthday")) == 1


def test_a_birthday_corrected_by_the_seller_is_celebrated_on_the_new_date_only(runtime, events, tenant):
    from tests.support.seller import SellerApi

    events.post("customer.updated", customer=buyer(birthday="1990-11-26"))
    corrected = SellerApi(runtime, tenant.api_key).patch(f"/customers/{BUYER_ID}", {"birthday": "1990-11-28"})
    assert corrected.status == 200, corrected.body

    runtime.advance(to=at(15, 0, day=26))
    assert messages(runtime, "birthday") == []  # the old date's execution woke, saw the change, exited
    runtime.advance(to=at(15, 0, day=28))
    [message] = messages(runtime, "birthday")
    assert message["sent_at"] == "2026-11-28T13:00:00Z"
    runs = {name: status for name, status in scheduled(runtime).items() if name.startswith("birthday-")}
    assert runs["birthday-demo-buyer-1-2026-1126"] == "SUCCEEDED"
    assert [name for name in runs if name.endswith("2027-1128")]


# -- 4. caps and priority ----------------------------------------------------------------------------
def test_cart_wins_a_collision_with_browse_and_browse_is_capped(runtime, events):
    events.view()  # 15:00, browse due 19:00
    runtime.advance(to=at(18, 10))
    events.cart()  # cart due 19:10, shortly after browse

    runtime.advance(to=at(20, 0))
    [message] = messages(runtime)
    assert message["flow"] == "cart_abandonment"
    assert message["sent_at"] == "2026-11-23T19:10:00Z"
    [browse] = ledger("browse_abandonment")
    assert (browse.status, browse.reason) == ("skipped", "capped")
    assert "cart_abandonment" in (browse.detail or "")


def test_second_marketing_sms_within_24_hours_is_capped(runtime, events):
    events.view()  # browse sent at 19:00
    runtime.advance(to=at(19, 30))
    assert [m["flow"] for m in messages(runtime)] == ["browse_abandonment"]

    events.cart()  # due 20:30, 1.5 h after the browse SMS
    runtime.advance(to=at(23, 0))
    assert [m["flow"] for m in messages(runtime)] == ["browse_abandonment"]
    [cart] = ledger("cart_abandonment")
    assert (cart.status, cart.reason) == ("skipped", "capped")


def test_at_most_three_marketing_messages_per_rolling_week(runtime):
    tenant = runtime.seed_tenant(settings={"caps": {"sms_hours": 1}})
    events = Events(runtime, tenant)
    for index in range(1, 5):  # carts at 15:00, 17:00, 19:00, 21:00 UTC, each due an hour later
        events.cart(f"cart-{index}")
        runtime.advance(seconds=2 * 3600)

    sent = messages(runtime, "cart_abandonment")
    assert [m["sent_at"] for m in sent] == ["2026-11-23T16:00:00Z", "2026-11-23T18:00:00Z", "2026-11-23T20:00:00Z"]
    fourth = stored(SendRecord, "demo", "cart_abandonment#cart-4#1")
    assert (fourth.status, fourth.reason) == ("skipped", "capped")

    # A week after the first send, the window has room again.
    runtime.advance(to=at(15, 30, day=30))
    events.cart("cart-5")
    runtime.advance(seconds=2 * 3600)
    assert len(messages(runtime, "cart_abandonment")) == 4
    assert messages(runtime, "cart_abandonment")[-1]["sent_at"] == "2026-11-30T16:30:00Z"


# -- 5. STOP and START -------------------------------------------------------------------------------
def test_stop_mid_flow_suppresses_and_start_restores(runtime, events):
    events.cart()
    runtime.advance(seconds=20 * 60)
    runtime.inbound_sms(BUYER_PHONE, SHOP_NUMBER, "STOP")

    runtime.advance(seconds=2 * 3600)
    assert messages(runtime, "cart_abandonment") == []
    [first] = ledger("cart_abandonment")
    assert (first.status, first.reason) == ("skipped", "suppressed")

    runtime.advance(to=at(15, 0, day=24))
    runtime.inbound_sms(BUYER_PHONE, SHOP_NUMBER, "START")
    events.cart("cart-2")
    runtime.advance(seconds=2 * 3600)
    [message] = messages(runtime, "cart_abandonment")
    assert message["to"] == BUYER_PHONE and message["sent_at"] == "2026-11-24T16:00:00Z"
    assert "https://demo-store.example/cart/cart-2/recover" in message["body"]


# -- 6. MMS falls back to SMS ------------------------------------------------------------------------
def test_mms_refused_falls_back_to_sms(runtime):
    tenant = runtime.seed_tenant(flows={"cart_abandonment": {"channels": ["mms", "sms", "email"]}})
    events = Events(runtime, tenant)
    item = {
        "product_id": "sku-7",
        "title": "Linen Throw",
        "quantity": 1,
        "image_url": "https://img.demo-store.example/sku-7.jpg",
    }
    events.cart(line_items=[item], customer=buyer(email=BUYER_EMAIL, consents=("sms", "email")))

    runtime.advance(seconds=2 * 3600)
    [message] = messages(runtime, "cart_abandonment")
    assert message["channel"] == "sms" and message["to"] == BUYER_PHONE
    assert message["body"].endswith(OPT_OUT)
    [record] = ledger("cart_abandonment")
    assert (record.status, record.channel) == ("sent", "sms")


# -- 7. no phone: email, with one-click unsubscribe --------------------------------------------------
def email_buyer(**extra: Any) -> dict[str, Any]:
    return buyer(phone=None, email=BUYER_EMAIL, consents=("email",), platform_id="buyer-mail", **extra)


def unsubscribe_path(raw: str) -> str:
    value = header(raw, "List-Unsubscribe")
    prefix = "List-Unsubscribe: <http://127.0.0.1:3000"
    assert value.startswith(prefix) and value.endswith(">"), value
    return value[len(prefix) : -1]


def test_buyer_without_phone_gets_email_with_one_click_unsubscribe(runtime, events):
    events.cart(customer=email_buyer())
    runtime.advance(seconds=2 * 3600)

    [message] = messages(runtime, "cart_abandonment")
    assert message["channel"] == "email" and message["to"] == BUYER_EMAIL
    assert message["subject"] == "You left something in your cart"
    assert "https://demo-store.example/cart/cart-1/recover" in message["body"]
    raw = last_raw_email()
    assert header(raw, "List-Unsubscribe").startswith("List-Unsubscribe: <http://127.0.0.1:3000/unsubscribe/demo/")
    assert header(raw, "List-Unsubscribe-Post") == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"

    path = unsubscribe_path(raw)
    response = runtime.api("POST", path, {"User-Agent": "Mail/1.0"}, "List-Unsubscribe=One-Click")
    assert response.status == 200, response.body

    runtime.advance(seconds=24 * 3600)  # past the 16 h email cap
    events.cart("cart-2", customer={"platform_id": "buyer-mail", "email": BUYER_EMAIL})
    runtime.advance(seconds=2 * 3600)
    assert len(messages(runtime, "cart_abandonment")) == 1
    second = stored(SendRecord, "demo", "cart_abandonment#cart-2#1")
    assert (second.status, second.reason) == ("skipped", "no-consent")


def test_get_on_the_unsubscribe_link_shows_a_page_and_unsubscribes_nobody(runtime, events):
    events.cart(customer=email_buyer())
    runtime.advance(seconds=2 * 3600)
    path = unsubscribe_path(last_raw_email())

    page = runtime.api("GET", path)
    assert page.status == 200
    assert "text/html" in page.headers.get("Content-Type", "")
    assert "<form method='post'>" in page.body

    runtime.advance(seconds=24 * 3600)  # past the 16 h email cap
    events.cart("cart-2", customer={"platform_id": "buyer-mail", "email": BUYER_EMAIL})
    runtime.advance(seconds=2 * 3600)
    assert [m["channel"] for m in messages(runtime, "cart_abandonment")] == ["email", "email"]


# -- 8. SES bounces and complaints -------------------------------------------------------------------
@pytest.mark.parametrize("notification", ["Bounce", "Complaint"])
def test_bounce_or_complaint_suppresses_later_email(runtime, events, notification):
    events.cart(customer=email_buyer())
    runtime.advance(seconds=2 * 3600)
    assert len(messages(runtime, "cart_abandonment")) == 1

    runtime.inbound_ses(notification, BUYER_EMAIL)
    runtime.advance(seconds=24 * 3600)  # past the 16 h email cap
    events.cart("cart-2", customer={"platform_id": "buyer-mail", "email": BUYER_EMAIL})
    runtime.advance(seconds=2 * 3600)

    assert len(messages(runtime, "cart_abandonment")) == 1
    second = stored(SendRecord, "demo", "cart_abandonment#cart-2#1")
    assert (second.status, second.reason) == ("skipped", "suppressed")


# -- reservations do not outlive their flow --------------------------------------------------------
def test_a_cart_that_exits_on_order_does_not_hold_back_later_browse(runtime, events):
    events.cart()  # cart due 16:00
    runtime.advance(seconds=20 * 60)
    events.order_paid()  # 15:20: the cart flow will exit
    runtime.advance(seconds=10 * 60)
    events.view()  # 15:30, after the order: browse due 19:30

    runtime.advance(to=at(20, 0))
    assert messages(runtime, "cart_abandonment") == []
    [browse] = ledger("browse_abandonment")
    assert (browse.status, browse.reason) == ("sent", None), browse.detail
    [message] = messages(runtime, "browse_abandonment")
    assert message["sent_at"] == "2026-11-23T19:30:00Z"


# -- quiet hours -------------------------------------------------------------------------------------
def test_cart_abandonment_due_in_quiet_hours_waits_for_eight_local(runtime, events):
    runtime.advance(to=at(1, 30, day=24))  # 20:30 in New York: due 21:30, inside quiet hours
    events.cart()

    runtime.advance(to=at(12, 59, day=24))
    assert messages(runtime, "cart_abandonment") == []
    [record] = ledger("cart_abandonment")
    assert (record.status, record.reason) == ("deferred", "quiet-hours")

    runtime.advance(to=at(15, 0, day=24))
    [message] = messages(runtime, "cart_abandonment")
    assert message["sent_at"] == "2026-11-24T13:00:00Z"  # 08:00 in New York


# -- 9. transactional messages do not need marketing consent ----------------------------------------
def test_order_reminder_reaches_a_buyer_who_never_opted_in_to_marketing(runtime, events):
    no_consent = buyer(consents=())
    events.cart(customer=no_consent)
    order = {"order_id": "order-7", "name": "#1007", "currency": "USD", "total_price": "89.00"}
    events.post("order.created", order={**order, "created_at": iso(runtime.clock.now())}, customer=no_consent)

    runtime.advance(seconds=2 * 3600)
    [reminder] = messages(runtime)
    assert reminder["flow"] == "unpaid_reminder" and reminder["to"] == BUYER_PHONE
    assert OPT_OUT not in reminder["body"]
    [cart] = ledger("cart_abandonment")
    assert (cart.status, cart.reason) == ("skipped", "no-consent")


def test_marketing_email_carries_a_literal_one_click_header_a_visible_link_and_the_postal_address(runtime, events):
    events.cart(customer=email_buyer())
    runtime.advance(seconds=2 * 3600)

    raw = last_raw_email()
    # The header as sent, not only as a client decodes it: one literal <url> that Gmail and Yahoo
    # act on, never an RFC 2047 encoded-word or a fold inside the URL.
    [line] = [line for line in raw.splitlines() if line.startswith("List-Unsubscribe:")]
    assert line.startswith("List-Unsubscribe: <http://127.0.0.1:3000/unsubscribe/demo/") and line.endswith(">")
    assert "=?" not in line
    url = line.removeprefix("List-Unsubscribe: <").removesuffix(">")
    [message] = messages(runtime, "cart_abandonment")
    assert f"Unsubscribe: {url}" in message["body"]
    assert "Huike Demo Store, 100 Main Street, Louisville, KY 40202, USA" in message["body"]


def test_a_cart_message_names_the_product_and_the_amount(runtime, events):
    events.cart()
    runtime.advance(seconds=2 * 3600)
    [message] = messages(runtime, "cart_abandonment")
    assert "Linen Throw ($89.00)" in message["body"]


def test_a_message_whose_link_is_missing_is_skipped_not_sent_broken(runtime):
    tenant = runtime.seed_tenant("no-links", settings={"links": {}})
    events = Events(runtime, tenant)
    cart = {
        "cart_id": "cart-9",
        "updated_at": iso(runtime.clock.now()),
        "currency": "USD",
        "total_price": "10.00",
        "line_items": [{"product_id": "sku-1", "title": "Tea"}],
    }
    events.post("cart.updated", cart=cart, customer=buyer())  # a cart without a recovery link
    runtime.advance(seconds=2 * 3600)

    assert messages(runtime, "cart_abandonment") == []
    [record] = ledger("cart_abandonment", "no-links")
    assert (record.status, record.reason, record.detail) == ("skipped", "incomplete-content", "missing cart_link")


def test_an_inbound_stop_is_logged_without_the_phone_number(runtime, events, monkeypatch):
    logged: list[Any] = []
    inbound = runtime.lambdas.module(runtime.lambdas.functions["InboundFunction"])
    monkeypatch.setattr(inbound.logger, "info", lambda message, **kwargs: logged.append([message, kwargs]))
    runtime.inbound_sms(BUYER_PHONE, "+18335550100", "STOP")
    text = json.dumps(logged)
    assert "opted-out" in text and "+150*****134" in text
    assert BUYER_PHONE not in text
