"""Every list on an item is bounded: a customer's item stays the same size however many orders
(and abandoned-then-completed checkouts) they have."""

from __future__ import annotations

import json
from typing import Any

import boto3

from huike.core import keys
from huike.store.customers import MAX_PENDING
from tests.support.clock import iso
from tests.support.payloads import fixture, shopify_order

BUYER = "shopify-207119551"
ORDERS = 200


def stored_bytes(runtime: Any, table: str, key: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The item as stored and its size as JSON of DynamoDB's wire format (grows as the item does)."""
    name = runtime.template.physical_name(table)
    item = boto3.client("dynamodb").get_item(TableName=name, Key=key, ConsistentRead=True)["Item"]
    return len(json.dumps(item, separators=(",", ":"))), item


def customer_bytes(runtime: Any) -> tuple[int, dict[str, Any]]:
    key = {"tenant_shard": {"S": keys.tenant_shard("demo", BUYER)}, "customer_id": {"S": BUYER}}
    return stored_bytes(runtime, "CustomersTable", key)


def order_bytes(runtime: Any, order_id: str) -> int:
    key = {"tenant_shard": {"S": keys.tenant_shard("demo", order_id)}, "order_id": {"S": order_id}}
    return stored_bytes(runtime, "OrdersTable", key)[0]


def test_200_orders_with_checkouts_leave_the_customer_item_flat(runtime, shopify):
    sizes: dict[int, int] = {}
    for n in range(1, ORDERS + 1):
        now = iso(runtime.clock.now())
        token = f"bounded-checkout-{n}"
        checkout = fixture("shopify_checkout", id=900000 + n, token=token, created_at=now, updated_at=now)
        assert shopify.post("checkouts/update", checkout).status == 200
        order = shopify_order(
            id=800000 + n, name=f"#{5000 + n}", created_at=now, financial_status="paid", checkout_token=token
        )
        assert shopify.post("orders/create", order).status == 200
        if n in (20, ORDERS):
            sizes[n], item = customer_bytes(runtime)
        runtime.advance(seconds=2 * 86400)

    assert int(item["order_count"]["N"]) == ORDERS
    pending = item.get("marketing_pending", {}).get("L", [])
    assert len(pending) <= MAX_PENDING
    assert len({entry["M"]["key"]["S"] for entry in pending}) == len(pending)  # one entry per key
    assert sum(entry["M"]["key"]["S"].startswith("win_back#") for entry in pending) <= 1  # one cycle
    # Flat: the counters gain a digit or two; nothing grows per order.
    assert sizes[ORDERS] - sizes[20] < 64, sizes
    assert sizes[ORDERS] < 4096, sizes
    assert abs(order_bytes(runtime, f"shopify-{800000 + ORDERS}") - order_bytes(runtime, "shopify-800020")) < 16
