"""Imports through the seller API: a file uploaded to its presigned URL, planned by the S3
notification, applied in chunks from SQS, counted once, reported row by row."""

from __future__ import annotations

import itertools

import pytest

from huike.store.customers import Customer
from tests.support.contacts import buyer_phone, buyer_phone_national
from tests.support.import_files import jsonl, shopify_customer_csv, shopify_orders_csv
from tests.support.seller import SellerApi
from tests.support.stored import stored

_keys = itertools.count()


def start_import(seller: SellerApi, **request) -> dict:
    answer = seller.post("/imports", request, f"import-{next(_keys)}")
    assert answer.status == 201, answer.body
    return answer.json()


def import_file(runtime, seller: SellerApi, data: bytes, **request) -> dict:
    job = start_import(seller, **request)
    uploaded = runtime.upload(job["upload"]["url"], data)
    assert uploaded.status == 200, uploaded.body
    runtime.wait_quiescent()
    return seller.get(f"/imports/{job['id']}").json()


def customer(seller: SellerApi, **query) -> dict:
    items = seller.get("/customers", **query).json()["items"]
    assert len(items) == 1, items
    return seller.get(f"/customers/{items[0]['customer_id']}").json()


def report_lines(runtime, url: str) -> list[str]:
    status, body = runtime.download(url)  # as the seller's browser would, with the presigned URL
    assert status == 200, body
    return body.decode("utf-8-sig").splitlines()


SHOPIFY_CUSTOMERS = [
    {
        "Customer ID": "'7163742617889",
        "First Name": " Ann ",
        "Last Name": "Lee",
        "Email": "Ann.Lee@Example.com",
        "Accepts Email Marketing": "yes",
        "Default Address Country Code": "US",
        "Phone": buyer_phone_national(201),
        "Accepts SMS Marketing": "yes",
        "Total Spent": "240.50",
        "Total Orders": "3",
        "Tags": "vip, wholesale",
    },
    {"Customer ID": "7163742617890", "First Name": "Bo", "Email": "bo@example.com", "Phone": "555-12"},
    {"First Name": "Nobody", "Phone": "12"},
    {"Customer ID": "7163742617891", "First Name": "Cy", "Email": "cy@example.com", "Tags": "wholesale"},
]


def test_a_shopify_customer_export_is_cleaned_merged_and_reported(runtime, tenant, seller):
    job = import_file(runtime, seller, shopify_customer_csv(SHOPIFY_CUSTOMERS), format="shopify_customers")

    assert job["status"] == "completed", job
    assert job["rows"] == 4
    assert job["counts"] == {"created": 3, "updated": 0, "merged": 0, "rejected": 1, "skipped": 0}
    assert job["progress"] == {"chunks_total": 1, "chunks_done": 1, "percent": 100}
    ann = customer(seller, email="ann.lee@example.com")
    assert ann["customer_id"] == "shopify-7163742617889"  # the id Shopify's webhooks will use
    assert (ann["first_name"], ann["phone"]) == ("Ann", buyer_phone(201))
    # What the planner learnt of the number reaches the customer (the chunk worker parses nothing).
    assert ann["phone_textable"] and ann["email_valid"]
    assert stored(Customer, tenant.tenant_id, ann["customer_id"]).phone_timezone == "America/New_York"
    assert set(ann["tags"]) >= {"vip", "wholesale"}
    assert ann["consent"]["sms"]["marketing"]["granted"] and ann["consent"]["email"]["marketing"]["granted"]
    assert ann["platform_stats"] == {"order_count": 3, "total_spent": 240.5}
    assert ann["imported_by"] == job["id"] and ann["order_count"] == 0  # Huike's stats come from orders
    history = seller.get(f"/customers/{ann['customer_id']}/consent/history").json()["items"]
    assert {entry["source"] for entry in history} == {f"import:{job['id']}"}
    assert all("no date" in entry["wording"] for entry in history)
    bo = customer(seller, email="bo@example.com")
    assert bo["phone"] is None  # the bad number was dropped, the row kept
    lines = report_lines(runtime, job["report_url"])
    assert lines[0] == "line,outcome,reason"
    assert any(line.startswith("3,imported,") and "555-12" in line for line in lines)
    assert any(line.startswith("4,rejected,") for line in lines)
    assert [entry["line"] for entry in job["problems_preview"]] == [3, 4]


def test_rows_of_customers_already_known_update_them_and_nothing_is_duplicated(runtime, tenant, seller):
    first = import_file(runtime, seller, shopify_customer_csv(SHOPIFY_CUSTOMERS[:1]), format="shopify_customers")
    assert first["counts"]["created"] == 1
    # The same person by phone only, under the seller's own CSV, with a birthday.
    again = import_file(
        runtime,
        seller,
        b"mobile,born\n" + buyer_phone_national(201).encode() + b",1990-04-02\n",
        format="csv",
        mapping={"phone": "mobile", "birthday": "born"},
        default_country="US",
    )
    assert again["counts"] == {"created": 0, "updated": 1, "merged": 0, "rejected": 0, "skipped": 0}
    ann = customer(seller, phone=buyer_phone(201))
    assert ann["customer_id"] == "shopify-7163742617889" and ann["birthday"] == "1990-04-02"
    assert len(seller.get("/customers").json()["items"]) == 1


def test_a_chunk_reads_its_customers_in_one_batch_and_writes_them_in_one_transaction(runtime, tenant, seller):
    people = [
        {"Customer ID": str(7163742617900 + n), "Email": f"buyer{n}@example.com", "Accepts Email Marketing": "no"}
        for n in range(8)
    ]
    first = import_file(runtime, seller, shopify_customer_csv(people), format="shopify_customers")
    assert first["counts"]["created"] == 8
    customer_reads: list[str] = []
    customer_writes: list[int] = []  # items per TransactWriteItems

    def count(operation: str):
        def counted(params, **_):
            tables = [params.get("TableName", ""), *params.get("RequestItems", {})]
            if runtime.template.physical_name("CustomersTable") in tables:
                customer_reads.append(operation)

        return counted

    def install() -> None:
        from huike.aws.clients import client

        events = client("dynamodb").meta.events
        events.register("provide-client-params.dynamodb.GetItem", count("GetItem"))
        events.register("provide-client-params.dynamodb.BatchGetItem", count("BatchGetItem"))
        events.register("provide-client-params.dynamodb.TransactWriteItems", count_writes)

    def count_writes(params, **_):
        tables = {next(iter(item.values()))["TableName"] for item in params["TransactItems"]}
        if runtime.template.physical_name("CustomersTable") in tables:
            customer_writes.append(len(params["TransactItems"]))

    runtime.lambdas.in_container("ImportChunksFunction", install)
    # A later export where they all accept: each row's consent is compared with the customer on file.
    accepted = [{**person, "Accepts Email Marketing": "yes"} for person in people]
    again = import_file(runtime, seller, shopify_customer_csv(accepted), format="shopify_customers")

    assert again["counts"]["updated"] == 8
    assert customer_reads == ["BatchGetItem"]
    assert customer_writes == [16]  # the 8 rows' customers and consent ledger entries, in one transaction
    assert customer(seller, email="buyer3@example.com")["consent"]["email"]["marketing"]["granted"] is True


def test_two_rows_that_reach_one_customer_through_different_contacts_both_apply(runtime, tenant, seller):
    both = {"Customer ID": "7163742617950", "Email": "dee@example.com", "Phone": buyer_phone_national(207)}
    import_file(runtime, seller, shopify_customer_csv([both]), format="shopify_customers")
    # A seller's own CSV: one row by email, one by phone, no id; each grants one channel.
    rows = (f"email,mobile,email_ok,sms_ok\ndee@example.com,,yes,\n,{buyer_phone_national(207)},,yes\n").encode()
    mapping = {"email": "email", "phone": "mobile", "accepts_email": "email_ok", "accepts_sms": "sms_ok"}
    job = import_file(runtime, seller, rows, format="csv", mapping=mapping, default_country="US")

    assert job["status"] == "completed" and job["counts"]["updated"] == 2, job
    dee = seller.get("/customers/shopify-7163742617950").json()
    assert dee["consent"]["email"]["marketing"]["granted"] and dee["consent"]["sms"]["marketing"]["granted"]
    history = seller.get("/customers/shopify-7163742617950/consent/history").json()["items"]
    assert sorted(entry["channel"] for entry in history) == ["email", "sms"]


def test_the_same_file_twice_changes_nothing_the_second_time(runtime, tenant, seller):
    data = shopify_customer_csv(SHOPIFY_CUSTOMERS)
    first = import_file(runtime, seller, data, format="shopify_customers")
    history_before = seller.get("/customers/shopify-7163742617889/consent/history").json()["items"]
    second = import_file(runtime, seller, data, format="shopify_customers")

    assert second["status"] == "completed" and second["duplicate_of"] == first["id"]
    assert second["counts"] == {"created": 0, "updated": 0, "merged": 0, "rejected": 0, "skipped": 0}
    assert seller.get("/customers/shopify-7163742617889/consent/history").json()["items"] == history_before


def test_an_order_export_builds_history_and_stats_without_messaging_anyone(runtime, tenant, seller):
    orders = [
        {
            "Name": "#1001",
            "Id": "5001",
            "Email": "dee@example.com",
            "Billing Name": "Dee Park",
            "Billing Phone": buyer_phone_national(301),
            "Billing Country": "US",
            "Total": "40.00",
            "Created at": "2026-01-05 10:00:00 -0500",
            "Paid at": "2026-01-05 10:01:00 -0500",
            "line_items": [{"Lineitem name": "Tea", "Lineitem price": "20.00", "Lineitem quantity": "2"}],
        },
        {
            "Name": "#1002",
            "Id": "5002",
            "Email": "dee@example.com",
            "Total": "60.00",
            "Created at": "2026-02-04 10:00:00 -0500",
            "Paid at": "2026-02-04 10:01:00 -0500",
            "line_items": [{"Lineitem name": "Cups", "Lineitem price": "30.00", "Lineitem quantity": "2"}],
        },
    ]
    job = import_file(runtime, seller, shopify_orders_csv(orders), format="shopify_orders")

    assert job["status"] == "completed" and job["counts"]["created"] == 2, job
    dee = customer(seller, email="dee@example.com")
    assert dee["order_count"] == 2 and dee["total_spent"] == pytest.approx(100.0)
    listed = seller.get(f"/customers/{dee['customer_id']}/orders").json()["items"]
    assert {order["order_id"] for order in listed} == {"shopify-5001", "shopify-5002"}
    assert runtime.outbox() == []  # history: no payment confirmation, no win-back
    assert [e for e in runtime.executions() if e["status"] == "RUNNING"] == []
    rhythm = seller.get("/insights").json()
    assert rhythm["repurchase_rhythm"]["intervals"] == 1  # 30 days between the two orders


def test_a_cancelled_import_skips_the_chunks_not_yet_applied(runtime, tenant, seller):
    job = start_import(seller, format="jsonl")
    cancelled = seller.post(f"/imports/{job['id']}/cancel", {}, "cancel-1")
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    runtime.upload(job["upload"]["url"], jsonl([{"email": "eve@example.com"}]))
    runtime.wait_quiescent()
    assert seller.get(f"/imports/{job['id']}").json()["status"] == "cancelled"
    assert seller.get("/customers", email="eve@example.com").json()["items"] == []
    again = seller.post(f"/imports/{job['id']}/cancel", {}, "cancel-2")
    assert again.status == 409


def test_bad_requests_and_unknown_imports_change_nothing(runtime, tenant, seller):
    assert seller.post("/imports", {"format": "csv"}, "k1").status == 422  # a CSV needs a mapping
    assert seller.post("/imports", {"format": "xlsx"}, "k2").status == 422
    assert seller.post("/imports", {"format": "csv", "mapping": {"shoe_size": "A"}}, "k3").status == 422
    assert seller.get("/imports/imp_nope").status == 404
    assert seller.get("/imports").json()["items"] == []


def test_an_expired_or_unsigned_upload_is_refused_and_nothing_starts(runtime, tenant, seller):
    import datetime as dt
    from urllib.parse import parse_qs, urlencode, urlsplit

    job = start_import(seller, format="jsonl")
    url = urlsplit(job["upload"]["url"])
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    signed = dt.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    query["X-Amz-Date"] = (signed - dt.timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    expired = runtime.upload(url._replace(query=urlencode(query)).geturl(), jsonl([{"email": "late@example.com"}]))
    unsigned = runtime.upload(url._replace(query="").geturl(), jsonl([{"email": "late@example.com"}]))

    assert expired.status == 403 and "expired" in expired.body
    assert unsigned.status == 403
    assert seller.get(f"/imports/{job['id']}").json()["status"] == "awaiting_upload"


def test_a_chunk_that_fails_midway_is_retried_and_writes_nothing_twice(runtime, tenant, seller, monkeypatch):
    from huike.store import deliveries

    # Small transactions (a row or two each), so the chunk can fail between two of them.
    monkeypatch.setattr(deliveries, "MAX_TRANSACTION_ITEMS", 4)
    real, calls = deliveries.TransactionBatch.flush, itertools.count()

    def fails_on_the_second_transaction_once(batch):
        if batch._pending and next(calls) == 1:
            raise RuntimeError("connection reset by peer")
        return real(batch)

    monkeypatch.setattr(deliveries.TransactionBatch, "flush", fails_on_the_second_transaction_once)
    rows = [
        {"Customer ID": f"90{n}", "Email": f"buyer{n}@example.com", "Accepts Email Marketing": "yes"} for n in range(5)
    ]
    job = import_file(runtime, seller, shopify_customer_csv(rows), format="shopify_customers")

    assert job["status"] == "completed"
    assert job["counts"] == {"created": 5, "updated": 0, "merged": 0, "rejected": 0, "skipped": 0}
    for n in range(5):
        history = seller.get(f"/customers/shopify-90{n}/consent/history").json()["items"]
        assert len(history) == 1, history  # the retried rows were not recorded twice


def test_a_100000_row_export_is_planned_into_bounded_chunks_and_a_cancel_stops_the_rest(
    runtime, tenant, seller, monkeypatch
):
    """The whole file is read, cleaned and merged by the planner (one bounded run) and split into
    chunks of 500 rows, one SQS message each. The seller cancels after two chunks were applied:
    every other chunk is delivered and counted as skipped, none writes a customer."""
    from benchmarks.intelligence import import_rows
    from huike.imports import jobs

    applied: list[int] = []
    real = jobs.apply_chunk

    def cancel_after_two_chunks(tenant_id: str, import_id: str, chunk: int) -> str:
        outcome = real(tenant_id, import_id, chunk)
        applied.append(chunk)
        if len(applied) == 2:
            jobs.cancel_import(tenant_id, import_id)
        return outcome

    monkeypatch.setattr(jobs, "apply_chunk", cancel_after_two_chunks)
    job = import_file(runtime, seller, import_rows(100_000), format="shopify_customers")

    assert job["status"] == "cancelled" and job["rows"] == 100_000
    assert job["progress"]["chunks_total"] == 180 and job["progress"]["chunks_done"] == 180  # 90,000 records / 500
    counts = job["counts"]
    assert counts["merged"] == 10_000 and counts["created"] == 1_000
    assert counts["created"] + counts["skipped"] == 90_000
    assert len(applied) == 180
    assert job["problems"] >= 2_000  # every 50th row's number that is not a phone, and the merges
    assert len(seller.get("/customers", limit=100).json()["items"]) == 100
