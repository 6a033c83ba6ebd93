"""Tags in three layers, listed through their members (O(page)): the seller's own, industry
tags, and automatic tags that Huike stores on each order and ages nightly, including one per
category bought; and each category's replenishment interval."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.flows.test_marketing_flows import Events
from tests.support.clock import iso
from tests.support.seller import SellerApi


def listed(seller: SellerApi, **query: Any) -> list[str]:
    ids, cursor = [], None
    while True:
        page = seller.get("/customers", limit=3, cursor=cursor, **query).json()
        ids += [item["customer_id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            return ids


def pay(events: Events, order_id: str, customer_id: str, line_items: list[dict[str, Any]]) -> None:
    now = iso(events.runtime.clock.now())
    order = {"order_id": order_id, "name": f"#{order_id}", "currency": "USD", "total_price": "30.00"}
    order |= {"created_at": now, "financial_status": "paid", "paid_at": now, "line_items": line_items}
    events.post("order.paid", order=order, customer={"platform_id": customer_id})


def test_a_tag_lists_exactly_its_customers_and_follows_every_change(runtime, tenant, seller):
    events = Events(runtime, tenant)
    for n in range(8):
        events.post("customer.updated", customer={"platform_id": f"c{n}", "email": f"c{n}@example.com"})
    tagged = seller.post("/customers/tags", {"customer_ids": ["c1", "c4", "c6", "c7"], "add": ["vip"]}, "t-1")
    assert tagged.status == 200, tagged.body
    runtime.wait_quiescent()
    assert listed(seller, tag="vip") == ["c1", "c4", "c6", "c7"]

    seller.patch("/customers/c4", {"tags": ["other"], "industry_tags": ["pets:cat-owner"]})
    seller.post("/customers/c6/erase", {}, "erase-c6")
    runtime.wait_quiescent()
    assert listed(seller, tag="vip") == ["c1", "c7"]
    assert listed(seller, tag="pets:cat-owner") == ["c4"]
    counts = seller.get("/insights").json()
    assert counts["tags"] == {"vip": 2, "other": 1} and counts["industry_tags"] == {"pets:cat-owner": 1}


def test_a_sellers_tag_cannot_pass_for_an_automatic_one(runtime, tenant, seller):
    Events(runtime, tenant).post("customer.updated", customer={"platform_id": "c1", "email": "c1@example.com"})
    refused = seller.post("/customers/tags", {"customer_ids": ["c1"], "add": ["auto:vip"]}, "t-auto")
    assert refused.status == 422 and "automatic" in refused.body
    assert seller.get("/customers/c1").json()["tags"] == []


def test_automatic_tags_are_stored_listed_counted_and_age_overnight(runtime, tenant, seller):
    events = Events(runtime, tenant)
    pay(events, "o-1", "ann", [{"product_id": "p1", "title": "Sencha", "category": "Tea"}])
    runtime.wait_quiescent()
    assert seller.get("/customers/ann").json()["automatic_tags"] == ["auto:buys:tea", "auto:new"]
    assert listed(seller, tag="auto:new") == ["ann"] == listed(seller, tag="auto:buys:tea")
    assert seller.get("/insights").json()["automatic_tags"] == {"auto:buys:tea": 1, "auto:new": 1}

    # "new" lasts 30 days: the nightly refresh after that takes it off, listing and count alike.
    runtime.advance(to=runtime.clock.now().replace(hour=2, minute=0, second=1) + dt.timedelta(days=31))
    assert "auto:new" not in seller.get("/customers/ann").json()["automatic_tags"]
    assert listed(seller, tag="auto:new") == []
    assert "auto:new" not in seller.get("/insights").json()["automatic_tags"]


def test_categories_from_the_sellers_rules_give_buyer_tags_and_replenishment_intervals(runtime, tenant, seller):
    tea, cups = {"category": "Tea", "sku_prefix": "TEA-"}, {"category": "Cups", "product_ids": ["9"]}
    rules = {"product_categories": [tea, cups]}
    assert seller.patch("/settings", rules).status == 200
    events = Events(runtime, tenant)
    for n in range(10):
        pay(events, f"first-{n}", f"b{n}", [{"product_id": "1", "sku": "TEA-GRN-1", "title": "Green"}])
    runtime.advance(seconds=28 * 86400)
    for n in range(10):
        items = [{"product_id": "2", "sku": "TEA-BLK-1", "title": "Black"}, {"product_id": "9", "title": "Cup"}]
        pay(events, f"second-{n}", f"b{n}", items)
    runtime.wait_quiescent()

    insights = seller.get("/insights").json()
    # Cups were bought once each: no repeat purchase yet, so no interval to show.
    assert insights["replenishment"] == [{"category": "tea", "intervals": 10, "median_days": 28.0, "reason": None}]
    assert "auto:buys:cups" in seller.get("/customers/b3").json()["automatic_tags"]
    assert len(listed(seller, tag="auto:buys:tea")) == 10


def test_an_imported_order_history_gets_its_categories_from_the_same_rules(runtime, tenant, seller):
    from tests.integration.test_imports import import_file
    from tests.support.import_files import shopify_orders_csv

    assert seller.patch("/settings", {"product_categories": [{"category": "Tea", "sku_prefix": "TEA-"}]}).status == 200
    order = {"Email": "cy@example.com", "Total": "9.00", "Lineitem name": "Sencha", "Lineitem quantity": "1"}
    rows = [
        {**order, "Name": "#1", "Id": "71", "Paid at": "2026-09-01 10:00:00 +0000", "Lineitem sku": "TEA-GRN-1"},
        {**order, "Name": "#2", "Id": "72", "Paid at": "2026-10-01 10:00:00 +0000", "Lineitem sku": "CUP-1"},
    ]
    job = import_file(runtime, seller, shopify_orders_csv(rows), format="shopify_orders")
    assert job["counts"]["created"] == 2
    [cy] = seller.get("/customers", email="cy@example.com").json()["items"]
    assert "auto:buys:tea" in seller.get(f"/customers/{cy['customer_id']}").json()["automatic_tags"]
    assert listed(seller, tag="auto:buys:tea") == [cy["customer_id"]]
