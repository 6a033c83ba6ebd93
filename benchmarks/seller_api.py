"""(f) The seller API: AWS calls and read units per page of 50 customers for a tenant of 10,000,
and what checking the API key costs per request (in the function, against a Lambda authorizer)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.calls import Recorder, count
from benchmarks.cost import (
    DYNAMODB_USD_PER_READ_UNIT,
    DYNAMODB_USD_PER_WRITE_UNIT,
    LAMBDA_ASSUMED_SECONDS,
    LAMBDA_MEMORY_GB,
    LAMBDA_USD_PER_GB_SECOND,
    LAMBDA_USD_PER_REQUEST,
    item_size,
)
from huike.core import keys
from infra.local.runtime import LocalRuntime, TenantCredentials
from infra.local.template import REGION
from tests.support.seller import SellerApi

CUSTOMERS = 10_000
PAGE = 50
SELLER = "SellerApiFunction"
AUTHORIZER_CACHE_SECONDS = 300  # API Gateway's default authorizer result TTL


@dataclass
class PageFigures:
    label: str
    calls: list[str]
    reads: int
    read_units: float


def seed_customers(runtime: LocalRuntime, tenant_id: str) -> None:
    """10,000 customers written directly (as an import would), in batches of 25."""
    import boto3

    table = runtime.template.physical_name("CustomersTable")
    client = boto3.client("dynamodb", region_name=REGION)
    for start in range(0, CUSTOMERS, 25):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "tenant_shard": {"S": keys.tenant_shard(tenant_id, f"shopify-{100000 + n}")},
                        "customer_id": {"S": f"shopify-{100000 + n}"},
                        "first_name": {"S": "Buyer"},
                        "phone": {"S": f"+1502555{n:04d}"},
                        "email": {"S": f"buyer{n}@example.com"},
                        "order_count": {"N": str(n % 7)},
                        "total_spent": {"N": str(25 * (n % 7))},
                        "sms_consent": {"S": '{"granted": true, "at": "2026-11-01T00:00:00Z", "source": "import"}'},
                    }
                }
            }
            for n in range(start, min(start + 25, CUSTOMERS))
        ]
        client.batch_write_item(RequestItems={table: requests})


def measure(runtime: LocalRuntime, tenant: TenantCredentials, recorder: Recorder) -> list[PageFigures]:
    import boto3

    seed_customers(runtime, tenant.tenant_id)
    seller = SellerApi(runtime, tenant.api_key)
    seller.get("/settings")  # a warm container, and the key's last-used time already written
    client = boto3.client("dynamodb", region_name=REGION)
    figures = []
    cursor = None
    for label in ("first page", "second page"):
        with recorder.window() as window:
            page = seller.get("/customers", limit=PAGE, cursor=cursor).json()
        cursor = page["next_cursor"]
        calls = window.of(SELLER)
        counts = count(calls)
        # Read units: each Query replayed for the items it read (eventually consistent: 0.5 unit
        # per 4 KB, at least 0.5); the key check's GetItem and the plan's, 0.5 each.
        units = 0.0
        for call in calls:
            if call.service == "dynamodb" and call.operation == "Query":
                items = client.query(**call.params)["Items"]
                units += 0.5 * max(1, math.ceil(sum(item_size(i) for i in items) / 4096))
            elif call.service == "dynamodb" and call.operation == "GetItem":
                units += 0.5
        figures.append(PageFigures(label, sorted({f"{c.operation}" for c in calls}), counts.reads, units))
    return figures


def print_figures(figures: list[PageFigures]) -> None:
    print(f"\n(f) Seller API: GET /v1/customers?limit={PAGE} for a tenant of {CUSTOMERS:,} customers")
    print("   counted at the botocore level for SellerApiFunction; read units from the items' sizes")
    print(f"   {'page':<12}  {'DDB reads':>9}  {'read units':>10}  calls")
    for f in figures:
        print(f"   {f.label:<12}  {f.reads:>9}  {f.read_units:>10.1f}  {', '.join(f.calls)}")
    per_million_get = 1_000_000 * 0.5 * DYNAMODB_USD_PER_READ_UNIT
    invocation = LAMBDA_USD_PER_REQUEST + LAMBDA_USD_PER_GB_SECOND * LAMBDA_MEMORY_GB * LAMBDA_ASSUMED_SECONDS
    print("   checking the API key, USD per 1M requests:")
    print(f"     in the function (chosen): one GetItem per request            {per_million_get:8.4f}")
    uncached = per_million_get + 1_000_000 * invocation
    print(f"     Lambda authorizer, uncached: + one invocation per request    {uncached:8.4f}")
    print(
        f"     Lambda authorizer, cached {AUTHORIZER_CACHE_SECONDS} s: one call per key per TTL, "
        f"but a revoked key works up to {AUTHORIZER_CACHE_SECONDS} s longer"
    )
    rate_limit = 1_000_000 * (DYNAMODB_USD_PER_WRITE_UNIT + 0.5 * DYNAMODB_USD_PER_READ_UNIT)
    print("   the per-tenant rate limit, USD per 1M requests:")
    print(f"     one UpdateItem (the minute's count) + one projected GetItem (the plan)  {rate_limit:8.4f}")
