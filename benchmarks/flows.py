"""(b) State transitions per flow execution and (c) the executions a typical order starts.

One runtime, one timeline on the virtual clock. Every scenario has its own buyer:
  story     Shopify orders/create, orders/paid (+10 min), orders/fulfilled (+1 day),
            fulfillments/update "delivered" (+3 days); daytime, a buyer subscribed to SMS and email
            marketing (customers/update before the order). Runs until win-back's second touch.
  unpaid    a pending order that is never paid: reminded after 30 min
  delayed   an order paid and never shipped: apology after 48 h
  cart      Shopify checkouts/update from a subscribed buyer: reminded after 60 min
  browse    canonical product.viewed from a subscribed buyer: reminded after 4 h
  birthday  canonical customer.updated with a birthday two days ahead: greeted at 08:00 local
  late      an order paid at 22:30 New York: the payment confirmation is deferred to 08:00
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks import payloads as p
from benchmarks.calls import Call, Counts, Recorder, Window, count, flow_key
from benchmarks.deliveries import Webhooks
from benchmarks.tables import print_table
from infra.local.runtime import LocalRuntime
from tests.support.clock import DAYTIME_UTC

TARGET_TRANSITIONS = 2  # per wake-up: its Wait and its step
T0 = DAYTIME_UTC  # Monday 23 November 2026, 15:00 UTC = 10:00 in New York
LATE_EVENING = dt.datetime(2026, 11, 24, 3, 30, tzinfo=dt.UTC)  # 22:30 in New York
END = dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.UTC)  # after win-back's second touch (T0 + 90 d + 7 d)

STORY, UNPAID, DELAYED, CART, BROWSE, BIRTHDAY, LATE = (p.Buyer(n) for n in range(1, 8))
BIRTHDAY_DATE = "1990-11-25"  # two days after T0
BROWSED_PRODUCT = "sku-2002"


@dataclass
class Execution:
    name: str
    flow: str
    status: str
    transitions: int  # "...StateEntered" events in the execution history
    outcome: str
    invocations: int  # flow-task Lambda invocations for this execution
    calls: list[Call]  # made by those invocations

    @property
    def counts(self) -> Counts:
        return count(self.calls)


@dataclass
class Story:
    """The typical order: its deliveries' calls and the executions they started."""

    deliveries: list[tuple[str, Window]] = field(default_factory=list)
    started: list[tuple[str, str]] = field(default_factory=list)  # (delivery, root execution name)
    executions: list[Execution] = field(default_factory=list)

    @property
    def roots(self) -> set[str]:
        return {name for _, name in self.started}

    def calls(self, function: str) -> list[Call]:
        return [call for _, window in self.deliveries for call in window.of(function)]

    def invocations(self, function: str) -> int:
        return sum(window.invocations_of(function) for _, window in self.deliveries)


@dataclass
class Results:
    flows: list[tuple[str, str, Execution]]  # (flow, scenario, execution)
    story: Story


def run(webhooks: Webhooks, recorder: Recorder) -> Results:
    from huike.core.keys import execution_name

    runtime, shopify, tenant = webhooks.runtime, webhooks.shopify, webhooks.tenant.tenant_id
    story = Story()

    def story_delivery(topic: str, payload: dict[str, Any]) -> None:
        before = {e["name"] for e in runtime.executions()}
        with recorder.window() as window:
            shopify(topic, payload)
        story.deliveries.append((topic, window))
        started = [e["name"] for e in runtime.executions() if e["name"] not in before]
        story.started += [(topic, name) for name in started + kept_on_agenda(window) if name not in story.roots]

    # -- T0, 10:00 in New York: every daytime scenario begins --------------------------------------
    shopify("customers/update", p.shopify_customer(STORY, T0))  # consent: once per buyer, not per order
    order = p.shopify_new_order(STORY, 5001, T0)
    story_delivery("orders/create", order)
    shopify("orders/create", p.shopify_new_order(UNPAID, 5002, T0))
    delayed = p.shopify_new_order(DELAYED, 5003, T0)
    shopify("orders/create", delayed)
    shopify("orders/paid", p.shopify_paid(delayed, T0))
    shopify("customers/update", p.shopify_customer(CART, T0))
    shopify("checkouts/update", p.shopify_checkout(CART, "bench-cart-4", T0))
    browse = p.canonical_customer(BROWSE, T0)
    product = p.canonical_product(BROWSED_PRODUCT)
    webhooks.canonical(p.canonical_event("bench-view-5", "product.viewed", T0, customer=browse, product=product))
    greeted = p.canonical_customer(BIRTHDAY, T0, birthday=BIRTHDAY_DATE)
    webhooks.canonical(p.canonical_event("bench-customer-6", "customer.updated", T0, customer=greeted))

    runtime.advance(seconds=10 * 60)
    story_delivery("orders/paid", p.shopify_paid(order, runtime.clock.now()))

    # -- 22:30 in New York: a late order, paid at once ---------------------------------------------
    runtime.advance(to=LATE_EVENING)
    late = p.shopify_new_order(LATE, 5007, LATE_EVENING)
    shopify("orders/create", late)
    shopify("orders/paid", p.shopify_paid(late, LATE_EVENING))

    # -- the story ships the next day and is delivered two days later -----------------------------
    shipped_at = runtime.advance(to=T0 + dt.timedelta(days=1))
    story_delivery("orders/fulfilled", p.shopify_fulfilled(order, shipped_at))
    delivered_at = runtime.advance(to=T0 + dt.timedelta(days=3))
    story_delivery("fulfillments/update", p.shopify_delivered(STORY, order, shipped_at, delivered_at))
    runtime.advance(to=END)

    def execution(flow: str, subject: str, *parts: str) -> Execution:
        return describe(runtime, recorder, execution_name(flow, tenant, subject, *parts))

    story.executions = [describe(runtime, recorder, name, allow_none=True) for _, name in story.started]
    flows = [
        ("unpaid_reminder", "pending order, never paid", execution("unpaid_reminder", "shopify-5002")),
        ("review_invite", "typical story, 3 days after delivery", execution("review_invite", "shopify-5001")),
        (
            "win_back",
            "typical story, 90 + 7 days on (two touches)",
            execution("win_back", f"shopify-{STORY.shopify_id}", "shopify-5001"),
        ),
        ("delayed_shipment", "paid, not shipped within 48 h", execution("delayed_shipment", "shopify-5003")),
        ("cart_abandonment", "Shopify checkouts/update", execution("cart_abandonment", "shopify-bench-cart-4")),
        (
            "browse_abandonment",
            "canonical product.viewed",
            execution("browse_abandonment", f"custom-{BROWSE.number}:{BROWSED_PRODUCT}", T0.strftime("%Y%m%d")),
        ),
        (
            "birthday",
            "canonical customer.updated",
            execution("birthday", f"custom-{BIRTHDAY.number}", "2026", BIRTHDAY_DATE[5:].replace("-", "")),
        ),
        (
            "notice",
            "payment at 22:30 local, deferred to 08:00",
            execution("notice", "shopify-5007", "payment_confirmation"),
        ),
    ]
    return Results(flows, story)


def kept_on_agenda(window: Window) -> list[str]:
    """The executions a delivery kept on the agenda (its PutItems to the agenda table)."""
    return [
        call.params["Item"]["execution"]["S"]
        for call in window.calls
        if call.operation == "PutItem" and call.params.get("TableName", "").endswith("AgendaTable")
    ]


def describe(runtime: LocalRuntime, recorder: Recorder, root: str, allow_none: bool = False) -> Execution:
    """One wake-up chain: the execution `root` and the next wake-ups it started (continuations,
    whose input names the root), their transitions, flow-task invocations and calls summed."""
    import boto3

    chain = [e for e in runtime.executions() if e["name"] == root or _input(e).get("execution") == root]
    if not chain:
        if allow_none:  # kept on the agenda, then dropped (the order shipped in time)
            return Execution(root, root.split("-", 1)[0], "NONE", 0, "dropped from the agenda", 0, [])
        known = sorted(e["name"] for e in runtime.executions())
        raise RuntimeError(f"expected an execution named {root!r} among {known}")
    sfn = boto3.client("stepfunctions")
    transitions = invocations = tasks = 0
    calls: list[Call] = []
    for execution in chain:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution["executionArn"])
        events = [event["type"] for page in pages for event in page["events"]]
        transitions += sum(kind.endswith("StateEntered") for kind in events)
        tasks += events.count("TaskStateEntered")
        found, invoked = recorder.flow_task(flow_key(_input(execution)))
        calls += found
        invocations += invoked
    if invocations < tasks:
        # Every task state invokes the flow task at least once; fewer means calls went unattributed
        # and the cost tables would understate Lambda, DynamoDB and message figures.
        raise RuntimeError(f"{root}: {tasks} task states, {invocations} attributed invocations")
    last = sfn.describe_execution(executionArn=chain[-1]["executionArn"])
    return Execution(
        name=root,
        flow=_input(chain[0])["flow"],
        status=last["status"],
        transitions=transitions,
        outcome=_outcome(last) + (f" after {len(chain)} executions" if len(chain) > 1 else ""),
        invocations=invocations,
        calls=calls,
    )


def _input(execution: dict[str, Any]) -> dict[str, Any]:
    state = execution["input"]
    return json.loads(state) if isinstance(state, str) else dict(state)


def _outcome(described: dict[str, Any]) -> str:
    if described["status"] != "SUCCEEDED":
        return str(described["status"]).lower()
    output = json.loads(described.get("output") or "{}")
    reason = (output.get("last") or {}).get("reason")
    channel = (output.get("last") or {}).get("channel")
    detail = ", ".join(str(part) for part in (channel, reason) if part)
    return f"{output.get('outcome')} ({detail})" if detail else str(output.get("outcome"))


def print_transitions(results: Results) -> None:
    rows = []
    for flow, scenario, e in results.flows:
        touches = 2 if flow == "win_back" else 1
        within = e.transitions <= TARGET_TRANSITIONS * touches
        verdict = ("ok" if within else "OVER") + (f" (2 touches: <= {TARGET_TRANSITIONS} each)" if touches == 2 else "")
        c = e.counts
        rows.append([flow, scenario, e.transitions, verdict, e.invocations, c.reads, c.writes, c.messages, e.outcome])
    print_table(
        "(b) State transitions per flow execution (StateEntered events in get_execution_history)",
        [
            f"target <= {TARGET_TRANSITIONS} per wake-up; a next wake-up (second touch, deferral) is its own",
            "execution, summed here with the one that started it",
            "flow task = FlowTaskFunction invocations, and the DynamoDB calls and messages they made",
        ],
        ["flow", "scenario", "transitions", "target", "flow task", "DDB reads", "DDB writes", "msgs", "outcome"],
        rows,
    )


def print_story(story: Story) -> None:
    started_by = {name: delivery for delivery, name in story.started}
    rows = [
        [e.flow, started_by[e.name], e.transitions, e.invocations, e.counts.messages, e.outcome]
        for e in story.executions
    ]
    rows.append(
        ["total", f"{len(story.executions)} executions", sum(e.transitions for e in story.executions), "", "", ""]
    )
    print_table(
        "(c) Timed wake-ups one typical order schedules (started at once, or kept on the agenda, then swept)",
        [
            "Shopify orders/create, orders/paid (+10 min), orders/fulfilled (+1 day), fulfillments/update delivered",
            "(+3 days); 10:00 New York, buyer subscribed to SMS and email marketing; run until win-back ends;",
            "started by: the delivery whose webhook or order change (stream consumer) scheduled the wake-up",
        ],
        ["flow", "started by", "transitions", "flow task", "msgs", "outcome"],
        rows,
    )
