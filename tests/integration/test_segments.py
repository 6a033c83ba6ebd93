"""RFM segments: stored on each customer as orders are counted, counted per segment (customers,
orders, AOV) without reading customers, listed through their index, refreshed nightly."""

from __future__ import annotations

import datetime as dt

from tests.integration.test_imports import import_file
from tests.support.clock import DAYTIME_UTC
from tests.support.contacts import buyer_phone_national
from tests.support.import_files import shopify_orders_csv
from tests.support.seller import SellerApi

SEGMENTS = (
    "champions", "loyal", "potential_loyalists", "new", "promising",
    "needs_attention", "at_risk", "cant_lose", "hibernating", "lost",
)  # fmt: skip


def history(buyers: int = 12) -> list[dict]:
    """Buyer n orders (n % 4) + 1 times, for 20 * (n + 1) dollars each, the last one 15 * n days ago."""
    orders = []
    for n in range(buyers):
        count = n % 4 + 1
        for k in range(count):
            placed = DAYTIME_UTC - dt.timedelta(days=15 * n + 30 * (count - 1 - k))
            stamp = placed.strftime("%Y-%m-%d %H:%M:%S +0000")
            orders.append(
                {
                    "Name": f"#{n}-{k}",
                    "Id": f"{n}{k:02d}",
                    "Email": f"buyer{n}@example.com",
                    "Billing Name": f"Buyer {n}",
                    "Billing Phone": buyer_phone_national(400 + n),
                    "Billing Country": "US",
                    "Total": f"{20 * (n + 1)}.00",
                    "Created at": stamp,
                    "Paid at": stamp,
                }
            )
    return orders


def all_of(seller: SellerApi, **query) -> list[dict]:
    items, cursor = [], None
    while True:
        page = seller.get("/customers", limit=5, cursor=cursor, **query).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_segments_partition_the_buyers_with_their_orders_and_aov(runtime, tenant, seller):
    import_file(runtime, seller, shopify_orders_csv(history()), format="shopify_orders")

    answer = seller.get("/segments").json()
    rows = {row["segment"]: row for row in answer["items"]}
    assert set(rows) == set(SEGMENTS)
    assert sum(row["customers"] for row in rows.values()) == 12
    buyers = all_of(seller)
    assert len(buyers) == 12 and all(b["segment"] in SEGMENTS for b in buyers)
    for segment, row in rows.items():
        members = all_of(seller, segment=segment)  # through the segment-index, pages of 5
        assert sorted(m["customer_id"] for m in members) == sorted(
            b["customer_id"] for b in buyers if b["segment"] == segment
        )
        orders = sum(m["order_count"] for m in members)
        spent = sum(m["total_spent"] for m in members)
        assert (row["customers"], row["orders"]) == (len(members), orders)
        assert row["average_order_value"] == (round(spent / orders, 2) if orders else None)
    assert answer["grid"]["fm5"][4] == "champions" and answer["grid"]["fm1"][0] == "lost"
    # After the import, the tenant was refreshed: every stored segment is what the published
    # thresholds give for the customer's stats.
    assert_stored_segments_match_the_published_thresholds(seller, answer["thresholds"], buyers)


def assert_stored_segments_match_the_published_thresholds(seller, published, buyers) -> None:
    from huike.customers.rfm import Thresholds, score

    thresholds = Thresholds(
        as_of=dt.datetime.fromisoformat(published["as_of"]),
        recency_days=tuple(published["recency_days"]),
        frequency=tuple(published["frequency_orders"]),
        monetary=tuple(published["monetary_total_spent"]),
    )
    for buyer in buyers:
        detail = seller.get(f"/customers/{buyer['customer_id']}").json()
        last = dt.datetime.fromisoformat(detail["last_order_at"].replace("Z", "+00:00"))
        expected = score(thresholds, last, detail["order_count"], detail["total_spent"])
        assert detail["segment"] == buyer["segment"] == expected.segment.value, detail
        assert detail["rfm"] == expected.as_dict()


def test_an_order_moves_its_customer_to_a_better_segment_at_once(runtime, tenant, seller):
    import_file(runtime, seller, shopify_orders_csv(history()), format="shopify_orders")
    oldest = seller.get("/customers", email="buyer11@example.com").json()["items"][0]
    assert oldest["segment"] in ("at_risk", "cant_lose", "hibernating", "lost")
    before = {row["segment"]: row["customers"] for row in seller.get("/segments").json()["items"]}

    from tests.flows.test_marketing_flows import Events

    Events(runtime, tenant).order_paid("fresh-1", customer={"email": "buyer11@example.com"})
    Events(runtime, tenant).order_paid("fresh-2", customer={"email": "buyer11@example.com"})

    now = seller.get(f"/customers/{oldest['customer_id']}").json()
    assert now["order_count"] == oldest["order_count"] + 2
    assert now["segment"] in ("champions", "loyal", "potential_loyalists")
    after = {row["segment"]: row["customers"] for row in seller.get("/segments").json()["items"]}
    assert after[oldest["segment"]] == before[oldest["segment"]] - 1
    assert after[now["segment"]] == before[now["segment"]] + 1


def test_the_nightly_refresh_publishes_thresholds_and_rescores_only_who_moved(runtime, tenant, seller):
    import_file(runtime, seller, shopify_orders_csv(history()), format="shopify_orders")
    assert seller.get("/segments").json()["thresholds"]["as_of"].startswith("2026-11-23")  # after the import

    from tests.flows.test_marketing_flows import Events

    Events(runtime, tenant).order_paid("late-1", customer={"email": "newcomer@example.com"})
    runtime.advance(to=dt.datetime(2026, 11, 24, 2, 0, 1, tzinfo=dt.UTC))  # the schedule: 02:00 UTC

    published = seller.get("/segments").json()
    assert published["thresholds"]["as_of"].startswith("2026-11-24T02:00")
    assert sum(row["customers"] for row in published["items"]) == 13
    assert_stored_segments_match_the_published_thresholds(seller, published["thresholds"], all_of(seller))

    runtime.advance(to=dt.datetime(2026, 11, 25, 2, 0, 1, tzinfo=dt.UTC))  # a night without orders
    assert seller.get("/segments").json()["thresholds"] == published["thresholds"]  # nothing to move


def test_tagging_a_whole_segment_in_one_call_then_listing_by_the_tag(runtime, tenant, seller):
    import_file(runtime, seller, shopify_orders_csv(history()), format="shopify_orders")
    at_risk = all_of(seller, segment="at_risk")
    assert at_risk, "the history has customers at risk"

    tagged = seller.post("/customers/tags", {"add": ["vip-recall"], "filter": {"segment": "at_risk"}}, "tag-1")
    assert tagged.status == 200 and tagged.json()["updated"] == len(at_risk)
    assert sorted(c["customer_id"] for c in all_of(seller, tag="vip-recall")) == sorted(
        c["customer_id"] for c in at_risk
    )


def test_an_unknown_segment_is_refused(runtime, tenant, seller):
    assert seller.get("/customers", segment="whales").status == 422
    bad = seller.post("/customers/tags", {"add": ["x"], "filter": {"segment": "whales"}}, "tag-2")
    assert bad.status == 400 and "segment must be one of" in bad.json()["detail"]
