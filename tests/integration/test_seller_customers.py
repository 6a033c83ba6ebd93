"""A seller's customers beyond the list: their orders, consent now and statements the shop
collected, corrections (birthday, tags), and erasure (GDPR Art. 17 / PIPL Art. 47)."""

from __future__ import annotations

import datetime as dt
import json

import boto3

from tests.flows.test_marketing_flows import Events, buyer, identity
from tests.support.clock import iso
from tests.support.scheduled import kept_state, scheduled
from tests.support.seller import SellerApi

PHONE = "+15025550134"
EMAIL = "ann.lee@example.com"


def every_stored_item(runtime) -> str:
    """Every item of every table, as text (a test may scan; request paths never do)."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    return json.dumps(
        {
            table: dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
            for table in dynamodb.list_tables()["TableNames"]
        }
    )


def every_execution_input(runtime) -> str:
    return json.dumps([execution["input"] for execution in runtime.executions()])


def test_a_customers_orders_newest_first_with_status_and_items(runtime, tenant, seller):
    events = Events(runtime, tenant)
    events.post("customer.updated", customer=buyer())
    events.order_paid("order-1")
    runtime.advance(seconds=3600)
    events.order_paid("order-2")
    orders = seller.get("/customers/buyer-1/orders").json()["items"]
    assert [(o["order_id"], o["status"]) for o in orders] == [("order-2", "paid"), ("order-1", "paid")]
    assert orders[0]["total_price"] == "89.00" and orders[0]["placed_at"] > orders[1]["placed_at"]
    assert seller.get("/customers/nobody/orders").status == 404


def test_a_consent_statement_the_shop_collected_is_history_and_the_current_state(runtime, tenant, seller):
    Events(runtime, tenant).post("customer.updated", customer=buyer(email=EMAIL, consents=()))
    assert seller.get("/customers/buyer-1/consent").json()["channels"]["email"]["marketing"] is None

    statement = {
        "channel": "email",
        "granted": True,
        "source": "in-store form",
        "wording": "Email me offers. Unsubscribe any time.",
        "proof": {"form_id": "F-77"},
    }
    recorded = seller.post("/customers/buyer-1/consent", statement, "consent-1")
    assert recorded.status == 201, recorded.body
    assert recorded.json()["channels"]["email"]["marketing"]["granted"] is True
    assert seller.post("/customers/buyer-1/consent", statement, "consent-1").json() == recorded.json()  # replay
    [entry] = seller.get("/customers/buyer-1/consent/history").json()["items"]
    assert (entry["source"], entry["wording"], entry["proof"]) == (
        "seller:in-store form",
        statement["wording"],
        {"form_id": "F-77"},
    )
    assert seller.get("/customers/buyer-1").json()["marketing_consent"]["email"] is True

    bad = seller.post("/customers/buyer-1/consent", {"channel": "fax", "granted": "maybe"}, "consent-2")
    assert bad.status == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"body.channel", "body.granted", "body.source"}
    assert seller.post("/customers/nobody/consent", statement, "consent-3").status == 404
    assert len(seller.get("/customers/buyer-1/consent/history").json()["items"]) == 1


def test_a_corrected_birthday_schedules_its_message_and_manual_tags_replace_the_old(runtime, tenant, seller):
    Events(runtime, tenant).post("customer.updated", customer=buyer())
    today = runtime.clock.now().date()
    corrected = seller.patch(
        "/customers/buyer-1", {"birthday": f"1990-{today:%m-%d}", "tags": ["vip", "vip", "wholesale"]}
    )
    assert corrected.status == 200, corrected.body
    assert corrected.json()["birthday"] == f"1990-{today:%m-%d}" and corrected.json()["tags"] == ["vip", "wholesale"]
    assert [name for name in scheduled(runtime) if name.startswith("birthday-demo-buyer-1-")]
    assert seller.patch("/customers/buyer-1", {"tags": []}).json()["tags"] == []
    future = seller.patch("/customers/buyer-1", {"birthday": "2999-01-01", "tags": [""]})
    assert future.status == 422 and {e["field"] for e in future.json()["errors"]} == {"birthday", "tags.0"}


def test_an_erased_buyer_is_in_no_table_and_a_later_event_sends_nothing_until_they_consent(runtime, tenant, seller):
    events = Events(runtime, tenant)
    ann = buyer(phone=PHONE, email=EMAIL, consents=())
    events.order_paid("order-1", customer={**identity(), "phone": PHONE, "email": EMAIL})
    runtime.advance(seconds=60)
    events.cart(customer=ann)  # marketing to a buyer who never opted in: skipped, with the reason
    runtime.advance(seconds=2 * 3600)
    skipped = seller.get("/sends", flow="cart_abandonment", customer_id="buyer-1").json()["items"]
    assert [(s["status"], s["reason"]) for s in skipped] == [("skipped", "no-consent")]
    assert PHONE in every_stored_item(runtime) and EMAIL in every_stored_item(runtime)

    erased = seller.post("/customers/buyer-1/erase", {}, "erase-1")
    assert erased.status == 200, erased.body
    counts = erased.json()["erased"]
    assert counts["profile"] == 1 and counts["orders"] == 1 and counts["messages_redacted"] >= 1
    assert counts["suppressions_kept_as_pseudonyms"] == 2
    stored = every_stored_item(runtime)
    for personal in (PHONE, PHONE[2:], EMAIL, "Ann"):
        assert personal not in stored, personal
        assert personal not in every_execution_input(runtime), personal
    assert seller.get("/customers/buyer-1").status == 404
    assert seller.post("/customers/buyer-1/erase", {}, "erase-1").json() == erased.json()  # replay: one effect
    [change] = [c for c in seller.get("/changes").json()["items"] if c["action"] == "customer.erase"]
    assert PHONE not in json.dumps(change) and change["after"]["orders"] == 1

    runtime.advance(seconds=24 * 3600)
    before = len(runtime.outbox())
    events.cart("cart-2", customer={**ann, "consents": []})  # they come back, without new consent
    runtime.advance(seconds=2 * 3600)
    assert len(runtime.outbox()) == before
    log = seller.get("/sends", flow="cart_abandonment", customer_id="buyer-1").json()["items"]
    [again] = [entry for entry in log if entry["subject_id"] == "cart-2"]
    assert again["status"] == "skipped"

    runtime.advance(seconds=60)
    consent_now = {"channel": "sms", "granted": True, "at": iso(runtime.clock.now()), "wording": "Texts ok"}
    events.cart("cart-3", customer={**ann, "consents": [consent_now]})  # new consent, after the erasure
    runtime.advance(seconds=2 * 3600)
    [message] = runtime.outbox()[before:]
    assert message["to"] == PHONE and message["flow"] == "cart_abandonment"


def test_erasing_an_unknown_customer_is_404_and_needs_an_idempotency_key(seller):
    assert seller.post("/customers/nobody/erase", {}, "erase-x").status == 404
    assert seller.post("/customers/nobody/erase", {}, None).status in (400, 422)


def test_the_send_log_of_one_customer_is_their_index_partition_in_pages(runtime, tenant, seller):
    events = Events(runtime, tenant)
    for number in range(3):
        events.order_paid(f"order-{number}", customer={**identity(), "phone": PHONE})
    events.order_paid("order-other", customer={**identity("buyer-2"), "phone": "+15025550177"})
    runtime.advance(seconds=60)
    seen, cursor = [], None
    while True:
        page = seller.get("/sends", customer_id="buyer-1", limit=2, cursor=cursor).json()
        seen += [entry["send_key"] for entry in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 3 == len(set(seen)) and all("order-other" not in key for key in seen)
    assert seller.get("/sends", order_id="order-1").json()["items"][0]["subject_id"] == "order-1"
    since = seller.get("/sends", since=iso(runtime.clock.now())).json()["items"]
    assert since == []
    assert seller.get("/sends", since="yesterday").status == 422


def test_a_caller_without_a_key_gets_401_before_any_check_of_the_body(runtime, tenant):
    anonymous = SellerApi(runtime, None).post("/customers/buyer-1/consent", {"channel": "fax"}, "anon-1")
    assert anonymous.status == 401 and "errors" not in anonymous.json()
    wrong = SellerApi(runtime, "hk_live_wrong").post("/customers/buyer-1/consent", {"channel": "fax"}, "anon-2")
    assert wrong.status == 401


def test_customers_by_last_order_in_a_date_range_filtered_by_tag_and_consent(runtime, tenant, seller):
    events = Events(runtime, tenant)
    start = runtime.clock.now()
    for number, consents in ((1, ("sms",)), (2, ()), (3, ("email",))):
        person = buyer(platform_id=f"b-{number}", phone=f"+1502555017{number}", email=f"b{number}@example.com")
        events.post("customer.updated", customer={**person, "consents": buyer(consents=consents)["consents"]})
        events.order_paid(f"order-{number}", customer=identity(f"b-{number}"))
        runtime.advance(seconds=3600)
    events.post("customer.updated", customer=buyer(platform_id="never-ordered", phone="+15025550199", consents=()))
    assert seller.patch("/customers/b-1", {"tags": ["vip"]}).status == 200
    assert seller.patch("/customers/b-3", {"tags": ["vip", "wholesale"]}).status == 200

    def ids(**query):
        seen, cursor = [], None
        while True:
            page = seller.get("/customers", limit=1, cursor=cursor, **query)
            assert page.status == 200, page.body
            seen += [c["customer_id"] for c in page.json()["items"]]
            if not (cursor := page.json()["next_cursor"]):
                return seen

    assert ids(sort="last_order") == ["b-3", "b-2", "b-1"]  # newest first; never-ordered is not listed
    one_hour_in = iso(start + (runtime.clock.now() - start) / 3)
    assert ids(last_order_after=one_hour_in) == ["b-3", "b-2"]
    assert ids(last_order_before=one_hour_in) == ["b-1"]
    assert ids(tag="vip") == ["b-1", "b-3"] and ids(tag="vip", sort="last_order") == ["b-3", "b-1"]
    assert ids(consent="sms") == ["b-1"] and ids(consent="email", tag="wholesale") == ["b-3"]
    assert ids(consent="mms") == ["b-1"]  # consent to marketing texts covers picture messages
    assert ids(platform_id="b-2") == ["b-2"] and ids(platform_id="b-2", tag="vip") == []
    assert seller.get("/customers", consent="fax").status == 422
    assert seller.get("/customers", sort="last_order", cursor="bm90LWEtY3Vyc29y").status == 400


def test_a_shopify_customer_is_found_by_the_id_shopify_gave_them(runtime, tenant, seller, shopify):
    from tests.support.payloads import shopify_order

    assert shopify.post("orders/create", shopify_order(created_at=iso(runtime.clock.now()))).status == 200
    [found] = seller.get("/customers", platform_id="207119551").json()["items"]
    assert found["customer_id"] == "shopify-207119551"


def test_industry_tags_come_from_the_pools_and_customers_are_listed_by_them(runtime, tenant, seller):
    pools = {pool["industry"]: pool for pool in seller.get("/tag-pools").json()["items"]}
    assert {"apparel", "beauty", "food", "pets", "electronics", "mother-and-baby"} <= set(pools)
    assert {"tag": "cat-owner", "label_zh_cn": "猫主人"} in pools["pets"]["tags"]

    Events(runtime, tenant).post("customer.updated", customer=buyer())
    tagged = seller.patch("/customers/buyer-1", {"industry_tags": ["pets:cat-owner", "pets:treats"], "tags": ["vip"]})
    assert tagged.status == 200 and tagged.json()["industry_tags"] == ["pets:cat-owner", "pets:treats"]
    assert [c["customer_id"] for c in seller.get("/customers", tag="pets:cat-owner").json()["items"]] == ["buyer-1"]
    refused = seller.patch("/customers/buyer-1", {"industry_tags": ["pets:dry-skin"]})
    assert refused.status == 422 and "not in the pets pool" in refused.json()["errors"][0]["message"]


def test_a_customers_completeness_and_automatic_tags(runtime, tenant, seller):
    events = Events(runtime, tenant)
    events.post("customer.updated", customer=buyer(email=EMAIL, consents=("sms",)))
    events.order_paid("order-1")
    detail = seller.get("/customers/buyer-1").json()
    assert detail["completeness"]["reach"] == "phone_and_email"
    assert detail["completeness"]["present"]["sms_consent"] is True
    assert set(detail["completeness"]["missing"]) == {"email_consent", "locale", "birthday"}
    assert detail["completeness"]["score"] == 25 + 20 + 15 + 10
    assert detail["automatic_tags"] == ["auto:new"]


def test_tags_in_bulk_for_every_customer_a_filter_matches_or_by_id(runtime, tenant, seller):
    events = Events(runtime, tenant)
    for number in range(1, 5):
        consents = ("sms",) if number % 2 else ()
        person = buyer(platform_id=f"b-{number}", phone=f"+1502555017{number}", consents=consents)
        events.post("customer.updated", customer=person)
    bulk = {"add": ["vip-recall"], "filter": {"consent": "sms"}}
    tagged = seller.post("/customers/tags", bulk, "bulk-1")
    assert tagged.status == 200, tagged.body
    assert (tagged.json()["matched"], tagged.json()["updated"], tagged.json()["next_cursor"]) == (2, 2, None)
    listed = [c["customer_id"] for c in seller.get("/customers", tag="vip-recall").json()["items"]]
    assert listed == ["b-1", "b-3"]
    assert seller.post("/customers/tags", bulk, "bulk-1").json() == tagged.json()  # a replay changes nothing more

    by_id = {"add": ["called"], "remove": ["vip-recall"], "customer_ids": ["b-1", "nobody"]}
    changed = seller.post("/customers/tags", by_id, "bulk-2").json()
    assert (changed["updated"], changed["not_found"]) == (1, ["nobody"])
    assert seller.get("/customers/b-1").json()["tags"] == ["called"]
    for bad in ({"add": ["x"]}, {"customer_ids": ["b-1"]}, {"add": ["x"], "filter": {"segment": "vip"}}):
        assert seller.post("/customers/tags", bad, f"bad-{len(bad)}-{sorted(bad)}").status in (400, 422), bad


def test_the_stores_repurchase_rhythm_comes_from_paid_orders_and_suggests_a_cadence(runtime, tenant, seller):
    events = Events(runtime, tenant)
    early = seller.get("/insights").json()["repurchase_rhythm"]
    assert early["intervals"] == 0 and early["recommendation"] is None and "needs at least" in early["reason"]
    for round_number in range(3):  # twelve buyers each order every ten days
        for number in range(12):
            events.order_paid(f"o-{number}-{round_number}", customer=identity(f"r-{number}"))
        runtime.advance(seconds=10 * 86400)
    paid_again = {"order_id": "o-0-0", "financial_status": "paid", "paid_at": iso(runtime.clock.now())}
    events.post("order.paid", order=paid_again, customer=identity("r-0"))  # counts nothing twice
    rhythm = seller.get("/insights").json()["repurchase_rhythm"]
    assert rhythm["intervals"] == 24 and rhythm["distribution"]["8-14"] == 24
    assert rhythm["median_days"] == 10.0
    assert rhythm["recommendation"] == {"every_days": 14, "cadence": "every two weeks"}
    stats = seller.get("/customers/r-0").json()
    assert stats["order_count"] == 3 and stats["mean_order_interval_days"] == 10.0


def test_win_back_waits_the_stores_measured_interval_for_a_first_time_buyer(runtime, tenant, seller):
    from huike.core.caches import reset_process_caches

    events = Events(runtime, tenant)
    for round_number in range(3):  # the store's buyers come back every 20 days
        for number in range(12):
            events.order_paid(f"o-{number}-{round_number}", customer=identity(f"r-{number}"))
        runtime.advance(seconds=20 * 86400)
    assert seller.get("/insights").json()["repurchase_rhythm"]["median_days"] == 20.0
    reset_process_caches()  # a new container: the measured interval is read afresh
    events.order_paid("first-order", customer=identity("newcomer"))
    [win_back] = [name for name in scheduled(runtime) if name.startswith("win_back-demo-newcomer-")]
    wake = kept_state(win_back)["wake_at"]  # 20 days away: on the agenda
    assert wake.startswith(iso(runtime.clock.now() + dt.timedelta(days=20))[:10]), wake


def test_insights_count_reach_consent_missing_data_and_tags_as_customers_change(runtime, tenant, seller):
    events = Events(runtime, tenant)
    events.post("customer.updated", customer=buyer(platform_id="p-1", email="p1@example.com"))  # SMS consent
    events.post("customer.updated", customer=buyer(platform_id="p-2", phone="+15025550172", consents=()))
    events.post("customer.updated", customer=buyer(platform_id="e-1", phone=None, email="e1@example.com", consents=()))
    assert seller.post("/customers/tags", {"add": ["vip"], "customer_ids": ["p-1", "e-1"]}, "t-1").status == 200
    assert seller.patch("/customers/p-2", {"industry_tags": ["pets:cat-owner"]}).status == 200

    summary = seller.get("/insights").json()
    completeness = summary["completeness"]
    assert completeness["customers"] == 3
    assert completeness["reach"] == {"phone_and_email": 1, "phone_only": 1, "email_only": 1, "unreachable": 0}
    assert (completeness["can_receive_sms"], completeness["can_receive_email"]) == (2, 2)
    assert completeness["marketing_reachable"] == {"sms": 1, "email": 0}
    assert completeness["missing"]["birthday"] == 3 and completeness["missing"]["email_consent"] == 3
    assert summary["tags"] == {"vip": 2} and summary["industry_tags"] == {"pets:cat-owner": 1}
    for reach, expected in (("phone_only", ["p-2"]), ("email_only", ["e-1"]), ("phone_and_email", ["p-1"])):
        listed = seller.get("/customers", completeness=reach).json()["items"]
        assert [c["customer_id"] for c in listed] == expected, reach
    assert seller.get("/customers", completeness="unreachable").json()["items"] == []
    assert seller.get("/customers", completeness="phone_only", tag="vip").json()["items"] == []
    assert seller.get("/customers", completeness="everything").status == 422

    assert seller.post("/customers/p-1/erase", {}, "erase-p-1").status == 200  # an erasure is counted out
    after = seller.get("/insights").json()
    assert after["completeness"]["customers"] == 2 and after["tags"] == {"vip": 1}
    assert after["completeness"]["reach"]["phone_and_email"] == 0


def test_a_customer_change_is_counted_once_however_often_its_stream_record_is_delivered(runtime, tenant):
    from huike.store.insights import add_to_counters, counters

    assert add_to_counters("demo", "c-1", "event-1", {"tag:vip": 1, "n:customers": 1}) is True
    assert add_to_counters("demo", "c-1", "event-1", {"tag:vip": 1, "n:customers": 1}) is False
    assert add_to_counters("demo", "c-2", "event-2", {"tag:vip": 1}) is True
    assert counters("demo", "counts") == {"tag:vip": 2, "n:customers": 1}


def test_each_customers_rfm_scores_and_segment_follow_the_stores_distribution(runtime, tenant, seller):
    from huike.core.caches import reset_process_caches

    events = Events(runtime, tenant)

    def pay(customer_id: str, orders: int, total: str, batch: str = "a") -> None:
        for number in range(orders):
            order_id = f"{customer_id}-{batch}{number}"
            order = {"order_id": order_id, "name": f"#{order_id}", "currency": "USD", "total_price": total}
            now = iso(runtime.clock.now())
            events.post("order.created", order={**order, "created_at": now}, customer=identity(customer_id))
            paid = {**order, "created_at": now, "financial_status": "paid", "paid_at": now}
            events.post("order.paid", order=paid, customer=identity(customer_id))

    for customer_id, orders, total, days_after in (
        ("c-1", 1, "10.00", 50),
        ("c-2", 1, "30.00", 90),
        ("c-3", 2, "100.00", 40),
        ("c-4", 3, "200.00", 19),
        ("c-5", 4, "500.00", 0),
    ):
        pay(customer_id, orders, total)
        runtime.advance(seconds=days_after * 86400)
    # The next nightly refresh (02:00 UTC) publishes thresholds that include the last orders.
    now = runtime.clock.now()
    runtime.advance(to=(now + dt.timedelta(days=1)).replace(hour=2, minute=0, second=1, microsecond=0))
    reset_process_caches()
    champion = seller.get("/customers/c-5").json()["rfm"]
    assert champion == {"r": 5, "f": 5, "m": 5, "segment": "champions"}
    assert seller.get("/customers/c-1").json()["rfm"]["segment"] == "lost"
    assert seller.get("/customers/c-3").json()["rfm"]["r"] == 3

    runtime.advance(seconds=30 * 86400)
    pay("c-1", 5, "300.00", batch="b")  # more orders: the customer's scores move at once
    reset_process_caches()
    moved = seller.get("/customers/c-1").json()
    assert moved["order_count"] == 6 and moved["rfm"]["r"] == 5 and moved["rfm"]["segment"] == "champions"
