"""The unpaid-order reminder, end to end: webhook -> state machine on the virtual clock -> SNS."""

from __future__ import annotations

import datetime as dt

from huike.store.sends import SendRecord
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.contacts import BUYER_PHONE
from tests.support.payloads import shopify_order
from tests.support.stored import every
from tests.support.webhooks import ShopifyWebhooks


def reminders(runtime) -> list[dict]:
    return [m for m in runtime.outbox() if m["flow"] == "unpaid_reminder"]


def reminder_executions(runtime) -> list[dict]:
    return [e for e in runtime.executions() if e["name"].startswith("unpaid_reminder-")]


def test_reminder_is_sent_once_after_the_delay(runtime, shopify):
    response = shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))
    assert response.status == 200, response.body

    runtime.advance(seconds=29 * 60)
    assert reminders(runtime) == []

    runtime.advance(seconds=31 * 60)
    [message] = reminders(runtime)
    assert message["to"] == BUYER_PHONE
    assert message["channel"] == "sms"
    assert "#1001" in message["body"] and "$409.94" in message["body"]
    assert "https://demo-store.example/" in message["body"]
    assert message["flow"] == "unpaid_reminder"
    assert message["sent_at"] == "2026-11-23T15:30:00Z"
    [execution] = reminder_executions(runtime)
    assert execution["status"] == "SUCCEEDED"


def test_no_reminder_when_paid_at_minute_ten(runtime, shopify):
    shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))
    runtime.advance(seconds=10 * 60)
    paid = shopify.post("orders/paid", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))
    assert paid.json()["order_status"] == "paid"

    runtime.advance(seconds=3600)
    assert reminders(runtime) == []
    # Paying stopped the waiting reminder (no run, no transition after its Wait).
    assert [e["status"] for e in reminder_executions(runtime)] == ["ABORTED"]


def test_no_reminder_when_cancelled(runtime, shopify):
    shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))
    runtime.advance(seconds=5 * 60)
    cancelled = shopify.post(
        "orders/cancelled",
        shopify_order(created_at=iso(DAYTIME_UTC), cancelled_at=iso(runtime.clock.now()), cancel_reason="customer"),
    )
    assert cancelled.json()["order_status"] == "cancelled"

    runtime.advance(seconds=3600)
    assert reminders(runtime) == []
    assert [e["status"] for e in reminder_executions(runtime)] == ["ABORTED"]


def test_reminder_due_at_23h_local_is_deferred_to_08h_local(runtime, shopify):
    # 03:30 UTC on the 24th is 22:30 in New York; the reminder falls due at 23:00 local.
    late_evening = dt.datetime(2026, 11, 24, 3, 30, tzinfo=dt.UTC)
    runtime.advance(to=late_evening)
    shopify.post("orders/create", shopify_order(created_at=iso(late_evening)))

    runtime.advance(to=dt.datetime(2026, 11, 24, 12, 59, tzinfo=dt.UTC))  # 07:59 local
    assert reminders(runtime) == []
    [record] = [r for r in every(SendRecord, "demo") if r.flow == "unpaid_reminder"]
    assert record.status == "deferred" and record.reason == "quiet-hours"
    assert record.deferred_until == dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)

    runtime.advance(to=dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC))
    [message] = reminders(runtime)
    assert message["sent_at"] == "2026-11-24T13:00:00Z"  # 08:00 in New York


def test_same_webhook_delivered_three_times_sends_one_sms(runtime, shopify):
    order = shopify_order(created_at=iso(DAYTIME_UTC))
    responses = [shopify.post("orders/create", order, webhook_id="dup-webhook-1") for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 200]
    assert len({r.json()["status"] for r in responses}) == 1

    runtime.advance(seconds=3600)
    assert len(reminders(runtime)) == 1
    assert len(reminder_executions(runtime)) == 1


def test_redelivery_with_a_new_webhook_id_starts_no_second_reminder(runtime, shopify):
    order = shopify_order(created_at=iso(DAYTIME_UTC))
    shopify.post("orders/create", order)
    again = shopify.post("orders/create", order)
    assert again.status == 200

    runtime.advance(seconds=3600)
    assert len(reminders(runtime)) == 1
    assert len(reminder_executions(runtime)) == 1


def test_paid_arriving_before_create_ends_paid_without_reminder(runtime, shopify):
    order = shopify_order(created_at=iso(DAYTIME_UTC))
    shopify.post("orders/paid", {**order, "financial_status": "paid"})
    created = shopify.post("orders/create", order)  # the late create still says "pending"
    assert created.json()["order_status"] == "paid"

    runtime.advance(seconds=3600)
    assert reminder_executions(runtime) == []
    assert reminders(runtime) == []


def test_order_whose_payment_window_has_closed_gets_no_reminder(runtime, shopify):
    placed = DAYTIME_UTC - dt.timedelta(hours=25)
    response = shopify.post("orders/create", shopify_order(created_at=iso(placed)))
    assert response.status == 200
    assert reminder_executions(runtime) == []


def test_invalid_phone_is_kept_but_not_texted(runtime, shopify):
    bad_phone = {"country_code": "US", "phone": "555-625-1199"}
    order = shopify_order(
        created_at=iso(DAYTIME_UTC),
        email=None,  # and no email to fall back to (see the email test below)
        customer={"id": 42, "first_name": "Ann", "phone": "555-625-1199", "default_address": bad_phone},
        billing_address=bad_phone,
        shipping_address=bad_phone,
    )
    shopify.post("orders/create", order)
    runtime.advance(seconds=3600)

    assert reminders(runtime) == []
    [record] = [r for r in every(SendRecord, "demo") if r.flow == "unpaid_reminder"]
    assert (record.status, record.reason) == ("skipped", "invalid-recipient")


def test_tenant_delay_setting_is_respected(runtime):
    tenant = runtime.seed_tenant("slow-shop", flows={"unpaid_reminder": {"delay_minutes": 120}})
    hooks = ShopifyWebhooks(runtime, tenant)
    hooks.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))

    runtime.advance(seconds=119 * 60)
    assert reminders(runtime) == []
    runtime.advance(seconds=60)
    [message] = reminders(runtime)
    assert message["tenant_id"] == "slow-shop" and message["sent_at"] == "2026-11-23T17:00:00Z"


def test_chinese_buyer_gets_the_zh_cn_template(runtime):
    tenant = runtime.seed_tenant("cn-shop", name="回客小店", timezone="Asia/Shanghai", country="CN", locale="zh-CN")
    hooks = ShopifyWebhooks(runtime, tenant)
    address = {"country_code": "CN", "phone": "13800138000"}
    morning_in_shanghai = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 Beijing time
    runtime.advance(to=morning_in_shanghai)
    order = shopify_order(
        created_at=iso(morning_in_shanghai),
        currency="CNY",
        total_price="199.00",
        customer_locale="zh-CN",
        customer={"id": 7, "phone": "13800138000", "default_address": address},
        billing_address=address,
        shipping_address=address,
    )
    hooks.post("orders/create", order)
    runtime.advance(seconds=3600)
    [message] = reminders(runtime)
    assert message["to"] == "+8613800138000"
    assert message["sent_at"] == "2026-11-24T02:30:00Z"
    assert message["body"].startswith("【回客小店】您的订单#1001（¥199.00）尚未付款")


def test_a_buyer_without_a_textable_phone_is_reminded_by_email(runtime, shopify):
    order = shopify_order(created_at=iso(DAYTIME_UTC))
    order["customer"]["phone"] = None
    order["customer"]["default_address"]["phone"] = None
    for address in ("billing_address", "shipping_address"):
        order[address]["phone"] = None
    assert shopify.post("orders/create", order).status == 200

    runtime.advance(seconds=3600)
    [message] = reminders(runtime)
    assert (message["channel"], message["to"]) == ("email", "bob.norman@example.com")
    assert message["subject"] == "Your order #1001 is waiting for payment"
    assert "https://demo-store.example/" in message["body"]


def test_the_reminder_is_texted_from_the_shops_origination_number(runtime, shopify):
    published: list[dict] = []

    def watch() -> None:
        from huike.aws.clients import client

        def record(params: dict, **_: object) -> None:
            published.append(params)

        client("sns").meta.events.register("provide-client-params.sns.Publish", record)

    runtime.lambdas.in_container("FlowTaskFunction", watch)
    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    runtime.advance(seconds=31 * 60)

    [params] = published
    assert params["PhoneNumber"] == BUYER_PHONE
    # seed_tenant's number, where STOP and START replies come back
    assert params["MessageAttributes"]["AWS.MM.SMS.OriginationNumber"]["StringValue"] == "+18335550100"
    assert params["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
