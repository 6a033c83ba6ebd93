"""A tenant's customers, orders and sends spread over 16 partition keys, and every tenant-wide
listing merges them back into one order, a full page at a time."""

from __future__ import annotations

import datetime as dt

import boto3

from huike.core import keys
from huike.store import customers as customer_store
from infra.local.template import REGION
from tests.support.clock import DAYTIME_UTC

BUYERS = 90


def write_customers(runtime, tenant_id: str) -> list[str]:
    """90 customers written directly; their last orders fall on 30 instants (ties on purpose)."""
    table = runtime.template.physical_name("CustomersTable")
    client = boto3.client("dynamodb", region_name=REGION)
    ids = [f"c-{n:03d}" for n in range(BUYERS)]
    for start in range(0, BUYERS, 25):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "tenant_shard": {"S": keys.tenant_shard(tenant_id, customer_id)},
                        "customer_id": {"S": customer_id},
                        "last_order_at": {
                            "S": (DAYTIME_UTC - dt.timedelta(days=int(customer_id[2:]) % 30)).strftime(
                                "%Y-%m-%dT%H:%M:%S.000000+0000"
                            )
                        },
                    }
                }
            }
            for customer_id in ids[start : start + 25]
        ]
        client.batch_write_item(RequestItems={table: requests})
    return ids


def test_one_tenants_customers_are_spread_over_sixteen_partition_keys(runtime, tenant):
    ids = write_customers(runtime, tenant.tenant_id)
    shards = {keys.tenant_shard(tenant.tenant_id, customer_id) for customer_id in ids}
    assert len(shards) == 16 and shards == set(keys.tenant_shards(tenant.tenant_id))
    assert customer_store.get_customer(tenant.tenant_id, "c-042").tenant_id == tenant.tenant_id


def test_pages_in_id_order_are_full_and_cover_every_customer_once(runtime, tenant):
    ids = write_customers(runtime, tenant.tenant_id)
    pages, after = [], None
    while True:
        page, after = customer_store.customers_page(tenant.tenant_id, limit=7, after=after)
        pages.append([str(c.customer_id) for c in page])
        if after is None:
            break
    assert [customer_id for page in pages for customer_id in page] == sorted(ids)
    assert all(len(page) == 7 for page in pages[:-1]) and 0 < len(pages[-1]) <= 7


def test_pages_by_last_order_are_newest_first_through_ties(runtime, tenant):
    ids = write_customers(runtime, tenant.tenant_id)
    seen, after = [], None
    while True:
        page, after = customer_store.customers_by_last_order(tenant.tenant_id, limit=11, after=after)
        assert len(page) == 11 or after is None
        seen += [(c.last_order_at, str(c.customer_id)) for c in page]
        if after is None:
            break
    assert sorted(customer_id for _, customer_id in seen) == sorted(ids)  # each once
    assert seen == sorted(seen, reverse=True)  # newest first; equal times by id, descending
    since = DAYTIME_UTC - dt.timedelta(days=2)
    recent, more = customer_store.customers_by_last_order(tenant.tenant_id, limit=50, after=None, since=since)
    assert more is None and len(recent) == 9  # days 0, 1 and 2 ago: 3 customers each
