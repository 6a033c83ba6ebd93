"""The seller REST API (/v1) as a seller uses it: their key, their settings, their flows, their
send log; problem+json errors with field paths; nobody else's data."""

from __future__ import annotations

import pytest

from huike.store.api_keys import ApiKey, hash_secret, new_secret, register_key, revoke
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.payloads import shopify_order
from tests.support.seller import SellerApi

PROBLEM = "application/problem+json"


def content_type(response) -> str:
    return next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")


# -- access -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic abc", "Bearer hk_live_not-a-key"])
def test_a_request_without_a_valid_key_is_401_with_www_authenticate(runtime, tenant, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = runtime.api("GET", "/v1/settings", headers)
    assert response.status == 401
    assert content_type(response).startswith(PROBLEM)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_revoked_key_is_401(runtime, tenant, seller):
    [key] = [k for k in ApiKey.tenant_index.query("demo")]
    assert seller.get("/settings").status == 200
    revoke("demo", key.key_id)
    assert seller.get("/settings").status == 401


def test_keys_are_stored_only_as_hashes_and_their_last_use_is_kept(runtime, tenant, seller):
    assert seller.get("/settings").status == 200
    [key] = list(ApiKey.tenant_index.query("demo"))
    assert tenant.api_key.startswith("hk_live_")  # the key `make local` prints has the API's format
    assert key.key_hash == hash_secret(tenant.api_key) and tenant.api_key not in key.key_id
    assert key.last_used_at is not None


def test_a_key_sees_only_its_own_tenants_settings_and_send_log(runtime, tenant, seller, shopify):
    other = runtime.seed_tenant("other-shop", name="Other Shop", timezone="Asia/Shanghai", country="CN")
    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    runtime.advance(seconds=2 * 3600)

    theirs = SellerApi(runtime, other.api_key)
    assert theirs.get("/settings").json()["timezone"] == "Asia/Shanghai"
    assert seller.get("/settings").json()["timezone"] == "America/New_York"
    assert seller.get("/sends").json()["items"], "the demo tenant has sends"
    assert theirs.get("/sends").json()["items"] == []


# -- settings -----------------------------------------------------------------------------------------
def test_settings_change_field_by_field_and_null_removes(seller):
    changed = seller.patch("/settings", {"quiet_hours": {"start": "22:00"}, "links": {"review_url": None}})
    assert changed.status == 200, changed.body
    assert changed.json()["quiet_hours"]["start"] == "22:00:00"
    assert changed.json()["links"]["review_url"] is None
    assert changed.json()["links"]["shop_url"] == "https://demo-store.example/"
    assert seller.get("/settings").json() == changed.json()


def test_invalid_settings_are_422_naming_the_field_and_change_nothing(seller):
    before = seller.get("/settings").json()
    response = seller.patch("/settings", {"timezone": "Mars/Olympus", "caps": {"sms_hours": -1}})
    assert response.status == 422
    assert content_type(response).startswith(PROBLEM)
    fields = {error["field"] for error in response.json()["errors"]}
    assert "timezone" in fields and any(field.startswith("caps.") for field in fields)
    assert seller.get("/settings").json() == before


def test_a_body_that_is_not_an_object_is_422(seller):
    response = seller.request("PATCH", "/settings", ["not", "an", "object"])
    assert response.status == 422
    assert content_type(response).startswith(PROBLEM)


# -- flows --------------------------------------------------------------------------------------------
def test_every_flow_is_listed_with_its_defaults_and_the_tenants_changes(seller):
    flows = {flow["flow"]: flow for flow in seller.get("/flows").json()["items"]}
    assert {"unpaid_reminder", "win_back", "birthday", "payment_confirmation"} <= set(flows)
    assert flows["win_back"]["coupon"] == "COMEBACK10"  # the demo tenant's change
    assert flows["unpaid_reminder"]["purpose"] == "transactional"


def test_a_flow_change_is_validated_and_stored(seller):
    changed = seller.patch("/flows/unpaid_reminder", {"delay_minutes": 30, "channels": ["email"]})
    assert changed.status == 200, changed.body
    assert (changed.json()["delay_minutes"], changed.json()["channels"]) == (30, ["email"])
    assert seller.get("/flows/unpaid_reminder").json() == changed.json()

    bad = seller.patch("/flows/unpaid_reminder", {"channels": ["pigeon"], "delay_minutes": "soon"})
    assert bad.status == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"channels.0", "delay_minutes"}
    assert seller.get("/flows/unpaid_reminder").json() == changed.json()


def test_an_unknown_flow_is_404(seller):
    assert seller.get("/flows/carrier_pigeon").status == 404
    assert seller.patch("/flows/carrier_pigeon", {"enabled": False}).status == 404


def test_a_shorter_reminder_delay_is_followed_by_the_next_order(runtime, seller, shopify):
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": 15}).status == 200
    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    runtime.advance(seconds=16 * 60)
    assert [m["flow"] for m in runtime.outbox()] == ["unpaid_reminder"]


# -- the send log -----------------------------------------------------------------------------------
def test_the_send_log_says_why_a_marketing_message_was_skipped(runtime, tenant, seller):
    from tests.flows.test_marketing_flows import Events, buyer

    Events(runtime, tenant).cart(customer=buyer(consents=()))  # a buyer who never opted in
    runtime.advance(seconds=2 * 3600)

    log = seller.get("/sends", flow="cart_abandonment").json()["items"]
    assert [(e["status"], e["reason"]) for e in log] == [("skipped", "no-consent")]
    assert log[0]["customer_id"] and log[0]["purpose"] == "marketing"
    assert seller.get("/sends", status="sent").json()["items"] == []
    assert seller.get("/sends", customer_id=log[0]["customer_id"]).json()["items"] == log


def test_the_send_log_pages_neither_skip_nor_repeat_under_concurrent_sends(runtime, seller, shopify):
    for number in range(5):
        order = shopify_order(created_at=iso(DAYTIME_UTC), id=450789469 + number, name=f"#10{number}")
        assert shopify.post("orders/create", order).status == 200
    runtime.advance(seconds=2 * 3600)

    first = seller.get("/sends", limit=2).json()
    later = shopify_order(created_at=iso(DAYTIME_UTC), id=1, name="#1")  # keyed before every page
    assert shopify.post("orders/create", later).status == 200
    runtime.advance(seconds=2 * 3600)
    seen, cursor = list(first["items"]), first["next_cursor"]
    while cursor:
        page = seller.get("/sends", limit=2, cursor=cursor).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    keys = [entry["send_key"] for entry in seen]
    assert len(keys) == len(set(keys)) and keys == sorted(keys)
    assert {f"unpaid_reminder#shopify-{450789469 + n}#1" for n in range(5)} <= set(keys)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"cursor": "not-ours"}, {"status": "lost"}])
def test_bad_send_log_queries_are_4xx_problems(seller, query):
    response = seller.get("/sends", **query)
    assert response.status in (400, 422), response.body
    assert content_type(response).startswith(PROBLEM)


# -- the document ------------------------------------------------------------------------------------
def test_the_openapi_document_and_swagger_ui_are_served_without_a_key(runtime, tenant):
    document = runtime.api("GET", "/v1/openapi.json")
    assert document.status == 200
    spec = document.json()
    assert {"/v1/settings", "/v1/flows", "/v1/flows/{flow}", "/v1/sends"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    ui = runtime.api("GET", "/v1/docs")
    assert ui.status == 200 and "swagger-ui" in ui.body.lower()


def test_a_key_registered_for_a_tenant_works_until_revoked(runtime, tenant):
    secret = new_secret()
    key = register_key("demo", secret, "reporting")
    assert secret.startswith("hk_live_")
    assert SellerApi(runtime, secret).get("/flows").status == 200
    revoke("demo", key.key_id)
    assert SellerApi(runtime, secret).get("/flows").status == 401


# -- customers and consent ------------------------------------------------------------------------------
def three_buyers(runtime, tenant) -> None:
    from tests.flows.test_marketing_flows import Events, buyer

    events = Events(runtime, tenant)
    events.post("customer.updated", customer=buyer())  # Ann: phone, SMS consent with wording and proof
    events.post("customer.updated", customer=buyer(phone=None, email="cy@example.com", platform_id="c-3", consents=()))
    two_addresses = buyer(phone="+15025550177", email="dee@example.com", platform_id="c-2", consents=("sms",))
    events.post("customer.updated", customer=two_addresses)


def test_customers_are_listed_in_pages_that_neither_skip_nor_repeat(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    seen, cursor = [], None
    while True:
        page = seller.get("/customers", limit=2, cursor=cursor).json()
        seen += [c["customer_id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 3 == len(set(seen)) and seen == sorted(seen)


def test_a_customer_is_found_by_phone_in_national_form_or_by_email(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    [by_phone] = seller.get("/customers", phone="(502) 555-0134").json()["items"]
    assert by_phone["phone"] == "+15025550134" and by_phone["marketing_consent"]["sms"] is True
    [by_email] = seller.get("/customers", email="CY@EXAMPLE.com").json()["items"]  # case does not matter
    assert by_email["email"] == "cy@example.com" and by_email["marketing_consent"]["email"] is False
    assert seller.get("/customers", phone="+15025550999").json()["items"] == []
    bad = seller.get("/customers", phone="not a phone")
    assert bad.status == 400 and content_type(bad).startswith(PROBLEM)


def test_one_customer_shows_consent_suppressions_and_order_stats(runtime, tenant, seller, shopify):
    from tests.support.contacts import BUYER_PHONE, SHOP_NUMBER

    assert (
        shopify.post("orders/paid", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid")).status == 200
    )
    runtime.inbound_sms(BUYER_PHONE, SHOP_NUMBER, "STOP")
    customer = seller.get("/customers/shopify-207119551").json()
    assert customer["order_count"] == 1 and customer["total_spent"] == 409.94
    assert customer["suppressed_addresses"] == [BUYER_PHONE]
    assert "shopify" in " ".join(customer["identities"])


def test_the_consent_history_is_the_ledger_with_wording_and_proof(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    [ann] = seller.get("/customers", phone="+15025550134").json()["items"]
    [statement] = seller.get(f"/customers/{ann['customer_id']}/consent/history").json()["items"]
    assert (statement["channel"], statement["granted"], statement["purpose"]) == ("sms", True, "marketing")
    assert statement["wording"].startswith("Yes, send me offers")
    assert statement["proof"]["ip"] == "203.0.113.7"


def test_another_tenants_key_gets_404_for_this_tenants_customer(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    [ann] = seller.get("/customers", phone="+15025550134").json()["items"]
    other = SellerApi(runtime, runtime.seed_tenant("other-shop").api_key)
    for path in (f"/customers/{ann['customer_id']}", f"/customers/{ann['customer_id']}/consent/history"):
        assert seller.get(path).status == 200
        response = other.get(path)
        assert response.status == 404 and content_type(response).startswith(PROBLEM)
    assert other.get("/customers", phone="+15025550134").json()["items"] == []


# -- suppressions, and Idempotency-Key on POST ------------------------------------------------------------
def test_a_seller_suppression_stops_marketing_and_lifting_it_restores_it(runtime, tenant, seller):
    from urllib.parse import quote

    from tests.flows.test_marketing_flows import Events

    added = seller.post("/suppressions", {"address": "(502) 555-0134", "note": "asked by phone"}, "sup-1")
    assert added.status == 201, added.body
    assert (added.json()["address"], added.json()["reason"], added.json()["note"]) == (
        "+15025550134",
        "seller",
        "asked by phone",
    )
    events = Events(runtime, tenant)
    events.cart()
    runtime.advance(seconds=2 * 3600)
    [entry] = seller.get("/sends", flow="cart_abandonment").json()["items"]
    assert (entry["status"], entry["reason"]) == ("skipped", "suppressed")

    assert [s["address"] for s in seller.get("/suppressions").json()["items"]] == ["+15025550134"]
    assert seller.delete(f"/suppressions/{quote('+15025550134')}").status == 204
    assert seller.get("/suppressions").json()["items"] == []
    assert seller.delete(f"/suppressions/{quote('+15025550134')}").status == 404


def test_a_post_needs_an_idempotency_key_and_a_replay_has_one_effect(seller):
    body = {"address": "ann@example.com"}
    missing = seller.post("/suppressions", body, None)
    assert missing.status in (400, 422) and content_type(missing).startswith(PROBLEM)

    first = seller.post("/suppressions", body, "key-1")
    replay = seller.post("/suppressions", body, "key-1")
    assert (first.status, replay.status) == (201, 201)
    assert replay.json() == first.json()
    assert len(seller.get("/suppressions").json()["items"]) == 1

    reused = seller.post("/suppressions", {"address": "bob@example.com"}, "key-1")
    assert reused.status == 422 and content_type(reused).startswith(PROBLEM)
    assert [s["address"] for s in seller.get("/suppressions").json()["items"]] == ["ann@example.com"]


def test_an_address_that_is_neither_phone_nor_email_is_400_and_stores_nothing(seller):
    response = seller.post("/suppressions", {"address": "not an address"}, "key-bad")
    assert response.status == 400 and content_type(response).startswith(PROBLEM)
    assert seller.get("/suppressions").json()["items"] == []
    # The key was not spent on a failure: the corrected request goes through with it.
    assert seller.post("/suppressions", {"address": "ann@example.com"}, "key-bad").status == 201


def test_a_change_is_recorded_with_who_when_before_and_after(runtime, seller):
    [key] = list(ApiKey.tenant_index.query("demo"))
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": 45}).status == 200
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": 45}).status == 200  # no change
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": "soon"}).status == 422  # refused
    assert seller.patch("/settings", {"quiet_hours": {"start": "22:00"}}).status == 200

    flow_change, settings_change = seller.get("/changes").json()["items"]
    assert (flow_change["action"], flow_change["flow"], flow_change["actor"]) == (
        "flow.update",
        "unpaid_reminder",
        key.key_id,
    )
    assert (flow_change["before"]["delay_minutes"], flow_change["after"]["delay_minutes"]) == (30, 45)
    assert flow_change["at"].startswith(iso(runtime.clock.now())[:16])  # when: the virtual clock's minute
    assert settings_change["action"] == "settings.update" and settings_change["flow"] is None
    assert settings_change["after"]["quiet_hours"]["start"] == "22:00:00"


def test_a_seller_corrects_a_customers_name_and_time_zone_and_clears_the_locale(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    [ann] = seller.get("/customers", phone="+15025550134").json()["items"]
    path = f"/customers/{ann['customer_id']}"
    changed = seller.patch(path, {"last_name": "Lee", "timezone": "America/Chicago", "locale": None})
    assert changed.status == 200, changed.body
    assert (changed.json()["last_name"], changed.json()["timezone"], changed.json()["locale"]) == (
        "Lee",
        "America/Chicago",
        None,
    )
    assert seller.get(path).json() == changed.json()


def test_an_invalid_customer_correction_is_422_and_changes_nothing(runtime, tenant, seller):
    three_buyers(runtime, tenant)
    [ann] = seller.get("/customers", phone="+15025550134").json()["items"]
    path = f"/customers/{ann['customer_id']}"
    before = seller.get(path).json()
    response = seller.patch(path, {"timezone": "Mars/Olympus", "phone": "+15025550199"})
    assert response.status == 422 and content_type(response).startswith(PROBLEM)
    assert {e["field"] for e in response.json()["errors"]} == {"timezone", "phone"}
    assert seller.get(path).json() == before
    assert seller.patch("/customers/shopify-nobody", {"last_name": "Lee"}).status == 404


# -- rate limit -------------------------------------------------------------------------------------
def test_every_answer_says_how_much_of_the_tenants_plan_is_left(seller):
    first, second = seller.get("/settings"), seller.get("/flows/nope")
    assert (first.status, second.status) == (200, 404)
    assert first.headers["RateLimit-Limit"] == "120"
    assert int(first.headers["RateLimit-Remaining"]) == int(second.headers["RateLimit-Remaining"]) + 1
    assert 1 <= int(first.headers["RateLimit-Reset"]) <= 60


def test_over_the_plan_is_429_with_retry_after_changes_nothing_and_the_next_minute_is_open(runtime, tenant, seller):
    from huike.store.tenants import set_usage_plan

    set_usage_plan("demo", 3)
    other = SellerApi(runtime, runtime.seed_tenant("other-shop").api_key)
    for _ in range(3):
        assert seller.get("/settings").status == 200
    over = seller.patch("/settings", {"quiet_hours": {"start": "22:45"}})
    assert over.status == 429 and content_type(over).startswith(PROBLEM)
    assert over.headers["RateLimit-Remaining"] == "0" and int(over.headers["Retry-After"]) >= 1
    assert other.get("/settings").status == 200  # another tenant's plan is its own

    runtime.advance(seconds=int(over.headers["Retry-After"]))
    assert seller.get("/settings").json()["quiet_hours"]["start"] != "22:45:00"  # the refused PATCH did nothing
