"""(a) AWS calls per webhook event, for every event type, and per order transition on the stream.

The webhook handler is counted alone: while it runs, runtime.api() does not drain the orders
stream (streams_paused). The stream consumer (LifecycleFunction) is then drained and counted apart,
so each delivery gives two figures: the webhook's calls and the calls its order change caused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchmarks import payloads as p
from benchmarks.calls import LIFECYCLE, WEBHOOK, Call, Counts, Recorder, Window, breakdown, count, streams_paused
from benchmarks.deliveries import Webhooks
from benchmarks.tables import print_table

TARGET_READS = 2
TARGET_DOMAIN_WRITES = 2
AWS_SECONDS_PER_RECORD = 0.2  # a paid record on AWS (issue 10's measurement)


@dataclass
class Delivery:
    label: str  # the event type as the platform names it
    transition: str | None  # the order transition the stream consumer sees, if any
    send: Callable[[], dict[str, Any]]
    shown: bool = True  # False: a setup delivery (its event type is measured elsewhere)


@dataclass
class Measured:
    delivery: Delivery
    webhook: list[Call]
    lifecycle: list[Call]
    lifecycle_invocations: int
    lifecycle_records: int = 0
    lifecycle_seconds: float = 0.0  # wall time of its invocations, here

    @property
    def counts(self) -> Counts:
        return count(self.webhook)


def deliveries(webhooks: Webhooks, round_: int, at: dt.datetime) -> list[Delivery]:
    """Every event type once, in a realistic order; `round_` keys buyers and orders apart.

    Canonical events carry the buyer's consent statement, as the OpenAPI example does; two are
    repeated without it, to show what the statement costs."""
    buyer = p.Buyer(10 * round_ + 1)
    order = p.shopify_new_order(buyer, 9000 + 10 * round_, at)
    pending = p.shopify_new_order(buyer, 9001 + 10 * round_, at)
    woo_id = 700 + round_
    consenting = p.canonical_customer(buyer, at)
    silent = {key: value for key, value in consenting.items() if key != "consents"}
    birthday = p.canonical_customer(buyer, at, birthday="1990-06-18")

    def shopify(label: str, transition: str | None, topic: str, payload: dict[str, Any]) -> Delivery:
        return Delivery(label, transition, partial(webhooks.shopify, topic, payload))

    def woo(label: str, transition: str, topic: str, payload: dict[str, Any]) -> Delivery:
        return Delivery(label, transition, partial(webhooks.woocommerce, topic, payload))

    def canonical(label: str, transition: str | None, kind: str, n: int, **parts: Any) -> Delivery:
        event = p.canonical_event(f"evt-{round_}-{n}", kind, at, **parts)
        return Delivery(label, transition, partial(webhooks.canonical, event))

    def order_of(n: int, paid: bool = False) -> dict[str, Any]:
        return p.canonical_order(f"custom-E{round_}{n}", at, at if paid else None)

    setup = shopify("Shopify orders/create", "created", "orders/create", pending)
    setup.shown = False
    return [
        shopify("Shopify orders/create", "created", "orders/create", order),
        shopify("Shopify orders/paid", "paid", "orders/paid", p.shopify_paid(order, at)),
        shopify("Shopify orders/fulfilled", "shipped", "orders/fulfilled", p.shopify_fulfilled(order, at)),
        shopify(
            "Shopify fulfillments/update (delivered)",
            "delivered",
            "fulfillments/update",
            p.shopify_delivered(buyer, order, at, at),
        ),
        shopify("Shopify refunds/create", "refunded", "refunds/create", p.shopify_refund(order, at)),
        setup,
        shopify("Shopify orders/cancelled", "cancelled", "orders/cancelled", p.shopify_cancelled(pending, at)),
        shopify("Shopify checkouts/update", None, "checkouts/update", p.shopify_checkout(buyer, f"t{round_}", at)),
        shopify("Shopify customers/update", None, "customers/update", p.shopify_customer(buyer, at)),
        woo("WooCommerce order.created", "created", "order.created", p.woocommerce_order(buyer, woo_id, at)),
        woo(
            "WooCommerce order.updated (processing)",
            "paid",
            "order.updated",
            p.woocommerce_order(buyer, woo_id, at, paid_at=at),
        ),
        canonical("canonical order.created", "created", "order.created", 1, customer=consenting, order=order_of(1)),
        canonical("canonical order.paid", "paid", "order.paid", 2, customer=consenting, order=order_of(1, paid=True)),
        canonical(
            "canonical cart.updated",
            None,
            "cart.updated",
            3,
            customer=consenting,
            cart=p.canonical_cart(f"c{round_}", at),
        ),
        canonical(
            "canonical product.viewed",
            None,
            "product.viewed",
            4,
            customer=consenting,
            product=p.canonical_product("sku-1"),
        ),
        canonical("canonical customer.updated (birthday)", None, "customer.updated", 5, customer=birthday),
        canonical(
            "  order.created, no consent statement", "created", "order.created", 6, customer=silent, order=order_of(2)
        ),
        canonical(
            "  cart.updated, no consent statement",
            None,
            "cart.updated",
            7,
            customer=silent,
            cart=p.canonical_cart(f"d{round_}", at),
        ),
    ]


def measure(webhooks: Webhooks, recorder: Recorder) -> list[Measured]:
    """A warm-up round (another buyer, the same event types), then the measured round."""
    runtime = webhooks.runtime
    at = runtime.clock.now()
    for delivery in deliveries(webhooks, 0, at):
        delivery.send()
    measured = []
    for delivery in deliveries(webhooks, 1, at):
        with streams_paused(runtime), recorder.window() as webhook:
            delivery.send()
        with recorder.window() as stream:
            runtime.streams.drain()
        measured.append(_measured(delivery, webhook, stream))
    return measured


def _measured(delivery: Delivery, webhook: Window, stream: Window) -> Measured:
    lifecycle = [invocation for invocation in stream.invocations if invocation.function == LIFECYCLE]
    return Measured(
        delivery,
        webhook.of(WEBHOOK),
        stream.of(LIFECYCLE),
        len(lifecycle),
        sum(invocation.records for invocation in lifecycle),
        sum(invocation.seconds for invocation in lifecycle),
    )


def verdict(c: Counts) -> str:
    over = [
        f"{c.reads} reads" if c.reads > TARGET_READS else "",
        f"{c.domain_writes} writes" if c.domain_writes > TARGET_DOMAIN_WRITES else "",
        "Scan" if c.scans else "",
    ]
    return "OVER: " + ", ".join(filter(None, over)) if any(over) else "ok"


def print_webhook_path(measured: list[Measured]) -> None:
    shown = [m for m in measured if m.delivery.shown]
    rows = [
        [m.delivery.label, c.reads, c.scans, c.domain_writes, c.idempotency_writes, c.stepfunctions, verdict(c)]
        for m, c in ((m, m.counts) for m in shown)
    ]
    print_table(
        "(a1) Webhook path: AWS calls made by WebhookFunction per event (stream consumer not run while counted)",
        [
            f"target per event: <= {TARGET_READS} DynamoDB reads, <= {TARGET_DOMAIN_WRITES} domain writes, no Scan",
            "(idempotency = the Powertools idempotency table, counted apart); 10:00 New York; warm container:",
            "the same event types were delivered once for another buyer first",
        ],
        ["event", "DDB reads", "Scan", "domain writes", "idempotency writes", "Step Functions", "target"],
        rows,
        details=[f"{m.delivery.label.strip()}: {breakdown(m.webhook)}" for m in shown],
    )


def print_stream_consumer(measured: list[Measured]) -> None:
    shopify = [m for m in measured if m.delivery.shown and m.delivery.transition and "Shopify" in m.delivery.label]
    rows = []
    for m in shopify:
        c = count(m.lifecycle)
        row = [m.delivery.label, m.lifecycle_invocations, c.reads, c.writes, c.stepfunctions, c.messages]
        rows.append([m.delivery.transition, *row])
    print_table(
        "(a2) Stream consumer: AWS calls made by LifecycleFunction per order transition (drained after each delivery)",
        [
            "the Shopify order of (a1): created, paid, shipped, delivered, refunded; then a pending order cancelled",
            "messages: the immediate notices (first eligible channel: SMS); no target was set for this path",
        ],
        ["transition", "delivery", "invocations", "DDB reads", "DDB writes", "Step Functions", "messages"],
        rows,
        details=[f"{m.delivery.transition}: {breakdown(m.lifecycle)}" for m in shopify],
    )


def print_stream_throughput(measured: list[Measured], parallelization_factor: int) -> None:
    """Records per second one stream shard keeps up with, from the time each record took here."""
    shopify = [
        m
        for m in measured
        if m.delivery.shown and m.delivery.transition and "Shopify" in m.delivery.label and m.lifecycle_records
    ]
    rows = []
    for m in shopify:
        per_record = m.lifecycle_seconds / m.lifecycle_records
        rows.append(
            [
                m.delivery.transition,
                m.lifecycle_records,
                f"{per_record * 1000:.0f}",
                f"{1 / per_record:.0f}",
                f"{parallelization_factor / per_record:.0f}",
            ]
        )
    slowest = max(m.lifecycle_seconds / m.lifecycle_records for m in shopify)
    per_shard = parallelization_factor / slowest
    print_table(
        "(a3) Stream consumer throughput: records per second per orders-stream shard",
        [
            f"ParallelizationFactor {parallelization_factor} (template.yaml): that many batches of a shard at once,",
            "each record of a batch in turn; ms per record is LifecycleFunction's wall time here (moto in-process)",
            f"at the slowest transition here: {per_shard:,.0f} records/s per shard, {per_shard * 3600 / 4:,.0f} orders "
            "an hour (4 transitions an order); AWS's calls are slower than moto's: at the ~200 ms a paid record",
            f"measured on AWS, {parallelization_factor / AWS_SECONDS_PER_RECORD:,.0f} records/s per shard, "
            f"{parallelization_factor / AWS_SECONDS_PER_RECORD * 3600 / 4:,.0f} orders an hour "
            f"(factor 1 before: {3600 / AWS_SECONDS_PER_RECORD / 4:,.0f}); goal: above a sales-festival peak",
        ],
        [
            "transition",
            "records",
            "ms per record",
            "records/s, factor 1",
            f"records/s, factor {parallelization_factor}",
        ],
        rows,
    )
