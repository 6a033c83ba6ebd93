"""A tenant's repurchase rhythm, kept as counters: how many repeat orders came N days after the
same customer's previous one.

Access patterns:
  count one repeat interval       in the order-stats TransactWriteItems: UpdateItem ADD d<N> 1 on
                                  PK counter_key "<tenant>#rhythm#<shard>", shard = hash(customer) % 8
  read the distribution           BatchGetItem of the tenant's 8 shards (O(1) in customers/orders)

Sharded so that a sales-festival peak (500 orders/s, most of them repeat) puts at most ~60
writes/s on any one key, far below DynamoDB's 1,000 WCU per partition key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from huike.store.base import BoundTable, register, transaction_connection

SHARDS = 8
MAX_DAY = 730  # longer intervals are counted as 730 ("two years or more")
DAY_PREFIX = "d"


@register
class RhythmShard(Model):
    class Meta(metaclass=BoundTable):
        table_setting = "insights_table"

    counter_key = UnicodeAttribute(hash_key=True)
    # d0 ... d730: the count of repeat orders that many whole days after the previous one,
    # written as top-level attributes (ADD on a new attribute needs no map to exist first).


def rhythm_key(tenant_id: str, shard: int) -> str:
    return f"{tenant_id}#rhythm#{shard}"


def shard_of(customer_id: str) -> int:
    return int(hashlib.sha256(customer_id.encode()).hexdigest()[:8], 16) % SHARDS


def interval_update(tenant_id: str, customer_id: str, days: float) -> tuple[RhythmShard, list[Any]]:
    """The item and action that count one interval (for a transaction)."""
    day = min(MAX_DAY, max(0, int(days)))
    return RhythmShard(rhythm_key(tenant_id, shard_of(customer_id))), [
        NumberAttribute(attr_name=f"{DAY_PREFIX}{day}").add(1)
    ]


def rhythm_histogram(tenant_id: str) -> dict[int, int]:
    """{days: repeat orders} summed over the tenant's shards (one BatchGetItem)."""
    table = str(RhythmShard.Meta.table_name)
    keys = [{"counter_key": {"S": rhythm_key(tenant_id, shard)}} for shard in range(SHARDS)]
    response = transaction_connection().client.batch_get_item(RequestItems={table: {"Keys": keys}})
    items = response.get("Responses", {}).get(table, [])
    unprocessed = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    if unprocessed:  # throttled: read the rest once more (eight small items)
        again = transaction_connection().client.batch_get_item(RequestItems={table: {"Keys": unprocessed}})
        items += again.get("Responses", {}).get(table, [])
    histogram: dict[int, int] = {}
    for item in items:
        for name, value in item.items():
            if name.startswith(DAY_PREFIX) and name[1:].isdigit():
                histogram[int(name[1:])] = histogram.get(int(name[1:]), 0) + int(value["N"])
    return histogram
