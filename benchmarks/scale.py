"""(h) Scale: open executions per 1,000 customers after 100 days, and item bytes after 200 orders
for one customer. Run alone with `python -m benchmarks.scale`.

  open      50 buyers, one typical order a day for 50 days (created, paid, shipped next day,
            delivered two days later), then on to day 100: what waits as an open execution and
            what waits on the agenda, scaled to 1,000 customers.
  items     one buyer, 200 orders two days apart, each after a checkouts/update (the buyer has no
            marketing consent): the customer item and an order item, as stored, after order 20
            and order 200.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from benchmarks import payloads as p
from benchmarks.cost import item_size
from benchmarks.deliveries import Webhooks
from benchmarks.tables import print_table
from infra.local.runtime import LocalRuntime

OPEN_BUYERS = 50
HORIZON_DAYS = 100
ITEM_ORDERS = 200


@dataclass
class OpenExecutions:
    buyers: int
    running: int
    kept: int

    def per_thousand(self, count: int) -> float:
        return count * 1_000 / self.buyers


@dataclass
class ItemBytes:
    customer: dict[int, int]  # orders so far -> bytes
    order: dict[int, int]  # order number -> bytes


def measure_open_executions(runtime: LocalRuntime, webhooks: Webhooks) -> OpenExecutions:
    from huike.store.agenda import AgendaEntry

    start = runtime.clock.now()
    for day in range(OPEN_BUYERS):
        buyer = p.Buyer(day + 1)
        at = runtime.advance(to=start + dt.timedelta(days=day))
        order = p.shopify_new_order(buyer, 7000 + day, at)
        webhooks.shopify("orders/create", order)
        webhooks.shopify("orders/paid", p.shopify_paid(order, at))
        shipped = at + dt.timedelta(days=1)
        webhooks.shopify("orders/fulfilled", p.shopify_fulfilled(order, shipped))
        webhooks.shopify("fulfillments/update", p.shopify_delivered(buyer, order, shipped, at + dt.timedelta(days=3)))
    runtime.advance(to=start + dt.timedelta(days=HORIZON_DAYS))
    running = sum(e["status"] == "RUNNING" for e in runtime.executions())
    kept = sum(1 for _ in AgendaEntry.scan())  # a benchmark may scan; the product never does
    return OpenExecutions(OPEN_BUYERS, running, kept)


def measure_item_bytes(runtime: LocalRuntime, webhooks: Webhooks) -> ItemBytes:
    buyer = p.Buyer(99)
    sizes = ItemBytes({}, {})
    for n in range(1, ITEM_ORDERS + 1):
        at = runtime.clock.now()
        token = f"scale-checkout-{n}"
        webhooks.shopify("checkouts/update", p.shopify_checkout(buyer, token, at))
        order = {**p.shopify_new_order(buyer, 8000 + n, at), "financial_status": "paid", "checkout_token": token}
        webhooks.shopify("orders/create", order)
        if n in (1, 20, ITEM_ORDERS):
            sizes.customer[n] = _bytes("CustomersTable", f"shopify-{buyer.shopify_id}", "customer_id", runtime)
            sizes.order[n] = _bytes("OrdersTable", f"shopify-{8000 + n}", "order_id", runtime)
        runtime.advance(seconds=2 * 86400)
    return sizes


def _bytes(table: str, sort_key: str, sort_name: str, runtime: LocalRuntime) -> int:
    import boto3

    from huike.core import keys

    key = {"tenant_shard": {"S": keys.tenant_shard("demo", sort_key)}, sort_name: {"S": sort_key}}
    name = runtime.template.physical_name(table)
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=name, Key=key, ConsistentRead=True)["Item"]
    return item_size(item)


def print_figures(opened: OpenExecutions, items: ItemBytes) -> None:
    print_table(
        "(h1) Open executions per 1,000 customers after 100 days",
        [
            f"{opened.buyers} buyers, one typical order a day for {opened.buyers} days, then to day {HORIZON_DAYS};",
            "long waits (win-back, review invites, second touches) wait on the agenda, started the day before",
            "goal: open executions follow daily volume, not customers (1,000,000-customer store: ~110,000, "
            "docs/decisions.md); before: ~1 per customer (a win-back each, ~97 days)",
        ],
        ["waiting as", "count", "per 1,000 customers"],
        [
            ["open executions", opened.running, f"{opened.per_thousand(opened.running):.0f}"],
            ["agenda items", opened.kept, f"{opened.per_thousand(opened.kept):.0f}"],
        ],
    )
    print_table(
        f"(h2) Item bytes for one customer with {ITEM_ORDERS} orders (DynamoDB item size)",
        [
            "each order after a checkouts/update; no marketing consent (the case that grew 220 B an order)",
            "goal: flat (nothing grows per order); before: 779 B after 1 order, 3,196 B after 12, 400 KB after ~1,800",
        ],
        ["item", *[f"after order {n}" for n in sorted(items.customer)]],
        [
            ["customer", *[items.customer[n] for n in sorted(items.customer)]],
            ["that order", *[items.order[n] for n in sorted(items.order)]],
        ],
    )


def main() -> None:
    from benchmarks.sessions import recorded
    from tests.support.clock import DAYTIME_UTC

    with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
        opened = measure_open_executions(runtime, webhooks)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, _):
        items = measure_item_bytes(runtime, webhooks)
    print_figures(opened, items)


if __name__ == "__main__":
    main()
