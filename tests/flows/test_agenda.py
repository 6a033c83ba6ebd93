"""Long horizons wait on the agenda, not as open executions: the daily sweep starts each wake-up
the day before it is due, and the message still goes at its exact time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huike.store.agenda import AgendaEntry
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.payloads import fixture, shopify_order

PAID = shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid")
ORDER = "shopify-450789469"


def kept(runtime: Any) -> dict[str, str]:
    """The agenda as stored: {slot: wake_at} (a test may scan; the product only queries)."""
    return {str(entry.slot): str(entry.wake_at) for entry in AgendaEntry.scan()}


def running(runtime: Any) -> list[dict[str, Any]]:
    return [e for e in runtime.executions() if e["status"] in ("RUNNING", "PENDING")]


def subscribe(shopify: Any) -> None:
    """The buyer of the order fixture subscribes to SMS and email marketing (dated 15:11 UTC)."""
    shopify.runtime.advance(seconds=15 * 60)
    assert shopify.post("customers/update", fixture("shopify_customer")).status == 200


def deliver(shopify: Any, runtime: Any) -> None:
    fulfillment = fixture("shopify_fulfillment", created_at=iso(runtime.clock.now()))
    assert shopify.post("fulfillments/create", fulfillment).status == 200
    delivered = dict(fulfillment, shipment_status="delivered", updated_at=iso(runtime.clock.now()))
    assert shopify.post("fulfillments/update", delivered).status == 200


def test_a_review_invite_days_away_waits_on_the_agenda_and_still_goes_at_its_time(runtime, shopify):
    subscribe(shopify)
    assert shopify.post("orders/create", PAID).status == 200
    deliver(shopify, runtime)
    invite_at = runtime.clock.now() + dt.timedelta(days=3)  # the review invite's default delay

    slots = kept(runtime)
    assert slots[f"review_invite-demo-{ORDER}"] == iso(invite_at)
    assert any(slot.startswith("win_back-demo-") for slot in slots)  # the customer's win-back slot
    assert not [e for e in running(runtime) if e["name"].startswith(("review_invite-", "win_back-"))]

    # The sweep at 00:15 UTC the day before it is due starts it, and takes it off the agenda.
    runtime.advance(to=dt.datetime.combine(invite_at.date() - dt.timedelta(days=1), dt.time(0, 20), dt.UTC))
    assert [e["name"] for e in running(runtime) if e["name"].startswith("review_invite-")] == [
        f"review_invite-demo-{ORDER}"
    ]
    assert f"review_invite-demo-{ORDER}" not in kept(runtime)

    runtime.advance(to=invite_at + dt.timedelta(hours=1))
    [invite] = [m for m in runtime.outbox() if m["flow"] == "review_invite"]
    assert invite["sent_at"] == iso(invite_at)


def test_no_execution_waits_more_than_two_days(runtime, shopify):
    subscribe(shopify)
    assert shopify.post("orders/create", PAID).status == 200
    deliver(shopify, runtime)
    for day in range(1, 100, 7):
        runtime.advance(to=DAYTIME_UTC + dt.timedelta(days=day))
        for execution in running(runtime):
            wake_at = dt.datetime.fromisoformat(execution["input"]["wake_at"].replace("Z", "+00:00"))
            assert wake_at - runtime.clock.now() <= dt.timedelta(days=2), execution["name"]
    sent = [m["flow"] for m in runtime.outbox()]
    assert sent.count("win_back") == 2  # both touches, each started from the agenda


def test_a_shipped_order_drops_its_kept_delayed_shipment_apology(runtime, shopify):
    assert shopify.post("orders/create", PAID).status == 200
    assert f"delayed_shipment-demo-{ORDER}" in kept(runtime)  # 48 hours away: kept, not running

    runtime.advance(seconds=6 * 3600)
    fulfillment = fixture("shopify_fulfillment", created_at=iso(runtime.clock.now()))
    assert shopify.post("fulfillments/create", fulfillment).status == 200

    assert f"delayed_shipment-demo-{ORDER}" not in kept(runtime)
    runtime.advance(seconds=4 * 86400)
    assert not [e for e in runtime.executions() if e["name"].startswith("delayed_shipment-")]
    assert not [m for m in runtime.outbox() if m["flow"] == "delayed_shipment"]


def test_a_second_order_replaces_the_kept_win_back_of_the_first(runtime, shopify):
    assert shopify.post("orders/create", PAID).status == 200
    [first] = [wake for slot, wake in kept(runtime).items() if slot.startswith("win_back-demo-")]

    runtime.advance(seconds=10 * 86400)
    second = shopify_order(id=450789470, name="#1002", created_at=iso(runtime.clock.now()), financial_status="paid")
    assert shopify.post("orders/create", second).status == 200

    [(slot, wake)] = [(slot, wake) for slot, wake in kept(runtime).items() if slot.startswith("win_back-demo-")]
    # One slot per customer: the new cycle (10 days, the buyer's own rhythm now) replaced the old.
    assert wake == iso(runtime.clock.now() + dt.timedelta(days=10)) and wake != first
    [entry] = [e for e in AgendaEntry.scan() if e.slot == slot]
    assert entry.input["order_id"] == "shopify-450789470"


def test_a_review_invite_that_exits_gives_its_reservation_back(runtime, shopify):
    from huike.store.customers import Customer
    from tests.support.stored import every

    subscribe(shopify)
    assert shopify.post("orders/create", PAID).status == 200
    deliver(shopify, runtime)

    def reserved() -> list[str]:
        [customer] = every(Customer, "demo")
        return [str(entry.key) for entry in customer.marketing_pending or []]

    assert f"review_invite#{ORDER}" in reserved()
    now = iso(runtime.clock.now())
    refund = {**fixture("shopify_refund"), "created_at": now, "processed_at": now}
    assert shopify.post("refunds/create", refund).status == 200  # the invite will exit

    runtime.advance(seconds=4 * 86400)
    assert not [m for m in runtime.outbox() if m["flow"] == "review_invite"]
    assert f"review_invite#{ORDER}" not in reserved()
