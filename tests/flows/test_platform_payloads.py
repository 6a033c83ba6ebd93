"""The platforms' own published bodies (../shared/realpayloads-fixtures, adapted only in ids, times
and phone numbers) through the webhook, the stream and the send path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.support.clock import DAYTIME_UTC
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL
from tests.support.payloads import fixture, real_payload

# 10:00 in Shanghai: daytime for a buyer on a Chinese mobile number.
SHANGHAI_MORNING = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def woo_times(order: dict[str, Any], moment: dt.datetime) -> dict[str, Any]:
    naive = moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    for field in ("date_created_gmt", "date_modified_gmt"):
        order[field] = naive
    for field in ("date_paid_gmt", "date_completed_gmt"):
        if order.get(field):
            order[field] = naive
    return order


def flows_sent(runtime) -> list[dict[str, Any]]:
    return [m for m in runtime.outbox() if m["tenant_id"] == "demo"]


def test_a_woocommerce_guest_order_first_seen_completed_gets_its_shipping_notice(runtime, woocommerce):
    order = woo_times(real_payload("woocommerce/order_727_completed.json"), DAYTIME_UTC)
    assert order["customer_id"] == 0 and order["status"] == "completed"  # a guest checkout
    order["billing"]["phone"] = BUYER_PHONE_NATIONAL

    response = woocommerce.post("order.updated", order)
    assert response.status == 200, response.body
    runtime.advance(seconds=60)

    [notice] = [m for m in flows_sent(runtime) if m["flow"] == "shipping_notice"]
    assert (notice["channel"], notice["to"]) == ("sms", BUYER_PHONE)
    assert "#727" in notice["body"]


def test_a_woocommerce_order_from_a_chinese_address_in_yuan_is_answered_in_chinese(runtime, woocommerce):
    runtime.advance(to=SHANGHAI_MORNING)
    order = woo_times(fixture("woocommerce_order"), SHANGHAI_MORNING)
    order.update(status="processing", date_paid_gmt=order["date_created_gmt"])
    assert (order["billing"]["country"], order["currency"]) == ("CN", "CNY")

    response = woocommerce.post("order.updated", order)
    assert response.status == 200, response.body

    [confirmation] = [m for m in flows_sent(runtime) if m["flow"] == "payment_confirmation"]
    assert confirmation["to"] == "+8613800138000"
    assert "已付款¥299.00" in confirmation["body"] and "#727" in confirmation["body"]


def test_shopifys_own_authorized_order_gets_a_confirmation_and_no_payment_reminder(runtime, shopify):
    order = real_payload("shopify/order_authorized_450789469.json")
    order.update(created_at=DAYTIME_UTC.isoformat(), updated_at=DAYTIME_UTC.isoformat())
    order["customer"]["phone"] = BUYER_PHONE_NATIONAL
    assert order["financial_status"] == "authorized"

    response = shopify.post("orders/create", order)
    assert response.status == 200, response.body
    runtime.advance(seconds=2 * 3600)

    flows = [m["flow"] for m in flows_sent(runtime)]
    assert "unpaid_reminder" not in flows
    assert flows.count("payment_confirmation") == 1
