"""(g) Customer intelligence at scale: a 100,000-row import (rows per second, DynamoDB writes per
row, the hottest partition key's share), a simulated sales peak's hottest key, the nightly RFM
refresh's cost per 1,000 customers, and segment count and page costs for a 100,000-customer
tenant. Counted at the botocore level (benchmarks/calls.py); seconds are the local emulation's,
on this machine, not AWS's."""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.calls import Call, Recorder, count
from benchmarks.cost import (
    DYNAMODB_USD_PER_READ_UNIT,
    DYNAMODB_USD_PER_WRITE_UNIT,
    LAMBDA_USD_PER_REQUEST,
    item_size,
)
from infra.local.runtime import LocalRuntime, TenantCredentials
from infra.local.template import NAME_PREFIX, REGION, local_template
from tests.support.import_files import shopify_customer_csv
from tests.support.seller import SellerApi

# Applied end to end (planner, chunks, stream consumers). moto evaluates each update expression
# in Python (~20 ms per row here), so `make bench` applies 2,000 rows and `make bench-import`
# the full 100,000 (about 40 minutes locally); the planner's figure is for 100,000 either way.
IMPORT_ROWS = int(os.environ.get("HUIKE_BENCH_IMPORT_ROWS", "2000"))
PLANNED_ROWS = 100_000
PEAK_ORDERS = int(os.environ.get("HUIKE_BENCH_PEAK_ORDERS", "200"))
SEGMENT_TENANT = 100_000
PEAK_ORDERS_PER_SECOND = 500
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def _hash_keys() -> dict[str, str]:
    template = local_template()
    return {
        template.physical_name(logical_id): next(
            k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"
        )
        for logical_id, table in template.tables().items()
    }


def partition_writes(calls: Iterable[Call]) -> Counter[tuple[str, str]]:
    """Items written per (table, partition key value): a transaction's and a batch's items each."""
    hash_keys = _hash_keys()
    written: Counter[tuple[str, str]] = Counter()

    def note(table: str, key_or_item: dict[str, Any]) -> None:
        value = key_or_item.get(hash_keys.get(table, ""), {})
        written[(table.removeprefix(NAME_PREFIX + "-").removesuffix("Table"), next(iter(value.values()), "?"))] += 1

    for call in calls:
        if call.service != "dynamodb" or call.operation not in WRITE_OPERATIONS:
            continue
        params = call.params
        if call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
            note(params["TableName"], params.get("Item") or params.get("Key") or {})
        elif call.operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((_, detail),) = entry.items()
                note(detail["TableName"], detail.get("Item") or detail.get("Key") or {})
        else:
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    ((_, detail),) = request.items()
                    note(table, detail.get("Item") or detail.get("Key") or {})
    return written


@dataclass
class HotKey:
    table: str
    key: str
    share: float
    items: int


def hottest(written: Counter[tuple[str, str]]) -> HotKey:
    total = sum(written.values())
    (table, key), items = written.most_common(1)[0]
    return HotKey(table, key, items / total, items)


@dataclass
class ImportFigures:
    planned_rows: int
    planner_seconds: float
    chunks: int
    rows: int
    seconds: float
    write_requests: int
    items_written: int
    by_table: dict[str, int]
    lambda_invocations: dict[str, int]
    hot: HotKey
    counts: dict[str, int]


def import_rows(rows: int) -> bytes:
    """A Shopify customer export: every 10th row repeats the buyer five rows up (same id and
    email, another phone: merged), every 50th has a number that is not a phone (kept without)."""
    records = []
    for n in range(rows):
        buyer = n - 5 if n % 10 == 9 else n
        email = f"buyer{buyer}@example.com"
        phone = "12" if n % 50 == 49 else f"+1 502 {555 + (n // 10000) % 4:03d} {n % 10000:04d}"
        records.append(
            {
                "Customer ID": f"{7_000_000 + buyer}",
                "First Name": f"Buyer{n}",
                "Email": email,
                "Phone": phone,
                "Accepts Email Marketing": "yes" if n % 3 == 0 else "no",
                "Tags": "wholesale" if n % 7 == 0 else "",
            }
        )
    return shopify_customer_csv(records)


def measure_import(runtime: LocalRuntime, tenant: TenantCredentials, recorder: Recorder, rows: int) -> ImportFigures:
    from huike.imports import files, jobs

    big = import_rows(PLANNED_ROWS)
    started = time.perf_counter()
    parsed = files.parse_file(big, "shopify_customers", default_country="US")
    planner_seconds = time.perf_counter() - started
    chunks = math.ceil(len(parsed.customers) / jobs.CHUNK_ROWS)
    seller = SellerApi(runtime, tenant.api_key)
    data = import_rows(rows)
    job = seller.post("/imports", {"format": "shopify_customers"}, "bench-import").json()
    with recorder.window() as window:
        started = time.perf_counter()
        runtime.upload(job["upload"]["url"], data)
        runtime.wait_quiescent()
        seconds = time.perf_counter() - started
    done = seller.get(f"/imports/{job['id']}").json()
    if done["status"] != "completed":
        raise RuntimeError(f"the benchmark import did not complete: {done}")
    written = partition_writes(window.calls)
    by_table: Counter[str] = Counter()
    for (table, _), items in written.items():
        by_table[table] += items
    return ImportFigures(
        planned_rows=PLANNED_ROWS,
        planner_seconds=planner_seconds,
        chunks=chunks,
        rows=rows,
        seconds=seconds,
        write_requests=count(window.calls).domain_writes,
        items_written=sum(written.values()),
        by_table=dict(by_table.most_common()),
        lambda_invocations=dict(Counter(i.function for i in window.invocations).most_common()),
        hot=hottest(written),
        counts=done["counts"],
    )


@dataclass
class PeakFigures:
    orders: int
    items_per_order: float
    hot: HotKey
    top: list[tuple[str, str, float]] = field(default_factory=list)  # (table, key, writes/s at the peak)


def measure_peak(runtime: LocalRuntime, tenant: TenantCredentials, recorder: Recorder, orders: int) -> PeakFigures:
    """`orders` distinct buyers, each an order created then paid (canonical events), as at a peak."""
    from tests.support.clock import iso
    from tests.support.webhooks import CanonicalEvents

    events = CanonicalEvents(runtime, tenant)
    with recorder.window() as window:
        for n in range(orders):
            now = iso(runtime.clock.now())
            customer = {"platform_id": f"peak-{n}", "email": f"peak{n}@example.com", "phone": f"+1502556{n:04d}"}
            order = {"order_id": f"peak-order-{n}", "name": f"#P{n}", "currency": "USD", "total_price": "89.00"}
            order["created_at"] = now
            for number, (kind, extra) in enumerate(
                (("order.created", {}), ("order.paid", {"financial_status": "paid", "paid_at": now}))
            ):
                event = {"id": f"peak-{n}-{number}", "type": kind, "occurred_at": now, "customer": customer}
                answer = events.post({**event, "order": {**order, **extra}})
                if answer.status != 200:
                    raise RuntimeError(f"{kind} was refused: {answer.body}")
        runtime.wait_quiescent()
    written = partition_writes(window.calls)
    per_order = sum(written.values()) / orders
    top = [(table, key, items / orders * PEAK_ORDERS_PER_SECOND) for (table, key), items in written.most_common(6)]
    return PeakFigures(orders, per_order, hottest(written), top)


@dataclass
class RefreshFigures:
    customers: int
    reads: int
    writes: int
    invocations: int
    read_units: float
    usd_per_thousand: float


def measure_refresh(runtime: LocalRuntime, recorder: Recorder, customers: int) -> RefreshFigures:
    """The nightly run over the tenant (its distributions changed since the last publication)."""
    with recorder.window() as window:
        runtime.lambdas.invoke("SegmentRefreshFunction", {"job": "segment-refresh"})
        runtime.wait_quiescent()
    calls = [c for c in window.calls if c.function == "SegmentRefreshFunction"]
    counted = count(calls)
    # Each Query of the customers' shards replayed for the items it read (0.5 RRU per 4 KB, at
    # least 0.5); every other read is one small item (0.5).
    import boto3

    client = boto3.client("dynamodb", region_name=REGION)
    queries = [c for c in calls if c.operation == "Query" and c.params.get("TableName", "").endswith("CustomersTable")]
    read_units = 0.5 * (counted.reads - len(queries))
    for call in queries:
        items = client.query(**call.params)["Items"]
        read_units += 0.5 * max(1, math.ceil(sum(item_size(item) for item in items) / 4096))
    invocations = window.invocations_of("SegmentRefreshFunction")
    usd = read_units * DYNAMODB_USD_PER_READ_UNIT + counted.domain_writes * DYNAMODB_USD_PER_WRITE_UNIT
    usd += invocations * LAMBDA_USD_PER_REQUEST
    return RefreshFigures(
        customers, counted.reads, counted.domain_writes, invocations, read_units, usd * 1000 / customers
    )


@dataclass
class SegmentFigures:
    customers: int
    count_calls: str
    count_read_units: float
    page_calls: str
    page_read_units: float
    tag_page_calls: str
    tag_page_read_units: float


def seed_scored_customers(runtime: LocalRuntime, tenant_id: str, customers: int) -> None:
    """Buyers with stats and a stored segment, written directly (a tenth in each segment); a
    tenth also carry the tag "vip", with their tag members items."""
    import boto3

    from huike.core import keys
    from huike.customers.rfm import Segment
    from huike.store.insights import shard_of

    table = runtime.template.physical_name("CustomersTable")
    members = runtime.template.physical_name("TagMembersTable")
    client = boto3.client("dynamodb", region_name=REGION)
    segments = list(Segment)
    for start in range(0, customers, 25):
        requests, memberships = [], []
        for n in range(start, min(start + 25, customers)):
            customer_id = f"seg-{n:06d}"
            segment = segments[n % len(segments)].value
            item: dict[str, dict[str, Any]] = {
                "tenant_shard": {"S": keys.tenant_shard(tenant_id, customer_id)},
                "customer_id": {"S": customer_id},
                "email": {"S": f"seg{n}@example.com"},
                "order_count": {"N": str(1 + n % 6)},
                "total_spent": {"N": str(40 * (1 + n % 6))},
                "last_order_at": {"S": "2026-10-01T12:00:00.000000+0000"},
                "rfm": {"S": "333"},
                "segment": {"S": segment},
                "segment_key": {"S": keys.segment_key(tenant_id, segment, shard_of(customer_id) % 8)},
            }
            if n % 10 == 3:
                item["tags"] = {"SS": ["vip"]}
                member_key = keys.tag_member_key(tenant_id, "vip", keys.shard_number(customer_id, 8))
                memberships.append(
                    {"PutRequest": {"Item": {"member_key": {"S": member_key}, "customer_id": {"S": customer_id}}}}
                )
            requests.append({"PutRequest": {"Item": item}})
        client.batch_write_item(RequestItems={table: requests, **({members: memberships} if memberships else {})})


def measure_segments(runtime: LocalRuntime, tenant: TenantCredentials, recorder: Recorder) -> SegmentFigures:
    seed_scored_customers(runtime, tenant.tenant_id, SEGMENT_TENANT)
    runtime.streams.attach()  # the seeded writes are not re-scored: their stored segments stand
    seller = SellerApi(runtime, tenant.api_key)
    seller.get("/settings")  # a warm container
    with recorder.window() as counting:
        seller.get("/segments")
    with recorder.window() as paging:
        page = seller.get("/customers", segment="at_risk", limit=50).json()
    if len(page["items"]) != 50:
        raise RuntimeError(f"the segment page is short: {page}"[:800])
    with recorder.window() as tag_paging:
        tagged = seller.get("/customers", tag="vip", limit=50).json()
    if len(tagged["items"]) != 50:
        raise RuntimeError(f"the tag page is short: {tagged}"[:800])

    def described(calls: list[Call]) -> tuple[str, float]:
        ops = Counter(c.operation for c in calls if c.function == "SellerApiFunction" and c.service == "dynamodb")
        # key check GetItem, plan GetItem (0.5 each); BatchGetItem of small items 0.5 each; a
        # keys-only Query page 0.5; the page's BatchGetItem 50 items of <1 KB: 0.5 each
        units = 0.5 * sum(n for op, n in ops.items() if op in ("GetItem", "Query", "BatchGetItem"))
        for call in calls:
            if call.operation == "BatchGetItem" and call.function == "SellerApiFunction":
                keys_read = sum(len(v["Keys"]) for v in call.params["RequestItems"].values())
                units += 0.5 * (keys_read - 1)
        return ", ".join(f"{op} x{n}" for op, n in sorted(ops.items())), units

    count_calls, count_units = described(counting.calls)
    page_calls, page_units = described(paging.calls)
    tag_calls, tag_units = described(tag_paging.calls)
    return SegmentFigures(SEGMENT_TENANT, count_calls, count_units, page_calls, page_units, tag_calls, tag_units)


def print_figures(
    imported: ImportFigures, peak: PeakFigures, refresh: RefreshFigures, segments: SegmentFigures
) -> None:
    print(f"\n(g) Customer intelligence (import of {imported.rows:,} Shopify customer rows, local emulation)")
    print(
        f"   planner: {imported.planned_rows:,} rows read, cleaned and merged in {imported.planner_seconds:.1f} s "
        f"(one Lambda run) into {imported.chunks} chunks of 500"
    )
    print(
        f"   import: {imported.rows / imported.seconds:,.0f} rows/s here ({imported.seconds:,.0f} s), "
        f"{imported.write_requests / imported.rows:.2f} DynamoDB write requests and "
        f"{imported.items_written / imported.rows:.2f} items written per row; counts {imported.counts}"
    )
    print(f"   items written by table: {imported.by_table}")
    print(f"   invocations: {imported.lambda_invocations}")
    print(
        f"   hottest partition key during the import: {imported.hot.table} '{imported.hot.key}' "
        f"{imported.hot.share:.1%} of items written ({imported.hot.items:,})"
    )
    print(
        f"   sales peak ({peak.orders} buyers, created + paid): {peak.items_per_order:.1f} items written per order; "
        f"hottest key {peak.hot.table} '{peak.hot.key}' {peak.hot.share:.1%}"
    )
    print(f"   at {PEAK_ORDERS_PER_SECOND} orders/s, writes per second on the busiest keys:")
    for table, key, rate in peak.top:
        print(f"     {table:<16} {key[:48]:<48} {rate:8,.0f}/s")
    print(
        f"   nightly RFM refresh over {refresh.customers:,} customers: {refresh.reads} reads, {refresh.writes} writes, "
        f"{refresh.invocations} invocations, {refresh.read_units:,.0f} RRU: "
        f"${refresh.usd_per_thousand:.6f} per 1,000 customers"
    )
    print(f"   segments of a {segments.customers:,}-customer tenant (SellerApiFunction calls):")
    print(f"     GET /v1/segments (counts + AOV):   {segments.count_calls}; ~{segments.count_read_units:.1f} RRU")
    print(f"     a page of 50 in one segment:       {segments.page_calls}; ~{segments.page_read_units:.1f} RRU")
    print(
        f"     a page of 50 with one tag (a tenth): {segments.tag_page_calls}; ~{segments.tag_page_read_units:.1f} RRU"
    )


def main() -> None:
    """Section (g) alone (`make bench-import`: the import at 100,000 rows end to end)."""
    from benchmarks.sessions import recorded
    from tests.support.clock import DAYTIME_UTC

    with recorded(DAYTIME_UTC) as (runtime, webhooks, recorder):
        imported = measure_import(runtime, webhooks.tenant, recorder, IMPORT_ROWS)
        peak = measure_peak(runtime, webhooks.tenant, recorder, PEAK_ORDERS)
        refreshed = measure_refresh(runtime, recorder, imported.counts["created"] + peak.orders)
    with recorded(DAYTIME_UTC) as (runtime, webhooks, recorder):
        segments = measure_segments(runtime, webhooks.tenant, recorder)
    print_figures(imported, peak, refreshed, segments)


if __name__ == "__main__":
    main()
