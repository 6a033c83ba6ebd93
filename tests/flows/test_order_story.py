"""A seller's whole order story, end to end, through each webhook source.

created -> paid -> shipped -> delivered, then months of silence: the buyer should get, in order,
the payment, shipping and delivery notices (transactional, immediate outside quiet hours), a
review invite 3 days after delivery and two win-back touches from the expected next order date
(marketing: only with consent, never after STOP). Everything is read back from /_local/outbox and
the send and consent ledgers, as a seller or an auditor would see it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huike.store.consent import ConsentEntry
from huike.store.sends import SendRecord
from infra.local.runtime import ApiResponse, LocalRuntime, TenantCredentials
from tests.support.clock import DAYTIME_UTC, iso, utc
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL, SHOP_NUMBER
from tests.support.payloads import fixture, shopify_order
from tests.support.stored import every
from tests.support.webhooks import CanonicalEvents, ShopifyWebhooks, WooCommerceWebhooks

NEW_YORK = ZoneInfo("America/New_York")
OPT_OUT = "Reply STOP to opt out"
TRACKING_URL = "https://www.ups.com/track?tracknum=1Z2345"
SOURCES = ("shopify", "woocommerce", "canonical")

_ids = itertools.count(1)


def local_time(message: dict[str, Any]) -> dt.datetime:
    """When the buyer's phone rang, on the buyer's own (New York) clock."""
    return dt.datetime.fromisoformat(message["sent_at"].replace("Z", "+00:00")).astimezone(NEW_YORK)


def messages(runtime: LocalRuntime, *flows: str) -> list[dict[str, Any]]:
    return [m for m in runtime.outbox() if not flows or m["flow"] in flows]


def ledger(tenant_id: str = "demo") -> dict[str, SendRecord]:
    return {record.send_key: record for record in every(SendRecord, tenant_id)}


# The story's clock (UTC; New York is UTC-5 in November and February).
PLACED = DAYTIME_UTC  # 10:00 local
PAID = PLACED + dt.timedelta(minutes=10)  # 10:10, before the 30-minute unpaid reminder
SHIPPED = PLACED + dt.timedelta(hours=3)  # 13:00
DELIVERED = PLACED + dt.timedelta(hours=6)  # 16:00
REVIEW_DUE = DELIVERED + dt.timedelta(days=3)  # 2026-11-26 16:00
WIN_BACK_DUE = PLACED + dt.timedelta(days=90)  # one order: the store default interval; 2027-02-21 10:00
WIN_BACK_FINAL = WIN_BACK_DUE + dt.timedelta(days=7)  # 2027-02-28 10:00
FOUR_MONTHS_LATER = utc(2027, 3, 23, 15, 0)


# -- posting each source the way the platform does ---------------------------------------------------
class ShopifyStory:
    """Shopify: orders/create, orders/paid, fulfillments/create, fulfillments/update (delivered),
    refunds/create; consent from customers/update."""

    order_id = "shopify-450789469"
    order_name = "#1001"

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.hooks = ShopifyWebhooks(runtime, tenant)
        self.placed = PLACED

    def _order(self, **overrides: Any) -> dict[str, Any]:
        return shopify_order(created_at=iso(self.placed), updated_at=iso(self.runtime.clock.now()), **overrides)

    def _fulfillment(self, **overrides: Any) -> dict[str, Any]:
        fulfillment = fixture("shopify_fulfillment")
        fulfillment.update(created_at=iso(SHIPPED), updated_at=iso(self.runtime.clock.now()), **overrides)
        return fulfillment

    def consent(self, sms: bool = True, email: bool = True) -> ApiResponse:
        customer = fixture("shopify_customer")
        customer["updated_at"] = iso(self.runtime.clock.now())
        customer["sms_marketing_consent"]["state"] = "subscribed" if sms else "not_subscribed"
        customer["email_marketing_consent"]["state"] = "subscribed" if email else "not_subscribed"
        for consent in ("sms_marketing_consent", "email_marketing_consent"):  # given now, as Shopify does
            customer[consent]["consent_updated_at"] = iso(self.runtime.clock.now())
        return self.hooks.post("customers/update", customer)

    def created(self) -> ApiResponse:
        return self.hooks.post("orders/create", self._order())

    def paid(self, webhook_id: str | None = None) -> ApiResponse:
        return self.hooks.post("orders/paid", self._order(financial_status="paid"), webhook_id=webhook_id)

    def shipped(self) -> ApiResponse:
        return self.hooks.post("fulfillments/create", self._fulfillment())

    def delivered(self) -> ApiResponse:
        return self.hooks.post("fulfillments/update", self._fulfillment(shipment_status="delivered"))

    def refunded(self) -> ApiResponse:
        now = iso(self.runtime.clock.now())
        return self.hooks.post("refunds/create", {**fixture("shopify_refund"), "created_at": now, "processed_at": now})


class WooCommerceStory:
    """WooCommerce: one order resource, its status moving pending -> processing -> completed, as
    order.created / order.updated deliveries. WooCommerce has no consent field: consent comes as a
    canonical customer.updated for the same customer ("woocommerce-<id>")."""

    order_id = "woocommerce-727"
    order_name = "#727"
    customer_id = 26

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.hooks = WooCommerceWebhooks(runtime, tenant)
        self.canonical = CanonicalStory(runtime, tenant)
        self.placed = PLACED
        self._paid_at: str | None = None
        self._shipped: dict[str, Any] = {}

    def post(self, topic: str, order: dict[str, Any], delivery_id: str | None = None) -> ApiResponse:
        return self.hooks.post(topic, order, delivery_id=delivery_id)

    def _order(self, status: str, **overrides: Any) -> dict[str, Any]:
        order = fixture("woocommerce_order")
        now = self.runtime.clock.now().astimezone(dt.UTC).replace(tzinfo=None)
        local_now = self.runtime.clock.now().astimezone(NEW_YORK).replace(tzinfo=None)
        buyer = {"first_name": "Bob", "last_name": "Norman", "country": "US", "phone": BUYER_PHONE_NATIONAL}
        order.update(
            status=status,
            currency="USD",
            total="409.94",
            customer_id=self.customer_id,
            date_created=self.placed.astimezone(NEW_YORK).replace(tzinfo=None).isoformat(),
            date_created_gmt=self.placed.astimezone(dt.UTC).replace(tzinfo=None).isoformat(),
            date_modified=local_now.isoformat(),
            date_modified_gmt=now.isoformat(),
            billing={**order["billing"], **buyer, "email": "bob.norman@example.com", "city": "Louisville"},
            shipping={**order["shipping"], **buyer, "city": "Louisville"},
        )
        order.update(overrides)
        return order

    def consent(self, sms: bool = True, email: bool = True) -> ApiResponse:
        consents = [{"channel": "sms", "granted": sms}, {"channel": "email", "granted": email}]
        customer = {"platform_id": f"woocommerce-{self.customer_id}", "phone": BUYER_PHONE, "consents": consents}
        return self.canonical.post(self.canonical.event("customer.updated", customer=customer, order=None))

    def created(self) -> ApiResponse:
        return self.post("order.created", self._order("pending"))

    def paid(self) -> ApiResponse:
        now = self.runtime.clock.now().astimezone(dt.UTC).replace(tzinfo=None).isoformat()
        self._paid_at = now
        return self.post("order.updated", self._order("processing", date_paid_gmt=now, transaction_id="tx-1"))

    def shipped(self) -> ApiResponse:
        # The WooCommerce Shipment Tracking extension keeps the tracking on the order's meta data.
        now = self.runtime.clock.now().astimezone(dt.UTC).replace(tzinfo=None).isoformat()
        tracking = [
            {
                "tracking_provider": "",
                "custom_tracking_provider": "UPS",
                "custom_tracking_link": TRACKING_URL,
                "tracking_number": "1Z2345",
                "date_shipped": str(int(self.runtime.clock.now().timestamp())),
                "tracking_id": "a1b2c3",
            }
        ]
        self._shipped = {
            "date_paid_gmt": self._paid_at,
            "date_completed_gmt": now,
            "meta_data": [{"id": 9001, "key": "_wc_shipment_tracking_items", "value": tracking}],
        }
        return self.post("order.updated", self._order("completed", **self._shipped))

    def delivered(self) -> ApiResponse:
        # Core WooCommerce stops at "completed"; delivery tracking extensions add a "delivered" status.
        return self.post("order.updated", self._order("delivered", **self._shipped))


class CanonicalStory:
    """Huike's canonical events (Taobao/JD/Youzan adapters, custom shops), signed with
    Huike-Signature; consent travels in the order.created event's customer."""

    order_id = "custom-20261123-0001"
    order_name = "#1001"

    def __init__(self, runtime: LocalRuntime, tenant: TenantCredentials) -> None:
        self.runtime = runtime
        self.events = CanonicalEvents(runtime, tenant)
        self.placed = PLACED
        self.consents: list[dict[str, Any]] = []

    def customer(self, consents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "platform_id": "custom-5001",
            "first_name": "Bob",
            "last_name": "Norman",
            "email": "bob.norman@example.com",
            "phone": BUYER_PHONE,
            "country": "US",
            "locale": "en",
            **({"consents": consents} if consents else {}),
        }

    def event(self, event_type: str, event_id: str | None = None, **parts: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": event_id or f"evt_{next(_ids):06d}",
            "type": event_type,
            "occurred_at": iso(self.runtime.clock.now()),
            "customer": self.customer(),
            "order": {"order_id": self.order_id},
        }
        body.update(parts)
        return {key: value for key, value in body.items() if value is not None}

    def post(self, body: dict[str, Any]) -> ApiResponse:
        return self.events.post(body)

    def consent(self, sms: bool = True, email: bool = False) -> None:
        """Consent is captured at checkout and sent with order.created."""
        at = iso(self.runtime.clock.now())
        wording = "Text me offers from Huike Demo Store. Msg & data rates may apply. Reply STOP to opt out."
        self.consents = [
            {"channel": "sms", "granted": sms, "at": at, "wording": wording, "proof": {"ip": "203.0.113.7"}},
            {"channel": "email", "granted": email, "at": at},
        ]

    def created(self, event_id: str | None = None) -> ApiResponse:
        order = {
            "order_id": self.order_id,
            "name": self.order_name,
            "currency": "USD",
            "total_price": "409.94",
            "created_at": iso(self.placed),
            "financial_status": "pending",
            "payment_url": "https://shop.example.com/pay/1001",
            "locale": "en",
            "line_items": [{"product_id": "sku-1", "title": "IPod Nano - 8gb", "quantity": 1, "price": "199.00"}],
        }
        return self.post(self.event("order.created", event_id, customer=self.customer(self.consents), order=order))

    def _order_event(self, event_type: str, event_id: str | None = None, **order: Any) -> ApiResponse:
        return self.post(self.event(event_type, event_id, order={"order_id": self.order_id, **order}))

    def paid(self, event_id: str | None = None) -> ApiResponse:
        now = iso(self.runtime.clock.now())
        return self._order_event("order.paid", event_id, financial_status="paid", paid_at=now)

    def shipped(self) -> ApiResponse:
        now = iso(self.runtime.clock.now())
        return self._order_event(
            "order.shipped", shipped_at=now, tracking_number="1Z2345", tracking_url=TRACKING_URL, carrier="UPS"
        )

    def delivered(self) -> ApiResponse:
        return self._order_event("order.delivered", delivered_at=iso(self.runtime.clock.now()))

    def refunded(self) -> ApiResponse:
        return self._order_event("order.refunded", refunded_at=iso(self.runtime.clock.now()))


STORIES = {"shopify": ShopifyStory, "woocommerce": WooCommerceStory, "canonical": CanonicalStory}


def story_for(source: str, runtime: LocalRuntime, tenant: TenantCredentials) -> Any:
    return STORIES[source](runtime, tenant)


def live_until_delivered(runtime: LocalRuntime, story: Any) -> None:
    """created 10:00, paid 10:10, shipped 13:00, delivered 16:00 (New York time), each accepted."""
    for moment, step in ((PLACED, story.created), (PAID, story.paid), (SHIPPED, story.shipped)):
        runtime.advance(to=moment)
        response = step()
        assert response.status == 200, response.body
    runtime.advance(to=DELIVERED)
    response = story.delivered()
    assert response.status == 200, response.body


def timeline(runtime: LocalRuntime) -> list[tuple[str, str, str]]:
    return [(m["flow"], m["to"], m["sent_at"]) for m in messages(runtime)]


TRANSACTIONAL_NOTICES = [
    ("payment_confirmation", BUYER_PHONE, iso(PAID)),
    ("shipping_notice", BUYER_PHONE, iso(SHIPPED)),
    ("delivery_notice", BUYER_PHONE, iso(DELIVERED)),
]
WHOLE_STORY = [
    *TRANSACTIONAL_NOTICES,
    ("review_invite", BUYER_PHONE, iso(REVIEW_DUE)),
    ("win_back", BUYER_PHONE, iso(WIN_BACK_DUE)),
    ("win_back", BUYER_PHONE, iso(WIN_BACK_FINAL)),
]


# -- 1. the whole story, each source ----------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "shopify",
        "woocommerce",
        "canonical",
    ],
)
def test_consenting_buyer_gets_the_whole_story_in_order_at_local_daytime(runtime, tenant, source):
    story = story_for(source, runtime, tenant)
    consent = story.consent()
    assert consent is None or consent.status == 200, consent.body

    live_until_delivered(runtime, story)
    runtime.advance(to=FOUR_MONTHS_LATER)

    sent = messages(runtime)
    assert timeline(runtime) == WHOLE_STORY
    payment, shipping, delivery, review, win_back, win_back_final = sent
    assert all(m["channel"] == "sms" and m["tenant_id"] == "demo" for m in sent)
    assert all(8 <= local_time(m).hour < 21 for m in sent)
    assert [local_time(m).strftime("%m-%d %H:%M") for m in sent] == [
        "11-23 10:10",
        "11-23 13:00",
        "11-23 16:00",
        "11-26 16:00",
        "02-21 10:00",
        "02-28 10:00",
    ]
    assert "$409.94" in payment["body"] and story.order_name in payment["body"]
    assert TRACKING_URL in shipping["body"]
    assert "delivered" in delivery["body"]
    for transactional in (payment, shipping, delivery):
        assert OPT_OUT not in transactional["body"]
    assert "review" in review["body"]
    assert "we miss you" in win_back["body"]
    assert "last offer" in win_back_final["body"]
    for marketing in (review, win_back, win_back_final):
        assert marketing["body"].endswith(OPT_OUT)


def test_woocommerce_buyer_consenting_through_a_canonical_event_gets_win_back(runtime, tenant):
    """The part of the WooCommerce story that works: consent sent as a canonical customer.updated
    for platform_id "woocommerce-<id>" lands on the same customer the WooCommerce orders belong to."""
    story = WooCommerceStory(runtime, tenant)
    assert story.consent().status == 200
    for moment, step in ((PLACED, story.created), (PAID, story.paid), (SHIPPED, story.shipped)):
        runtime.advance(to=moment)
        assert step().status == 200
    runtime.advance(to=FOUR_MONTHS_LATER)

    assert timeline(runtime) == [
        ("payment_confirmation", BUYER_PHONE, iso(PAID)),
        ("shipping_notice", BUYER_PHONE, iso(SHIPPED)),
        ("win_back", BUYER_PHONE, iso(WIN_BACK_DUE)),
        ("win_back", BUYER_PHONE, iso(WIN_BACK_FINAL)),
    ]
    assert all(m["body"].endswith(OPT_OUT) for m in messages(runtime, "win_back"))
    records = ledger()
    assert records["win_back#woocommerce-26:woocommerce-727#1"].status == "sent"


def test_woocommerce_shipping_notice_carries_the_tracking_link(runtime, tenant):
    story = WooCommerceStory(runtime, tenant)
    for moment, step in ((PLACED, story.created), (PAID, story.paid), (SHIPPED, story.shipped)):
        runtime.advance(to=moment)
        assert step().status == 200

    [shipping] = messages(runtime, "shipping_notice")
    assert shipping["sent_at"] == iso(SHIPPED)
    assert TRACKING_URL in shipping["body"]


def test_consent_for_the_same_phone_without_platform_id_reaches_the_woocommerce_buyer(runtime, tenant):
    story = WooCommerceStory(runtime, tenant)
    for moment, step in ((PLACED, story.created), (PAID, story.paid)):
        runtime.advance(to=moment)
        assert step().status == 200
    runtime.advance(seconds=600)
    consent = {"phone": BUYER_PHONE_NATIONAL, "country": "US", "consents": [{"channel": "sms", "granted": True}]}
    response = story.canonical.post(story.canonical.event("customer.updated", customer=consent, order=None))
    assert response.status == 200, response.body
    runtime.advance(to=FOUR_MONTHS_LATER)

    assert [(m["flow"], m["to"], m["sent_at"]) for m in messages(runtime, "win_back")] == [
        ("win_back", BUYER_PHONE, iso(WIN_BACK_DUE)),
        ("win_back", BUYER_PHONE, iso(WIN_BACK_FINAL)),
    ]


@pytest.mark.parametrize("source", ["shopify", "canonical"])
def test_review_invite_due_in_quiet_hours_goes_at_08_00_local(runtime, tenant, source):
    story = story_for(source, runtime, tenant)
    story.consent()
    for moment, step in ((PLACED, story.created), (PAID, story.paid), (SHIPPED, story.shipped)):
        runtime.advance(to=moment)
        assert step().status == 200
    late_delivery = utc(2026, 11, 24, 2, 30)  # 21:30 in New York on the 23rd
    runtime.advance(to=late_delivery)
    assert story.delivered().status == 200
    runtime.advance(to=utc(2026, 11, 28, 15, 0))

    delivery, review = messages(runtime, "delivery_notice", "review_invite")
    assert (delivery["flow"], delivery["sent_at"]) == ("delivery_notice", "2026-11-24T13:00:00Z")
    assert (review["flow"], review["sent_at"]) == ("review_invite", "2026-11-27T13:00:00Z")
    assert local_time(review).strftime("%Y-%m-%d %H:%M") == "2026-11-27 08:00"  # not 21:30 on the 26th
    assert review["to"] == BUYER_PHONE and review["body"].endswith(OPT_OUT)


def test_win_back_follows_the_buyers_own_repurchase_cycle(runtime, tenant):
    """Two paid orders 30 days apart: win-back 30 days after the second; the first cycle exits."""
    story = CanonicalStory(runtime, tenant)
    story.consent()
    first_order = story.order_id
    for moment, step in ((PLACED, story.created), (PAID, story.paid)):
        runtime.advance(to=moment)
        assert step().status == 200
    story.order_id, story.placed = "custom-20261223-0002", PLACED + dt.timedelta(days=30)
    for moment, step in ((story.placed, story.created), (story.placed + dt.timedelta(minutes=10), story.paid)):
        runtime.advance(to=moment)
        assert step().status == 200
    runtime.advance(to=FOUR_MONTHS_LATER)

    expected_next = story.placed + dt.timedelta(days=30)  # 2027-01-22 10:00 local
    win_back = messages(runtime, "win_back")
    assert [(m["to"], m["sent_at"]) for m in win_back] == [
        (BUYER_PHONE, iso(expected_next)),
        (BUYER_PHONE, iso(expected_next + dt.timedelta(days=7))),
    ]
    assert "we miss you" in win_back[0]["body"] and "last offer" in win_back[1]["body"]
    # The first order's cycle waited on the agenda (the customer's win-back slot) and the second
    # order replaced it there: it never ran, so it neither sent nor left a decision.
    superseded = [r for key, r in ledger().items() if key.startswith(f"win_back#custom-5001:{first_order}#")]
    assert superseded == []


# -- 2. no marketing consent ------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["shopify", "canonical"])
def test_buyer_without_consent_gets_only_the_transactional_notices(runtime, tenant, source):
    story = story_for(source, runtime, tenant)
    live_until_delivered(runtime, story)
    runtime.advance(to=FOUR_MONTHS_LATER)

    assert timeline(runtime) == TRANSACTIONAL_NOTICES
    marketing = [r for r in ledger().values() if r.purpose == "marketing"]
    assert sorted(r.send_key.split("#")[0] + "#" + r.send_key.split("#")[-1] for r in marketing) == [
        "review_invite#1",
        "win_back#1",
        "win_back#2",
    ]
    assert {(r.status, r.reason) for r in marketing} == {("skipped", "no-consent")}
    assert all(r.message_id is None and r.sent_at is None for r in marketing)


# -- 3. STOP after delivery ------------------------------------------------------------------------
def test_stop_after_delivery_suppresses_review_invite_and_win_back(runtime, tenant):
    story = CanonicalStory(runtime, tenant)
    story.consent(sms=True)
    live_until_delivered(runtime, story)

    runtime.advance(seconds=3600)  # 17:00 local, the evening of delivery day
    runtime.inbound_sms(BUYER_PHONE, SHOP_NUMBER, "STOP")
    runtime.advance(to=FOUR_MONTHS_LATER)

    assert timeline(runtime) == TRANSACTIONAL_NOTICES
    records = ledger()
    review = records[f"review_invite#{story.order_id}#1"]
    first, final = (
        records[f"win_back#custom-5001:{story.order_id}#1"],
        records[f"win_back#custom-5001:{story.order_id}#2"],
    )
    assert [(r.status, r.reason) for r in (review, first, final)] == [("skipped", "suppressed")] * 3

    stops = [e for e in every(ConsentEntry, "demo") if e.source == "inbound-sms"]
    assert {(e.address, e.channel, e.granted, e.wording) for e in stops} == {
        (BUYER_PHONE, "sms", False, "STOP"),
        (BUYER_PHONE, "mms", False, "STOP"),
    }
    assert all(e.at == DELIVERED + dt.timedelta(hours=1) for e in stops)
    # The opt-in captured at checkout is in the same ledger, before the STOP.
    [opt_in] = [e for e in every(ConsentEntry, "demo") if e.channel == "sms" and e.granted]
    assert opt_in.customer_id == "custom-5001" and opt_in.wording.startswith("Text me offers")


def test_stop_from_a_shopify_buyer_consenting_to_sms_only_ends_every_text(runtime, tenant):
    """Shopify consent (SMS yes, email no), paid, never shipped; the buyer replies "Stop"."""
    story = ShopifyStory(runtime, tenant)
    assert story.consent(sms=True, email=False).status == 200
    for moment, step in ((PLACED, story.created), (PAID, story.paid)):
        runtime.advance(to=moment)
        assert step().status == 200
    stop_at = PAID + dt.timedelta(hours=1)
    runtime.advance(to=stop_at)
    runtime.inbound_sms(BUYER_PHONE, SHOP_NUMBER, "Stop")
    runtime.advance(to=FOUR_MONTHS_LATER)

    texts = [m for m in messages(runtime) if m["to"] == BUYER_PHONE]
    assert [(m["flow"], m["sent_at"]) for m in texts] == [("payment_confirmation", iso(PAID))]
    assert not [m for m in messages(runtime) if m["flow"] in ("review_invite", "win_back")]
    records = ledger()
    win_back = [records[f"win_back#shopify-207119551:shopify-450789469#{step}"] for step in "12"]
    assert [(r.status, r.reason) for r in win_back] == [("skipped", "suppressed")] * 2


# -- 4. refund after delivery ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    ["shopify", "canonical"],
)
def test_refund_after_delivery_sends_refund_care_and_cancels_the_review_invite(runtime, tenant, source):
    story = story_for(source, runtime, tenant)
    story.consent()
    live_until_delivered(runtime, story)
    refund_at = DELIVERED + dt.timedelta(days=1)  # 16:00 local the next day
    runtime.advance(to=refund_at)
    assert story.refunded().status == 200
    runtime.advance(to=REVIEW_DUE + dt.timedelta(days=1))

    assert timeline(runtime) == [*TRANSACTIONAL_NOTICES, ("refund_care", BUYER_PHONE, iso(refund_at))]
    [refund] = messages(runtime, "refund_care")
    assert "refund" in refund["body"] and "#1001" in refund["body"]
    assert OPT_OUT not in refund["body"]
    invite = ledger()[f"review_invite#{story.order_id}#1"]
    assert (invite.status, invite.reason, invite.detail) == ("skipped", "exited", "order-refunded")
    [review] = [e for e in runtime.executions() if e["name"].startswith("review_invite-")]
    assert review["status"] == "SUCCEEDED"
    output = execution_output(runtime, review)
    assert (output["outcome"], output["last"]["reason"]) == ("exited", "order-refunded")


def execution_output(runtime: LocalRuntime, execution: dict[str, Any]) -> dict[str, Any]:
    import boto3

    from infra.local.template import REGION

    sfn = boto3.client("stepfunctions", region_name=REGION)
    return json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["output"])


# -- 5. delayed shipment -------------------------------------------------------------------------
def test_order_not_shipped_within_48_hours_gets_one_apology(runtime, tenant):
    story = ShopifyStory(runtime, tenant)
    story.created()
    runtime.advance(to=PAID)
    story.paid()
    runtime.advance(to=PAID + dt.timedelta(hours=47, minutes=59))
    assert messages(runtime, "delayed_shipment") == []

    runtime.advance(to=PAID + dt.timedelta(days=6))
    [apology] = messages(runtime, "delayed_shipment")
    assert apology["to"] == BUYER_PHONE
    assert apology["sent_at"] == iso(PAID + dt.timedelta(hours=48))  # 10:10 local, two days later
    assert "#1001" in apology["body"] and "sorry" in apology["body"].lower()
    assert OPT_OUT not in apology["body"]

    runtime.advance(seconds=3600)
    assert story.shipped().status == 200
    assert [m["flow"] for m in messages(runtime)] == ["payment_confirmation", "delayed_shipment", "shipping_notice"]


def test_order_shipped_at_hour_30_gets_no_apology(runtime, tenant):
    story = ShopifyStory(runtime, tenant)
    story.created()
    runtime.advance(to=PAID)
    story.paid()
    runtime.advance(to=PAID + dt.timedelta(hours=30))
    assert story.shipped().status == 200
    runtime.advance(to=PAID + dt.timedelta(days=6))

    assert [m["flow"] for m in messages(runtime)] == ["payment_confirmation", "shipping_notice"]
    # The check was started the day before it was due, then shipping stopped it while it waited.
    [check] = [e for e in runtime.executions() if e["name"].startswith("delayed_shipment-")]
    assert check["status"] == "ABORTED"


# -- 6. a payment late in the evening ------------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
def test_payment_at_22_30_local_is_confirmed_at_08_00_next_morning(runtime, tenant, source):
    story = story_for(source, runtime, tenant)
    story.placed = utc(2026, 11, 24, 3, 20)  # 22:20 in New York on the 23rd
    runtime.advance(to=story.placed)
    assert story.created().status == 200
    runtime.advance(to=utc(2026, 11, 24, 3, 30))  # 22:30
    assert story.paid().status == 200

    runtime.advance(to=utc(2026, 11, 24, 12, 59))  # 07:59 local
    assert messages(runtime) == []
    record = ledger()[f"payment_confirmation#{story.order_id}#1"]
    assert (record.status, record.reason) == ("deferred", "quiet-hours")
    assert record.deferred_until == utc(2026, 11, 24, 13, 0)

    runtime.advance(to=utc(2026, 11, 24, 18, 0))
    [confirmation] = messages(runtime)
    assert confirmation["flow"] == "payment_confirmation" and confirmation["to"] == BUYER_PHONE
    assert local_time(confirmation).strftime("%Y-%m-%d %H:%M") == "2026-11-24 08:00"
    assert story.order_name in confirmation["body"] and "$409.94" in confirmation["body"]
    [notice] = [e for e in runtime.executions() if e["name"].startswith("notice-")]
    assert notice["status"] == "SUCCEEDED"
    assert notice["input"]["notice"] == "payment_confirmation"
    assert ledger()[f"payment_confirmation#{story.order_id}#1"].status == "sent"


# -- 7. unpaid reminder, second touch -----------------------------------------------------------------
def test_tenant_enabled_second_touch_sends_a_final_reminder_before_the_window_closes(runtime):
    tenant = runtime.seed_tenant("two-touch", flows={"unpaid_reminder": {"second_touch": True}})
    hooks = ShopifyWebhooks(runtime, tenant)
    assert hooks.post("orders/create", shopify_order(created_at=iso(PLACED))).status == 200
    runtime.advance(to=PLACED + dt.timedelta(days=2))

    first, final = messages(runtime, "unpaid_reminder")
    assert first["sent_at"] == iso(PLACED + dt.timedelta(minutes=30))
    assert final["sent_at"] == iso(PLACED + dt.timedelta(hours=22))  # 2 h before the 24 h window closes
    assert local_time(final).strftime("%H:%M") == "08:00"
    assert {first["to"], final["to"]} == {BUYER_PHONE} and {first["tenant_id"], final["tenant_id"]} == {"two-touch"}
    assert "waiting for payment" in first["body"]
    assert "closes soon" in final["body"] and "$409.94" in final["body"]
    assert "https://demo-store.example/" in final["body"]


def test_second_touch_is_not_sent_once_the_order_is_paid(runtime):
    tenant = runtime.seed_tenant("two-touch", flows={"unpaid_reminder": {"second_touch": True}})
    hooks = ShopifyWebhooks(runtime, tenant)
    hooks.post("orders/create", shopify_order(created_at=iso(PLACED)))
    runtime.advance(to=PLACED + dt.timedelta(hours=5))
    hooks.post("orders/paid", shopify_order(created_at=iso(PLACED), financial_status="paid"))
    runtime.advance(to=PLACED + dt.timedelta(days=2))

    assert [m["flow"] for m in messages(runtime, "unpaid_reminder", "payment_confirmation")] == [
        "unpaid_reminder",
        "payment_confirmation",
    ]


def test_default_tenant_sends_a_single_reminder(runtime, tenant, shopify):
    shopify.post("orders/create", shopify_order(created_at=iso(PLACED)))
    runtime.advance(to=PLACED + dt.timedelta(days=2))
    assert len(messages(runtime, "unpaid_reminder")) == 1


# -- 8. duplicate deliveries -------------------------------------------------------------------------
def test_same_shopify_delivery_twice_confirms_payment_once(runtime, tenant):
    story = ShopifyStory(runtime, tenant)
    story.created()
    runtime.advance(to=PAID)
    first = story.paid(webhook_id="b54557e4-bdd9-4b37-8a5f-paid00000001")
    again = story.paid(webhook_id="b54557e4-bdd9-4b37-8a5f-paid00000001")
    assert (first.status, again.status) == (200, 200)
    assert again.json() == first.json()
    runtime.advance(seconds=3600)

    [confirmation] = messages(runtime, "payment_confirmation")
    assert confirmation["sent_at"] == iso(PAID)


def test_same_canonical_event_id_twice_confirms_payment_once(runtime, tenant):
    story = CanonicalStory(runtime, tenant)
    story.created()
    runtime.advance(to=PAID)
    first = story.paid(event_id="evt_paid_1001")
    runtime.advance(seconds=60)  # a retry a minute later, freshly signed
    again = story.paid(event_id="evt_paid_1001")
    assert (first.status, again.status) == (200, 200)
    assert again.json() == first.json()
    runtime.advance(seconds=3600)

    [confirmation] = messages(runtime, "payment_confirmation")
    assert confirmation["sent_at"] == iso(PAID)
    [record] = [r for r in ledger().values() if r.flow == "payment_confirmation"]
    assert record.status == "sent"
